//! The default hasher: seeded XXH3, deterministic across processes and machines.

use std::hash::{BuildHasher, Hasher};

/// Seeded XXH3-64. Deterministic, so benchmarks and tests replay identically; its seed is not a
/// secret, so for keys an adversary chooses (who could aim many keys at one hash bucket) pass
/// std's `RandomState` or another keyed hasher instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DefaultBuildHasher {
    seed: u64,
}

impl DefaultBuildHasher {
    /// The hasher with a given seed (the default is 0).
    pub const fn with_seed(seed: u64) -> Self {
        Self { seed }
    }
}

impl BuildHasher for DefaultBuildHasher {
    type Hasher = Xxh3Hasher;
    #[inline(always)]
    fn build_hasher(&self) -> Xxh3Hasher {
        Xxh3Hasher {
            seed: self.seed,
            buf: [0; INLINE],
            len: 0,
            stream: None,
        }
    }
}

/// Inputs up to this many bytes are hashed one-shot from an inline buffer.
const INLINE: usize = 64;

/// The hasher of [`DefaultBuildHasher`]: short keys are buffered inline and hashed one-shot;
/// longer ones move to the streaming state, which gives the identical result.
#[derive(Clone)]
pub struct Xxh3Hasher {
    seed: u64,
    buf: [u8; INLINE],
    len: usize,
    stream: Option<Box<xxhash_rust::xxh3::Xxh3>>,
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
