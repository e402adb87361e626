//! Hashing: one 64-bit hash per item, from a `BuildHasher` that two processes can agree on.

pub use crate::stable::{SipBuildHasher, StableHasher};
pub use crate::xxh3::{Xxh3BuildHasher, Xxh3Hasher};

/// The default hasher: seeded XXH3-64 (seed 0 unless given), so values built anywhere with the
/// same seed can be merged and exchanged. Its seed is not a secret; for items an adversary
/// chooses, use [`SipBuildHasher`] with a secret key. Items that must hash alike on other
/// machines go through the `_bytes` methods (see [`Xxh3BuildHasher`] for what is portable).
pub type DefaultBuildHasher = Xxh3BuildHasher;
