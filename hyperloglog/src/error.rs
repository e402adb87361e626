//! [`Error`]: what a sketch refuses.

use std::fmt;

/// Why a sketch refused a configuration, a merge or a byte string.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A precision outside 4..=18.
    InvalidPrecision(u8),
    /// A relative error no precision in 4..=18 reaches (below 0.2 %), or one that is not a
    /// positive number.
    InvalidRelativeError,
    /// A merge of sketches with different precisions (fold the finer one first).
    PrecisionMismatch {
        /// This sketch's precision.
        ours: u8,
        /// The other's.
        theirs: u8,
    },
    /// A merge of sketches hashed differently: their registers mean different things.
    HasherMismatch,
    /// `fold` to a precision above the sketch's own.
    CannotRefine {
        /// This sketch's precision.
        from: u8,
        /// The precision asked for.
        to: u8,
    },
    /// Bytes that are not a sketch of this crate's format, or a damaged one.
    Decode(DecodeError),
}

/// What is wrong with a byte string given to `from_bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not starting with `BHLL`.
    BadMagic,
    /// A format version this release does not read.
    UnsupportedVersion(u8),
    /// Fewer or more bytes than the header promises.
    Length {
        /// Bytes the header implies.
        needed: u64,
        /// Bytes given.
        got: u64,
    },
    /// A representation byte other than sparse (0) or dense (1).
    BadRepresentation(u8),
    /// The bytes were written with a different hash function or key.
    HasherMismatch {
        /// `(id, tag)` of the hasher given (tag 0 when none was given).
        expected: (u8, u64),
        /// `(id, tag)` in the bytes.
        found: (u8, u64),
    },
    /// The hasher's key is secret and not stored: decode with `from_bytes_with_hasher`.
    NeedsHasher,
    /// A register or sparse entry out of range, or sparse entries not strictly increasing.
    BadRegister {
        /// Its position.
        index: usize,
    },
    /// The checksum does not match: the bytes were damaged.
    Checksum,
    /// A stored estimate that no sequence of inserts can produce with these registers:
    /// negative, infinite, set on a sparse sketch, or outside the range the HIP update rule
    /// allows for the registers it sits beside.
    BadEstimate,
    /// Well-formed bytes that the sketch they describe would not write (a lower base than its
    /// smallest register, a non-canonical NaN, a sparse list past the dense size): every
    /// accepted byte string re-encodes to itself.
    NotCanonical,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidPrecision(p) => write!(f, "precision {p} is outside 4..=18"),
            Error::InvalidRelativeError => write!(
                f,
                "relative error must be a positive number at least 1.04/sqrt(2^18) (0.2 %)"
            ),
            Error::PrecisionMismatch { ours, theirs } => write!(
                f,
                "cannot merge precision {theirs} into {ours}: fold the finer sketch first"
            ),
            Error::HasherMismatch => write!(f, "cannot merge sketches hashed differently"),
            Error::CannotRefine { from, to } => {
                write!(f, "cannot fold precision {from} up to {to}")
            }
            Error::Decode(e) => write!(f, "not a valid sketch: {e}"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadMagic => write!(f, "missing the BHLL magic"),
            DecodeError::UnsupportedVersion(v) => write!(f, "format version {v} is not supported"),
            DecodeError::Length { needed, got } => {
                write!(f, "expected {needed} bytes, got {got}")
            }
            DecodeError::BadRepresentation(r) => write!(f, "unknown representation {r}"),
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
            DecodeError::BadRegister { index } => write!(f, "register or entry {index} is invalid"),
            DecodeError::Checksum => write!(f, "checksum mismatch"),
            DecodeError::BadEstimate => {
                write!(
                    f,
                    "the stored estimate is impossible for the stored registers"
                )
            }
            DecodeError::NotCanonical => {
                write!(
                    f,
                    "the bytes are not the canonical encoding of the sketch they describe"
                )
            }
        }
    }
}

impl std::error::Error for Error {}
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
