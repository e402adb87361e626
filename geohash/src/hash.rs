//! The geohash value: bit interleaving, the base-32 text form, cells and neighbours.

use crate::{Error, Point};
use std::fmt;
use std::str::FromStr;

/// The base-32 alphabet of geohash (digits and letters without a, i, l, o).
pub const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// Longest geohash: 12 characters, 60 bits (30 per axis, about 19 mm × 37 mm at the equator).
pub const MAX_PRECISION: u8 = 12;

/// Bits per axis at full precision.
const AXIS_BITS: u32 = 30;

// Character → 5-bit value, 0xff for characters outside the alphabet.
const DECODE: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 32 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Character `c` at position `k` of a geohash, as its share of the cell's corner on the grid of
/// 2^31 × 2^31: latitude bits in the high 32, longitude bits in the low 32, each already at its
/// place; bit 63 marks a character outside the alphabet. OR-ing one entry per character gives
/// both axes' indices at once, with no interleaving to undo afterwards: `decode` reads one row
/// entry per character. Rows cover all 256 byte values (12 rows of 2 KiB, of which valid text
/// touches the 7 cache lines holding the alphabet), so bytes of multi-byte UTF-8 need no
/// separate test: they hit the error bit like any other character outside the alphabet.
static DECODE_AT: [[u64; 256]; MAX_PRECISION as usize] = {
    let mut t = [[1u64 << 63; 256]; MAX_PRECISION as usize];
    let mut k = 0;
    while k < MAX_PRECISION as usize {
        let mut c = 0;
        while c < 256 {
            let v = DECODE[c];
            if v != 0xff {
                let mut x = 0u64;
                let mut i = 0;
                while i < 5 {
                    if (v >> (4 - i)) & 1 == 1 {
                        // Bit j of the 60 (from the top): even j is longitude, odd latitude.
                        let j = 5 * k + i;
                        let lane = if j % 2 == 0 { 0 } else { 32 };
                        x |= 1 << (lane + AXIS_BITS as usize - j / 2);
                    }
                    i += 1;
                }
                t[k][c] = x;
            }
            c += 1;
        }
        k += 1;
    }
    t
};

/// Half a cell of each axis for `len` characters, on the same 2^31 grid: added to the corner,
/// it gives the centre.
const HALF_CELL: [u64; MAX_PRECISION as usize + 1] = {
    let mut t = [0u64; MAX_PRECISION as usize + 1];
    let mut len = 1;
    while len <= MAX_PRECISION as usize {
        let (lat_bits, lon_bits) = axis_bits(len as u8);
        t[len] = (1 << (32 + AXIS_BITS - lat_bits)) | (1 << (AXIS_BITS - lon_bits));
        len += 1;
    }
    t
};

/// Degrees per unit of the 2^31 grid: latitude, longitude.
const GRID_LAT: f64 = 180.0 / (1u64 << 31) as f64;
const GRID_LON: f64 = 360.0 / (1u64 << 31) as f64;

/// Spreads the low 32 bits of `x` to the even bit positions of a u64 ("Morton" interleaving):
/// five shift-and-mask rounds instead of a loop over bits.
#[inline]
pub(crate) fn spread(x: u32) -> u64 {
    let mut x = u64::from(x);
    x = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
    x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Inverse of [`spread`]: gathers the even bit positions of `x` into a u32.
#[inline]
pub(crate) fn squash(x: u64) -> u32 {
    let mut x = x & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x >> 4)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x >> 8)) & 0x0000_ffff_0000_ffff;
    ((x | (x >> 16)) & 0x0000_0000_ffff_ffff) as u32
}

/// 2^-n for n in 0..=30: multiplying by an exact power of two instead of dividing.
const POW2_NEG: [f64; 31] = {
    let mut t = [1.0f64; 31];
    let mut i = 1;
    while i < 31 {
        t[i] = t[i - 1] / 2.0;
        i += 1;
    }
    t
};

/// ⌊x⌋ for |x| < 2^62: truncate, then step down for negative non-integers. `f64::floor` is a
/// libm call on baseline x86-64 (no SSE4.1 `roundsd`); this is two instructions and a compare.
#[inline]
fn floor_to_i64(x: f64) -> i64 {
    let t = x as i64;
    t - i64::from((t as f64) > x)
}

/// 2^29, the offset that makes cell indices non-negative.
const HALF: f64 = (1u64 << 29) as f64;

/// 30-bit cell index of `v` on an axis of half-range `half_range` (90 or 180), exactly as
/// python-geohash computes it: 2^29 + ⌊fl(v / half_range) · 2^29⌋ (it reads the bits off the
/// mantissa of lat/90 and lon/180; scaling by 2^29 only moves the exponent, so the floor is exact).
#[inline]
fn exact_index(v: f64, half_range: f64) -> i64 {
    (1 << 29) + floor_to_i64((v / half_range) * HALF)
}

const LAT_SCALE: f64 = HALF / 90.0;
const LON_SCALE: f64 = HALF / 180.0;

/// Both indices without a division, or `None` when it cannot be sure (then use
/// [`exact_index`]). y = v · (2^29 / half_range) + 2^29 is within 2.4e-7 of the exact scaled
/// value (product and sum each round by under 2^-24, the reciprocal by 2^-53 relative), so its
/// floor is exact unless an integer lies within 1e-6 of y: about 2 inputs in a million per axis,
/// plus exact cell edges. Adding 1.5·2^52 rounds y − ½ ± 1e-6 to integers in the low mantissa
/// bits (no saturating float → int conversion); equal results mean no integer is near. The
/// range check also rejects NaN, infinities and anything outside the axis, so a `Some` implies
/// valid coordinates. The checks combine with `&` rather than `&&`, so nothing branches until
/// the end and the compiler runs the two axes side by side in SIMD lanes.
#[inline]
fn fast_indices(lat: f64, lon: f64) -> Option<(u32, u32)> {
    const ROUND: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52
    const TOP: f64 = ((1u64 << 30) - 1) as f64;
    let y = [lat * LAT_SCALE + HALF, lon * LON_SCALE + HALF];
    let lo = [
        ((y[0] - 0.5 - 1e-6) + ROUND).to_bits() as u32,
        ((y[1] - 0.5 - 1e-6) + ROUND).to_bits() as u32,
    ];
    let hi = [
        ((y[0] - 0.5 + 1e-6) + ROUND).to_bits() as u32,
        ((y[1] - 0.5 + 1e-6) + ROUND).to_bits() as u32,
    ];
    let in_range = (y[0] >= 1.0) & (y[0] < TOP) & (y[1] >= 1.0) & (y[1] < TOP);
    let sure = (lo[0] == hi[0]) & (lo[1] == hi[1]);
    (in_range & sure).then_some((lo[0], lo[1]))
}

/// 30-bit latitude and longitude indices of a valid point at full precision. Latitude 90 falls in
/// the top row and longitude 180 in the last column, so every valid point, the corners
/// included, lies in the box of the cell it encodes to.
#[inline]
pub(crate) fn full_indices(lat: f64, lon: f64) -> (u32, u32) {
    fast_indices(lat, lon).unwrap_or_else(|| exact_indices(lat, lon))
}

#[cold]
fn exact_indices(lat: f64, lon: f64) -> (u32, u32) {
    let max = (1i64 << AXIS_BITS) - 1;
    (
        exact_index(lat, 90.0).clamp(0, max) as u32,
        // 180 is the east edge: the last column, whose box ends there (-180 starts the first).
        exact_index(lon, 180.0).clamp(0, max) as u32,
    )
}

/// Interleaved 60-bit form (longitude on the odd positions) of the full-precision indices.
#[inline]
fn interleave60(lat_i: u32, lon_i: u32) -> u64 {
    (spread(lon_i) << 1) | spread(lat_i)
}

/// The top 32 bits of [`interleave60`], enough for 6 characters: the top 16 bits of each axis
/// share one u64 (latitude in the low half, longitude in the high), so four shift-and-mask
/// rounds spread both at once where `interleave60` needs five rounds per axis.
#[inline]
fn interleave_top32(lat_i: u32, lon_i: u32) -> u64 {
    let mut x = u64::from(lat_i >> 14) | (u64::from(lon_i >> 14) << 32);
    x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    x = (x | (x << 1)) & 0x5555_5555_5555_5555;
    ((x >> 32) << 1) | (x & 0xffff_ffff)
}

/// Bits of each axis in a `len`-character hash: longitude takes the odd bit when 5·len is odd.
#[inline]
pub(crate) const fn axis_bits(len: u8) -> (u32, u32) {
    let total = 5 * len as u32;
    (total / 2, total.div_ceil(2))
}

/// A geohash: a cell of the latitude/longitude grid, as its bits and length in characters.
///
/// `Copy`, 16 bytes, no heap. The most significant bit splits longitude, the next latitude, and
/// so on alternately; every 5 bits are one base-32 character. Ordering is the string order, so
/// sorting geohashes sorts cells along the Z-order curve and a cell sorts next to its children.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct GeoHash {
    /// Right-aligned: only the low 5·len bits are set.
    bits: u64,
    /// 1..=12 characters.
    len: u8,
}

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
    pub fn cells(&self) -> impl Iterator<Item = GeoHash> + '_ {
        std::iter::once(self.center).chain(Direction::ALL.into_iter().filter_map(|d| self.get(d)))
    }
}

/// A latitude/longitude box in degrees: south ≤ north, west ≤ east (geohash cells never cross
/// the antimeridian).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// Southern edge (minimum latitude).
    pub south: f64,
    /// Western edge (minimum longitude).
    pub west: f64,
    /// Northern edge (maximum latitude).
    pub north: f64,
    /// Eastern edge (maximum longitude).
    pub east: f64,
}

impl BBox {
    /// Whether the box contains the point (edges included).
    #[must_use]
    pub fn contains(&self, p: Point) -> bool {
        (self.south..=self.north).contains(&p.lat()) && (self.west..=self.east).contains(&p.lon())
    }
}

/// Encodes a point as a geohash of `precision` characters (1..=12).
///
/// Computes in **O(1)** time: two scalings, two floors and one bit interleave.
///
/// # Errors
/// - [`Error::InvalidLatitude`] / [`Error::InvalidLongitude`] for NaN, infinite or out-of-range
///   coordinates. Latitude 90 is in the top row of cells and longitude 180 in the last column:
///   the returned cell's [`BBox`] contains the point, the outer edges and corners included.
/// - [`Error::InvalidPrecision`] for 0 or more than 12.
// Always inlined: called as a function, the call and the `Result` returned through memory cost
// about as much as the encoding itself (measured: about twice the inlined time).
#[inline(always)]
pub fn encode(lat: f64, lon: f64, precision: u8) -> Result<GeoHash, Error> {
    // The fast path's range check already proves the coordinates valid. Everything else (bad
    // input, and the rare point too near a cell edge for the fast path) goes out of line, so
    // this stays small enough to inline into the caller's loop.
    match fast_indices(lat, lon) {
        Some((lat_i, lon_i)) if (1..=MAX_PRECISION).contains(&precision) => {
            Ok(GeoHash::from_full_indices(lat_i, lon_i, precision))
        }
        _ => encode_slow(lat, lon, precision),
    }
}

/// `encode` for what its fast path refused: checks precision, then the coordinates, and
/// computes the indices with the exact formula.
#[cold]
#[inline(never)]
fn encode_slow(lat: f64, lon: f64, precision: u8) -> Result<GeoHash, Error> {
    if precision == 0 || precision > MAX_PRECISION {
        return Err(Error::InvalidPrecision(precision));
    }
    let p = Point::new(lat, lon)?;
    let (lat_i, lon_i) = exact_indices(p.lat(), p.lon());
    Ok(GeoHash::from_full_indices(lat_i, lon_i, precision))
}

/// Decodes a geohash string to its cell centre.
///
/// # Errors
/// As [`GeoHash::from_str`].
#[inline]
pub fn decode(hash: &str) -> Result<Point, Error> {
    let bytes = hash.as_bytes();
    if bytes.is_empty() || bytes.len() > usize::from(MAX_PRECISION) {
        return decode_slow(hash);
    }
    // One table entry per character, no branch per character: the corner of the cell on the
    // 2^31 grid, then its centre. Same value, bit for bit, as `parse` then `center` (the grid
    // position is exact and each axis scales and shifts once).
    let mut grid = HALF_CELL[bytes.len()];
    for (row, &c) in DECODE_AT.iter().zip(bytes) {
        grid |= row[usize::from(c)];
    }
    if grid >> 63 != 0 {
        return decode_slow(hash);
    }
    // Through i64: one conversion instruction, where u64 to f64 takes several.
    let lat_units = (grid >> 32) as i64 as f64;
    let lon_units = (grid & 0xffff_ffff) as i64 as f64;
    Ok(Point::from_valid(
        -90.0 + lat_units * GRID_LAT,
        -180.0 + lon_units * GRID_LON,
    ))
}

/// `decode` by `parse` and `center`, for text the fast path refused: it finds the error (and
/// its position) the way `parse` reports it.
#[cold]
#[inline(never)]
fn decode_slow(hash: &str) -> Result<Point, Error> {
    Ok(hash.parse::<GeoHash>()?.center())
}

impl GeoHash {
    /// The cell of `precision` characters containing `p`.
    ///
    /// # Errors
    /// - [`Error::InvalidPrecision`] for 0 or more than 12.
    #[inline]
    pub fn from_point(p: Point, precision: u8) -> Result<Self, Error> {
        if precision == 0 || precision > MAX_PRECISION {
            return Err(Error::InvalidPrecision(precision));
        }
        let (lat_i, lon_i) = full_indices(p.lat(), p.lon());
        Ok(Self::from_full_indices(lat_i, lon_i, precision))
    }

    /// The 60-bit interleaved form of full-precision indices (for 52-bit index keys).
    #[inline]
    pub(crate) fn from_point_indices(lat_i: u32, lon_i: u32) -> u64 {
        interleave60(lat_i, lon_i)
    }

    /// The cell of `precision` (1..=12) characters at full-precision indices. Up to 6
    /// characters (the radius-search and region-key sizes) take the cheaper 32-bit interleave.
    #[inline]
    fn from_full_indices(lat_i: u32, lon_i: u32, precision: u8) -> Self {
        if precision <= 6 {
            Self {
                bits: interleave_top32(lat_i, lon_i) >> (32 - 5 * u32::from(precision)),
                len: precision,
            }
        } else {
            Self::from_full(interleave60(lat_i, lon_i), precision)
        }
    }

    /// The `precision`-character prefix of a 60-bit interleaved value.
    #[inline]
    fn from_full(full: u64, precision: u8) -> Self {
        Self {
            bits: full >> (60 - 5 * u32::from(precision)),
            len: precision,
        }
    }

    /// A geohash from its integer form (the low `5 × len` bits).
    ///
    /// # Errors
    /// - [`Error::InvalidPrecision`] for `len` 0 or over 12.
    /// - [`Error::BitsOutOfRange`] if `bits` has a bit at or above `5 × len`.
    pub fn from_u64(bits: u64, len: u8) -> Result<Self, Error> {
        if len == 0 || len > MAX_PRECISION {
            return Err(Error::InvalidPrecision(len));
        }
        if bits >> (5 * u32::from(len)) != 0 {
            return Err(Error::BitsOutOfRange { bits, len });
        }
        Ok(Self { bits, len })
    }

    /// The integer form: 5 bits per character, right-aligned.
    #[inline]
    #[must_use]
    pub fn as_u64(self) -> u64 {
        self.bits
    }

    /// Length in characters (1..=12).
    #[inline]
    #[must_use]
    pub fn len(self) -> u8 {
        self.len
    }

    /// Always false: a geohash has at least one character (here for the `len` convention).
    #[must_use]
    pub fn is_empty(self) -> bool {
        false
    }

    /// (latitude index, longitude index) of the cell in its grid.
    #[inline]
    pub(crate) fn indices(self) -> (u32, u32) {
        if (5 * u32::from(self.len)) % 2 == 0 {
            (squash(self.bits), squash(self.bits >> 1))
        } else {
            (squash(self.bits >> 1), squash(self.bits))
        }
    }

    /// The cell at grid indices (internal: callers keep indices in range).
    #[inline]
    pub(crate) fn from_indices(lat_i: u32, lon_i: u32, len: u8) -> Self {
        let bits = if (5 * u32::from(len)) % 2 == 0 {
            (spread(lon_i) << 1) | spread(lat_i)
        } else {
            spread(lon_i) | (spread(lat_i) << 1)
        };
        Self { bits, len }
    }

    /// The cell's box.
    ///
    /// Computes in **O(1)** time; the edges are exact dyadic fractions of the ranges.
    #[inline]
    #[must_use]
    pub fn bbox(self) -> BBox {
        let (h, w) = self.cell_degrees();
        let (lat_i, lon_i) = self.indices();
        let south = -90.0 + f64::from(lat_i) * h;
        let west = -180.0 + f64::from(lon_i) * w;
        BBox {
            south,
            west,
            north: south + h,
            east: west + w,
        }
    }

    /// Cell height and width in degrees (exact powers of two times 180 and 360).
    #[inline]
    fn cell_degrees(self) -> (f64, f64) {
        let (lat_bits, lon_bits) = axis_bits(self.len);
        (
            180.0 * POW2_NEG[lat_bits as usize],
            360.0 * POW2_NEG[lon_bits as usize],
        )
    }

    /// The cell's centre.
    #[inline]
    #[must_use]
    pub fn center(self) -> Point {
        let (h, w) = self.cell_degrees();
        let (lat_i, lon_i) = self.indices();
        // (i + ½)·size is exact, so this rounds once, like south + half-height.
        Point::from_valid(
            -90.0 + (f64::from(lat_i) + 0.5) * h,
            -180.0 + (f64::from(lon_i) + 0.5) * w,
        )
    }

    /// Half the cell's height and width in degrees: the centre ± these is the box, and the most a
    /// decoded centre can be off from any point in the cell, per axis.
    #[inline]
    #[must_use]
    pub fn error(self) -> (f64, f64) {
        let (h, w) = self.cell_degrees();
        (h / 2.0, w / 2.0)
    }

    /// The enclosing cell one character shorter; `None` at length 1.
    #[inline]
    #[must_use]
    pub fn parent(self) -> Option<GeoHash> {
        (self.len > 1).then(|| GeoHash {
            bits: self.bits >> 5,
            len: self.len - 1,
        })
    }

    /// The 32 cells one character longer, in string order; `None` at length 12.
    #[must_use]
    pub fn children(self) -> Option<[GeoHash; 32]> {
        (self.len < MAX_PRECISION).then(|| {
            std::array::from_fn(|i| GeoHash {
                bits: (self.bits << 5) | i as u64,
                len: self.len + 1,
            })
        })
    }

    /// Whether `self` is `other` or one of its ancestors (its string is a prefix of `other`'s).
    #[inline]
    #[must_use]
    pub fn contains(self, other: GeoHash) -> bool {
        other.len >= self.len && other.bits >> (5 * u32::from(other.len - self.len)) == self.bits
    }

    /// The adjacent cell of the same length in `dir`: wraps across ±180° longitude; `None` past
    /// a pole.
    ///
    /// Computes in **O(1)** time: deinterleave, step the indices, interleave.
    #[inline]
    #[must_use]
    pub fn neighbor(self, dir: Direction) -> Option<GeoHash> {
        let (lat_bits, lon_bits) = axis_bits(self.len);
        let (lat_i, lon_i) = self.indices();
        let (dn, de) = dir.offset();
        let lat_n = i64::from(lat_i) + dn;
        if lat_n < 0 || lat_n >= 1i64 << lat_bits {
            return None;
        }
        let lon_n = (i64::from(lon_i) + de).rem_euclid(1i64 << lon_bits);
        Some(GeoHash::from_indices(lat_n as u32, lon_n as u32, self.len))
    }

    /// The cell and its eight neighbours.
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

    /// The text form in a stack buffer: the first `len` bytes (ASCII) are the geohash.
    ///
    /// Always writes all 12 characters of the left-aligned bits (a fixed, unrolled loop with no
    /// data-dependent trip count) and reports how many belong to this hash.
    #[inline]
    #[must_use]
    pub fn to_ascii(self) -> ([u8; 12], usize) {
        let full = self.bits << (60 - 5 * u32::from(self.len));
        let mut buf = [0u8; 12];
        for (i, b) in buf.iter_mut().enumerate() {
            *b = ALPHABET[((full >> (55 - 5 * i)) & 31) as usize];
        }
        (buf, usize::from(self.len))
    }
}

impl FromStr for GeoHash {
    type Err = Error;

    /// Parses lowercase geohash text (1 to 12 characters of the base-32 alphabet).
    ///
    /// # Errors
    /// - [`Error::Empty`], [`Error::TooLong`], or [`Error::InvalidChar`] with its position.
    #[inline]
    fn from_str(s: &str) -> Result<Self, Error> {
        let bytes = s.as_bytes();
        if bytes.is_empty() {
            return Err(Error::Empty);
        }
        if bytes.len() > usize::from(MAX_PRECISION) {
            // Counted in characters, as the error says: 12 non-ASCII characters are not too
            // long, they are not in the alphabet.
            let chars = s.chars().count();
            if chars > usize::from(MAX_PRECISION) {
                return Err(Error::TooLong(chars));
            }
            let (position, ch) = s
                .char_indices()
                .find(|&(_, c)| !c.is_ascii() || DECODE[c as usize] == 0xff)
                .unwrap_or((0, '\u{fffd}'));
            return Err(Error::InvalidChar { ch, position });
        }
        // No branch per character: OR the table values together and check once at the end
        // (0xff marks a character outside the alphabet).
        let mut bits = 0u64;
        let mut bad = 0u8;
        for &b in bytes {
            let v = DECODE[usize::from(b)];
            bad |= v;
            bits = (bits << 5) | u64::from(v & 31);
        }
        if bad & 0x80 != 0 {
            let (i, ch) = s
                .char_indices()
                .find(|&(i, _)| DECODE[usize::from(bytes[i])] == 0xff)
                .unwrap_or((0, '\u{fffd}'));
            return Err(Error::InvalidChar { ch, position: i });
        }
        Ok(GeoHash {
            bits,
            len: bytes.len() as u8,
        })
    }
}

impl fmt::Display for GeoHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (buf, n) = self.to_ascii();
        // ALPHABET is ASCII, so the buffer is valid UTF-8.
        f.write_str(std::str::from_utf8(&buf[..n]).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for GeoHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GeoHash(\"{self}\")")
    }
}

impl PartialOrd for GeoHash {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GeoHash {
    /// String order: left-align both to 60 bits, then the shorter (the prefix) first.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let a = self.bits << (60 - 5 * u32::from(self.len));
        let b = other.bits << (60 - 5 * u32::from(other.len));
        a.cmp(&b).then(self.len.cmp(&other.len))
    }
}

/// serde (feature `serde`): a geohash is its text, `"u4pruydqqvj"`, read back through
/// [`FromStr`], so a malformed one is the same typed error.
#[cfg(feature = "serde")]
impl serde::Serialize for GeoHash {
    fn serialize<Z: serde::Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let (buf, n) = self.to_ascii();
        // ALPHABET is ASCII, so the buffer is valid UTF-8.
        let text = std::str::from_utf8(&buf[..n]).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(text)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for GeoHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = GeoHash;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("geohash text: 1 to 12 characters of the base-32 alphabet")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<GeoHash, E> {
                s.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_and_squash_are_inverse() {
        for x in [0u32, 1, 0x3fff_ffff, 0x1234_5678, u32::MAX] {
            assert_eq!(squash(spread(x)), x);
            assert_eq!(spread(x) & 0xaaaa_aaaa_aaaa_aaaa, 0);
        }
    }

    /// The division-free fast path never disagrees with the exact python-geohash formula.
    #[test]
    fn fast_indices_equal_exact_index() {
        // The other axis of each call sits well inside a cell, so it never refuses the pair.
        const CALM: f64 = 12.345_678_9;
        assert!(fast_indices(CALM, CALM).is_some());
        let check = |v: f64, half: f64| {
            let fast = if half == 90.0 {
                fast_indices(v, CALM).map(|(lat, _)| lat)
            } else {
                fast_indices(CALM, v).map(|(_, lon)| lon)
            };
            if let Some(fast) = fast {
                assert_eq!(
                    i64::from(fast),
                    exact_index(v, half),
                    "v = {v:e} ({v:?}) on ±{half}"
                );
            }
        };
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2_000_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            check(u * 180.0 - 90.0, 90.0);
            check(u * 360.0 - 180.0, 180.0);
        }
        // Cell edges at every level, and their neighbouring doubles.
        for bits in 1..=30u32 {
            for k in (0..(1u64 << bits)).step_by(((1u64 << bits) / 997).max(1) as usize) {
                for half in [90.0, 180.0] {
                    let edge = -half + k as f64 * (2.0 * half) / (1u64 << bits) as f64;
                    let mut v = edge;
                    for _ in 0..4 {
                        v = v.next_down();
                    }
                    for _ in 0..9 {
                        check(v, half);
                        v = v.next_up();
                    }
                }
            }
        }
        for v in [
            f64::NAN,
            f64::INFINITY,
            -0.0,
            0.0,
            90.0,
            -90.0,
            180.0,
            -180.0,
            1e-300,
            -1e-300,
        ] {
            check(v, 90.0);
            check(v, 180.0);
        }
    }

    /// The 32-bit interleave is the top of the 60-bit one, so both give the same cells.
    #[test]
    fn top32_is_the_top_of_interleave60() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (lat_i, lon_i) = ((x as u32) >> 2, ((x >> 32) as u32) >> 2);
            assert_eq!(
                interleave_top32(lat_i, lon_i),
                interleave60(lat_i, lon_i) >> 28,
                "{lat_i:#x} {lon_i:#x}"
            );
        }
    }

    #[test]
    fn axis_bits_alternate_with_longitude_first() {
        assert_eq!(axis_bits(1), (2, 3));
        assert_eq!(axis_bits(2), (5, 5));
        assert_eq!(axis_bits(12), (30, 30));
    }
}
