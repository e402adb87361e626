//! The default hasher (seeded XXH3, so every process of a fleet places keys and nodes alike)
//! and the mixer the rendezvous and Maglev tables derive their per-node values with.

pub use crate::stable::{SipBuildHasher, StableHasher};
pub use crate::xxh3::{Xxh3BuildHasher, Xxh3Hasher};

/// The default hasher: seeded XXH3-64 (seed 0 unless given). Every process that uses the same
/// seed places keys and nodes identically, which is the point of consistent hashing across a
/// fleet. For keys chosen by an adversary (who could aim many keys at one node), use
/// [`SipBuildHasher`] with a secret key. Keys that must land alike on other machines go through
/// the `_bytes` methods (see [`Xxh3BuildHasher`] for what is portable).
pub type DefaultBuildHasher = Xxh3BuildHasher;

/// MurmurHash3's 64-bit finaliser: a bijective mixer with full avalanche.
#[inline(always)]
pub(crate) fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}
