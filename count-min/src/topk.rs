//! Heavy hitters: [`TopK`] (a conservative Count-Min sketch and a heap of the k largest
//! estimates) and [`SpaceSaving`] (k counters, deterministic bounds).

use std::fmt;
use std::hash::{BuildHasher, Hash};

use crate::heap::{IndexedHeap, Slot};
use crate::{ConservativeCountMin, Counter, DefaultBuildHasher, Error, MAX_K, StableHasher};

/// A reported heavy hitter: the key, its estimated count, and how far above the true count that
/// estimate may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeavyHitter<K> {
    /// The key.
    pub key: K,
    /// The estimated count, never below the true count.
    pub count: u64,
    /// The most the estimate may exceed the true count: the true count is in
    /// `count - error ..= count`. Deterministic for [`SpaceSaving`]; for [`TopK`] it is ε·N
    /// (rounded up), which holds with probability at least 1 − δ.
    pub error: u64,
}

impl<K> HeavyHitter<K> {
    /// The least the true count can be: `count - error`.
    ///
    /// Computes in **O(1)** time.
    pub fn lower_bound(&self) -> u64 {
        self.count.saturating_sub(self.error)
    }
}

fn check_k(k: u64) -> Result<usize, Error> {
    if k == 0 || k > MAX_K {
        return Err(Error::InvalidK(k));
    }
    Ok(k as usize)
}

/// The k items with the largest Count-Min estimates: a [`ConservativeCountMin`] counts every
/// item, and a min-heap indexed by key keeps the k largest estimates seen.
///
/// An item enters the heap when its estimate, which includes every earlier occurrence, beats the
/// smallest in the heap, so an item that was evicted comes back with its full history. Two
/// `TopK`s with the same shape and hasher [`merge`](Self::merge): the sketches add, and the
/// union of their candidates is re-estimated against the sum.
///
/// ```
/// use brick_count_min::TopK;
///
/// let mut top = TopK::<&str>::new(2, 0.01, 0.01)?;
/// for ip in ["10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.3", "10.0.0.1", "10.0.0.2"] {
///     top.insert(&ip);
/// }
/// let keys: Vec<_> = top.top().into_iter().map(|h| h.key).collect();
/// assert_eq!(keys, ["10.0.0.1", "10.0.0.2"]);
/// # Ok::<(), brick_count_min::Error>(())
/// ```
#[derive(Clone)]
pub struct TopK<K, C: Counter = u32, S = DefaultBuildHasher> {
    sketch: ConservativeCountMin<C, S>,
    heap: IndexedHeap<K, S>,
    k: usize,
}

impl<K: Hash + Eq + Clone, C: Counter> TopK<K, C, DefaultBuildHasher> {
    /// Tracks the `k` largest items over a sketch of error ε·N with probability 1 − δ (see
    /// [`dimensions`](crate::dimensions)).
    ///
    /// Computes in **O(w·d + k)** time: the sketch's counters are allocated zeroed, the heap's k
    /// slots reserved.
    ///
    /// # Errors
    /// [`Error::InvalidK`] for k = 0 or k > [`MAX_K`], and the errors of
    /// [`dimensions`](crate::dimensions).
    pub fn new(k: u64, epsilon: f64, delta: f64) -> Result<Self, Error> {
        let (width, depth) = crate::dimensions(epsilon, delta)?;
        Self::with_hasher(k, width, depth, DefaultBuildHasher::default())
    }

    /// Tracks the `k` largest items over a sketch of `depth` rows of `width` counters.
    ///
    /// Computes in **O(w·d + k)** time: the sketch's counters are allocated zeroed, the heap's k
    /// slots reserved.
    ///
    /// # Errors
    /// [`Error::InvalidK`], and the errors of [`CountMinSketch::with_params`](crate::CountMinSketch::with_params).
    pub fn with_params(k: u64, width: u64, depth: u64) -> Result<Self, Error> {
        Self::with_hasher(k, width, depth, DefaultBuildHasher::default())
    }
}

impl<K: Hash + Eq + Clone, C: Counter, S: BuildHasher + Clone> TopK<K, C, S> {
    /// As [`new`](TopK::with_params), with a given hasher (for the sketch and the key index).
    ///
    /// Computes in **O(w·d + k)** time: the sketch's counters are allocated zeroed, the heap's k
    /// slots reserved.
    ///
    /// # Errors
    /// As [`new`](TopK::with_params).
    pub fn with_hasher(k: u64, width: u64, depth: u64, hasher: S) -> Result<Self, Error> {
        let k = check_k(k)?;
        let sketch = ConservativeCountMin::with_hasher(width, depth, hasher.clone())?;
        Ok(Self {
            sketch,
            heap: IndexedHeap::with_capacity_and_hasher(k, hasher),
            k,
        })
    }

    /// Counts one occurrence of `key`.
    ///
    /// Cost: one sketch update, one index lookup, and O(log k) when the heap changes.
    pub fn insert(&mut self, key: &K) {
        self.add(key, 1);
    }

    /// Counts `count` occurrences of `key` and returns its new estimate. A count of 0 changes
    /// nothing (as in every sketch of this crate) and returns the current estimate.
    ///
    /// Computes in **O(d + log k)** expected time: one sketch update, one index lookup, a heap
    /// fix-up.
    pub fn add(&mut self, key: &K, count: u64) -> u64 {
        if count == 0 {
            // Nothing happened: no entry for a key never seen, no reordering.
            return self.sketch.estimate(key);
        }
        let estimate = self.sketch.add(key, count);
        self.offer(key, estimate);
        estimate
    }

    fn offer(&mut self, key: &K, estimate: u64) {
        if let Some(at) = self.heap.position(key) {
            self.heap.raise(at, estimate);
        } else if self.heap.len() < self.k {
            self.heap.push(Slot {
                count: estimate,
                error: 0,
                key: key.clone(),
            });
        } else if self.heap.min().is_some_and(|m| estimate > m.count) {
            self.heap.replace_min(Slot {
                count: estimate,
                error: 0,
                key: key.clone(),
            });
        }
    }

    /// The sketch's estimate for any key, tracked or not.
    ///
    /// Computes in **O(d)** time.
    #[must_use]
    pub fn estimate(&self, key: &K) -> u64 {
        self.sketch.estimate(key)
    }

    /// The tracked items, largest estimate first, each with the bound ⌈ε·N⌉.
    ///
    /// Cost: O(k log k).
    pub fn top(&self) -> Vec<HeavyHitter<K>> {
        let error = self.sketch.error_bound().ceil() as u64;
        self.heap
            .sorted()
            .into_iter()
            .map(|s| HeavyHitter {
                key: s.key,
                count: s.count,
                error: error.min(s.count),
            })
            .collect()
    }

    /// How many items are reported at most.
    ///
    /// Computes in **O(1)** time.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The sum of every count added.
    ///
    /// Computes in **O(1)** time.
    pub fn total(&self) -> u64 {
        self.sketch.total()
    }

    /// The underlying sketch.
    ///
    /// Computes in **O(1)** time.
    pub fn sketch(&self) -> &ConservativeCountMin<C, S> {
        &self.sketch
    }

    /// Halves every count (see [`CountMinSketch::halve`](crate::CountMinSketch::halve)) and
    /// re-reads the tracked items' estimates, so recent traffic outweighs old.
    ///
    /// Computes in **O(w·d + k·(d + log k))** time: one pass over the counters, then k estimates
    /// and a sort.
    pub fn halve(&mut self) {
        self.sketch.halve();
        self.rebuild(Vec::new());
    }

    /// Forgets everything, keeping the memory.
    ///
    /// Computes in **O(w·d + k)** time.
    pub fn clear(&mut self) {
        self.sketch.clear();
        self.heap.clear();
    }

    /// Re-estimates the tracked keys plus `extra` against the sketch and keeps the k largest.
    fn rebuild(&mut self, extra: Vec<K>) {
        let mut keys: Vec<K> = self.heap.slots().iter().map(|s| s.key.clone()).collect();
        keys.extend(extra);
        self.heap.clear();
        let mut scored: Vec<(u64, K)> = keys
            .into_iter()
            .map(|key| (self.sketch.estimate(&key), key))
            .collect();
        // Largest first, so the first k distinct keys are the ones to keep.
        scored.sort_by_key(|s| std::cmp::Reverse(s.0));
        for (estimate, key) in scored {
            if self.heap.len() == self.k {
                break;
            }
            if self.heap.position(&key).is_none() {
                self.heap.push(Slot {
                    count: estimate,
                    error: 0,
                    key,
                });
            }
        }
    }
}

impl<K: Hash + Eq + Clone, C: Counter, S: StableHasher + Clone> TopK<K, C, S> {
    /// Adds `other` into `self`: the sketches merge (see
    /// [`CountMinSketch::merge`](crate::CountMinSketch::merge)), then both candidate sets are
    /// re-estimated against the sum and the k largest kept. Heavy hitters of shards combine this
    /// way without re-reading the streams.
    ///
    /// Computes in **O(w·d + k·(d + log k))** time: one pass over the counters, then up to 2k
    /// estimates and a sort.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the sketches differ in shape or hasher; `self` is unchanged.
    pub fn merge(&mut self, other: &Self) -> Result<(), Error> {
        self.sketch.merge(&other.sketch)?;
        self.rebuild(other.heap.slots().iter().map(|s| s.key.clone()).collect());
        Ok(())
    }
}

impl<K, C: Counter, S> fmt::Debug for TopK<K, C, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TopK")
            .field("k", &self.k)
            .field("sketch", &self.sketch)
            .finish_non_exhaustive()
    }
}

/// Space-Saving (Metwally, Agrawal and El Abbadi 2005): k counters, deterministic bounds.
///
/// A new key, when all k counters are taken, replaces the key with the smallest count m and
/// inherits m, recording m as its possible overestimate. So every count is at most its error
/// above the true count, every error is at most N/k, and any key occurring more than N/k times
/// is among the k reported. Unlike [`TopK`] it needs no sketch and its bounds hold always, not
/// with probability 1 − δ; in exchange its error is N/k rather than ε·N.
///
/// ```
/// use brick_count_min::SpaceSaving;
///
/// let mut top = SpaceSaving::new(2)?;
/// for word in "a b a c a b a d".split(' ') {
///     top.insert(&word);
/// }
/// let first = &top.top()[0];
/// assert_eq!((first.key, first.lower_bound() <= 4, first.count >= 4), ("a", true, true));
/// assert!(first.error <= top.total() / 2);
/// # Ok::<(), brick_count_min::Error>(())
/// ```
#[derive(Clone)]
pub struct SpaceSaving<K, S = DefaultBuildHasher> {
    heap: IndexedHeap<K, S>,
    k: usize,
    total: u64,
}

impl<K: Hash + Eq + Clone> SpaceSaving<K, DefaultBuildHasher> {
    /// Space-Saving with `k` counters.
    ///
    /// Computes in **O(k)** time: the k slots are reserved.
    ///
    /// # Errors
    /// [`Error::InvalidK`] for k = 0 or k > [`MAX_K`].
    pub fn new(k: u64) -> Result<Self, Error> {
        Self::with_hasher(k, DefaultBuildHasher::default())
    }
}

impl<K: Hash + Eq + Clone, S: BuildHasher> SpaceSaving<K, S> {
    /// As [`new`](SpaceSaving::new), with a given hasher for the key index.
    ///
    /// Computes in **O(k)** time: the k slots are reserved.
    ///
    /// # Errors
    /// As [`new`](SpaceSaving::new).
    pub fn with_hasher(k: u64, hasher: S) -> Result<Self, Error> {
        let k = check_k(k)?;
        Ok(Self {
            heap: IndexedHeap::with_capacity_and_hasher(k, hasher),
            k,
            total: 0,
        })
    }

    /// Counts one occurrence of `key`.
    ///
    /// Cost: one index lookup and O(log k).
    pub fn insert(&mut self, key: &K) {
        self.add(key, 1);
    }

    /// Counts `count` occurrences of `key` (weighted Space-Saving; the bounds hold with N the
    /// sum of weights) and returns its new count. A count of 0 changes nothing and returns
    /// the current [`estimate`](Self::estimate).
    ///
    /// Computes in **O(log k)** expected time: one index lookup and a heap fix-up.
    pub fn add(&mut self, key: &K, count: u64) -> u64 {
        if count == 0 {
            // Nothing happened: a zero weight must not displace the smallest counter.
            return self.estimate(key);
        }
        self.total = self.total.saturating_add(count);
        if let Some(at) = self.heap.position(key) {
            return self.heap.add(at, count);
        }
        let (base, error) = match self.heap.min() {
            Some(m) if self.heap.len() == self.k => (m.count, m.count),
            _ => (0, 0),
        };
        let slot = Slot {
            count: base.saturating_add(count),
            error,
            key: key.clone(),
        };
        let new = slot.count;
        if self.heap.len() < self.k {
            self.heap.push(slot);
        } else {
            self.heap.replace_min(slot);
        }
        new
    }

    /// An upper bound on `key`'s count: its counter if monitored, otherwise the smallest counter
    /// (0 while fewer than k keys have been seen).
    ///
    /// Computes in **O(1)** expected time: one index lookup.
    #[must_use]
    pub fn estimate(&self, key: &K) -> u64 {
        match self.heap.position(key) {
            Some(at) => self.heap.slots()[at].count,
            None => self.error_bound(),
        }
    }

    /// The largest possible overestimate of any count: the smallest counter, at most N/k.
    ///
    /// Computes in **O(1)** time.
    pub fn error_bound(&self) -> u64 {
        match self.heap.min() {
            Some(m) if self.heap.len() == self.k => m.count,
            _ => 0,
        }
    }

    /// The monitored keys, largest count first, each with its own error.
    ///
    /// Cost: O(k log k).
    pub fn top(&self) -> Vec<HeavyHitter<K>> {
        self.heap
            .sorted()
            .into_iter()
            .map(|s| HeavyHitter {
                key: s.key,
                count: s.count,
                error: s.error,
            })
            .collect()
    }

    /// The keys whose true count is certainly above `threshold` (lower bound > threshold),
    /// largest first: no false positives.
    ///
    /// Computes in **O(k log k)** time.
    pub fn above(&self, threshold: u64) -> Vec<HeavyHitter<K>> {
        let mut top = self.top();
        top.retain(|h| h.lower_bound() > threshold);
        top
    }

    /// How many counters.
    ///
    /// Computes in **O(1)** time.
    pub fn k(&self) -> usize {
        self.k
    }

    /// How many keys are monitored (at most k).
    ///
    /// Computes in **O(1)** time.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing has been counted.
    ///
    /// Computes in **O(1)** time.
    pub fn is_empty(&self) -> bool {
        self.heap.len() == 0
    }

    /// The sum of every count added, N in the bounds.
    ///
    /// Computes in **O(1)** time.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Forgets everything, keeping the memory.
    ///
    /// Computes in **O(k)** time.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.total = 0;
    }
}

impl<K, S> fmt::Debug for SpaceSaving<K, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpaceSaving")
            .field("k", &self.k)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone, C: Counter, S: BuildHasher + Clone> Extend<K> for TopK<K, C, S> {
    /// Counts one occurrence of every key, as a loop of `insert` would. Computes in
    /// **O(d + log k)** expected time per key.
    fn extend<I: IntoIterator<Item = K>>(&mut self, keys: I) {
        for key in keys {
            self.insert(&key);
        }
    }
}

impl<K: Hash + Eq + Clone, S: BuildHasher> Extend<K> for SpaceSaving<K, S> {
    /// Counts one occurrence of every key, as a loop of `insert` would. Computes in
    /// **O(log k)** expected time per key.
    fn extend<I: IntoIterator<Item = K>>(&mut self, keys: I) {
        for key in keys {
            self.insert(&key);
        }
    }
}
