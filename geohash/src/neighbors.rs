//! A cell's eight neighbours: [`Direction`], [`Neighbors`] and [`GeoHash::neighbor`].

use crate::GeoHash;
use crate::hash::axis_bits;

/// The eight compass directions, clockwise from north.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// North (increasing latitude).
    N,
    /// North-east.
    NE,
    /// East (increasing longitude, wrapping at 180°).
    E,
    /// South-east.
    SE,
    /// South.
    S,
    /// South-west.
    SW,
    /// West.
    W,
    /// North-west.
    NW,
}

impl Direction {
    /// All eight, clockwise from north.
    pub const ALL: [Direction; 8] = [
        Direction::N,
        Direction::NE,
        Direction::E,
        Direction::SE,
        Direction::S,
        Direction::SW,
        Direction::W,
        Direction::NW,
    ];

    /// The opposite direction (N ↔ S, NE ↔ SW, …).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn opposite(self) -> Direction {
        Direction::ALL[(self as usize + 4) % 8]
    }

    /// (rows north, columns east) of one step in this direction.
    fn offset(self) -> (i64, i64) {
        match self {
            Direction::N => (1, 0),
            Direction::NE => (1, 1),
            Direction::E => (0, 1),
            Direction::SE => (-1, 1),
            Direction::S => (-1, 0),
            Direction::SW => (-1, -1),
            Direction::W => (0, -1),
            Direction::NW => (1, -1),
        }
    }
}

/// A cell and its eight neighbours: the 9-cell block a proximity query scans.
/// A neighbour beyond a pole is `None`; east and west wrap across ±180°.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Neighbors {
    /// The cell itself.
    pub center: GeoHash,
    /// North.
    pub n: Option<GeoHash>,
    /// North-east.
    pub ne: Option<GeoHash>,
    /// East.
    pub e: Option<GeoHash>,
    /// South-east.
    pub se: Option<GeoHash>,
    /// South.
    pub s: Option<GeoHash>,
    /// South-west.
    pub sw: Option<GeoHash>,
    /// West.
    pub w: Option<GeoHash>,
    /// North-west.
    pub nw: Option<GeoHash>,
}

impl Neighbors {
    /// The neighbour in `dir`.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn get(&self, dir: Direction) -> Option<GeoHash> {
        match dir {
            Direction::N => self.n,
            Direction::NE => self.ne,
            Direction::E => self.e,
            Direction::SE => self.se,
            Direction::S => self.s,
            Direction::SW => self.sw,
            Direction::W => self.w,
            Direction::NW => self.nw,
        }
    }

    /// The centre followed by every neighbour that exists (at most 9 cells, no duplicates
    /// except at precision 1 and 2, where east and west can wrap onto the same cell).
    ///
    /// Computes in **O(1)** time (nine cells at most).
    pub fn cells(&self) -> impl Iterator<Item = GeoHash> + '_ {
        std::iter::once(self.center).chain(Direction::ALL.into_iter().filter_map(|d| self.get(d)))
    }
}

impl GeoHash {
    /// The adjacent cell of the same length in `dir`: wraps across ±180° longitude; `None` past
    /// a pole.
    ///
    /// Computes in **O(1)** time: deinterleave, step the indices, interleave.
    #[inline]
    #[must_use]
    pub fn neighbor(self, dir: Direction) -> Option<GeoHash> {
        let (lat_bits, lon_bits) = axis_bits(self.len());
        let (lat_i, lon_i) = self.indices();
        let (dn, de) = dir.offset();
        let lat_n = i64::from(lat_i) + dn;
        if lat_n < 0 || lat_n >= 1i64 << lat_bits {
            return None;
        }
        let lon_n = (i64::from(lon_i) + de).rem_euclid(1i64 << lon_bits);
        Some(GeoHash::from_indices(
            lat_n as u32,
            lon_n as u32,
            self.len(),
        ))
    }

    /// The cell and its eight neighbours.
    ///
    /// Computes in **O(1)** time: eight steps of the cell's indices.
    #[inline]
    #[must_use]
    pub fn neighbors(self) -> Neighbors {
        let at = |d| self.neighbor(d);
        Neighbors {
            center: self,
            n: at(Direction::N),
            ne: at(Direction::NE),
            e: at(Direction::E),
            se: at(Direction::SE),
            s: at(Direction::S),
            sw: at(Direction::SW),
            w: at(Direction::W),
            nw: at(Direction::NW),
        }
    }
}
