//! The concurrent Bloom filter: inserts through `&self` with atomic OR.

use crate::probe::{self, Probes};
use crate::sync::{AtomicU64, Ordering};
use crate::{BloomFilter, DefaultBuildHasher, Error, Params};
use std::hash::{BuildHasher, Hash};

/// A standard Bloom filter whose words are atomics, so any number of threads insert and query
/// through `&self` (share it in an `Arc`). Setting a bit is an atomic `fetch_or`, so concurrent
/// inserts into the same word never lose each other's bits; bits only go from 0 to 1, so a
/// reader sees each item either not yet inserted, partly, or fully, never corrupted.
///
/// Same layout, hashing and positions as [`BloomFilter`], so the two convert into each other
/// without rehashing, and a filter built concurrently equals the one built sequentially from the
/// same items, bit for bit.
///
/// Memory ordering: `Relaxed`. The bits publish nothing but themselves; a caller who needs
/// "inserted before" to mean "visible to" must order the two threads by other means (a channel,
/// a join, a lock), as with any relaxed counter.
pub struct AtomicBloomFilter<S = DefaultBuildHasher> {
    /// Bits at positions ≥ `bits` are always 0.
    words: Box<[AtomicU64]>,
    bits: u64,
    hashes: u32,
    hasher: S,
}

impl AtomicBloomFilter<DefaultBuildHasher> {
    /// A filter for `n` items at rate `p` ([`Params::optimal`]), default hasher.
    ///
    /// Computes in **O(m)** time: the m bits are allocated zeroed.
    ///
    /// # Errors
    /// - Sizing errors as [`Params::optimal`]; [`Error::OutOfMemory`].
    pub fn new(n: u64, p: f64) -> Result<Self, Error> {
        Self::with_hasher(Params::optimal(n, p)?, DefaultBuildHasher::default())
    }

    /// A filter of exactly `bits` bits and `hashes` hash functions, default hasher.
    ///
    /// Computes in **O(m)** time: the m bits are allocated zeroed.
    ///
    /// # Errors
    /// - Shape errors as [`Params::new`]; [`Error::OutOfMemory`].
    pub fn with_params(bits: u64, hashes: u32) -> Result<Self, Error> {
        Self::with_hasher(Params::new(bits, hashes)?, DefaultBuildHasher::default())
    }
}

impl<S: BuildHasher> AtomicBloomFilter<S> {
    /// A filter of the given shape and hasher.
    ///
    /// Computes in **O(m)** time: the m bits are allocated zeroed.
    ///
    /// # Errors
    /// - Shape errors as [`Params::new`]; [`Error::OutOfMemory`].
    pub fn with_hasher(params: Params, hasher: S) -> Result<Self, Error> {
        let params = Params::new(params.bits, params.hashes)?;
        let v = probe::alloc_with(probe::words_for(params.bits), || AtomicU64::new(0))?;
        Ok(Self {
            words: v.into_boxed_slice(),
            bits: params.bits,
            hashes: params.hashes,
            hasher,
        })
    }

    /// Adds an item; `true` if it was possibly present already (all its bits were set).
    ///
    /// Computes in **O(k)** time: k atomic bit-sets.
    #[inline]
    pub fn insert<T: Hash + ?Sized>(&self, item: &T) -> bool {
        self.insert_hash(self.hasher.hash_one(item))
    }

    /// Whether the item is possibly present.
    ///
    /// Computes in **O(k)** time.
    #[inline]
    #[must_use]
    pub fn contains<T: Hash + ?Sized>(&self, item: &T) -> bool {
        self.contains_hash(self.hasher.hash_one(item))
    }

    /// [`insert`](Self::insert) by a well-mixed 64-bit hash.
    ///
    /// Computes in **O(k)** time: k atomic ORs, no hashing.
    #[inline(always)]
    pub fn insert_hash(&self, hash: u64) -> bool {
        let mut probes = Probes::new(hash);
        let mut present = true;
        for _ in 0..self.hashes {
            let bit = probes.next_in(self.bits);
            let word = &self.words[(bit / 64) as usize];
            let mask = 1u64 << (bit % 64);
            // Relaxed: the bit is the only data; see the type's docs. Always the RMW: a
            // load-first test would mispredict on half the bits of a filling filter, and a
            // single-bit fetch_or is one `lock bts`.
            present &= word.fetch_or(mask, Ordering::Relaxed) & mask != 0;
        }
        present
    }

    /// [`contains`](Self::contains) by a 64-bit hash.
    ///
    /// Computes in **O(k)** time at most: k loads, stopping at the first clear bit.
    #[inline(always)]
    #[must_use]
    pub fn contains_hash(&self, hash: u64) -> bool {
        let mut probes = Probes::new(hash);
        (0..self.hashes).all(|_| {
            let bit = probes.next_in(self.bits);
            // Relaxed: as in insert_hash.
            self.words[(bit / 64) as usize].load(Ordering::Relaxed) & (1u64 << (bit % 64)) != 0
        })
    }

    /// The 64-bit hash this filter computes for `item`.
    ///
    /// Computes in **O(len)** time for an item of `len` bytes: one hash.
    pub fn hash<T: Hash + ?Sized>(&self, item: &T) -> u64 {
        self.hasher.hash_one(item)
    }

    /// Swamidass–Baldi estimate of the distinct items inserted (a snapshot; concurrent inserts
    /// may or may not be counted).
    ///
    /// Computes in **O(m/64)** time.
    pub fn estimated_len(&self) -> f64 {
        let ones = self
            .words
            .iter()
            .map(|w| u64::from(w.load(Ordering::Relaxed).count_ones()))
            .sum();
        probe::estimate_items(ones, self.bits, self.hashes)
    }

    /// m: bits.
    ///
    /// Computes in **O(1)** time.
    pub fn bits(&self) -> u64 {
        self.bits
    }

    /// k: hash functions.
    ///
    /// Computes in **O(1)** time.
    pub fn hashes(&self) -> u32 {
        self.hashes
    }

    /// Heap bytes held.
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

    /// Removes every item. Takes `&mut self`: clearing under concurrent inserts would leave
    /// those items half-present, which is a false negative.
    ///
    /// Computes in **O(m)** time.
    pub fn clear(&mut self) {
        for w in self.words.iter() {
            w.store(0, Ordering::Relaxed);
        }
    }

    /// A plain filter with the bits as they are now (each word read once; inserts that race
    /// with the copy may be in it partly).
    ///
    /// Computes in **O(m/64)** time.
    pub fn to_filter(&self) -> BloomFilter<S>
    where
        S: Clone,
    {
        let words = self
            .words
            .iter()
            .map(|w| w.load(Ordering::Relaxed))
            .collect();
        let params = Params {
            bits: self.bits,
            hashes: self.hashes,
        };
        BloomFilter::from_parts(words, params, self.hasher.clone())
    }
}

impl<S: BuildHasher> From<BloomFilter<S>> for AtomicBloomFilter<S> {
    fn from(filter: BloomFilter<S>) -> Self {
        let (words, params, hasher) = filter.into_parts();
        Self {
            words: words.iter().map(|&w| AtomicU64::new(w)).collect(),
            bits: params.bits,
            hashes: params.hashes,
            hasher,
        }
    }
}

impl<S: BuildHasher> From<AtomicBloomFilter<S>> for BloomFilter<S> {
    fn from(filter: AtomicBloomFilter<S>) -> Self {
        let words = filter
            .words
            .iter()
            .map(|w| w.load(Ordering::Relaxed))
            .collect();
        let params = Params {
            bits: filter.bits,
            hashes: filter.hashes,
        };
        BloomFilter::from_parts(words, params, filter.hasher)
    }
}

impl<S> std::fmt::Debug for AtomicBloomFilter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicBloomFilter")
            .field("bits", &self.bits)
            .field("hashes", &self.hashes)
            .finish_non_exhaustive()
    }
}

crate::bytes::byte_methods!(AtomicBloomFilter, shared);
