//! The standard Bloom filter: m bits, k positions per item anywhere in the array.

use crate::probe::{self, Probes};
use crate::wire::{self, Header, Kind};
use crate::{DefaultBuildHasher, Error, Params, StableHasher};
use std::hash::{BuildHasher, Hash};

/// A Bloom filter of m bits and k hash functions: `contains` never answers `false` for an
/// inserted item, and answers `true` for an absent one with probability about
/// (1 − e^(−kn/m))^k after n inserts.
///
/// Each item is hashed once to 64 bits; its k positions come from that hash by enhanced double
/// hashing. The bits live in `u64` words; nothing else is stored, so memory is ⌈m/64⌉·8 bytes.
#[derive(Clone)]
pub struct BloomFilter<S = DefaultBuildHasher> {
    /// The bit array; bits at positions ≥ `bits` are always 0 (union, equality and the wire
    /// format rely on it).
    words: Box<[u64]>,
    /// m.
    bits: u64,
    /// k.
    hashes: u32,
    hasher: S,
}

impl BloomFilter<DefaultBuildHasher> {
    /// A filter for `n` items at false-positive rate `p` ([`Params::optimal`]), with the
    /// default hasher (seed 0).
    ///
    /// Computes in **O(m/64)** time (zeroing).
    ///
    /// # Errors
    /// - [`Error::InvalidRate`], [`Error::ZeroItems`], [`Error::TooLarge`] from sizing.
    /// - [`Error::OutOfMemory`] if the allocator refuses the bits.
    pub fn new(n: u64, p: f64) -> Result<Self, Error> {
        Self::with_hasher(Params::optimal(n, p)?, DefaultBuildHasher::default())
    }

    /// A filter of exactly `bits` bits and `hashes` hash functions, with the default hasher.
    ///
    /// Computes in **O(m)** time: the m bits are allocated zeroed.
    ///
    /// # Errors
    /// - [`Error::ZeroBits`], [`Error::InvalidHashes`], [`Error::TooLarge`] from
    ///   [`Params::new`]; [`Error::OutOfMemory`].
    pub fn with_params(bits: u64, hashes: u32) -> Result<Self, Error> {
        Self::with_hasher(Params::new(bits, hashes)?, DefaultBuildHasher::default())
    }
}

impl<S: BuildHasher> BloomFilter<S> {
    /// A filter of the given shape hashing with `hasher`.
    ///
    /// Computes in **O(m)** time: the m bits are allocated zeroed.
    ///
    /// # Errors
    /// - [`Error::OutOfMemory`] if the allocator refuses the bits; shape errors as
    ///   [`Params::new`] (a `Params` built by hand is checked again).
    pub fn with_hasher(params: Params, hasher: S) -> Result<Self, Error> {
        let params = Params::new(params.bits, params.hashes)?;
        let words = probe::zeroed_words(probe::words_for(params.bits))?;
        Ok(Self {
            words: words.into_boxed_slice(),
            bits: params.bits,
            hashes: params.hashes,
            hasher,
        })
    }

    /// Adds an item. Returns `true` if it was possibly present already (all its bits were set).
    ///
    /// Computes in **O(k)** time: one hash, k bit writes.
    #[inline]
    pub fn insert<T: Hash + ?Sized>(&mut self, item: &T) -> bool {
        self.insert_hash(self.hasher.hash_one(item))
    }

    /// Whether the item is possibly present: `false` is certain, `true` is wrong with
    /// probability about the false-positive rate.
    ///
    /// Computes in **O(k)** time; absent items usually stop at the first 0 bit.
    #[inline]
    #[must_use]
    pub fn contains<T: Hash + ?Sized>(&self, item: &T) -> bool {
        self.contains_hash(self.hasher.hash_one(item))
    }

    /// Adds an item by its 64-bit hash, which must be well mixed (every bit matters).
    ///
    /// Computes in **O(k)** time.
    #[inline(always)]
    pub fn insert_hash(&mut self, hash: u64) -> bool {
        let mut probes = Probes::new(hash);
        let mut present = true;
        for _ in 0..self.hashes {
            let bit = probes.next_in(self.bits);
            let word = &mut self.words[(bit / 64) as usize];
            let mask = 1u64 << (bit % 64);
            present &= *word & mask != 0;
            *word |= mask;
        }
        present
    }

    /// Whether an item with this 64-bit hash is possibly present.
    ///
    /// Computes in **O(k)** time.
    #[inline(always)]
    #[must_use]
    pub fn contains_hash(&self, hash: u64) -> bool {
        let mut probes = Probes::new(hash);
        (0..self.hashes).all(|_| {
            let bit = probes.next_in(self.bits);
            self.words[(bit / 64) as usize] & (1u64 << (bit % 64)) != 0
        })
    }

    /// The 64-bit hash this filter computes for `item` (for [`insert_hash`](Self::insert_hash)).
    ///
    /// Computes in **O(len)** time for an item of `len` bytes: one hash.
    pub fn hash<T: Hash + ?Sized>(&self, item: &T) -> u64 {
        self.hasher.hash_one(item)
    }

    /// Swamidass–Baldi estimate of the distinct items inserted: −(m/k)·ln(1 − X/m) where X is
    /// the number of set bits. Infinite when every bit is set.
    ///
    /// Computes in **O(m/64)** time (a population count).
    pub fn estimated_len(&self) -> f64 {
        probe::estimate_items(self.count_ones(), self.bits, self.hashes)
    }

    /// Bits set.
    ///
    /// Computes in **O(m/64)** time.
    pub fn count_ones(&self) -> u64 {
        self.words.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    /// Expected false-positive rate now, from the fraction of bits set: (X/m)^k.
    ///
    /// Computes in **O(m/64)** time.
    pub fn current_false_positive_rate(&self) -> f64 {
        (self.count_ones() as f64 / self.bits as f64).powi(self.hashes as i32)
    }

    /// m: the number of bits.
    ///
    /// Computes in **O(1)** time.
    pub fn bits(&self) -> u64 {
        self.bits
    }

    /// k: the number of hash functions.
    ///
    /// Computes in **O(1)** time.
    pub fn hashes(&self) -> u32 {
        self.hashes
    }

    /// The filter's shape.
    ///
    /// Computes in **O(1)** time.
    pub fn params(&self) -> Params {
        Params {
            bits: self.bits,
            hashes: self.hashes,
        }
    }

    /// Heap bytes held: the bit array.
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

    /// The bit array, 64 bits per word, bit i at word i/64, position i%64.
    ///
    /// Computes in **O(1)** time.
    pub fn as_words(&self) -> &[u64] {
        &self.words
    }

    /// Removes every item.
    ///
    /// Computes in **O(m/64)** time.
    pub fn clear(&mut self) {
        self.words.fill(0);
    }

    /// Whether no bit is set.
    ///
    /// Computes in **O(m)** time.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    pub(crate) fn from_parts(words: Box<[u64]>, params: Params, hasher: S) -> Self {
        Self {
            words,
            bits: params.bits,
            hashes: params.hashes,
            hasher,
        }
    }

    pub(crate) fn into_parts(self) -> (Box<[u64]>, Params, S) {
        let params = self.params();
        (self.words, params, self.hasher)
    }
}

impl<S: StableHasher> BloomFilter<S> {
    fn check_compatible(&self, other: &Self) -> Result<(), Error> {
        let ours = (self.bits, self.hashes, self.hasher.tag());
        let theirs = (other.bits, other.hashes, other.hasher.tag());
        if ours == theirs {
            Ok(())
        } else {
            Err(Error::ShapeMismatch { ours, theirs })
        }
    }

    /// Adds every item of `other` (bitwise OR): the result is bit for bit the filter built from
    /// the union of both sets.
    ///
    /// Computes in **O(m/64)** time.
    ///
    /// # Errors
    /// - [`Error::ShapeMismatch`] if `other` differs in bits, hashes or hasher: OR-ing them
    ///   would silently corrupt the filter.
    pub fn union(&mut self, other: &Self) -> Result<(), Error> {
        self.check_compatible(other)?;
        for (a, b) in self.words.iter_mut().zip(other.words.iter()) {
            *a |= b;
        }
        Ok(())
    }

    /// Keeps only bits set in both (bitwise AND). Every item in both sets stays present; the
    /// false-positive rate is at most that of either input (and above that of a filter built
    /// from the intersection).
    ///
    /// Computes in **O(m/64)** time.
    ///
    /// # Errors
    /// - [`Error::ShapeMismatch`] as [`union`](Self::union).
    pub fn intersect(&mut self, other: &Self) -> Result<(), Error> {
        self.check_compatible(other)?;
        for (a, b) in self.words.iter_mut().zip(other.words.iter()) {
            *a &= b;
        }
        Ok(())
    }

    /// The filter in the crate's versioned wire format (see the crate docs, "Wire format").
    /// The hasher is recorded by id and tag; a secret key is never written.
    ///
    /// Computes in **O(m/64)** time.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header {
            bits: self.bits,
            hashes: self.hashes,
        };
        wire::encode(Kind::Standard, &self.hasher, header, &self.words)
    }

    /// Decodes [`to_bytes`](Self::to_bytes) output, rebuilding the hasher from its tag.
    ///
    /// Computes in **O(m)** time.
    ///
    /// # Errors
    /// - [`Error::Decode`] with the reason: bad magic, version, kind, length, checksum or
    ///   parameters, bits set past m, a different hash function, or
    ///   [`DecodeError::NeedsHasher`](crate::DecodeError::NeedsHasher) for a secret-keyed
    ///   hasher.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        Self::decode(bytes, None)
    }

    /// Decodes with a given hasher, which must match the one that wrote the bytes.
    ///
    /// Computes in **O(m)** time.
    ///
    /// # Errors
    /// As [`from_bytes`](Self::from_bytes), with
    /// [`DecodeError::HasherMismatch`](crate::DecodeError::HasherMismatch) for another key.
    pub fn from_bytes_with_hasher(bytes: &[u8], hasher: S) -> Result<Self, Error> {
        Self::decode(bytes, Some(hasher))
    }

    fn decode(bytes: &[u8], hasher: Option<S>) -> Result<Self, Error> {
        let (header, hasher, words) =
            wire::decode(bytes, Kind::Standard, hasher, probe::words_for)?;
        if words
            .last()
            .is_some_and(|&w| w & !probe::last_word_mask(header.bits) != 0)
        {
            return Err(crate::DecodeError::TrailingBits.into());
        }
        Ok(Self {
            words: words.into_boxed_slice(),
            bits: header.bits,
            hashes: header.hashes,
            hasher,
        })
    }
}

impl<S> PartialEq for BloomFilter<S> {
    /// Same shape and same bits (hashers are not compared: use `hasher()` for that).
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits && self.hashes == other.hashes && self.words == other.words
    }
}

impl<S> std::fmt::Debug for BloomFilter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BloomFilter")
            .field("bits", &self.bits)
            .field("hashes", &self.hashes)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "serde")]
crate::serde_wire::serde_via_bytes!("BloomFilter", impl[S: StableHasher] BloomFilter<S>);

crate::bytes::byte_methods!(BloomFilter, mut);
