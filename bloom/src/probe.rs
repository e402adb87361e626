//! From one 64-bit hash to k bit positions, and the zeroed allocation every filter starts from.

use crate::Error;

/// Maps `x` uniformly onto `0..m` with a multiply and a shift (Lemire 2019, "Fast random integer
/// generation in an interval"): no division, and exact for any m up to 2^64, so filters above
/// 2^32 bits index every bit.
#[inline(always)]
pub(crate) fn reduce(x: u64, m: u64) -> u64 {
    ((u128::from(x) * u128::from(m)) >> 64) as u64
}

/// MurmurHash3's 64-bit finaliser: a bijection with full avalanche, used to derive a second,
/// independent-looking hash from the first.
#[inline(always)]
pub(crate) fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// Enhanced double hashing (Kirsch and Mitzenmacher 2006; Dillinger and Manolios 2004):
/// gᵢ = h₁ + i·h₂ + (i³ − i)/6, computed incrementally. Plain double hashing (no cubic term)
/// repeats positions when h₂ is small relative to m; the cubic term breaks that, and k indexes
/// from one hash cost one addition each. The arithmetic wraps in 2^64 and [`reduce`] maps each
/// value onto the m bits.
#[derive(Clone, Copy)]
pub(crate) struct Probes {
    x: u64,
    y: u64,
    i: u64,
}

impl Probes {
    #[inline(always)]
    pub(crate) fn new(hash: u64) -> Self {
        Self {
            x: hash,
            y: fmix64(hash),
            i: 0,
        }
    }

    /// The next position in `0..m`.
    #[inline(always)]
    pub(crate) fn next_in(&mut self, m: u64) -> u64 {
        let index = reduce(self.x, m);
        self.x = self.x.wrapping_add(self.y);
        self.y = self.y.wrapping_add(self.i);
        self.i += 1;
        index
    }
}

/// `words` zeroed `u64`s, or a typed error instead of an abort when the allocator refuses.
pub(crate) fn zeroed_words(words: u64) -> Result<Vec<u64>, Error> {
    alloc_with(words, || 0)
}

/// `len` values from `make`, with the allocation's failure as [`Error::OutOfMemory`] and a
/// length beyond `usize` as [`Error::TooLarge`].
pub(crate) fn alloc_with<T>(len: u64, make: impl FnMut() -> T) -> Result<Vec<T>, Error> {
    crate::alloc::filled_with(len, make).map_err(|refused| {
        if usize::try_from(len).is_err() {
            Error::TooLarge {
                bits: len as f64 * size_of::<T>() as f64 * 8.0,
            }
        } else {
            Error::OutOfMemory {
                bytes: refused.bytes,
            }
        }
    })
}

/// Words of 64 bits needed for `bits` bits.
#[inline]
pub(crate) fn words_for(bits: u64) -> u64 {
    bits.div_ceil(64)
}

/// The mask of valid bits in the last word (all ones when `bits` is a multiple of 64).
pub(crate) fn last_word_mask(bits: u64) -> u64 {
    match bits % 64 {
        0 => u64::MAX,
        r => (1u64 << r) - 1,
    }
}

/// Swamidass–Baldi estimate of the items in a filter with `ones` of `m` bits set:
/// n ≈ −(m/k)·ln(1 − ones/m). Infinite when every bit is set.
pub(crate) fn estimate_items(ones: u64, m: u64, k: u32) -> f64 {
    let m_f = m as f64;
    -(m_f / f64::from(k)) * (-(ones as f64) / m_f).ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduce_covers_the_top_of_large_ranges() {
        let m = (1u64 << 40) + 12345;
        assert_eq!(reduce(u64::MAX, m), m - 1);
        assert_eq!(reduce(0, m), 0);
        assert!(reduce(1 << 63, m) >= 1 << 39);
    }

    #[test]
    fn probes_spread_over_filters_above_2_pow_32_bits() {
        let m = 1u64 << 36;
        let mut high = 0;
        for h in 0..1000u64 {
            let mut p = Probes::new(fmix64(h));
            for _ in 0..7 {
                let i = p.next_in(m);
                assert!(i < m);
                high += u64::from(i >= 1 << 35);
            }
        }
        // Half of 7000 positions should land in the upper half; 5σ of a binomial is about 210.
        assert!((high as i64 - 3500).abs() < 210, "{high}");
    }

    #[test]
    fn last_word_mask_counts_the_tail() {
        assert_eq!(last_word_mask(64), u64::MAX);
        assert_eq!(last_word_mask(65), 1);
        assert_eq!(last_word_mask(3), 0b111);
    }
}
