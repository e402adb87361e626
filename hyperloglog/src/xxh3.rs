//! Seeded XXH3-64 as a `BuildHasher`, with a fast path for a lone `u64` and a byte-level path
//! whose output is portable.
//!
//! This file is one of the workspace's deliberate copies (listed in `.ci/shared-files`): every
//! brick that hashes with XXH3 holds it, identical, so no brick depends on another.

use std::hash::{BuildHasher, Hash, Hasher};

/// Seeded XXH3-64. The seed is not a secret: keys an adversary chooses need a keyed hasher.
///
/// What is deterministic: the hash of a byte string under a seed is XXH3-64's, on every machine
/// and in every release (the bricks' `_bytes` methods hash exactly the bytes given, and tests
/// check the result against the reference implementation's vectors). What is not promised: a
/// value hashed through std's `Hash` is hashed as the bytes its `Hash` impl writes, and std
/// writes integers in native byte order and width and does not promise to keep its impls
/// across releases. Values that must hash alike on other machines go through the `_bytes`
/// methods.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Xxh3BuildHasher {
    /// What XXH3's 8-byte path XORs into the input: a function of the seed alone, so it is
    /// computed here once instead of in every hash (the seed is recovered from it).
    flip: u64,
}

/// XXH3's default secret, bytes 8..16 XOR bytes 16..24 (little-endian): the constant its
/// 4-to-8-byte path mixes with the seed.
const SECRET_8_16: u64 = 0xc73a_b174_c5ec_d5a2;

/// The seed as XXH3's 4-to-8-byte path uses it: the low half's byte swap XORed into the high.
const fn mix_seed(seed: u64) -> u64 {
    seed ^ (((seed as u32).swap_bytes() as u64) << 32)
}

/// XXH3-64 of the 8 bytes `word.to_ne_bytes()` under the seed behind `flip` (the XXH3 spec's
/// 4-to-8-byte path at length 8): two multiplies.
#[inline(always)]
fn xxh3_word(word: u64, flip: u64) -> u64 {
    let bytes = word.to_ne_bytes();
    let first = u64::from(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
    let last = u64::from(u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]));
    let mut h = (last + (first << 32)) ^ flip;
    h ^= h.rotate_left(49) ^ h.rotate_left(24);
    h = h.wrapping_mul(0x9fb2_1c65_1e98_df25);
    h ^= (h >> 35).wrapping_add(8);
    h = h.wrapping_mul(0x9fb2_1c65_1e98_df25);
    h ^ (h >> 28)
}

impl Xxh3BuildHasher {
    /// The hasher with a given seed (the default is 0).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub const fn with_seed(seed: u64) -> Self {
        Self {
            flip: SECRET_8_16.wrapping_sub(mix_seed(seed)),
        }
    }

    /// The seed.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub const fn seed(&self) -> u64 {
        // mix_seed is its own inverse: it XORs the untouched low half into the high one.
        mix_seed(SECRET_8_16.wrapping_sub(self.flip))
    }
}

impl Default for Xxh3BuildHasher {
    /// Seed 0.
    fn default() -> Self {
        Self::with_seed(0)
    }
}

impl std::fmt::Debug for Xxh3BuildHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Xxh3BuildHasher")
            .field("seed", &self.seed())
            .finish()
    }
}

impl BuildHasher for Xxh3BuildHasher {
    type Hasher = Xxh3Hasher;
    #[inline(always)]
    fn build_hasher(&self) -> Xxh3Hasher {
        Xxh3Hasher {
            flip: self.flip,
            word: None,
            buf: [0; INLINE],
            len: 0,
            stream: None,
        }
    }
}

/// Inputs up to this many bytes are hashed one-shot from an inline buffer.
const INLINE: usize = 64;

/// The hasher of [`Xxh3BuildHasher`]. A lone integer (a `u64` key) is kept as a word and hashed
/// as its 8 bytes by XXH3's short path, specialised to length 8 (the fastest path); other short
/// inputs (a URL of up to 64 bytes) are buffered inline and hashed one-shot; longer ones move to
/// the streaming state. All three give the identical result for the same bytes.
#[derive(Clone)]
pub struct Xxh3Hasher {
    /// The seed, as [`Xxh3BuildHasher`] keeps it.
    flip: u64,
    /// A `write_u64` that came first and alone, not yet copied into `buf`.
    word: Option<u64>,
    buf: [u8; INLINE],
    len: usize,
    stream: Option<Box<xxhash_rust::xxh3::Xxh3>>,
}

impl Xxh3Hasher {
    fn seed(&self) -> u64 {
        Xxh3BuildHasher { flip: self.flip }.seed()
    }

    /// Moves a pending word into the buffer, before any other write.
    #[inline(always)]
    fn spill_word(&mut self) {
        if let Some(w) = self.word.take() {
            self.buf[..8].copy_from_slice(&w.to_ne_bytes());
            self.len = 8;
        }
    }
}

impl std::fmt::Debug for Xxh3Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Xxh3Hasher")
            .field("seed", &self.seed())
            .finish_non_exhaustive()
    }
}

impl Hasher for Xxh3Hasher {
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
            Some(w) => xxh3_word(w, self.flip),
            None => self.finish_bytes(),
        }
    }
}

// The rare paths stay out of line, so the common ones inline into `Hash::hash` and that into
// the caller's loop: with them inlined, std's `Hash for u64` became a call, several times slower.
impl Xxh3Hasher {
    #[cold]
    #[inline(never)]
    fn write_word_bytes(&mut self, value: u64) {
        self.write(&value.to_ne_bytes());
    }

    #[cold]
    #[inline(never)]
    fn write_stream(&mut self, bytes: &[u8]) {
        if let Some(stream) = &mut self.stream {
            stream.update(bytes);
        } else {
            let mut stream = Box::new(xxhash_rust::xxh3::Xxh3::with_seed(self.seed()));
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
            None => xxhash_rust::xxh3::xxh3_64_with_seed(&self.buf[..self.len], self.seed()),
        }
    }
}

/// The 64-bit hash of a value through its `Hash` impl.
#[inline(always)]
#[allow(clippy::manual_hash_one, dead_code)] // deliberately: see the comment inside
pub(crate) fn hash_one<S: BuildHasher, T: Hash + ?Sized>(s: &S, value: &T) -> u64 {
    // Spelled out rather than `s.hash_one(value)`: std's provided method is only `#[inline]`,
    // and LLVM sometimes leaves it a call, which keeps the key in the buffer (several times slower).
    let mut h = s.build_hasher();
    value.hash(&mut h);
    h.finish()
}

/// The 64-bit hash of exactly these bytes (one `Hasher::write`, no length prefix): with
/// [`Xxh3BuildHasher`] it is XXH3-64 of the bytes, the same on every machine.
#[inline(always)]
#[allow(dead_code)] // a brick without byte-level methods still shares this file
pub(crate) fn hash_bytes<S: BuildHasher>(s: &S, bytes: &[u8]) -> u64 {
    let mut h = s.build_hasher();
    h.write(bytes);
    h.finish()
}
