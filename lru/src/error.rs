//! The crate's one error type.

use std::fmt;

/// Why a cache refused its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A capacity of zero: the cache could hold nothing.
    ZeroCapacity,
    /// More entries than a cache indexes ([`MAX_ENTRIES`](crate::MAX_ENTRIES), 2^29).
    CapacityTooLarge(u64),
    /// A concurrent cache's shard count that is not a power of two in 1..=65,536, or that
    /// exceeds the capacity (each shard holds at least one unit of it).
    InvalidShards(usize),
    /// A time to live or time to idle of zero: every entry would expire at once.
    ZeroDuration,
    /// A TTL jitter without a time to live, or not shorter than it.
    InvalidJitter {
        /// The jitter asked for.
        jitter: std::time::Duration,
        /// The time to live (zero if none was set).
        ttl: std::time::Duration,
    },
    /// A refresh age not shorter than the time to live: entries would expire before a read
    /// could refresh them.
    InvalidRefresh {
        /// The refresh age asked for.
        refresh: std::time::Duration,
        /// The time to live.
        ttl: std::time::Duration,
    },
    /// The allocator refused the memory a configuration asked for up front (or it exceeds the
    /// address space): nothing was built.
    OutOfMemory {
        /// The bytes of the allocation that was refused.
        bytes: u64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ZeroCapacity => write!(f, "capacity must be at least 1"),
            Error::InvalidJitter { jitter, ttl } => write!(
                f,
                "a TTL jitter ({jitter:?}) needs a time to live longer than it (got {ttl:?})"
            ),
            Error::InvalidRefresh { refresh, ttl } => write!(
                f,
                "refresh_after ({refresh:?}) must be shorter than the time to live ({ttl:?})"
            ),
            Error::CapacityTooLarge(c) => write!(
                f,
                "capacity {c} exceeds the {} entries a cache can index",
                crate::MAX_ENTRIES
            ),
            Error::InvalidShards(n) => write!(
                f,
                "shard count {n} must be a power of two, at most 65536 and at most the capacity"
            ),
            Error::ZeroDuration => write!(f, "a time to live or to idle must be above zero"),
            Error::OutOfMemory { bytes } => {
                write!(f, "the allocator refused {bytes} bytes for the cache")
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<crate::alloc::Refused> for Error {
    fn from(r: crate::alloc::Refused) -> Self {
        Error::OutOfMemory { bytes: r.bytes }
    }
}
