//! The default hasher: seeded XXH3, deterministic across processes and machines.

use std::hash::{BuildHasher, Hash, Hasher};

/// Seeded XXH3: every process that uses the same seed places keys and nodes identically, which
/// is the point of consistent hashing across a fleet. For keys chosen by an adversary (who could
/// aim many keys at one node), use a keyed SipHash-1-3 `BuildHasher` with a secret key instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultBuildHasher {
    seed: u64,
}

impl DefaultBuildHasher {
    /// The hasher with a given seed.
    pub const fn with_seed(seed: u64) -> Self {
        Self { seed }
    }
}

impl Default for DefaultBuildHasher {
    /// Seed 0.
    fn default() -> Self {
        Self::with_seed(0)
    }
}

impl BuildHasher for DefaultBuildHasher {
    type Hasher = DefaultHasher;
    #[inline(always)]
    fn build_hasher(&self) -> DefaultHasher {
        DefaultHasher {
            seed: self.seed,
            buf: [0; INLINE],
            len: 0,
            stream: None,
        }
    }
}

/// Bytes hashed one-shot without the streaming state (keys and node names are usually short).
const INLINE: usize = 64;

/// The hasher of [`DefaultBuildHasher`]: seeded XXH3-64 of everything written. Inputs up to 64
/// bytes are buffered inline and hashed in one shot (a `u64` key costs a few nanoseconds);
/// longer ones switch to the streaming state, which gives the identical result.
#[derive(Clone)]
pub struct DefaultHasher {
    seed: u64,
    buf: [u8; INLINE],
    len: usize,
    stream: Option<Box<xxhash_rust::xxh3::Xxh3>>,
}

impl std::fmt::Debug for DefaultHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultHasher")
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl std::hash::Hasher for DefaultHasher {
    #[inline(always)]
    fn write(&mut self, bytes: &[u8]) {
        if let Some(stream) = &mut self.stream {
            stream.update(bytes);
        } else if let Some(dst) = self.buf.get_mut(self.len..self.len + bytes.len()) {
            dst.copy_from_slice(bytes);
            self.len += bytes.len();
        } else {
            let mut stream = Box::new(xxhash_rust::xxh3::Xxh3::with_seed(self.seed));
            stream.update(&self.buf[..self.len]);
            stream.update(bytes);
            self.stream = Some(stream);
        }
    }

    #[inline(always)]
    fn finish(&self) -> u64 {
        match &self.stream {
            Some(stream) => stream.digest(),
            None => xxhash_rust::xxh3::xxh3_64_with_seed(&self.buf[..self.len], self.seed),
        }
    }
}

/// 64-bit hash of a value with `S`.
#[inline(always)]
#[allow(clippy::manual_hash_one)] // deliberately: see the comment inside
pub(crate) fn hash_one<S: BuildHasher, T: Hash + ?Sized>(s: &S, value: &T) -> u64 {
    // Spelled out rather than `s.hash_one(value)`: std's provided method is only `#[inline]`,
    // and LLVM sometimes leaves it a call, which keeps the key in the buffer (7 ns, not 2).
    let mut h = s.build_hasher();
    value.hash(&mut h);
    h.finish()
}

/// MurmurHash3's 64-bit finaliser: a bijective mixer with full avalanche.
#[inline(always)]
pub(crate) fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}
