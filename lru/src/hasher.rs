//! The hashers: the default, keyed per cache from a random source, and seeded XXH3 for
//! replays.

use std::hash::{BuildHasher, Hasher};

/// The default hasher: foldhash's fast hasher (hashbrown's own default) with a key drawn for
/// each instance from a random source. Caches are often keyed by what users send (URLs, IDs,
/// headers); with a published fixed seed anyone could precompute keys that share one bucket
/// and turn every lookup into a long probe. With a key per cache, two caches built by `new`
/// hash the same key differently, and no key set can be aimed at one of them in advance.
///
/// For replays and tests that must repeat hit for hit, pass [`Xxh3BuildHasher`] explicitly.
#[derive(Debug, Clone, Default)]
pub struct DefaultBuildHasher(foldhash::fast::RandomState);

impl BuildHasher for DefaultBuildHasher {
    type Hasher = foldhash::fast::FoldHasher<'static>;
    #[inline(always)]
    fn build_hasher(&self) -> Self::Hasher {
        self.0.build_hasher()
    }
}

/// Seeded XXH3-64: deterministic across processes and machines, so a replay (a trace, a test,
/// a benchmark) repeats hit for hit. Its seed is not a secret: keep it to keys nobody else
/// chooses, and use [`DefaultBuildHasher`] for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Xxh3BuildHasher {
    seed: u64,
}

impl Xxh3BuildHasher {
    /// The hasher with a given seed (the default is 0).
    pub const fn with_seed(seed: u64) -> Self {
        Self { seed }
    }
}

impl BuildHasher for Xxh3BuildHasher {
    type Hasher = Xxh3Hasher;
    #[inline(always)]
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

/// Inputs up to this many bytes are hashed one-shot from an inline buffer.
const INLINE: usize = 64;

/// The hasher of [`Xxh3BuildHasher`]. A lone integer (a `u64` key) is kept as a word and
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
