//! The crate's one error type.

use std::fmt;

/// Why a structure refused an argument.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The node is already present (adding it twice would double its share silently).
    DuplicateNode,
    /// A weight of zero (or, for rendezvous, outside `Rendezvous::MIN_WEIGHT..=MAX_WEIGHT`).
    InvalidWeight(f64),
    /// Zero virtual nodes per unit of weight.
    ZeroVirtualNodes,
    /// More ring points than the ring can index (2^32).
    TooManyPoints(u64),
    /// Jump hash with zero buckets: there is no bucket to return.
    NoBuckets,
    /// A bounded-load factor that is not a finite number above 1.
    InvalidBalanceFactor(f64),
    /// A Maglev table size that is not prime.
    NotPrime(u64),
    /// A Maglev table smaller than the number of nodes (or above 2^26 entries).
    TableSize {
        /// The table size.
        size: u64,
        /// The nodes it must hold.
        nodes: u64,
    },
    /// The allocator refused the memory a parameter asked for (or it exceeds the address
    /// space); the structure is unchanged.
    OutOfMemory {
        /// The bytes that were asked for.
        bytes: u64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::DuplicateNode => write!(f, "node is already present"),
            Error::InvalidWeight(w) => write!(
                f,
                "weight must be at least 1 (ring, ketama) or within 2^-64..=2^64 (rendezvous), got {w}"
            ),
            Error::ZeroVirtualNodes => {
                write!(f, "virtual nodes per unit of weight must be at least 1")
            }
            Error::TooManyPoints(p) => {
                write!(f, "{p} ring points exceed the 2^32 a ring can index")
            }
            Error::NoBuckets => write!(f, "jump hash needs at least 1 bucket"),
            Error::InvalidBalanceFactor(c) => {
                write!(f, "balance factor must be a finite number above 1, got {c}")
            }
            Error::NotPrime(m) => write!(f, "Maglev table size must be prime, got {m}"),
            Error::TableSize { size, nodes } => {
                write!(
                    f,
                    "Maglev table of {size} entries cannot hold {nodes} nodes (need nodes <= size <= 2^26)"
                )
            }
            Error::OutOfMemory { bytes } => {
                write!(f, "the allocator refused {bytes} bytes")
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
