//! The crate's one error type.

use std::fmt;

/// Why a cache refused its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A capacity of zero: the cache could hold nothing.
    ZeroCapacity,
    /// More entries than the slab's `u32` indices address (2^32 − 2).
    CapacityTooLarge(u64),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ZeroCapacity => write!(f, "capacity must be at least 1"),
            Error::CapacityTooLarge(c) => write!(
                f,
                "capacity {c} exceeds the {} entries a cache can index",
                crate::MAX_ENTRIES
            ),
        }
    }
}

impl std::error::Error for Error {}
