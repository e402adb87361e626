//! The counting Bloom filter: 4-bit counters instead of bits, so items can be removed.

use crate::probe::{self, Probes};
use crate::wire::{self, Header, Kind};
use crate::xxh3::hash_bytes;
use crate::{DecodeError, DefaultBuildHasher, Error, Params, StableHasher};
use std::hash::{BuildHasher, Hash};

/// Counters per `u64` word.
const PER_WORD: u64 = 16;
/// A counter's ceiling: once reached it sticks, never incremented or decremented again.
const SATURATED: u64 = 15;

/// A counting Bloom filter (Fan, Cao, Almeida, Broder 2000): each of the m positions is a 4-bit
/// counter; insert increments the item's k counters, remove decrements them, and a query asks
/// whether all k are non-zero. Same false-positive rate as a standard filter of m bits, at four
/// times the memory.
///
/// Four bits suffice: a counter reaches 16 with probability below 1.37e−15·m at the optimal
/// load. A counter that does saturate sticks at 15 (it no longer knows its true count), so it is
/// never decremented: that can only leave extra 1s, never a false negative.
///
/// Removing an item that was never inserted (but tests positive) decrements counters that
/// belong to other items and can make them vanish: a false negative. `remove` refuses items
/// that are certainly absent; it cannot refuse false positives. Remove only what you inserted.
#[derive(Clone)]
pub struct CountingBloomFilter<S = DefaultBuildHasher> {
    /// Sixteen 4-bit counters per word; counters at positions ≥ `counters` are always 0.
    words: Box<[u64]>,
    counters: u64,
    hashes: u32,
    hasher: S,
}

impl CountingBloomFilter<DefaultBuildHasher> {
    /// A counting filter for `n` items at rate `p` ([`Params::optimal`]), default hasher.
    ///
    /// Computes in **O(m)** time: the m counters are allocated zeroed.
    ///
    /// # Errors
    /// - Sizing errors as [`Params::optimal`]; [`Error::OutOfMemory`].
    pub fn new(n: u64, p: f64) -> Result<Self, Error> {
        Self::with_hasher(Params::optimal(n, p)?, DefaultBuildHasher::default())
    }

    /// A counting filter of `counters` counters and `hashes` hash functions.
    ///
    /// Computes in **O(m)** time: the m counters are allocated zeroed.
    ///
    /// # Errors
    /// - Shape errors as [`Params::new`]; [`Error::OutOfMemory`].
    pub fn with_params(counters: u64, hashes: u32) -> Result<Self, Error> {
        Self::with_hasher(
            Params::new(counters, hashes)?,
            DefaultBuildHasher::default(),
        )
    }
}

impl<S: BuildHasher> CountingBloomFilter<S> {
    /// A counting filter of the given shape (`params.bits` counters) and hasher.
    ///
    /// Computes in **O(m)** time: the m counters are allocated zeroed.
    ///
    /// # Errors
    /// - Shape errors as [`Params::new`]; [`Error::OutOfMemory`].
    pub fn with_hasher(params: Params, hasher: S) -> Result<Self, Error> {
        let params = Params::new(params.bits, params.hashes)?;
        let words = probe::zeroed_words(params.bits.div_ceil(PER_WORD))?;
        Ok(Self {
            words: words.into_boxed_slice(),
            counters: params.bits,
            hashes: params.hashes,
            hasher,
        })
    }

    #[inline]
    fn counter(&self, i: u64) -> u64 {
        (self.words[(i / PER_WORD) as usize] >> ((i % PER_WORD) * 4)) & 0xf
    }

    /// Moves counter `i` one step up or down, unless it is saturated (then it sticks) or the
    /// step would go below 0.
    #[inline]
    fn step(&mut self, i: u64, up: bool) {
        let shift = (i % PER_WORD) * 4;
        let word = &mut self.words[(i / PER_WORD) as usize];
        let c = (*word >> shift) & 0xf;
        if c == SATURATED || (!up && c == 0) {
            return;
        }
        if up {
            *word += 1 << shift;
        } else {
            *word -= 1 << shift;
        }
    }

    /// Adds an item; `true` if it was possibly present already (all its counters non-zero).
    ///
    /// Computes in **O(k)** time.
    pub fn insert<T: Hash + ?Sized>(&mut self, item: &T) -> bool {
        self.insert_hash(self.hasher.hash_one(item))
    }

    /// Whether the item is possibly present.
    ///
    /// Computes in **O(k)** time.
    #[must_use]
    pub fn contains<T: Hash + ?Sized>(&self, item: &T) -> bool {
        self.contains_hash(self.hasher.hash_one(item))
    }

    /// Removes one insertion of the item.
    ///
    /// Computes in **O(k)** time.
    ///
    /// # Errors
    /// - [`Error::NotPresent`] if one of its counters is 0: the item is certainly absent, and
    ///   decrementing the others would corrupt other items.
    pub fn remove<T: Hash + ?Sized>(&mut self, item: &T) -> Result<(), Error> {
        self.remove_hash(self.hasher.hash_one(item))
    }

    /// An upper bound on how many times the item was inserted: its smallest counter (15 means
    /// "15 or more").
    ///
    /// Computes in **O(k)** time.
    #[must_use]
    pub fn count<T: Hash + ?Sized>(&self, item: &T) -> u8 {
        let mut probes = Probes::new(self.hasher.hash_one(item));
        (0..self.hashes)
            .map(|_| self.counter(probes.next_in(self.counters)))
            .min()
            .unwrap_or(0) as u8
    }

    /// [`insert`](Self::insert) by a well-mixed 64-bit hash.
    ///
    /// Computes in **O(k)** time, no hashing.
    pub fn insert_hash(&mut self, hash: u64) -> bool {
        let present = self.contains_hash(hash);
        let mut probes = Probes::new(hash);
        for _ in 0..self.hashes {
            let i = probes.next_in(self.counters);
            self.step(i, true);
        }
        present
    }

    /// [`contains`](Self::contains) by a 64-bit hash.
    ///
    /// Computes in **O(k)** time at most, stopping at the first zero counter.
    #[must_use]
    pub fn contains_hash(&self, hash: u64) -> bool {
        let mut probes = Probes::new(hash);
        (0..self.hashes).all(|_| self.counter(probes.next_in(self.counters)) != 0)
    }

    /// [`remove`](Self::remove) by a 64-bit hash.
    ///
    /// Computes in **O(k)** time: one pass to check every counter, one to decrement.
    ///
    /// # Errors
    /// - [`Error::NotPresent`] as [`remove`](Self::remove).
    pub fn remove_hash(&mut self, hash: u64) -> Result<(), Error> {
        if !self.contains_hash(hash) {
            return Err(Error::NotPresent);
        }
        let mut probes = Probes::new(hash);
        for _ in 0..self.hashes {
            let i = probes.next_in(self.counters);
            self.step(i, false);
        }
        Ok(())
    }

    /// The 64-bit hash this filter computes for `item`.
    ///
    /// Computes in **O(len)** time for an item of `len` bytes: one hash.
    pub fn hash<T: Hash + ?Sized>(&self, item: &T) -> u64 {
        self.hasher.hash_one(item)
    }

    /// [`remove`](Self::remove) of a byte string, hashed as [`insert_bytes`](Self::insert_bytes)
    /// hashes it.
    ///
    /// Computes in **O(k + len)** time.
    ///
    /// # Errors
    /// As [`remove`](Self::remove).
    pub fn remove_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.remove_hash(hash_bytes(&self.hasher, bytes))
    }

    /// Counters stuck at 15. Non-zero only under heavy overload; each one is a position that
    /// can no longer return to 0.
    ///
    /// Computes in **O(m/16)** time.
    pub fn saturated_counters(&self) -> u64 {
        (0..self.counters)
            .filter(|&i| self.counter(i) == SATURATED)
            .count() as u64
    }

    /// Swamidass–Baldi estimate of the distinct items present, from the non-zero counters.
    ///
    /// Computes in **O(m/16)** time.
    pub fn estimated_len(&self) -> f64 {
        // A nibble is non-zero when any of its four bits is: fold them onto the low bit.
        let ones: u64 = self
            .words
            .iter()
            .map(|&w| {
                let any = w | (w >> 1) | (w >> 2) | (w >> 3);
                u64::from((any & 0x1111_1111_1111_1111).count_ones())
            })
            .sum();
        probe::estimate_items(ones, self.counters, self.hashes)
    }

    /// m: the number of counters.
    ///
    /// Computes in **O(1)** time.
    pub fn counters(&self) -> u64 {
        self.counters
    }

    /// k: counters per item.
    ///
    /// Computes in **O(1)** time.
    pub fn hashes(&self) -> u32 {
        self.hashes
    }

    /// Heap bytes held (m/2).
    ///
    /// Computes in **O(1)** time.
    pub fn memory_bytes(&self) -> usize {
        self.words.len() * 8
    }

    /// The hasher.
    ///
    /// Computes in **O(1)** time.
    pub fn hasher(&self) -> &S {
        &self.hasher
    }

    /// Removes every item.
    ///
    /// Computes in **O(m)** time.
    pub fn clear(&mut self) {
        self.words.fill(0);
    }
}

impl<S: StableHasher> CountingBloomFilter<S> {
    /// The filter in the versioned wire format (kind 3; 16 counters per word).
    ///
    /// Computes in **O(m)** time.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header {
            bits: self.counters,
            hashes: self.hashes,
        };
        wire::encode(Kind::Counting, &self.hasher, header, &self.words)
    }

    /// Decodes [`to_bytes`](Self::to_bytes) output, rebuilding the hasher from its tag.
    ///
    /// Computes in **O(m)** time.
    ///
    /// # Errors
    /// - [`Error::Decode`] with the reason, as
    ///   [`BloomFilter::from_bytes`](crate::BloomFilter::from_bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        Self::decode(bytes, None)
    }

    /// Decodes with a given hasher, which must match the one that wrote the bytes.
    ///
    /// Computes in **O(m)** time.
    ///
    /// # Errors
    /// As [`from_bytes`](Self::from_bytes).
    pub fn from_bytes_with_hasher(bytes: &[u8], hasher: S) -> Result<Self, Error> {
        Self::decode(bytes, Some(hasher))
    }

    fn decode(bytes: &[u8], hasher: Option<S>) -> Result<Self, Error> {
        let words_for = |m: u64| m.div_ceil(PER_WORD);
        let (header, hasher, words) = wire::decode(bytes, Kind::Counting, hasher, words_for)?;
        let tail_counters = header.bits % PER_WORD;
        if tail_counters != 0 && words.last().is_some_and(|&w| w >> (tail_counters * 4) != 0) {
            return Err(DecodeError::TrailingBits.into());
        }
        Ok(Self {
            words: words.into_boxed_slice(),
            counters: header.bits,
            hashes: header.hashes,
            hasher,
        })
    }
}

impl<S> PartialEq for CountingBloomFilter<S> {
    /// Same shape and same counters.
    fn eq(&self, other: &Self) -> bool {
        self.counters == other.counters && self.hashes == other.hashes && self.words == other.words
    }
}

impl<S> std::fmt::Debug for CountingBloomFilter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountingBloomFilter")
            .field("counters", &self.counters)
            .field("hashes", &self.hashes)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "serde")]
crate::serde_wire::serde_via_bytes!("CountingBloomFilter", impl[S: StableHasher] CountingBloomFilter<S>);

crate::bytes::byte_methods!(CountingBloomFilter, mut);
