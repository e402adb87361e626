//! The contract of a hasher two processes can agree on, and the two hashers that keep it.
//!
//! This file is one of the workspace's deliberate copies (listed in `.ci/shared-files`): every
//! brick whose values are merged, exchanged or placed across processes holds it, identical.

use crate::xxh3::Xxh3BuildHasher;
use std::hash::{BuildHasher, Hasher};

/// A `BuildHasher` whose output is fixed by a key that can be identified, so values built by
/// different processes (filters, sketches, rings) can be checked for compatibility before they
/// are combined and after they are decoded.
///
/// Two hashers with the same [`ID`](Self::ID) and [`tag`](Self::tag) must hash every value
/// identically.
pub trait StableHasher: BuildHasher {
    /// Identifies the hash function in the wire format (1 = seeded XXH3, 2 = keyed SipHash-1-3).
    const ID: u8;
    /// A 64-bit value equal for two hashers exactly when they hash alike. It is stored in
    /// serialized values, so it must not reveal a secret key.
    fn tag(&self) -> u64;
    /// Rebuilds the hasher from its tag, when the tag is the whole key (`None` for secret keys).
    fn from_tag(tag: u64) -> Option<Self>
    where
        Self: Sized;
}

/// Why bytes being decoded cannot be read with the hasher at hand: each brick's `DecodeError`
/// has these two variants, `HasherMismatch` and `NeedsHasher`, and converts from this.
#[allow(dead_code)] // a brick that decodes nothing hashed never asks
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HasherCheck {
    /// The bytes were written with another hash function or key than the one given (or, with
    /// none given, than the type's): (id, tag) expected and found.
    Mismatch {
        expected: (u8, u64),
        found: (u8, u64),
    },
    /// The bytes' hasher has a secret key: only `from_bytes_with_hasher` can read them.
    NeedsHasher,
}

/// The hasher to decode bytes with, given the (id, tag) they record: `given` if it is that
/// hasher, or with none given, the one rebuilt from the tag. One rule for every decoder, so a
/// keyed hasher's bytes are never read with a guessed key.
#[allow(dead_code)] // see HasherCheck
pub(crate) fn decoding_hasher<S: StableHasher>(
    given: Option<S>,
    found: (u8, u64),
) -> Result<S, HasherCheck> {
    match given {
        Some(h) if (S::ID, h.tag()) == found => Ok(h),
        Some(h) => Err(HasherCheck::Mismatch {
            expected: (S::ID, h.tag()),
            found,
        }),
        None if found.0 == S::ID => S::from_tag(found.1).ok_or(HasherCheck::NeedsHasher),
        None => Err(HasherCheck::Mismatch {
            expected: (S::ID, 0),
            found,
        }),
    }
}

impl StableHasher for Xxh3BuildHasher {
    const ID: u8 = 1;
    fn tag(&self) -> u64 {
        self.seed()
    }
    fn from_tag(tag: u64) -> Option<Self> {
        Some(Self::with_seed(tag))
    }
}

/// Keyed SipHash-1-3 (the function behind std's `HashMap`): with a secret 128-bit key, an
/// adversary who does not know the key cannot craft items that collide. Several times slower
/// than XXH3 on a short key (the report has the figures).
///
/// The key is never written by `to_bytes`; the bytes carry only a fingerprint of it, and
/// decoding needs the hasher (`from_bytes_with_hasher`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SipBuildHasher {
    k0: u64,
    k1: u64,
}

impl SipBuildHasher {
    /// The hasher with a 128-bit key, given as two halves.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub const fn with_keys(k0: u64, k1: u64) -> Self {
        Self { k0, k1 }
    }
}

impl std::fmt::Debug for SipBuildHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is secret: show its fingerprint only.
        f.debug_struct("SipBuildHasher")
            .field("tag", &self.tag())
            .finish_non_exhaustive()
    }
}

impl BuildHasher for SipBuildHasher {
    type Hasher = siphasher::sip::SipHasher13;
    fn build_hasher(&self) -> Self::Hasher {
        siphasher::sip::SipHasher13::new_with_keys(self.k0, self.k1)
    }
}

impl StableHasher for SipBuildHasher {
    const ID: u8 = 2;
    fn tag(&self) -> u64 {
        // A PRF output under the key: equal keys give equal tags; the tag does not reveal the
        // key. The crate's name keeps one key's tags apart across bricks.
        let mut h = self.build_hasher();
        h.write(concat!(env!("CARGO_PKG_NAME"), " key fingerprint").as_bytes());
        h.finish()
    }
    fn from_tag(_: u64) -> Option<Self> {
        None
    }
}
