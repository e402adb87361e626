//! A Count-Min sketch shared between threads: counters are `AtomicU64`s updated in place.

use crate::xxh3::hash_bytes;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;

use crate::probe::{Cells, alloc_counters};
use crate::sync::{AtomicU64, Ordering};
use crate::{Conservative, CountMinSketch, DefaultBuildHasher, Error, Plain, UpdateRule};

/// Estimates read at most this: `add` saturates counters here, and the 2^63 values above it are
/// headroom for [`AtomicCountMinSketch::increment`]'s `fetch_add`, which cannot saturate. To
/// wrap, one counter would need 2^63 increments after saturating (292 years at one per
/// nanosecond).
pub const ATOMIC_COUNTER_MAX: u64 = 1 << 63;

/// A Count-Min sketch that threads update through `&self`: `Send + Sync`, lock-free.
///
/// With [`Plain`] updates, [`increment`](Self::increment) is one `fetch_add` per row and `add`
/// a saturating compare-and-swap per row. With [`Conservative`] updates
/// ([`AtomicConservativeCountMin`]) an add reads the row counters, computes the new estimate
/// m + n, and raises each smaller counter to it with a compare-and-swap that expects the value
/// it read; if any other thread changed one of them in between, the add starts over. Counters
/// only grow, so an unchanged value proves no add slipped in, and no increment is lost.
///
/// All operations use `Relaxed` ordering: each counter is an independent monotone value, its
/// modification order is all the algorithm relies on, and no other memory is published through
/// it.
///
/// ```
/// use brick_count_min::AtomicCountMinSketch;
/// use std::sync::Arc;
///
/// let hits: Arc<AtomicCountMinSketch> = Arc::new(AtomicCountMinSketch::with_params(1024, 4)?);
/// let workers: Vec<_> = (0..2)
///     .map(|_| {
///         let hits = Arc::clone(&hits);
///         std::thread::spawn(move || (0..1000).for_each(|i| hits.increment(&(i % 10))))
///     })
///     .collect();
/// workers.into_iter().for_each(|w| w.join().unwrap());
/// assert!(hits.estimate(&3) >= 200);
/// # Ok::<(), brick_count_min::Error>(())
/// ```
pub struct AtomicCountMinSketch<S = DefaultBuildHasher, U: UpdateRule = Plain> {
    counters: Box<[AtomicU64]>,
    width: usize,
    depth: usize,
    /// Kept for conservative sketches only; a plain sketch's total is the sum of any one row.
    total: AtomicU64,
    hasher: S,
    rule: PhantomData<U>,
}

/// An [`AtomicCountMinSketch`] with conservative update.
pub type AtomicConservativeCountMin<S = DefaultBuildHasher> = AtomicCountMinSketch<S, Conservative>;

impl<U: UpdateRule> AtomicCountMinSketch<DefaultBuildHasher, U> {
    /// As [`CountMinSketch::new`].
    ///
    /// Computes in **O(w·d)** time: the counters are allocated zeroed.
    ///
    /// # Errors
    /// As [`CountMinSketch::new`].
    pub fn new(epsilon: f64, delta: f64) -> Result<Self, Error> {
        let (width, depth) = crate::dimensions(epsilon, delta)?;
        Self::with_hasher(width, depth, DefaultBuildHasher::default())
    }

    /// As [`CountMinSketch::with_params`].
    ///
    /// Computes in **O(w·d)** time: the counters are allocated zeroed.
    ///
    /// # Errors
    /// As [`CountMinSketch::with_params`].
    pub fn with_params(width: u64, depth: u64) -> Result<Self, Error> {
        Self::with_hasher(width, depth, DefaultBuildHasher::default())
    }
}

impl<S: BuildHasher, U: UpdateRule> AtomicCountMinSketch<S, U> {
    /// As [`CountMinSketch::with_hasher`].
    ///
    /// Computes in **O(w·d)** time: the counters are allocated zeroed.
    ///
    /// # Errors
    /// As [`CountMinSketch::with_params`].
    pub fn with_hasher(width: u64, depth: u64, hasher: S) -> Result<Self, Error> {
        let counters = alloc_counters(width, depth, || AtomicU64::new(0))?.into_boxed_slice();
        Ok(Self {
            counters,
            width: width as usize,
            depth: depth as usize,
            total: AtomicU64::new(0),
            hasher,
            rule: PhantomData,
        })
    }

    /// The 64-bit hash this sketch uses for `item`.
    ///
    /// Computes in **O(len)** time for an item of `len` bytes: one hash.
    #[inline(always)]
    pub fn hash_item<T: Hash + ?Sized>(&self, item: &T) -> u64 {
        crate::xxh3::hash_one(&self.hasher, item)
    }

    #[inline(always)]
    fn cells(&self, hash: u64) -> impl Iterator<Item = &AtomicU64> {
        let mut cells = Cells::new(hash, self.width);
        (0..self.depth).map(move |_| &self.counters[cells.next_cell()])
    }

    /// Counts one occurrence of `item`.
    ///
    /// Computes in **O(d)** time: one hash, one atomic add per row.
    #[inline]
    pub fn increment<T: Hash + ?Sized>(&self, item: &T) {
        self.increment_hash(self.hash_item(item));
    }

    /// Counts `count` occurrences of `item`.
    ///
    /// Computes in **O(d)** time: one hash, one atomic add per row (conservative update: a
    /// compare-and-swap loop per row).
    #[inline]
    pub fn add<T: Hash + ?Sized>(&self, item: &T, count: u64) {
        self.add_hash(self.hash_item(item), count);
    }

    /// [`increment`](Self::increment) of an item whose hash is known.
    ///
    /// Computes in **O(d)** time, no hashing.
    #[inline]
    pub fn increment_hash(&self, hash: u64) {
        if U::CONSERVATIVE {
            self.add_hash(hash, 1);
        } else {
            for cell in self.cells(hash) {
                cell.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// [`add`](Self::add) of an item whose hash is known.
    ///
    /// Computes in **O(d)** time, no hashing.
    pub fn add_hash(&self, hash: u64, count: u64) {
        if count == 0 {
            return;
        }
        if !U::CONSERVATIVE {
            for cell in self.cells(hash) {
                saturating_add(cell, count);
            }
            return;
        }
        saturating_add(&self.total, count);
        // Each row's cell and the value read from it, on the stack; a buffer of 8 covers δ down
        // to e^-8 without clearing the 64-entry one on every add.
        if self.depth <= 8 {
            self.add_conservative(hash, count, &mut [(0, 0); 8][..self.depth]);
        } else {
            self.add_conservative(
                hash,
                count,
                &mut [(0, 0); crate::MAX_DEPTH as usize][..self.depth],
            );
        }
    }

    /// Conservative update: read every row's counter, then raise those below min + count with a
    /// compare-and-swap that expects the value read; if any moved meanwhile, start over.
    fn add_conservative(&self, hash: u64, count: u64, seen: &mut [(usize, u64)]) {
        let mut cells = Cells::new(hash, self.width);
        for (cell, _) in seen.iter_mut() {
            *cell = cells.next_cell();
        }
        'retry: loop {
            let mut min = u64::MAX;
            for (cell, v) in seen.iter_mut() {
                *v = self.counters[*cell].load(Ordering::Relaxed);
                min = min.min(*v);
            }
            if min >= ATOMIC_COUNTER_MAX {
                return;
            }
            let target = min.saturating_add(count).min(ATOMIC_COUNTER_MAX);
            for &(cell, v) in seen.iter() {
                if v < target
                    && self.counters[cell]
                        .compare_exchange(v, target, Ordering::Relaxed, Ordering::Relaxed)
                        .is_err()
                {
                    // Another add moved this counter since it was read: start over from fresh
                    // values. Counters raised so far stay raised, which only overestimates.
                    continue 'retry;
                }
            }
            return;
        }
    }

    /// How often `item` occurred, at least (see [`CountMinSketch::estimate`]). Concurrent adds
    /// may or may not be included; completed ones are.
    ///
    /// Computes in **O(d)** time: one hash, one load per row.
    #[inline]
    #[must_use]
    pub fn estimate<T: Hash + ?Sized>(&self, item: &T) -> u64 {
        self.estimate_hash(self.hash_item(item))
    }

    /// The 64-bit hash of a byte string, for the `_hash` methods: exactly these bytes are hashed.
    ///
    /// Portable: with the default hasher the hash is XXH3-64 of exactly these bytes, the same on
    /// every machine and release, unlike a value hashed through std's `Hash`.
    ///
    /// Computes in **O(len)** time: one XXH3 pass over the bytes.
    #[inline(always)]
    #[must_use]
    pub fn hash_bytes(&self, bytes: &[u8]) -> u64 {
        hash_bytes(&self.hasher, bytes)
    }

    /// [`increment`](Self::increment) of a byte string (see [`hash_bytes`](Self::hash_bytes)).
    ///
    /// Computes in **O(len + d)** time.
    #[inline]
    pub fn increment_bytes(&self, bytes: &[u8]) {
        self.increment_hash(hash_bytes(&self.hasher, bytes));
    }

    /// [`add`](Self::add) of a byte string (see [`hash_bytes`](Self::hash_bytes)).
    ///
    /// Computes in **O(len + d)** time.
    #[inline]
    pub fn add_bytes(&self, bytes: &[u8], count: u64) {
        self.add_hash(hash_bytes(&self.hasher, bytes), count);
    }

    /// [`estimate`](Self::estimate) of a byte string (see [`hash_bytes`](Self::hash_bytes)).
    ///
    /// Computes in **O(len + d)** time.
    #[inline]
    #[must_use]
    pub fn estimate_bytes(&self, bytes: &[u8]) -> u64 {
        self.estimate_hash(hash_bytes(&self.hasher, bytes))
    }

    /// [`estimate`](Self::estimate) of an item whose hash is known.
    ///
    /// Computes in **O(d)** time, no hashing.
    #[inline]
    #[must_use]
    pub fn estimate_hash(&self, hash: u64) -> u64 {
        self.cells(hash)
            .map(|c| c.load(Ordering::Relaxed))
            .min()
            .unwrap_or(0)
            .min(ATOMIC_COUNTER_MAX)
    }

    /// The sum of every count added (N in the bound).
    ///
    /// Cost: O(width) for plain sketches (the sum of the first row), O(1) for conservative.
    pub fn total(&self) -> u64 {
        if U::CONSERVATIVE {
            self.total.load(Ordering::Relaxed)
        } else {
            self.counters[..self.width]
                .iter()
                .fold(0u64, |sum, c| sum.saturating_add(c.load(Ordering::Relaxed)))
        }
    }

    /// Columns per row.
    ///
    /// Computes in **O(1)** time.
    pub fn width(&self) -> u64 {
        self.width as u64
    }

    /// Rows.
    ///
    /// Computes in **O(1)** time.
    pub fn depth(&self) -> u64 {
        self.depth as u64
    }

    /// ε·N, as [`CountMinSketch::error_bound`].
    ///
    /// Computes in **O(1)** time.
    pub fn error_bound(&self) -> f64 {
        std::f64::consts::E / self.width as f64 * self.total() as f64
    }

    /// Bytes of counters: width × depth × 8.
    ///
    /// Computes in **O(1)** time.
    pub fn len_bytes(&self) -> usize {
        self.counters.len() * size_of::<u64>()
    }

    /// A single-threaded copy of the counters as they are read, row by row (not one atomic
    /// snapshot while other threads add).
    ///
    /// Computes in **O(w·d)** time.
    pub fn to_sketch(&self) -> CountMinSketch<u64, S, U>
    where
        S: Clone,
    {
        let counters = self
            .counters
            .iter()
            .map(|c| c.load(Ordering::Relaxed).min(ATOMIC_COUNTER_MAX))
            .collect();
        CountMinSketch::from_parts(
            counters,
            self.width,
            self.depth,
            self.total(),
            self.hasher.clone(),
        )
    }
}

/// `cell = cell + n`, saturating at [`ATOMIC_COUNTER_MAX`]; a counter already above it (by
/// increments) is left alone.
#[inline]
fn saturating_add(cell: &AtomicU64, n: u64) {
    let mut old = cell.load(Ordering::Relaxed);
    while old < ATOMIC_COUNTER_MAX {
        let new = old.saturating_add(n).min(ATOMIC_COUNTER_MAX);
        match cell.compare_exchange(old, new, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return,
            Err(now) => old = now,
        }
    }
}

impl<S, U: UpdateRule> From<CountMinSketch<u64, S, U>> for AtomicCountMinSketch<S, U>
where
    S: BuildHasher + Clone,
{
    fn from(sketch: CountMinSketch<u64, S, U>) -> Self {
        let counters = sketch
            .counters()
            .iter()
            .map(|&c| AtomicU64::new(c.min(ATOMIC_COUNTER_MAX)))
            .collect();
        Self {
            counters,
            width: sketch.width() as usize,
            depth: sketch.depth() as usize,
            total: AtomicU64::new(sketch.total()),
            hasher: sketch.hasher().clone(),
            rule: PhantomData,
        }
    }
}

impl<S, U: UpdateRule> fmt::Debug for AtomicCountMinSketch<S, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicCountMinSketch")
            .field("width", &self.width)
            .field("depth", &self.depth)
            .field("conservative", &U::CONSERVATIVE)
            .finish_non_exhaustive()
    }
}

impl<T: Hash, S: BuildHasher, U: UpdateRule> Extend<T> for AtomicCountMinSketch<S, U> {
    /// Counts one occurrence of every item (through `&mut`; share the sketch by `&` to count
    /// from several threads). Computes in **O(d)** time per item.
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for item in items {
            self.increment(&item);
        }
    }
}
