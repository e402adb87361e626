//! The Count-Min sketch: `depth` rows of `width` counters, one hash per item.

use crate::xxh3::hash_bytes;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;

use crate::probe::{Cells, alloc_counters};
use crate::wire;
use crate::{Counter, DefaultBuildHasher, Error, MAX_DEPTH, MAX_WIDTH, StableHasher};

mod private {
    pub trait Sealed {}
}

/// How an add changes the counters: [`Plain`] or [`Conservative`].
pub trait UpdateRule:
    Copy + Default + fmt::Debug + Send + Sync + 'static + private::Sealed
{
    /// Whether only the smallest counters are raised.
    const CONSERVATIVE: bool;
    /// The rule's byte in the wire format.
    #[doc(hidden)]
    const ID: u8;
}

/// The classic update: every row's counter grows by the count. Sketches merge exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Plain;

/// Conservative update (Estan and Varghese 2002): raise each row's counter only as far as the
/// new estimate, `max(counter, min + count)`. Never worse than [`Plain`], usually much better.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Conservative;

impl private::Sealed for Plain {}
impl private::Sealed for Conservative {}

impl UpdateRule for Plain {
    const CONSERVATIVE: bool = false;
    const ID: u8 = 1;
}

impl UpdateRule for Conservative {
    const CONSERVATIVE: bool = true;
    const ID: u8 = 2;
}

/// The width ⌈e/ε⌉ and depth ⌈ln(1/δ)⌉ for which an estimate exceeds the true count by more than
/// ε·N with probability at most δ (N is the sum of all counts).
///
/// Computes in **O(1)** time.
///
/// # Errors
/// [`Error::InvalidEpsilon`] or [`Error::InvalidDelta`] outside (0, 1) or NaN;
/// [`Error::TooLarge`] when ε is so small the width exceeds [`MAX_WIDTH`].
///
/// ```
/// # use brick_count_min::dimensions;
/// assert_eq!(dimensions(0.001, 0.01)?, (2719, 5));
/// # Ok::<(), brick_count_min::Error>(())
/// ```
pub fn dimensions(epsilon: f64, delta: f64) -> Result<(u64, u64), Error> {
    // `!(x > 0 && x < 1)` is also true for NaN.
    if !(epsilon > 0.0 && epsilon < 1.0) {
        return Err(Error::InvalidEpsilon(epsilon));
    }
    if !(delta > 0.0 && delta < 1.0) {
        return Err(Error::InvalidDelta(delta));
    }
    let width = (std::f64::consts::E / epsilon).ceil();
    if width > MAX_WIDTH as f64 {
        return Err(Error::TooLarge { counters: width });
    }
    // δ ≥ 2^-1074 gives ln(1/δ) ≤ 745, so the depth check below always sees a finite number.
    let depth = (1.0 / delta).ln().ceil().max(1.0);
    if depth > MAX_DEPTH as f64 {
        return Err(Error::InvalidDepth(depth as u64));
    }
    Ok((width as u64, depth as u64))
}

/// A Count-Min sketch: estimates how often each item occurred, never below the true count.
///
/// `C` is the counter width (`u8`, `u16`, `u32` or `u64`; counters saturate, see [`Counter`]),
/// `S` the hasher and `U` the [`UpdateRule`]. [`ConservativeCountMin`] is this type with
/// [`Conservative`] updates.
///
/// ```
/// use brick_count_min::CountMinSketch;
///
/// let mut hits: CountMinSketch = CountMinSketch::new(0.001, 0.01)?;
/// for path in ["/", "/login", "/", "/", "/about"] {
///     hits.increment(path);
/// }
/// assert!(hits.estimate("/") >= 3);
/// assert!(hits.estimate("/") as f64 <= 3.0 + hits.error_bound());
/// # Ok::<(), brick_count_min::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CountMinSketch<C: Counter = u32, S = DefaultBuildHasher, U: UpdateRule = Plain> {
    /// Row-major: row r's counters are `counters[r * width..(r + 1) * width]`.
    counters: Vec<C>,
    width: usize,
    depth: usize,
    total: u64,
    hasher: S,
    rule: PhantomData<U>,
}

/// A Count-Min sketch with conservative update: smaller errors, same guarantee (see
/// [`Conservative`] and the crate docs for what it gives up).
pub type ConservativeCountMin<C = u32, S = DefaultBuildHasher> = CountMinSketch<C, S, Conservative>;

impl<C: Counter, U: UpdateRule> CountMinSketch<C, DefaultBuildHasher, U> {
    /// A sketch whose estimates exceed the true count by more than ε·N with probability at
    /// most δ: width ⌈e/ε⌉, depth ⌈ln(1/δ)⌉ (see [`dimensions`]). Seeded XXH3 with seed 0.
    ///
    /// Computes in **O(w·d)** time: the counters are allocated zeroed.
    ///
    /// # Errors
    /// As [`dimensions`], plus [`Error::OutOfMemory`].
    pub fn new(epsilon: f64, delta: f64) -> Result<Self, Error> {
        Self::with_error_and_hasher(epsilon, delta, DefaultBuildHasher::default())
    }

    /// A sketch of `depth` rows of `width` counters. Seeded XXH3 with seed 0.
    ///
    /// Computes in **O(w·d)** time: the counters are allocated zeroed.
    ///
    /// # Errors
    /// [`Error::InvalidWidth`], [`Error::InvalidDepth`], [`Error::TooLarge`],
    /// [`Error::OutOfMemory`].
    pub fn with_params(width: u64, depth: u64) -> Result<Self, Error> {
        Self::with_hasher(width, depth, DefaultBuildHasher::default())
    }
}

impl<C: Counter, S: BuildHasher, U: UpdateRule> CountMinSketch<C, S, U> {
    /// As [`new`](Self::new), with a given hasher.
    ///
    /// Computes in **O(w·d)** time: the counters are allocated zeroed.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_error_and_hasher(epsilon: f64, delta: f64, hasher: S) -> Result<Self, Error> {
        let (width, depth) = dimensions(epsilon, delta)?;
        Self::with_hasher(width, depth, hasher)
    }

    /// As [`with_params`](Self::with_params), with a given hasher.
    ///
    /// Computes in **O(w·d)** time: the counters are allocated zeroed.
    ///
    /// # Errors
    /// As [`with_params`](Self::with_params).
    pub fn with_hasher(width: u64, depth: u64, hasher: S) -> Result<Self, Error> {
        let counters = alloc_counters(width, depth, C::default)?;
        Ok(Self::from_parts(
            counters,
            width as usize,
            depth as usize,
            0,
            hasher,
        ))
    }

    pub(crate) fn from_parts(
        counters: Vec<C>,
        width: usize,
        depth: usize,
        total: u64,
        hasher: S,
    ) -> Self {
        debug_assert_eq!(counters.len(), width * depth);
        Self {
            counters,
            width,
            depth,
            total,
            hasher,
            rule: PhantomData,
        }
    }

    /// The 64-bit hash this sketch uses for `item`, for the `_hash` methods.
    ///
    /// Computes in **O(len)** time for an item of `len` bytes: one hash.
    #[inline(always)]
    pub fn hash_item<T: Hash + ?Sized>(&self, item: &T) -> u64 {
        crate::xxh3::hash_one(&self.hasher, item)
    }

    /// Counts one occurrence of `item`.
    ///
    /// Computes in **O(d)** time: one hash, one counter per row.
    #[inline]
    pub fn increment<T: Hash + ?Sized>(&mut self, item: &T) {
        self.add_hash(self.hash_item(item), 1);
    }

    /// Counts `count` occurrences of `item` and returns its new estimate.
    ///
    /// Computes in **O(d)** time: one hash, one counter per row (two passes for conservative
    /// update).
    #[inline]
    pub fn add<T: Hash + ?Sized>(&mut self, item: &T, count: u64) -> u64 {
        self.add_hash(self.hash_item(item), count)
    }

    /// [`increment`](Self::increment) of an item whose hash ([`hash_item`](Self::hash_item)) is
    /// known.
    ///
    /// Computes in **O(d)** time, no hashing.
    #[inline]
    pub fn increment_hash(&mut self, hash: u64) {
        self.add_hash(hash, 1);
    }

    /// [`add`](Self::add) of an item whose hash is known.
    ///
    /// Computes in **O(d)** time, no hashing.
    #[inline]
    pub fn add_hash(&mut self, hash: u64, count: u64) -> u64 {
        self.total = self.total.saturating_add(count);
        if U::CONSERVATIVE {
            // The cells are computed once and kept on the stack for the second pass: recomputing
            // them made the add about twice as slow. A buffer of 8 covers δ down to
            // e^-8 without clearing the 64-entry one on every add.
            if self.depth <= 8 {
                self.add_conservative(hash, count, &mut [0; 8][..self.depth])
            } else {
                self.add_conservative(hash, count, &mut [0; MAX_DEPTH as usize][..self.depth])
            }
        } else {
            let mut cells = Cells::new(hash, self.width);
            let mut min = C::MAX;
            for _ in 0..self.depth {
                let c = &mut self.counters[cells.next_cell()];
                *c = c.saturating_add_u64(count);
                min = min.min(*c);
            }
            min.to_u64()
        }
    }

    /// Raises each of the item's counters to at least min + count, with `at` (one slot per row)
    /// holding the cells between the two passes.
    #[inline]
    fn add_conservative(&mut self, hash: u64, count: u64, at: &mut [usize]) -> u64 {
        let mut cells = Cells::new(hash, self.width);
        let mut min = C::MAX;
        for a in at.iter_mut() {
            *a = cells.next_cell();
            min = min.min(self.counters[*a]);
        }
        let target = C::saturating_from(min.to_u64().saturating_add(count));
        for &a in at.iter() {
            let c = &mut self.counters[a];
            *c = (*c).max(target);
        }
        target.to_u64()
    }

    /// How often `item` occurred, at least: never below the true count, and above it by more than
    /// [`error_bound`](Self::error_bound) with probability at most [`delta`](Self::delta).
    ///
    /// Computes in **O(d)** time: one hash, one counter per row.
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
    pub fn increment_bytes(&mut self, bytes: &[u8]) {
        self.increment_hash(hash_bytes(&self.hasher, bytes));
    }

    /// [`add`](Self::add) of a byte string (see [`hash_bytes`](Self::hash_bytes)).
    ///
    /// Computes in **O(len + d)** time.
    #[inline]
    pub fn add_bytes(&mut self, bytes: &[u8], count: u64) -> u64 {
        self.add_hash(hash_bytes(&self.hasher, bytes), count)
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
        let mut cells = Cells::new(hash, self.width);
        let mut min = C::MAX;
        for _ in 0..self.depth {
            min = min.min(self.counters[cells.next_cell()]);
        }
        min.to_u64()
    }

    /// The sum of every count added (saturating at `u64::MAX`), N in the error bound.
    ///
    /// Computes in **O(1)** time.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Whether nothing has been added since creation or [`clear`](Self::clear).
    ///
    /// Computes in **O(1)** time.
    pub fn is_empty(&self) -> bool {
        self.total == 0 && self.counters.iter().all(|&c| c == C::default())
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

    /// ε = e / width: the error bound as a fraction of [`total`](Self::total).
    ///
    /// Computes in **O(1)** time.
    pub fn epsilon(&self) -> f64 {
        std::f64::consts::E / self.width as f64
    }

    /// δ = e^(−depth): the probability that an estimate exceeds its bound.
    ///
    /// Computes in **O(1)** time.
    pub fn delta(&self) -> f64 {
        (-(self.depth as f64)).exp()
    }

    /// ε·N: an estimate exceeds the true count by more than this with probability at most δ.
    ///
    /// Computes in **O(1)** time.
    pub fn error_bound(&self) -> f64 {
        self.epsilon() * self.total as f64
    }

    /// The counters, row-major (`depth` rows of `width`).
    ///
    /// Computes in **O(1)** time.
    pub fn counters(&self) -> &[C] {
        &self.counters
    }

    /// The hasher.
    ///
    /// Computes in **O(1)** time.
    pub fn hasher(&self) -> &S {
        &self.hasher
    }

    /// Bytes of counters: width × depth × the counter's size.
    ///
    /// Computes in **O(1)** time.
    pub fn len_bytes(&self) -> usize {
        self.counters.len() * size_of::<C>()
    }

    /// Halves every counter and the total, for a decaying count ("hits in the recent past"):
    /// halving every T seconds weights an occurrence t seconds ago by 2^(−t/T). Estimates stay
    /// upper bounds of the halved true counts (⌊a/2⌋ + ⌊b/2⌋ ≤ ⌊(a + b)/2⌋); saturated counters
    /// stay saturated.
    ///
    /// Computes in **O(w·d)** time.
    pub fn halve(&mut self) {
        for c in &mut self.counters {
            *c = c.halve();
        }
        if self.total == u64::MAX {
            // A saturated total is no longer known: the largest row sum is a total no row
            // exceeds (the invariant the byte format checks).
            self.total = self
                .counters
                .chunks_exact(self.width)
                .map(|row| row.iter().map(|c| u128::from(c.to_u64())).sum::<u128>())
                .max()
                .map_or(0, |m| u64::try_from(m).unwrap_or(u64::MAX));
        } else {
            self.total /= 2;
        }
    }

    /// Sets every counter and the total to zero, keeping the memory.
    ///
    /// Computes in **O(w·d)** time.
    pub fn clear(&mut self) {
        self.counters.fill(C::default());
        self.total = 0;
    }
}

impl<C: Counter, S: StableHasher, U: UpdateRule> CountMinSketch<C, S, U> {
    /// Adds `other`'s counters to this sketch's, counter by counter (saturating).
    ///
    /// With [`Plain`] updates the result equals, counter for counter, the sketch of both streams
    /// together, so sketches from shards can be combined exactly. With [`Conservative`] updates
    /// the sum still never underestimates and is never above the plain merge, but it is not the
    /// conservative sketch of the joined stream (that depends on the order of the items), so its
    /// errors are somewhat larger than a single conservative sketch's.
    ///
    /// Computes in **O(w·d)** time.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the width, depth or hasher differ; the sketch is unchanged.
    pub fn merge(&mut self, other: &Self) -> Result<(), Error> {
        let shape = |s: &Self| (s.width as u64, s.depth as u64, s.hasher.tag());
        if shape(self) != shape(other) {
            return Err(Error::ShapeMismatch {
                ours: shape(self),
                theirs: shape(other),
            });
        }
        for (c, &o) in self.counters.iter_mut().zip(&other.counters) {
            *c = c.saturating_add_u64(o.to_u64());
        }
        self.total = self.total.saturating_add(other.total);
        Ok(())
    }

    /// The sketch in the crate's versioned wire format (see "Wire format" in the crate docs): header,
    /// counters little-endian, checksum. A secret hasher key is never written.
    ///
    /// Computes in **O(w·d)** time.
    pub fn to_bytes(&self) -> Vec<u8> {
        wire::encode(self)
    }

    /// Reads a sketch written by [`to_bytes`](Self::to_bytes) with a hasher rebuilt from the
    /// stored tag (seeded XXH3).
    ///
    /// Computes in **O(w·d)** time.
    ///
    /// # Errors
    /// [`Error::Decode`] for anything malformed; never panics, whatever the bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        wire::decode(bytes, None)
    }

    /// As [`from_bytes`](Self::from_bytes), checking the bytes were written with `hasher`
    /// (needed for keyed SipHash, whose key is not stored).
    ///
    /// Computes in **O(w·d)** time.
    ///
    /// # Errors
    /// As [`from_bytes`](Self::from_bytes).
    pub fn from_bytes_with_hasher(bytes: &[u8], hasher: S) -> Result<Self, Error> {
        wire::decode(bytes, Some(hasher))
    }
}

impl<C: Counter, S, U: UpdateRule> fmt::Debug for CountMinSketch<C, S, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CountMinSketch")
            .field("width", &self.width)
            .field("depth", &self.depth)
            .field("total", &self.total)
            .field("counter_bytes", &C::BYTES)
            .field("conservative", &U::CONSERVATIVE)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "serde")]
crate::serde_wire::serde_via_bytes!(
    "CountMinSketch",
    impl[C: Counter, S: StableHasher, U: UpdateRule] CountMinSketch<C, S, U>
);

impl<T: Hash, C: Counter, S: BuildHasher, U: UpdateRule> Extend<T> for CountMinSketch<C, S, U> {
    /// Counts one occurrence of every item, as a loop of `increment` would: a stream goes in
    /// with `sketch.extend(stream)`. Computes in **O(d)** time per item.
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for item in items {
            self.increment(&item);
        }
    }
}
