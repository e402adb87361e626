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
            word: None,
            buf: [0; INLINE],
            len: 0,
            stream: None,
        }
    }
}

/// Bytes hashed one-shot without the streaming state (keys and node names are usually short).
const INLINE: usize = 64;

/// The hasher of [`DefaultBuildHasher`]: seeded XXH3-64 of everything written. A lone integer
/// (a `u64` key) is kept as a word and hashed with a length the compiler knows (the fastest path);
/// other inputs up to 64 bytes are buffered inline and hashed in one shot; longer ones switch to
/// the streaming state. All three give the identical result for the same bytes.
#[derive(Clone)]
pub struct DefaultHasher {
    seed: u64,
    /// A `write_u64` that came first and alone, not yet copied into `buf`.
    word: Option<u64>,
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
        self.spill_word();
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(dst) if self.stream.is_none() => {
                dst.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            _ => self.write_stream(bytes),
        }
    }

    #[inline(always)]
    fn write_u64(&mut self, value: u64) {
        if self.len == 0 && self.word.is_none() && self.stream.is_none() {
            self.word = Some(value);
        } else {
            self.write_word_bytes(value);
        }
    }

    #[inline(always)]
    fn finish(&self) -> u64 {
        match self.word {
            // A constant length, so xxh3 inlines to a few multiplies.
            Some(w) => xxhash_rust::xxh3::xxh3_64_with_seed(&w.to_ne_bytes(), self.seed),
            None => self.finish_bytes(),
        }
    }
}

// The rare paths stay out of line, so the common ones inline into `Hash::hash` and that into
// the caller's loop: with them inlined, std's `Hash for u64` stayed a call, several times slower.
impl DefaultHasher {
    /// Moves a pending word into the buffer, before any other write.
    #[inline(always)]
    fn spill_word(&mut self) {
        if let Some(w) = self.word.take() {
            self.buf[..8].copy_from_slice(&w.to_ne_bytes());
            self.len = 8;
        }
    }

    #[cold]
    #[inline(never)]
    fn write_word_bytes(&mut self, value: u64) {
        std::hash::Hasher::write(self, &value.to_ne_bytes());
    }

    #[cold]
    #[inline(never)]
    fn write_stream(&mut self, bytes: &[u8]) {
        if let Some(stream) = &mut self.stream {
            stream.update(bytes);
        } else {
            let mut stream = Box::new(xxhash_rust::xxh3::Xxh3::with_seed(self.seed));
            stream.update(&self.buf[..self.len]);
            stream.update(bytes);
            self.stream = Some(stream);
        }
    }

    // Out of line too: `finish` then holds one xxh3 call, of constant length.
    #[inline(never)]
    fn finish_bytes(&self) -> u64 {
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
    // and LLVM sometimes leaves it a call, which keeps the key in the buffer (several times slower).
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
