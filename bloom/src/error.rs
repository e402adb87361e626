//! The crate's one error type, and the nested decoder error.

use std::fmt;

/// Why a filter or a sizing function refused its input.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A false-positive rate outside the open interval (0, 1), or NaN.
    InvalidRate(f64),
    /// Zero expected items: there is nothing to size the filter for.
    ZeroItems,
    /// A filter of zero bits.
    ZeroBits,
    /// Zero hash functions, or more than [`MAX_HASHES`](crate::MAX_HASHES).
    InvalidHashes(u32),
    /// A size the representation cannot hold: more than [`MAX_BITS`](crate::MAX_BITS), or
    /// more bytes than this platform's `usize` addresses.
    TooLarge {
        /// The number of bits (or counters) asked for, as computed (it may exceed `u64`).
        bits: f64,
    },
    /// The allocator refused the filter's memory.
    OutOfMemory {
        /// The bytes that were asked for.
        bytes: u64,
    },
    /// A growth factor below 1 or a tightening ratio outside (0, 1), or NaN (scalable filter).
    InvalidGrowth {
        /// The growth factor.
        growth: f64,
        /// The tightening ratio.
        tightening: f64,
    },
    /// A scalable filter cannot add its next stage: that stage's rate p₀·rⁱ is so small it
    /// would need more than [`MAX_HASHES`](crate::MAX_HASHES) hash functions (or it
    /// underflowed to 0). The filter keeps what it holds; the item is not added.
    Exhausted {
        /// Stages the filter already has.
        stages: usize,
        /// The rate the next stage would need.
        rate: f64,
    },
    /// Two filters differ in bits, hashes, kind or hasher: combining them would corrupt both.
    ShapeMismatch {
        /// `(bits, hashes, hasher tag)` of the receiving filter.
        ours: (u64, u32, u64),
        /// `(bits, hashes, hasher tag)` of the other filter.
        theirs: (u64, u32, u64),
    },
    /// `remove` of an item the counting filter certainly does not hold.
    NotPresent,
    /// Bytes that are not a filter this crate wrote.
    Decode(DecodeError),
}

/// Why `from_bytes` refused its input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The first four bytes are not the crate's magic.
    BadMagic,
    /// A format version this release cannot read.
    UnsupportedVersion(u8),
    /// The bytes hold a different variant (for example a counting filter read as a standard one).
    WrongKind {
        /// The variant being decoded.
        expected: u8,
        /// The variant in the bytes.
        found: u8,
    },
    /// Fewer or more bytes than the header promises.
    Length {
        /// Bytes the header implies.
        needed: u64,
        /// Bytes given.
        got: u64,
    },
    /// The bytes were written with a different hash function or key.
    HasherMismatch {
        /// `(id, tag)` of the hasher given.
        expected: (u8, u64),
        /// `(id, tag)` in the bytes.
        found: (u8, u64),
    },
    /// The hasher's key is secret and not stored: decode with `from_bytes_with_hasher`.
    NeedsHasher,
    /// The header's parameters are invalid (zero bits, too many hashes, misaligned blocks).
    BadParams,
    /// Bits set beyond the filter's last bit: the payload is corrupt.
    TrailingBits,
    /// The checksum does not match the contents.
    Checksum,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidRate(p) => {
                write!(f, "false-positive rate must be in (0, 1), got {p}")
            }
            Error::ZeroItems => write!(f, "expected items must be at least 1"),
            Error::ZeroBits => write!(f, "a filter needs at least 1 bit"),
            Error::InvalidHashes(k) => write!(
                f,
                "hash functions must be in 1..={}, got {k}",
                crate::MAX_HASHES
            ),
            Error::TooLarge { bits } => write!(
                f,
                "{bits:.0} bits exceed what this filter can address (at most {} bits, and the \
                 platform's usize)",
                crate::MAX_BITS
            ),
            Error::OutOfMemory { bytes } => {
                write!(f, "the allocator refused {bytes} bytes for the filter")
            }
            Error::InvalidGrowth { growth, tightening } => write!(
                f,
                "growth must be at least 1 and tightening in (0, 1), got {growth} and {tightening}"
            ),
            Error::Exhausted { stages, rate } => write!(
                f,
                "the scalable filter cannot add a stage after {stages}: its rate {rate:e} needs \
                 more than {} hash functions (choose a tightening ratio nearer 1)",
                crate::MAX_HASHES
            ),
            Error::ShapeMismatch { ours, theirs } => write!(
                f,
                "filters differ (bits, hashes, hasher tag): {ours:?} vs {theirs:?}"
            ),
            Error::NotPresent => write!(f, "the item is certainly not in the filter"),
            Error::Decode(e) => write!(f, "cannot decode filter: {e}"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadMagic => write!(f, "not this crate's format (bad magic)"),
            DecodeError::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            DecodeError::WrongKind { expected, found } => {
                write!(f, "expected filter kind {expected}, found {found}")
            }
            DecodeError::Length { needed, got } => {
                write!(f, "expected {needed} bytes, got {got}")
            }
            DecodeError::HasherMismatch { expected, found } => write!(
                f,
                "written with hasher (id, tag) {found:?}, decoding with {expected:?}"
            ),
            DecodeError::NeedsHasher => {
                write!(
                    f,
                    "the hasher key is not stored; use from_bytes_with_hasher"
                )
            }
            DecodeError::BadParams => write!(f, "invalid bits or hashes in the header"),
            DecodeError::TrailingBits => write!(f, "bits set past the end of the filter"),
            DecodeError::Checksum => write!(f, "checksum mismatch"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Decode(e) => Some(e),
            _ => None,
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<crate::stable::HasherCheck> for DecodeError {
    fn from(check: crate::stable::HasherCheck) -> Self {
        match check {
            crate::stable::HasherCheck::Mismatch { expected, found } => {
                DecodeError::HasherMismatch { expected, found }
            }
            crate::stable::HasherCheck::NeedsHasher => DecodeError::NeedsHasher,
        }
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}
