//! The crate's one error type.

use std::fmt;

/// Everything that can be wrong with an input to this crate.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// Latitude NaN, infinite or outside [-90, 90].
    InvalidLatitude(f64),
    /// Longitude NaN, infinite or outside [-180, 180].
    InvalidLongitude(f64),
    /// Precision (characters) outside 1..=12.
    InvalidPrecision(u8),
    /// A character outside the geohash base-32 alphabet.
    InvalidChar {
        /// The character.
        ch: char,
        /// Its byte position in the input.
        position: usize,
    },
    /// An empty geohash string.
    Empty,
    /// A geohash string longer than 12 characters.
    TooLong(usize),
    /// `from_u64` bits that do not fit in `5 × len` bits.
    BitsOutOfRange {
        /// The bits given.
        bits: u64,
        /// The length (characters) given.
        len: u8,
    },
    /// A radius (or box side) that is negative, NaN or infinite.
    InvalidRadius(f64),
    /// A point Redis GEO refuses: longitude outside [-180, 180] or latitude outside
    /// [-85.05112878, 85.05112878]. Displays Redis's own error text.
    RedisOutOfRange {
        /// Longitude given.
        lon: f64,
        /// Latitude given.
        lat: f64,
    },
    /// A Redis GEO score that no encoding produces (2^54 or more).
    InvalidScore(u64),
    /// A unit other than m, km, mi or ft.
    InvalidUnit(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidLatitude(v) => {
                write!(f, "latitude must be a finite number in [-90, 90], got {v}")
            }
            Error::InvalidLongitude(v) => write!(
                f,
                "longitude must be a finite number in [-180, 180], got {v}"
            ),
            Error::InvalidPrecision(p) => {
                write!(f, "precision must be 1 to 12 characters, got {p}")
            }
            Error::InvalidChar { ch, position } => write!(
                f,
                "character {ch:?} at byte {position} is not in the geohash alphabet 0123456789bcdefghjkmnpqrstuvwxyz"
            ),
            Error::Empty => write!(f, "a geohash needs at least one character"),
            Error::TooLong(n) => write!(f, "a geohash has at most 12 characters, got {n}"),
            Error::BitsOutOfRange { bits, len } => {
                write!(
                    f,
                    "bits {bits:#x} do not fit in {} bits (a {len}-character geohash)",
                    u32::from(*len) * 5
                )
            }
            Error::InvalidRadius(r) => {
                write!(f, "radius must be a finite number of metres >= 0, got {r}")
            }
            // Redis's own reply text (C's %f prints 6 decimals).
            Error::RedisOutOfRange { lon, lat } => {
                write!(f, "invalid longitude,latitude pair {lon:.6},{lat:.6}")
            }
            Error::InvalidScore(s) => {
                write!(f, "score {s} is not a Redis GEO score (must be below 2^54)")
            }
            Error::InvalidUnit(u) => write!(f, "unsupported unit {u:?}: please use m, km, ft, mi"),
        }
    }
}

impl std::error::Error for Error {}
