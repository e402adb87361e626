//! The scalable Bloom filter: a chain of growing, tightening filters for an unknown n.

use crate::xxh3::hash_bytes;
use crate::{BloomFilter, DefaultBuildHasher, Error, Params};
use std::hash::{BuildHasher, Hash};

/// A scalable Bloom filter (Almeida, Baquero, Preguiça, Hutchison 2007): when the current
/// filter has taken its capacity, a new one is added with `growth` times the capacity and
/// `tightening` times the false-positive rate. With p₀ = p·(1 − r), filter i has rate p₀·rⁱ, so
/// the compound rate 1 − Π(1 − pᵢ) stays below Σ pᵢ < p₀/(1 − r) = p however many items come.
///
/// Queries check every filter, newest first (most items live in the largest); their number
/// grows with log(n/n₀), so size the initial capacity near the expected count when you can.
#[derive(Clone)]
pub struct ScalableBloomFilter<S = DefaultBuildHasher> {
    /// Filter i holds at most `capacities[i]` items at rate `rates[i]`; only the last one takes
    /// inserts.
    filters: Vec<BloomFilter<S>>,
    capacities: Vec<u64>,
    rates: Vec<f64>,
    /// Items inserted into the last filter.
    last_len: u64,
    len: u64,
    initial: u64,
    rate: f64,
    growth: f64,
    tightening: f64,
    hasher: S,
}

/// Almeida et al.'s suggested growth factor.
pub const DEFAULT_GROWTH: f64 = 2.0;
/// The tightening ratio: Almeida et al. suggest 0.8–0.9; 0.85 keeps bits per item low.
pub const DEFAULT_TIGHTENING: f64 = 0.85;

impl ScalableBloomFilter<DefaultBuildHasher> {
    /// A scalable filter starting at `initial` items, compound rate at most `p`, growth 2,
    /// tightening 0.85.
    ///
    /// Computes in **O(m₀)** time: the first member filter's bits are allocated zeroed.
    ///
    /// # Errors
    /// - [`Error::InvalidRate`], [`Error::ZeroItems`] and sizing errors; [`Error::OutOfMemory`].
    pub fn new(initial: u64, p: f64) -> Result<Self, Error> {
        Self::with_growth(initial, p, DEFAULT_GROWTH, DEFAULT_TIGHTENING)
    }

    /// A scalable filter with a chosen growth factor (≥ 1) and tightening ratio (in (0, 1)).
    ///
    /// Computes in **O(m₀)** time: the first member filter's bits are allocated zeroed.
    ///
    /// # Errors
    /// - [`Error::InvalidGrowth`] for a growth below 1 or a ratio outside (0, 1) (NaN too);
    ///   otherwise as [`new`](Self::new).
    pub fn with_growth(initial: u64, p: f64, growth: f64, tightening: f64) -> Result<Self, Error> {
        Self::with_hasher(
            initial,
            p,
            growth,
            tightening,
            DefaultBuildHasher::default(),
        )
    }
}

impl<S: BuildHasher + Clone> ScalableBloomFilter<S> {
    /// A scalable filter with a chosen hasher (cloned into each member filter).
    ///
    /// Computes in **O(m₀)** time: the first member filter's bits are allocated zeroed.
    ///
    /// # Errors
    /// As [`with_growth`](ScalableBloomFilter::with_growth).
    pub fn with_hasher(
        initial: u64,
        p: f64,
        growth: f64,
        tightening: f64,
        hasher: S,
    ) -> Result<Self, Error> {
        if !(growth >= 1.0 && growth.is_finite() && tightening > 0.0 && tightening < 1.0) {
            return Err(Error::InvalidGrowth { growth, tightening });
        }
        if !(p > 0.0 && p < 1.0) {
            return Err(Error::InvalidRate(p));
        }
        if initial == 0 {
            return Err(Error::ZeroItems);
        }
        let mut filter = Self {
            filters: Vec::new(),
            capacities: Vec::new(),
            rates: Vec::new(),
            last_len: 0,
            len: 0,
            initial,
            rate: p,
            growth,
            tightening,
            hasher,
        };
        filter.grow()?;
        Ok(filter)
    }

    fn grow(&mut self) -> Result<(), Error> {
        let i = self.filters.len() as i32;
        let capacity = (self.initial as f64 * self.growth.powi(i)).ceil();
        let rate = self.rate * (1.0 - self.tightening) * self.tightening.powi(i);
        if capacity >= u64::MAX as f64 {
            return Err(Error::TooLarge {
                bits: capacity * 64.0,
            });
        }
        let capacity = capacity as u64;
        let params = match Params::optimal(capacity, rate) {
            // Past the first stage, a rate too small for MAX_HASHES hashes (or one that
            // underflowed) means the chain has run out of stages, not that the user's
            // parameters were invalid.
            Err(Error::InvalidHashes(_) | Error::InvalidRate(_)) if i > 0 => {
                return Err(Error::Exhausted {
                    stages: self.filters.len(),
                    rate,
                });
            }
            other => other?,
        };
        self.filters
            .push(BloomFilter::with_hasher(params, self.hasher.clone())?);
        self.capacities.push(capacity);
        self.rates.push(rate);
        self.last_len = 0;
        Ok(())
    }

    /// Adds an item. `Ok(true)` if it was possibly present already (then nothing is added).
    ///
    /// Computes in **O(k·f)** time for f filters, plus O(m) when a new filter is allocated.
    ///
    /// # Errors
    /// - [`Error::OutOfMemory`] or [`Error::TooLarge`] only when the next filter cannot be
    ///   allocated, and [`Error::Exhausted`] when its rate would need more than
    ///   [`MAX_HASHES`](crate::MAX_HASHES) hash functions; the item is then not added.
    pub fn insert<T: Hash + ?Sized>(&mut self, item: &T) -> Result<bool, Error> {
        self.insert_hash(self.hasher.hash_one(item))
    }

    /// Whether the item is possibly present.
    ///
    /// Computes in **O(k·f)** time.
    #[must_use]
    pub fn contains<T: Hash + ?Sized>(&self, item: &T) -> bool {
        self.contains_hash(self.hasher.hash_one(item))
    }

    /// [`insert`](Self::insert) of a byte string, hashed as exactly these bytes.
    ///
    /// Portable: with the default hasher the hash is XXH3-64 of exactly these bytes, the same on
    /// every machine and release, unlike a value hashed through std's `Hash`.
    ///
    /// Computes in **O(len + f·k)** time for f member filters (amortized: a full last member adds
    /// one, O(its bits)).
    ///
    /// # Errors
    /// As [`insert`](Self::insert).
    pub fn insert_bytes(&mut self, bytes: &[u8]) -> Result<bool, Error> {
        self.insert_hash(hash_bytes(&self.hasher, bytes))
    }

    /// [`contains`](Self::contains) of a byte string, hashed as
    /// [`insert_bytes`](Self::insert_bytes) hashes it.
    ///
    /// Computes in **O(len + f·k)** time for f member filters.
    #[must_use]
    pub fn contains_bytes(&self, bytes: &[u8]) -> bool {
        self.contains_hash(hash_bytes(&self.hasher, bytes))
    }

    /// [`insert`](Self::insert) by a well-mixed 64-bit hash.
    ///
    /// Computes in **O(f·k)** time for f member filters (amortized: a full last member adds one,
    /// O(its bits)).
    ///
    /// # Errors
    /// As [`insert`](Self::insert).
    pub fn insert_hash(&mut self, hash: u64) -> Result<bool, Error> {
        if self.contains_hash(hash) {
            return Ok(true);
        }
        if self.last_len >= self.capacities[self.capacities.len() - 1] {
            self.grow()?;
        }
        let last = self.filters.len() - 1;
        self.filters[last].insert_hash(hash);
        self.last_len += 1;
        self.len += 1;
        Ok(false)
    }

    /// [`contains`](Self::contains) by a 64-bit hash.
    ///
    /// Computes in **O(f·k)** time for f member filters.
    #[must_use]
    pub fn contains_hash(&self, hash: u64) -> bool {
        self.filters.iter().rev().any(|f| f.contains_hash(hash))
    }

    /// Items added (inserts that returned `Ok(false)`).
    ///
    /// Computes in **O(1)** time.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was added.
    ///
    /// Computes in **O(1)** time.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Member filters so far.
    ///
    /// Computes in **O(1)** time.
    pub fn filter_count(&self) -> usize {
        self.filters.len()
    }

    /// Items the filters allocated so far hold before the next one is added.
    ///
    /// Computes in **O(f)** time for f member filters.
    pub fn capacity(&self) -> u64 {
        self.capacities.iter().sum()
    }

    /// The rate the filter promises now: 1 − Π(1 − pᵢ) over the member filters, each at its
    /// full capacity. Always below the requested p.
    ///
    /// Computes in **O(f)** time for f member filters.
    pub fn false_positive_bound(&self) -> f64 {
        1.0 - self.rates.iter().map(|p| 1.0 - p).product::<f64>()
    }

    /// The expected rate at the current fill: 1 − Π(1 − pᵢ(nᵢ)) with each member's
    /// formula rate at the items it holds.
    ///
    /// Computes in **O(f)** time for f member filters.
    pub fn current_false_positive_rate(&self) -> f64 {
        let last = self.filters.len() - 1;
        let keep: f64 = self
            .filters
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let n = if i == last {
                    self.last_len
                } else {
                    self.capacities[i]
                };
                1.0 - f.params().false_positive_rate(n)
            })
            .product();
        1.0 - keep
    }

    /// The requested compound rate p.
    ///
    /// Computes in **O(1)** time.
    pub fn target_rate(&self) -> f64 {
        self.rate
    }

    /// Heap bytes held by the member filters' bits.
    ///
    /// Computes in **O(f)** time for f member filters.
    pub fn memory_bytes(&self) -> usize {
        self.filters.iter().map(BloomFilter::memory_bytes).sum()
    }

    /// Removes every item and every member filter but the first.
    ///
    /// Computes in **O(m₀)** time: the first member's bits are zeroed.
    pub fn clear(&mut self) {
        self.filters.truncate(1);
        self.capacities.truncate(1);
        self.rates.truncate(1);
        self.filters[0].clear();
        self.last_len = 0;
        self.len = 0;
    }
}

impl<S> std::fmt::Debug for ScalableBloomFilter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScalableBloomFilter")
            .field("len", &self.len)
            .field("filters", &self.filters.len())
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}
