//! Hashing: one 64-bit hash per item, from a `BuildHasher` that two processes can agree on.

use std::hash::{BuildHasher, Hasher};

/// A `BuildHasher` whose output is fixed by a key that can be identified, so filters built by
/// different processes can be checked for compatibility before a union and after decoding.
///
/// Two hashers with the same [`ID`](Self::ID) and [`tag`](Self::tag) must hash every value
/// identically.
pub trait FilterHasher: BuildHasher {
    /// Identifies the hash function in the wire format (1 = seeded XXH3, 2 = keyed SipHash-1-3).
    const ID: u8;
    /// A 64-bit value equal for two hashers exactly when they hash alike. It is stored in
    /// serialized filters, so it must not reveal a secret key.
    fn tag(&self) -> u64;
    /// Rebuilds the hasher from its tag, when the tag is the whole key (`None` for secret keys).
    fn from_tag(tag: u64) -> Option<Self>
    where
        Self: Sized;
}

/// Seeded XXH3-64: deterministic across processes, machines and releases, so filters built
/// anywhere with the same seed can be merged and exchanged. Its seed is not a secret; for keys an
/// adversary chooses (who could search for items that hit the same bits), use
/// [`SipBuildHasher`] with a secret key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DefaultBuildHasher {
    seed: u64,
}

impl DefaultBuildHasher {
    /// The hasher with a given seed (the default is 0).
    pub const fn with_seed(seed: u64) -> Self {
        Self { seed }
    }

    /// The seed.
    pub const fn seed(&self) -> u64 {
        self.seed
    }
}

impl BuildHasher for DefaultBuildHasher {
    type Hasher = Xxh3Hasher;
    #[inline]
    fn build_hasher(&self) -> Xxh3Hasher {
        Xxh3Hasher {
            seed: self.seed,
            word: None,
            buf: [0; INLINE],
            len: 0,
            stream: None,
        }
    }
}

impl FilterHasher for DefaultBuildHasher {
    const ID: u8 = 1;
    fn tag(&self) -> u64 {
        self.seed
    }
    fn from_tag(tag: u64) -> Option<Self> {
        Some(Self::with_seed(tag))
    }
}

/// Inputs up to this many bytes are hashed one-shot from an inline buffer.
const INLINE: usize = 64;

/// The hasher of [`DefaultBuildHasher`]. A lone integer (a `u64` key) is kept as a word and
/// hashed as its 8 bytes with a length the compiler knows (the fastest path); other short inputs (a URL
/// of up to 64 bytes) are buffered inline and hashed one-shot; longer ones move to the streaming
/// state. All three give the identical result for the same bytes.
#[derive(Clone)]
pub struct Xxh3Hasher {
    seed: u64,
    /// A `write_u64` that came first and alone, not yet copied into `buf`.
    word: Option<u64>,
    buf: [u8; INLINE],
    len: usize,
    stream: Option<Box<xxhash_rust::xxh3::Xxh3>>,
}

impl Xxh3Hasher {
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
            .field("seed", &self.seed)
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
            // A constant length, so xxh3 inlines to a few multiplies.
            Some(w) => xxhash_rust::xxh3::xxh3_64_with_seed(&w.to_ne_bytes(), self.seed),
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

/// Keyed SipHash-1-3 (the function behind std's `HashMap`): with a secret 128-bit key, an
/// adversary who does not know the key cannot craft items that collide in the filter. Several times
/// slower than XXH3 on a short key (the report has the figures).
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

impl FilterHasher for SipBuildHasher {
    const ID: u8 = 2;
    fn tag(&self) -> u64 {
        // A PRF output under the key: equal keys give equal tags; the tag does not reveal the key.
        let mut h = self.build_hasher();
        h.write(b"brick-bloom key fingerprint");
        h.finish()
    }
    fn from_tag(_: u64) -> Option<Self> {
        None
    }
}
