//! The geohash value: its cells, its base-32 text form, encoding and decoding (the bit
//! interleaving is in [`crate::bits`], the neighbours in [`crate::neighbors`]).

pub(crate) use crate::bits::*;
use crate::point::BBox;
use crate::{Error, Point};
use std::fmt;
use std::str::FromStr;

/// The base-32 alphabet of geohash (digits and letters without a, i, l, o).
pub const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// Longest geohash: 12 characters, 60 bits (30 per axis, about 19 mm × 37 mm at the equator).
pub const MAX_PRECISION: u8 = 12;

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
/// Computes in **O(len)** time for a string of `len` (≤ 12) characters.
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
    /// Computes in **O(1)** time.
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
    /// Computes in **O(1)** time.
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
    ///
    /// Computes in **O(1)** time.
    #[inline]
    #[must_use]
    pub fn as_u64(self) -> u64 {
        self.bits
    }

    /// Length in characters (1..=12).
    ///
    /// Computes in **O(1)** time.
    #[inline]
    #[must_use]
    pub fn len(self) -> u8 {
        self.len
    }

    /// Always false: a geohash has at least one character (here for the `len` convention).
    ///
    /// Computes in **O(1)** time.
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
    ///
    /// Computes in **O(1)** time.
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
    ///
    /// Computes in **O(1)** time.
    #[inline]
    #[must_use]
    pub fn error(self) -> (f64, f64) {
        let (h, w) = self.cell_degrees();
        (h / 2.0, w / 2.0)
    }

    /// The enclosing cell one character shorter; `None` at length 1.
    ///
    /// Computes in **O(1)** time.
    #[inline]
    #[must_use]
    pub fn parent(self) -> Option<GeoHash> {
        (self.len > 1).then(|| GeoHash {
            bits: self.bits >> 5,
            len: self.len - 1,
        })
    }

    /// The 32 cells one character longer, in string order; `None` at length 12.
    ///
    /// Computes in **O(1)** time (32 cells).
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
    ///
    /// Computes in **O(1)** time.
    #[inline]
    #[must_use]
    pub fn contains(self, other: GeoHash) -> bool {
        other.len >= self.len && other.bits >> (5 * u32::from(other.len - self.len)) == self.bits
    }

    /// The text form in a stack buffer: the first `len` bytes (ASCII) are the geohash.
    ///
    /// Always writes all 12 characters of the left-aligned bits (a fixed, unrolled loop with no
    /// data-dependent trip count) and reports how many belong to this hash.
    ///
    /// Computes in **O(1)** time (12 characters, unrolled).
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
