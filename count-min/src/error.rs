//! The crate's one error type, and the nested decoder error.

use std::fmt;

/// Why a sketch refused its input.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// An error rate ε outside the open interval (0, 1), or NaN.
    InvalidEpsilon(f64),
    /// A failure probability δ outside the open interval (0, 1), or NaN.
    InvalidDelta(f64),
    /// A width of zero columns, or more than [`MAX_WIDTH`](crate::MAX_WIDTH).
    InvalidWidth(u64),
    /// A depth of zero rows, or more than [`MAX_DEPTH`](crate::MAX_DEPTH).
    InvalidDepth(u64),
    /// Zero heavy hitters asked for, or more than [`MAX_K`](crate::MAX_K).
    InvalidK(u64),
    /// More counters than this platform's `usize` addresses.
    TooLarge {
        /// The counters asked for (width × depth), as computed (it may exceed `u64`).
        counters: f64,
    },
    /// The allocator refused the sketch's memory.
    OutOfMemory {
        /// The bytes that were asked for.
        bytes: u64,
    },
    /// Two sketches differ in width, depth or hasher: adding their counters would mix unrelated
    /// columns.
    ShapeMismatch {
        /// `(width, depth, hasher tag)` of the receiving sketch.
        ours: (u64, u64, u64),
        /// `(width, depth, hasher tag)` of the other sketch.
        theirs: (u64, u64, u64),
    },
    /// Bytes that are not a sketch this crate wrote.
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
    /// The bytes hold another counter width or update rule than the type being decoded.
    WrongKind {
        /// `(counter bytes, update rule)` of the type being decoded.
        expected: (u8, u8),
        /// `(counter bytes, update rule)` in the bytes.
        found: (u8, u8),
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
    /// The header's width or depth is invalid, or a reserved byte is set.
    BadParams,
    /// The checksum does not match the contents.
    Checksum,
    /// Well-formed bytes describing an impossible sketch: a row whose unsaturated counters sum
    /// to more than the recorded total (no stream gives that, and estimates from it would
    /// exceed the stream, voiding the ε·N bound).
    Inconsistent {
        /// The first row that breaks the invariant.
        row: u64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidEpsilon(e) => write!(f, "epsilon must be in (0, 1), got {e}"),
            Error::InvalidDelta(d) => write!(f, "delta must be in (0, 1), got {d}"),
            Error::InvalidWidth(w) => {
                write!(f, "width must be in 1..={}, got {w}", crate::MAX_WIDTH)
            }
            Error::InvalidDepth(d) => {
                write!(f, "depth must be in 1..={}, got {d}", crate::MAX_DEPTH)
            }
            Error::InvalidK(k) => write!(f, "k must be in 1..={}, got {k}", crate::MAX_K),
            Error::TooLarge { counters } => write!(
                f,
                "{counters:.0} counters exceed what this platform can address"
            ),
            Error::OutOfMemory { bytes } => {
                write!(f, "the allocator refused {bytes} bytes for the sketch")
            }
            Error::ShapeMismatch { ours, theirs } => write!(
                f,
                "sketches differ (width, depth, hasher tag): {ours:?} vs {theirs:?}"
            ),
            Error::Decode(e) => write!(f, "cannot decode sketch: {e}"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadMagic => write!(f, "not this crate's format (bad magic)"),
            DecodeError::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            DecodeError::WrongKind { expected, found } => write!(
                f,
                "expected (counter bytes, update rule) {expected:?}, found {found:?}"
            ),
            DecodeError::Length { needed, got } => {
                write!(f, "expected {needed} bytes, got {got}")
            }
            DecodeError::HasherMismatch { expected, found } => write!(
                f,
                "written with hasher (id, tag) {found:?}, decoding with {expected:?}"
            ),
            DecodeError::NeedsHasher => write!(
                f,
                "the hasher key is not stored; use from_bytes_with_hasher"
            ),
            DecodeError::BadParams => write!(f, "invalid width, depth or reserved byte"),
            DecodeError::Checksum => write!(f, "checksum mismatch"),
            DecodeError::Inconsistent { row } => {
                write!(
                    f,
                    "row {row}'s counters sum to more than the recorded total"
                )
            }
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
