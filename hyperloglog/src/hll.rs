//! [`HyperLogLog`]: sparse while small, dense 4-bit registers after.

use crate::xxh3::hash_bytes;
use std::hash::Hash;

use crate::Error;
use crate::estimate::ertl_terms;
use crate::hasher::{DefaultBuildHasher, StableHasher};

/// The smallest and largest precision.
pub const MIN_PRECISION: u8 = 4;
/// The largest precision: 2^18 registers, 128 KiB dense (4 bits a register, plus a few bytes
/// for registers far above the rest).
///
/// ```
/// use brick_hyperloglog::{HyperLogLog, MAX_PRECISION};
/// let mut hll = HyperLogLog::with_params(MAX_PRECISION)?;
/// for i in 0..200_000u64 {
///     hll.insert(&i);
/// }
/// assert!(!hll.is_sparse());
/// assert!(hll.len_bytes() >= 128 * 1024 && hll.len_bytes() < 129 * 1024);
/// # Ok::<(), brick_hyperloglog::Error>(())
/// ```
pub const MAX_PRECISION: u8 = 18;
/// Hash bits an ordinary sparse entry keeps: 2^31 virtual registers, so two of a few thousand
/// distinct items share an entry about once in a thousand sketches.
const SPARSE_BITS: u32 = 31;
/// Hash bits between [`MAX_PRECISION`] and [`SPARSE_BITS`]: when they are all zero (one hash in
/// 8,192) the dense rank runs past the kept bits, and the entry stores it instead.
const RUN_BITS: u32 = SPARSE_BITS - MAX_PRECISION as u32;
/// Largest rank after the first 31 bits: 64 − 31 + 1.
const MAX_RUN_RANK: u32 = 64 - SPARSE_BITS + 1;

/// Refuses a precision outside 4..=18.
pub(crate) fn check_precision(precision: u8) -> Result<(), Error> {
    if (MIN_PRECISION..=MAX_PRECISION).contains(&precision) {
        Ok(())
    } else {
        Err(Error::InvalidPrecision(precision))
    }
}

/// Register index and rank of `hash` at precision `p`: the top `p` bits choose the register;
/// the rank is one more than the number of leading zeros in the rest, at most 65 − p (a
/// sentinel one just below the rest caps it without a branch).
#[inline(always)]
pub(crate) fn split(hash: u64, p: u32) -> (usize, u8) {
    let index = (hash >> (64 - p)) as usize;
    let rest = (hash << p) | (1 << (p - 1));
    (index, (rest.leading_zeros() + 1) as u8)
}

/// The sparse entry of `hash`, 4 bytes that determine its dense register at every precision up
/// to 18:
/// - ordinary (bit 0 clear): the top 31 hash bits, shifted left by one. Bits 18..31 of the hash
///   hold a one, so the dense rank at any p ≤ 18 lies within them.
/// - long run (bit 0 set, one hash in 8,192): bits 18..31 are all zero, so the top 18 bits are
///   kept (`<< 14`) with the rank after bit 31 (`<< 1`, 1..=34).
#[inline]
pub(crate) fn sparse_entry(hash: u64) -> u32 {
    let top = (hash >> (64 - SPARSE_BITS)) as u32;
    if top & ((1 << RUN_BITS) - 1) != 0 {
        top << 1
    } else {
        let rank = ((hash << SPARSE_BITS).leading_zeros() + 1).min(MAX_RUN_RANK);
        (top << 1) | (rank << 1) | 1
    }
}

/// What identifies an entry: itself, or for a long-run entry its index bits without the rank.
/// Entries are kept sorted by key, one per key (a long run keeps its highest rank).
#[inline]
pub(crate) fn sparse_key(entry: u32) -> u32 {
    if entry & 1 == 1 { entry & !0x7e } else { entry }
}

/// Whether `entry` is one [`sparse_entry`] can produce.
pub(crate) fn valid_sparse_entry(entry: u32) -> bool {
    if entry & 1 == 0 {
        entry & ((1 << (RUN_BITS + 1)) - 1) != 0
    } else {
        let rank = (entry >> 1) & 63;
        entry & 0x3f80 == 0 && (1..=MAX_RUN_RANK).contains(&rank)
    }
}

/// The register and rank at precision `p` that a sparse entry stands for: exactly what a dense
/// insert of the same hash would have set.
#[inline]
pub(crate) fn sparse_to_dense(entry: u32, p: u32) -> (usize, u8) {
    let index = (entry >> (32 - p)) as usize;
    if entry & 1 == 0 {
        // The kept bits after the first p, then zeros: the first one is among them.
        let rest = u64::from(entry >> 1) << (64 - SPARSE_BITS + p);
        (index, (rest.leading_zeros() + 1) as u8)
    } else {
        let rest = u64::from(entry >> 14)
            .checked_shl(64 - MAX_PRECISION as u32 + p)
            .unwrap_or(0);
        if rest != 0 {
            (index, (rest.leading_zeros() + 1) as u8)
        } else {
            let run = (entry >> 1) & 63;
            (index, (SPARSE_BITS - p + run) as u8)
        }
    }
}

/// The rank at a precision `shift` bits coarser, for a register whose `shift` lowest index
/// bits were `low` and whose rank was `rank`: those bits now start the hash's run of zeros, so
/// the rank is where their first one bit sits, or `shift` more than before if they are all 0.
#[inline]
pub(crate) fn carry_rank(low: u32, shift: u32, rank: u8) -> u8 {
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

/// The number of registers one overflow entry adds to the nibble's 15.
const NIBBLE_MAX: u8 = 15;

/// Dense registers, 4 bits each, as DataSketches' HLL_4 keeps them: a nibble holds a register's
/// value above `base`, the smallest value of any register, and 15 means "15 or more above": the
/// exact value is then in `overflow`. Ranks cluster within a few of log2(n/m), so almost every
/// register fits in its nibble (a handful of the 16,384 overflow at p = 14 for any n), and
/// `base` rises with n so that stays true.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Dense {
    /// Register i's value minus `base`, capped at 15: byte i/2, low nibble for even i.
    nibbles: Box<[u8]>,
    /// The registers whose nibble is 15, exactly: `index << 8 | value`, sorted by index.
    overflow: Box<[u32]>,
    /// Σ 2^(64 − register) over all registers, exactly (two limbs, not `u128`, whose 16-byte
    /// alignment would pad the sketch): 2^64 × m × the chance that a new item changes one.
    kxq: [u64; 2],
    /// Registers holding exactly `base`; when none is left, `base` rises.
    at_base: u32,
    base: u8,
}

impl Dense {
    /// Registers with these values (`values.len()` = m, a power of two ≥ 16).
    pub(crate) fn from_registers(values: &[u8]) -> Self {
        let base = values.iter().copied().min().unwrap_or(0);
        let mut nibbles = vec![0u8; values.len() / 2];
        let mut overflow = Vec::new();
        let mut kxq: u128 = 0;
        let mut at_base = 0;
        for (i, &v) in values.iter().enumerate() {
            let above = v - base;
            if above >= NIBBLE_MAX {
                overflow.push(((i as u32) << 8) | u32::from(v));
            }
            nibbles[i / 2] |= above.min(NIBBLE_MAX) << (4 * (i & 1));
            kxq += inv_pow2(v);
            at_base += u32::from(above == 0);
        }
        let mut dense = Self {
            nibbles: nibbles.into_boxed_slice(),
            overflow: overflow.into_boxed_slice(),
            kxq: [0; 2],
            at_base,
            base,
        };
        dense.set_kxq(kxq);
        dense
    }

    pub(crate) fn kxq(&self) -> u128 {
        (u128::from(self.kxq[1]) << 64) | u128::from(self.kxq[0])
    }

    fn set_kxq(&mut self, kxq: u128) {
        self.kxq = [kxq as u64, (kxq >> 64) as u64];
    }

    /// The parts the byte format writes: the base, the nibbles, the overflow entries.
    pub(crate) fn parts(&self) -> (u8, &[u8], &[u32]) {
        (self.base, &self.nibbles, &self.overflow)
    }

    /// Number of registers.
    fn m(&self) -> usize {
        2 * self.nibbles.len()
    }

    /// Bytes of register data: half a byte a register, four per overflowing one.
    pub(crate) fn len_bytes(&self) -> usize {
        self.nibbles.len() + 4 * self.overflow.len()
    }

    #[inline(always)]
    fn nibble(&self, i: usize) -> u8 {
        (self.nibbles[i / 2] >> (4 * (i & 1))) & 15
    }

    fn set_nibble(&mut self, i: usize, value: u8) {
        let shift = 4 * (i & 1);
        let byte = &mut self.nibbles[i / 2];
        *byte = (*byte & !(15 << shift)) | (value << shift);
    }

    fn overflow_at(&self, i: usize) -> Result<usize, usize> {
        self.overflow.binary_search_by_key(&(i as u32), |e| e >> 8)
    }

    /// Register `i`'s value.
    pub(crate) fn get(&self, i: usize) -> u8 {
        match self.nibble(i) {
            NIBBLE_MAX => match self.overflow_at(i) {
                Ok(at) => self.overflow[at] as u8,
                Err(_) => self.base + NIBBLE_MAX,
            },
            nibble => self.base + nibble,
        }
    }

    /// Whether raising register `i` to `rank` certainly changes nothing: the one check on the
    /// hot path (an overflowing register's nibble says "at least base + 15").
    #[inline(always)]
    pub(crate) fn holds(&self, i: usize, rank: u8) -> bool {
        rank <= self.base + self.nibble(i)
    }

    /// Raises register `i` to `rank`; returns its old value if it rose.
    pub(crate) fn raise(&mut self, i: usize, rank: u8) -> Option<u8> {
        if self.holds(i, rank) {
            return None;
        }
        let old = self.get(i);
        if rank <= old {
            return None;
        }
        let above = rank - self.base;
        if above >= NIBBLE_MAX {
            let entry = ((i as u32) << 8) | u32::from(rank);
            match self.overflow_at(i) {
                Ok(at) => self.overflow[at] = entry,
                Err(at) => {
                    let mut grown = Vec::with_capacity(self.overflow.len() + 1);
                    grown.extend_from_slice(&self.overflow[..at]);
                    grown.push(entry);
                    grown.extend_from_slice(&self.overflow[at..]);
                    self.overflow = grown.into_boxed_slice();
                }
            }
        }
        self.set_nibble(i, above.min(NIBBLE_MAX));
        self.set_kxq(self.kxq() - inv_pow2(old) + inv_pow2(rank));
        if old == self.base {
            self.at_base -= 1;
            if self.at_base == 0 {
                self.rebase();
            }
        }
        Some(old)
    }

    /// Every register is above `base`: raise it by one (again while none is at the new base),
    /// lowering each nibble below 15 in place, and bring back the overflowing registers that now
    /// fit. The registers, and so `kxq`, do not change.
    #[cold]
    fn rebase(&mut self) {
        while self.at_base == 0 {
            self.base += 1;
            // No nibble is 0 (no register was at the old base): subtract one from each nibble
            // that is not 15, two per byte, without a branch.
            for byte in self.nibbles.iter_mut() {
                let (lo, hi) = (*byte & 15, *byte >> 4);
                *byte = (lo - u8::from(lo != 15)) | ((hi - u8::from(hi != 15)) << 4);
            }
            let base = self.base;
            let (back, stay): (Vec<u32>, Vec<u32>) = self
                .overflow
                .iter()
                .partition(|&&e| (e as u8) - base < NIBBLE_MAX);
            self.overflow = stay.into_boxed_slice();
            for e in back {
                self.set_nibble((e >> 8) as usize, (e as u8) - base);
            }
            self.at_base = self
                .nibbles
                .iter()
                .map(|&b| u32::from(b & 15 == 0) + u32::from(b >> 4 == 0))
                .sum();
        }
    }

    /// Every register's value.
    pub(crate) fn registers(&self) -> Vec<u8> {
        let mut values: Vec<u8> = (0..self.m()).map(|i| self.base + self.nibble(i)).collect();
        for &e in self.overflow.iter() {
            values[(e >> 8) as usize] = e as u8;
        }
        values
    }

    /// Registers still at 0.
    pub(crate) fn zeros(&self) -> u32 {
        if self.base == 0 { self.at_base } else { 0 }
    }

    /// Registers holding `max`, the largest rank (almost always none).
    fn saturated(&self, max: u8) -> u32 {
        if self.base + NIBBLE_MAX <= max {
            self.overflow.iter().filter(|&&e| e as u8 == max).count() as u32
        } else {
            (0..self.m()).filter(|&i| self.get(i) == max).count() as u32
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Repr {
    /// Entries ([`sparse_entry`]) sorted by [`sparse_key`], one per key.
    Sparse(Vec<u32>),
    Dense(Dense),
}

/// A HyperLogLog sketch: the number of distinct items inserted, estimated in 2^p registers,
/// with a relative standard error of about 1.04/√(2^p) (0.81 % at p = 14, in 8 KiB).
///
/// It starts **sparse**: a sorted list of 4-byte entries that keep 31 bits of each distinct
/// hash, almost exact for small counts, and turns **dense** once the list would outgrow the
/// registers (at 2,048 entries for p = 14): 4 bits a register. Inserting is one hash and one
/// nibble compare; `count` is O(1).
///
/// ```
/// use brick_hyperloglog::HyperLogLog;
///
/// let mut visitors = HyperLogLog::with_params(14)?;
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
    repr: Repr,
    /// The HIP estimate (historic inverse probability): while the sketch has only ever been
    /// fed by `insert`, each register change adds 1 / P(change). Sparse: 0, or NaN once the
    /// history is broken (merge, fold, an older sketch decoded); dense: the estimate, or NaN.
    hip: f64,
    hasher: S,
    p: u8,
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
    /// An empty sketch whose relative standard error is at most `relative_error`: the smallest
    /// precision with 1.04/√(2^p) ≤ `relative_error` ([`precision_for`]), hashing with seeded
    /// XXH3 (seed 0). `new(0.01)` is p = 14 (0.81 %, 12 KiB dense).
    ///
    /// Computes in **O(1)**: the sketch starts sparse.
    ///
    /// # Errors
    /// [`Error::InvalidRelativeError`] when no precision in 4..=18 reaches it (below 0.2 %),
    /// or for a value that is not a positive number.
    pub fn new(relative_error: f64) -> Result<Self, Error> {
        Self::with_params(precision_for(relative_error)?)
    }

    /// An empty sketch of 2^`precision` registers, hashing with seeded XXH3 (seed 0).
    ///
    /// Computes in **O(1)**: the sketch starts sparse.
    ///
    /// # Errors
    /// [`Error::InvalidPrecision`] outside 4..=18.
    pub fn with_params(precision: u8) -> Result<Self, Error> {
        Self::with_hasher(precision, DefaultBuildHasher::default())
    }
}

/// The smallest precision p in 4..=18 whose relative standard error, 1.04/√(2^p), is at most
/// `relative_error` (values above p = 4's 26 % give p = 4).
///
/// # Errors
/// [`Error::InvalidRelativeError`] when even p = 18 does not reach it (below 0.2 %), or for a
/// value that is not a positive number.
///
/// ```
/// assert_eq!(brick_hyperloglog::precision_for(0.01), Ok(14));
/// assert_eq!(brick_hyperloglog::precision_for(0.0163), Ok(12));
/// ```
pub fn precision_for(relative_error: f64) -> Result<u8, Error> {
    if relative_error.is_nan() || relative_error <= 0.0 {
        return Err(Error::InvalidRelativeError);
    }
    (MIN_PRECISION..=MAX_PRECISION)
        .find(|&p| 1.04 / ((1u64 << p) as f64).sqrt() <= relative_error)
        .ok_or(Error::InvalidRelativeError)
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
            hip: 0.0,
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

    /// Bytes of register data: 4 per sparse entry, or 4 bits per register when dense (and 4
    /// bytes for each of the few registers 15 or more above the smallest).
    pub fn len_bytes(&self) -> usize {
        match &self.repr {
            Repr::Sparse(entries) => 4 * entries.len(),
            Repr::Dense(d) => d.len_bytes(),
        }
    }

    /// Sparse entries beyond this many take more room than the dense registers.
    fn sparse_limit(&self) -> usize {
        self.m() / 8
    }

    /// Adds an item by its 64-bit hash (from the sketch's hasher, or one of your own applied
    /// consistently). Returns whether a register changed.
    #[inline]
    pub fn insert_hash(&mut self, hash: u64) -> bool {
        match &mut self.repr {
            Repr::Dense(d) => {
                let (i, rank) = split(hash, u32::from(self.p));
                // Past the first few thousand items almost no insert raises a register: one
                // nibble read decides, and the line stays clean.
                if d.holds(i, rank) {
                    return false;
                }
                self.raise_dense(i, rank)
            }
            Repr::Sparse(_) => self.insert_sparse(sparse_entry(hash)),
        }
    }

    #[cold]
    #[inline(never)]
    fn raise_dense(&mut self, i: usize, rank: u8) -> bool {
        let m = self.m() as f64;
        let Repr::Dense(d) = &mut self.repr else {
            return false;
        };
        let before = d.kxq();
        if d.raise(i, rank).is_none() {
            return false;
        }
        // HIP: this change happened with probability kxq / (2^64 m); count 1 / that. NaN (a
        // broken history) stays NaN.
        self.hip += m * TWO_64 / u128_to_f64(before);
        true
    }

    #[cold]
    #[inline(never)]
    fn insert_sparse(&mut self, entry: u32) -> bool {
        let limit = self.sparse_limit();
        let Repr::Sparse(entries) = &mut self.repr else {
            return false;
        };
        match entries.binary_search_by_key(&sparse_key(entry), |&e| sparse_key(e)) {
            Ok(at) => {
                if entry <= entries[at] {
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
        if entries.len() > limit {
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

    /// Switches to dense registers if the sparse list is past the point where dense is smaller.
    pub(crate) fn promote_if_large(&mut self) {
        if matches!(&self.repr, Repr::Sparse(e) if e.len() > self.sparse_limit()) {
            self.promote();
        }
    }

    /// Switches to dense registers (done automatically once dense is smaller).
    fn promote(&mut self) {
        if let Repr::Sparse(_) = &self.repr {
            let values = self.dense_registers();
            self.repr = Repr::Dense(Dense::from_registers(&values));
        }
    }

    /// The estimated number of distinct items, in O(1): the HIP estimate for a dense sketch fed
    /// only by `insert` (about 20 % lower error), otherwise the estimate of the registers alone
    /// ([`register_estimate`](Self::register_estimate)).
    #[must_use]
    pub fn estimate(&self) -> f64 {
        match (&self.repr, self.hip.is_nan()) {
            (Repr::Dense(_), false) => self.hip,
            _ => self.register_estimate(),
        }
    }

    /// The estimate from the registers alone, whatever filled them (merged, folded, decoded):
    /// while sparse, linear counting over the 2^31 virtual registers the entries stand for
    /// (near exact); when dense, Ertl's improved estimator.
    pub fn register_estimate(&self) -> f64 {
        match &self.repr {
            Repr::Sparse(entries) => {
                let v = (1u64 << SPARSE_BITS) as f64;
                -v * (-(entries.len() as f64) / v).ln_1p()
            }
            Repr::Dense(d) => {
                let m = self.m() as f64;
                let max = 65 - self.p;
                let (zeros, saturated) = (d.zeros(), d.saturated(max));
                // Σ over the ranks 1..=q of C[k] 2^−k, exactly, then rounded once.
                let middle = d.kxq()
                    - (u128::from(zeros) << 64)
                    - (u128::from(saturated) << (64 - u32::from(max)));
                ertl_terms(
                    m,
                    f64::from(zeros),
                    middle as f64 / TWO_64,
                    f64::from(saturated),
                    u32::from(max) - 1,
                )
            }
        }
    }

    /// The estimate, rounded to the nearest integer (halves up).
    #[must_use]
    pub fn count(&self) -> u64 {
        round_half_up(self.estimate())
    }

    /// Empties the sketch (back to sparse, releasing the dense registers).
    pub fn clear(&mut self) {
        self.repr = Repr::Sparse(Vec::new());
        self.hip = 0.0;
    }

    /// The value of dense register `i` at this sketch's precision, whatever the representation;
    /// `None` when `i` is not below the register count 2^p (the same answer in every variant).
    /// For tests and inspection.
    ///
    /// Complexity: O(1) when dense, O(entries) when sparse.
    ///
    /// # Panics
    /// Never.
    #[must_use]
    pub fn register(&self, i: usize) -> Option<u8> {
        if i >= self.m() {
            return None;
        }
        Some(match &self.repr {
            Repr::Dense(d) => d.get(i),
            Repr::Sparse(entries) => entries
                .iter()
                .map(|&e| sparse_to_dense(e, u32::from(self.p)))
                .filter(|&(j, _)| j == i)
                .map(|(_, r)| r)
                .max()
                .unwrap_or(0),
        })
    }

    /// Every dense register's value at this precision, whatever the representation.
    pub(crate) fn dense_registers(&self) -> Vec<u8> {
        match &self.repr {
            Repr::Dense(d) => d.registers(),
            Repr::Sparse(entries) => {
                let mut regs = vec![0u8; self.m()];
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

    /// A sketch from registers without an insert history (the HIP estimate is off).
    pub(crate) fn from_parts(p: u8, repr: Repr, hasher: S) -> Self {
        Self::from_parts_with_hip(p, repr, hasher, f64::NAN)
    }

    /// A sketch from registers and a HIP estimate (NaN for none) that `wire` has validated.
    pub(crate) fn from_parts_with_hip(p: u8, repr: Repr, hasher: S, hip: f64) -> Self {
        Self {
            p,
            repr,
            hip,
            hasher,
        }
    }
}

impl<S: StableHasher> HyperLogLog<S> {
    /// Adds an item. Returns whether a register changed (false for an item already counted, and
    /// for some new ones: that is the approximation).
    #[inline]
    pub fn insert<T: Hash + ?Sized>(&mut self, item: &T) -> bool {
        let hash = self.hasher.hash_one(item);
        self.insert_hash(hash)
    }

    /// [`insert`](Self::insert) of a byte string, hashed as exactly these bytes.
    ///
    /// Portable: with the default hasher the hash is XXH3-64 of exactly these bytes, the same on
    /// every machine and release, unlike a value hashed through std's `Hash`.
    #[inline]
    pub fn insert_bytes(&mut self, bytes: &[u8]) -> bool {
        self.insert_hash(hash_bytes(&self.hasher, bytes))
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
        // A union has no insert history: the registers' estimate from here on.
        self.hip = f64::NAN;
        let limit = self.sparse_limit();
        match (&mut self.repr, &other.repr) {
            (Repr::Sparse(ours), Repr::Sparse(theirs)) => {
                *ours = merge_sorted(ours, theirs);
                if ours.len() > limit {
                    self.promote();
                }
            }
            (Repr::Dense(ours), Repr::Sparse(theirs)) => {
                let p = u32::from(self.p);
                for &e in theirs {
                    let (i, rank) = sparse_to_dense(e, p);
                    ours.raise(i, rank);
                }
            }
            (_, Repr::Dense(_)) => {
                let mut values = self.dense_registers();
                for (v, w) in values.iter_mut().zip(other.dense_registers()) {
                    *v = (*v).max(w);
                }
                self.repr = Repr::Dense(Dense::from_registers(&values));
            }
        }
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
                let mut folded = vec![0u8; 1 << precision];
                for (j, r) in d.registers().into_iter().enumerate() {
                    if r == 0 {
                        continue;
                    }
                    let rank = carry_rank((j as u32) & ((1 << shift) - 1), shift, r);
                    let slot = &mut folded[j >> shift];
                    *slot = (*slot).max(rank);
                }
                Repr::Dense(Dense::from_registers(&folded))
            }
        };
        let mut hll = Self::from_parts(precision, repr, self.hasher.clone());
        hll.promote_if_large();
        Ok(hll)
    }
}

/// `x.round() as u64` for x ≥ 0 without the libm call `round` is on x86-64 without SSE4.1 (a
/// few ns, more than the HIP estimate itself): exact, since the fraction is taken after the
/// truncation.
#[inline]
fn round_half_up(x: f64) -> u64 {
    let whole = x as u64;
    whole.saturating_add(u64::from(x - whole as f64 >= 0.5))
}

/// `x as f64` in two u64 conversions, within an ulp of `x as f64`, which on x86-64 is a call
/// into a software routine. With the in-place rebase, the first 200,000 inserts into a p = 14
/// sketch (where registers change often) took about a fifth less time.
#[inline]
fn u128_to_f64(x: u128) -> f64 {
    ((x >> 64) as u64) as f64 * TWO_64 + (x as u64) as f64
}

/// 2^64 as a float: the scale of `kxq`.
const TWO_64: f64 = 18_446_744_073_709_551_616.0;

/// 2^(64 − k), the share of one register at value k in `kxq`.
#[inline]
fn inv_pow2(k: u8) -> u128 {
    1u128 << (64 - u32::from(k))
}

/// The union of two entry lists sorted by key, one entry per key with the higher rank.
fn merge_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        match sparse_key(x).cmp(&sparse_key(y)) {
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::round_half_up;
    use proptest::prelude::*;

    #[test]
    fn rounding_matches_std_at_the_edges() {
        for x in [
            0.0,
            0.49999999999999994,
            0.5,
            1.5,
            2.5,
            4503599627370495.5,
            1e19,
            f64::NAN,
        ] {
            assert_eq!(round_half_up(x), x.round() as u64, "{x}");
        }
    }

    proptest! {
        #[test]
        fn rounding_matches_std(x in 0.0..1e18f64) {
            prop_assert_eq!(round_half_up(x), x.round() as u64);
        }
    }
}
