//! [`HyperLogLog`]: sparse while small, dense 6-bit registers after.

use std::hash::Hash;

use crate::Error;
use crate::estimate::{ertl, histogram};
use crate::hasher::{DefaultBuildHasher, SketchHasher};

/// The smallest and largest precision.
pub const MIN_PRECISION: u8 = 4;
/// The largest precision: 2^18 registers, 192 KiB dense.
pub const MAX_PRECISION: u8 = 18;
/// The sparse representation's precision (as in HLL++): 2^25 virtual registers, so small
/// cardinalities are counted almost exactly.
pub(crate) const SPARSE_P: u32 = 25;
/// Ranks at the sparse precision go up to 64 − 25 + 1.
const SPARSE_Q: usize = 64 - SPARSE_P as usize;

/// Refuses a precision outside 4..=18.
pub(crate) fn check_precision(precision: u8) -> Result<(), Error> {
    if (MIN_PRECISION..=MAX_PRECISION).contains(&precision) {
        Ok(())
    } else {
        Err(Error::InvalidPrecision(precision))
    }
}

/// Register index and rank of `hash` at precision `p`: the top `p` bits choose the register;
/// the rank is one more than the number of leading zeros in the rest (at most 65 − p).
#[inline(always)]
pub(crate) fn split(hash: u64, p: u32) -> (usize, u8) {
    let index = (hash >> (64 - p)) as usize;
    let rest = hash << p;
    let rank = (rest.leading_zeros() + 1).min(65 - p);
    (index, rank as u8)
}

/// A sparse entry: the index at precision 25 in the top bits, the rank in the low 6.
#[inline]
fn sparse_entry(hash: u64) -> u32 {
    let (index, rank) = split(hash, SPARSE_P);
    ((index as u32) << 6) | u32::from(rank)
}

/// The register and rank at precision `p` that a sparse entry stands for: exactly what a dense
/// insert of the same hash would have set. The 25 − p index bits below `p` become the start of
/// the rank's run of zeros.
#[inline]
pub(crate) fn sparse_to_dense(entry: u32, p: u32) -> (usize, u8) {
    let index = entry >> 6;
    let rank = (entry & 63) as u8;
    let shift = SPARSE_P - p;
    (
        (index >> shift) as usize,
        carry_rank(index & ((1 << shift) - 1), shift, rank),
    )
}

/// The rank at a precision `shift` bits coarser, for a register whose `shift` lowest index
/// bits were `low` and whose rank was `rank`: those bits now start the hash's run of zeros, so
/// the rank is where their first one bit sits, or `shift` more than before if they are all 0.
#[inline]
fn carry_rank(low: u32, shift: u32, rank: u8) -> u8 {
    if low == 0 {
        shift as u8 + rank
    } else {
        (low.leading_zeros() - (32 - shift) + 1) as u8
    }
}

/// Register `i` of 6-bit registers packed little-endian, as Redis packs them: register i at
/// bit 6i, least significant bit first, spilling into the next byte. The last register fits
/// in the last byte, which has no successor.
#[inline(always)]
pub(crate) fn get6(bytes: &[u8], i: usize) -> u8 {
    let bit = 6 * i;
    let (byte, shift) = (bit / 8, bit % 8);
    // One bounds check for both bytes on the hot path; only the last register reads one.
    let word = match bytes.get(byte..byte + 2) {
        Some(&[lo, hi]) => u16::from_le_bytes([lo, hi]),
        _ => u16::from(bytes[byte]),
    };
    ((word >> shift) & 63) as u8
}

/// Sets register `i` (see [`get6`]) to `value`.
#[inline(always)]
pub(crate) fn set6(bytes: &mut [u8], i: usize, value: u8) {
    let bit = 6 * i;
    let (byte, shift) = (bit / 8, bit % 8);
    let v = u16::from(value) << shift;
    let mask = 63u16 << shift;
    bytes[byte] = (bytes[byte] & !(mask as u8)) | v as u8;
    if let Some(next) = bytes.get_mut(byte + 1) {
        *next = (*next & !((mask >> 8) as u8)) | (v >> 8) as u8;
    }
}

/// Dense registers: 2^p registers of 6 bits, packed as [`get6`] reads them (Redis's layout).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Dense {
    pub(crate) bytes: Vec<u8>,
}

impl Dense {
    pub(crate) fn new(m: usize) -> Self {
        Self {
            bytes: vec![0; m * 6 / 8],
        }
    }

    /// The packed register bytes.
    pub(crate) fn data(&self) -> &[u8] {
        &self.bytes
    }

    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> u8 {
        get6(&self.bytes, i)
    }

    /// Raises register `i` to `rank`; returns the old value.
    #[inline(always)]
    pub(crate) fn raise(&mut self, i: usize, rank: u8) -> u8 {
        let old = get6(&self.bytes, i);
        if rank > old {
            set6(&mut self.bytes, i, rank);
        }
        old
    }
}

#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Repr {
    /// Entries sorted by index, one per index (the highest rank seen).
    Sparse(Vec<u32>),
    Dense(Dense),
}

/// A HyperLogLog sketch: the number of distinct items inserted, estimated in 2^p registers of
/// 6 bits, with a relative standard error of about 1.04/√(2^p) (0.81 % at p = 14, in 12 KiB).
///
/// It starts **sparse**: a sorted list of 4-byte entries at precision 25, almost exact for
/// small counts, and turns **dense** once the list would outgrow the registers (at 3072 entries
/// for p = 14). Inserting is one hash and one register maximum; `count` is O(1), from a
/// histogram of register values kept up to date by each insert.
///
/// ```
/// use brick_hyperloglog::HyperLogLog;
///
/// let mut visitors = HyperLogLog::new(14)?;
/// for user in 0..10_000u64 {
///     visitors.insert(&user);
///     visitors.insert(&user); // a repeat changes nothing
/// }
/// let n = visitors.count();
/// assert!((9_700..=10_300).contains(&n), "{n}"); // within 3 % (0.81 % standard error)
/// # Ok::<(), brick_hyperloglog::Error>(())
/// ```
#[derive(Clone)]
pub struct HyperLogLog<S = DefaultBuildHasher> {
    p: u8,
    repr: Repr,
    /// `hist[k]`: dense registers holding k, so the estimate never scans them. Empty while
    /// sparse (the entries are scanned then: at most a few thousand).
    hist: Vec<u32>,
    /// The HIP estimate (historic inverse probability): while the sketch has only ever been
    /// fed by `insert`, each register change adds 1 / P(change). Sparse: 0, or NaN once the
    /// history is broken (merge, fold, an older sketch decoded); dense: the estimate, or NaN.
    hip: f64,
    /// Σ 2^−register over the dense registers: m × P(the next new item changes a register).
    kxq: f64,
    hasher: S,
}

impl<S> std::fmt::Debug for HyperLogLog<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperLogLog")
            .field("precision", &self.p)
            .field("sparse", &self.is_sparse())
            .field("bytes", &self.len_bytes())
            .finish_non_exhaustive()
    }
}

impl HyperLogLog<DefaultBuildHasher> {
    /// An empty sketch of 2^`precision` registers, hashing with seeded XXH3 (seed 0).
    ///
    /// # Errors
    /// [`Error::InvalidPrecision`] outside 4..=18.
    pub fn new(precision: u8) -> Result<Self, Error> {
        Self::with_hasher(precision, DefaultBuildHasher::default())
    }
}

impl<S> HyperLogLog<S> {
    /// An empty sketch hashing with `hasher`.
    ///
    /// # Errors
    /// [`Error::InvalidPrecision`] outside 4..=18.
    pub fn with_hasher(precision: u8, hasher: S) -> Result<Self, Error> {
        check_precision(precision)?;
        Ok(Self {
            p: precision,
            repr: Repr::Sparse(Vec::new()),
            hist: Vec::new(),
            hip: 0.0,
            kxq: 0.0,
            hasher,
        })
    }

    /// The precision p: 2^p registers.
    pub fn precision(&self) -> u8 {
        self.p
    }

    /// Whether the sketch is still in its sparse representation.
    pub fn is_sparse(&self) -> bool {
        matches!(self.repr, Repr::Sparse(_))
    }

    /// The hasher.
    pub fn hasher(&self) -> &S {
        &self.hasher
    }

    fn m(&self) -> usize {
        1 << self.p
    }

    /// Bytes of register data: 4 per sparse entry, or 6 bits per register when dense.
    pub fn len_bytes(&self) -> usize {
        match &self.repr {
            Repr::Sparse(entries) => 4 * entries.len(),
            Repr::Dense(d) => d.data().len(),
        }
    }

    /// Adds an item by its 64-bit hash (from the sketch's hasher, or one of your own applied
    /// consistently). Returns whether a register changed.
    #[inline]
    pub fn insert_hash(&mut self, hash: u64) -> bool {
        match &mut self.repr {
            Repr::Dense(d) => {
                let (i, rank) = split(hash, u32::from(self.p));
                // Read first: past the first few thousand items almost no insert raises a
                // register, and skipping the write keeps the line clean.
                let old = d.get(i);
                if rank <= old {
                    return false;
                }
                d.raise(i, rank);
                self.hist[usize::from(old)] -= 1;
                self.hist[usize::from(rank)] += 1;
                // HIP: this change happened with probability kxq / m; count 1 / that. NaN
                // (a broken history) stays NaN.
                self.hip += self.m() as f64 / self.kxq;
                self.kxq += inv_pow2(rank) - inv_pow2(old);
                true
            }
            Repr::Sparse(_) => self.insert_sparse(sparse_entry(hash)),
        }
    }

    #[cold]
    #[inline(never)]
    fn insert_sparse(&mut self, entry: u32) -> bool {
        let dense_bytes = self.m() * 6 / 8;
        let Repr::Sparse(entries) = &mut self.repr else {
            return false;
        };
        match entries.binary_search_by_key(&(entry >> 6), |e| e >> 6) {
            Ok(at) => {
                if entry & 63 <= entries[at] & 63 {
                    return false;
                }
                entries[at] = entry;
            }
            Err(at) => {
                // Grow by an eighth, not double: a sparse sketch is small on purpose.
                if entries.len() == entries.capacity() {
                    entries.reserve_exact(entries.len() / 8 + 4);
                }
                entries.insert(at, entry);
            }
        }
        let outgrown = 4 * entries.len() > dense_bytes;
        if outgrown {
            // HIP starts from the sparse estimate, which is all but exact at this size.
            let start = if self.hip.is_nan() {
                f64::NAN
            } else {
                self.estimate()
            };
            self.promote();
            self.hip = start;
        }
        true
    }

    /// Switches to dense registers (done automatically once dense is smaller).
    fn promote(&mut self) {
        if let Repr::Sparse(entries) = &self.repr {
            let p = u32::from(self.p);
            let mut dense = Dense::new(self.m());
            for &e in entries {
                let (i, rank) = sparse_to_dense(e, p);
                dense.raise(i, rank);
            }
            self.repr = Repr::Dense(dense);
            self.rebuild_hist();
        }
    }

    fn rebuild_hist(&mut self) {
        match &self.repr {
            // Sparse sketches build their histogram when estimated: no memory for it.
            Repr::Sparse(_) => self.hist = Vec::new(),
            Repr::Dense(d) => {
                let hist = histogram(self.p, (0..self.m()).map(|i| d.get(i)));
                self.kxq = hist
                    .iter()
                    .enumerate()
                    .map(|(k, &c)| f64::from(c) * inv_pow2(k as u8))
                    .sum();
                self.hist = hist;
            }
        }
    }

    /// The estimated number of distinct items, in O(64) time: the HIP estimate for a dense
    /// sketch fed only by `insert` (about 20 % lower error), otherwise Ertl's estimator on
    /// the registers ([`register_estimate`](Self::register_estimate)).
    pub fn estimate(&self) -> f64 {
        match (&self.repr, self.hip.is_nan()) {
            (Repr::Dense(_), false) => self.hip,
            _ => self.register_estimate(),
        }
    }

    /// Ertl's improved estimator on the registers alone: what any sketch with these
    /// registers reports, however they were filled (merged, folded, decoded).
    pub fn register_estimate(&self) -> f64 {
        match &self.repr {
            Repr::Sparse(entries) => {
                let mut hist = [0u32; SPARSE_Q + 2];
                hist[0] = (1 << SPARSE_P) - entries.len() as u32;
                for &e in entries {
                    hist[(e & 63) as usize] += 1;
                }
                ertl((1u64 << SPARSE_P) as f64, &hist)
            }
            Repr::Dense(_) => ertl(self.m() as f64, &self.hist),
        }
    }

    /// The estimate, rounded to the nearest integer.
    pub fn count(&self) -> u64 {
        self.estimate().round() as u64
    }

    /// Empties the sketch (back to sparse, releasing the dense registers).
    pub fn clear(&mut self) {
        self.repr = Repr::Sparse(Vec::new());
        self.hist = Vec::new();
        self.hip = 0.0;
    }

    /// The value of dense register `i` at this sketch's precision, whatever the representation.
    /// For tests and inspection: O(entries) when sparse.
    pub fn register(&self, i: usize) -> u8 {
        match &self.repr {
            Repr::Dense(d) => d.get(i),
            Repr::Sparse(entries) => entries
                .iter()
                .map(|&e| sparse_to_dense(e, u32::from(self.p)))
                .filter(|&(j, _)| j == i)
                .map(|(_, r)| r)
                .max()
                .unwrap_or(0),
        }
    }

    /// Every dense register's value at this precision, whatever the representation.
    pub(crate) fn dense_registers(&self) -> Vec<u8> {
        let m = self.m();
        match &self.repr {
            Repr::Dense(d) => (0..m).map(|i| d.get(i)).collect(),
            Repr::Sparse(entries) => {
                let mut regs = vec![0u8; m];
                for &e in entries {
                    let (i, rank) = sparse_to_dense(e, u32::from(self.p));
                    regs[i] = regs[i].max(rank);
                }
                regs
            }
        }
    }

    /// The HIP state as stored: 0 or NaN while sparse, the estimate or NaN when dense.
    pub(crate) fn hip(&self) -> f64 {
        self.hip
    }

    pub(crate) fn repr(&self) -> &Repr {
        &self.repr
    }

    /// A sketch from parts that `wire` has validated.
    /// A sketch from registers without an insert history (the HIP estimate is off).
    pub(crate) fn from_parts(p: u8, repr: Repr, hasher: S) -> Self {
        Self::from_parts_with_hip(p, repr, hasher, f64::NAN)
    }

    /// A sketch from registers and a HIP estimate (NaN for none) that `wire` has validated.
    pub(crate) fn from_parts_with_hip(p: u8, repr: Repr, hasher: S, hip: f64) -> Self {
        let mut hll = Self {
            p,
            repr,
            hist: Vec::new(),
            hip,
            kxq: 0.0,
            hasher,
        };
        hll.rebuild_hist();
        hll
    }
}

impl<S: SketchHasher> HyperLogLog<S> {
    /// Adds an item. Returns whether a register changed (false for an item already counted, and
    /// for some new ones: that is the approximation).
    #[inline]
    pub fn insert<T: Hash + ?Sized>(&mut self, item: &T) -> bool {
        let hash = self.hasher.hash_one(item);
        self.insert_hash(hash)
    }

    fn check_compatible(&self, other: &Self) -> Result<(), Error> {
        if self.p != other.p {
            return Err(Error::PrecisionMismatch {
                ours: self.p,
                theirs: other.p,
            });
        }
        if self.hasher.tag() != other.hasher.tag() {
            return Err(Error::HasherMismatch);
        }
        Ok(())
    }

    /// Adds `other`'s items (the union: register-wise maximum). Two sparse sketches stay sparse
    /// while that is smaller.
    ///
    /// # Errors
    /// [`Error::PrecisionMismatch`] (fold the finer one first) or [`Error::HasherMismatch`].
    pub fn merge(&mut self, other: &Self) -> Result<(), Error> {
        self.check_compatible(other)?;
        // A union has no insert history: Ertl's estimator from here on.
        self.hip = f64::NAN;
        match (&mut self.repr, &other.repr) {
            (Repr::Sparse(ours), Repr::Sparse(theirs)) => {
                *ours = merge_sorted(ours, theirs);
                if 4 * ours.len() > self.m() * 6 / 8 {
                    self.promote();
                    return Ok(());
                }
            }
            (Repr::Dense(ours), Repr::Dense(theirs)) => {
                for i in 0..(1usize << self.p) {
                    ours.raise(i, theirs.get(i));
                }
            }
            (Repr::Dense(ours), Repr::Sparse(theirs)) => {
                let p = u32::from(self.p);
                for &e in theirs {
                    let (i, rank) = sparse_to_dense(e, p);
                    ours.raise(i, rank);
                }
            }
            (Repr::Sparse(_), Repr::Dense(_)) => {
                self.promote();
                return self.merge(other);
            }
        }
        self.rebuild_hist();
        Ok(())
    }

    /// The same items in a sketch of lower precision `precision` (as if they had been inserted
    /// there), so a sketch can be merged with a coarser one.
    ///
    /// # Errors
    /// [`Error::InvalidPrecision`] below 4, [`Error::CannotRefine`] above the current precision.
    pub fn fold(&self, precision: u8) -> Result<Self, Error>
    where
        S: Clone,
    {
        if precision < MIN_PRECISION {
            return Err(Error::InvalidPrecision(precision));
        }
        if precision > self.p {
            return Err(Error::CannotRefine {
                from: self.p,
                to: precision,
            });
        }
        let repr = match &self.repr {
            // Sparse entries do not depend on p.
            Repr::Sparse(entries) => Repr::Sparse(entries.clone()),
            Repr::Dense(d) => {
                let shift = u32::from(self.p - precision);
                let mut folded = Dense::new(1 << precision);
                for j in 0..self.m() {
                    let r = d.get(j);
                    if r == 0 {
                        continue;
                    }
                    let rank = carry_rank((j as u32) & ((1 << shift) - 1), shift, r);
                    folded.raise(j >> shift, rank);
                }
                Repr::Dense(folded)
            }
        };
        let mut hll = Self::from_parts(precision, repr, self.hasher.clone());
        if 4 * hll.len_bytes() > hll.m() * 6 / 8 && hll.is_sparse() {
            hll.promote();
        }
        Ok(hll)
    }
}

/// 2^−k.
#[inline]
fn inv_pow2(k: u8) -> f64 {
    1.0 / (1u64 << k) as f64
}

/// The union of two sorted entry lists, one entry per index with the higher rank.
fn merge_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        match (x >> 6).cmp(&(y >> 6)) {
            std::cmp::Ordering::Less => {
                out.push(x);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(y);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(x.max(y));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}
