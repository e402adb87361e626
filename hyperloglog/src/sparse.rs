//! The sparse representation: one 4-byte entry per distinct hash prefix, sorted, exact at
//! every precision up to 18 until the sketch turns dense.

use crate::hll::MAX_PRECISION;

/// Hash bits an ordinary sparse entry keeps: 2^31 virtual registers, so two of a few thousand
/// distinct items share an entry about once in a thousand sketches.
pub(crate) const SPARSE_BITS: u32 = 31;
/// Hash bits between [`MAX_PRECISION`] and [`SPARSE_BITS`]: when they are all zero (one hash in
/// 8,192) the dense rank runs past the kept bits, and the entry stores it instead.
const RUN_BITS: u32 = SPARSE_BITS - MAX_PRECISION as u32;
/// Largest rank after the first 31 bits: 64 − 31 + 1.
const MAX_RUN_RANK: u32 = 64 - SPARSE_BITS + 1;

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

/// The union of two entry lists sorted by key, one entry per key with the higher rank.
pub(crate) fn merge_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
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
