//! Sizing: how many bits and hash functions a filter needs, as plain functions. The
//! formulas are derived in the crate docs' "How it works", where docs.rs shows them.

use crate::Error;
use std::f64::consts::LN_2;

/// The most hash functions a filter may use: enough for p = 10^(−77); beyond it every query
/// would cost more than it could save.
pub const MAX_HASHES: u32 = 256;

/// The most bits (or counters) a filter may have: 2^60, that is 128 PiB of bits.
pub const MAX_BITS: u64 = 1 << 60;

/// Bits in one block of [`BlockedBloomFilter`](crate::BlockedBloomFilter): one 64-byte cache line.
pub const BLOCK_BITS: u64 = 512;

fn check_rate(p: f64) -> Result<(), Error> {
    // NaN fails both comparisons, so it is refused too.
    if p > 0.0 && p < 1.0 {
        Ok(())
    } else {
        Err(Error::InvalidRate(p))
    }
}

fn check_bits(bits: f64) -> Result<u64, Error> {
    if bits > MAX_BITS as f64 {
        return Err(Error::TooLarge { bits });
    }
    let bits = bits as u64;
    // Every filter stores at most 4 bits per position (the counting filter): its bytes must
    // be addressable on this platform.
    if usize::try_from(bits.div_ceil(2)).is_err() {
        return Err(Error::TooLarge { bits: bits as f64 });
    }
    Ok(bits.max(1))
}

/// Bits for `n` items at false-positive rate `p`: ⌈−n·ln p / (ln 2)²⌉.
///
/// Computes in **O(1)** time.
///
/// # Errors
/// - [`Error::InvalidRate`] if `p` is not in (0, 1): p = 0 needs infinite bits, p ≥ 1 needs none.
/// - [`Error::ZeroItems`] if `n` is 0.
/// - [`Error::TooLarge`] if the result exceeds [`MAX_BITS`] or the platform's `usize`.
///
/// ```
/// // A billion items at 1 %: about 9.59e9 bits (1.2 GB).
/// let bits = brick_bloom::optimal_bits(1_000_000_000, 0.01)?;
/// assert_eq!(bits / 10_000_000, 958);
/// # Ok::<(), brick_bloom::Error>(())
/// ```
pub fn optimal_bits(n: u64, p: f64) -> Result<u64, Error> {
    check_rate(p)?;
    if n == 0 {
        return Err(Error::ZeroItems);
    }
    check_bits((-(n as f64) * p.ln() / (LN_2 * LN_2)).ceil())
}

/// Hash functions for `m` bits holding `n` items: max(1, round((m/n)·ln 2)).
///
/// Computes in **O(1)** time.
///
/// # Errors
/// - [`Error::ZeroBits`] if `m` is 0, [`Error::ZeroItems`] if `n` is 0.
/// - [`Error::InvalidHashes`] if the result exceeds [`MAX_HASHES`] (m/n above about 370).
pub fn optimal_hashes(m: u64, n: u64) -> Result<u32, Error> {
    if m == 0 {
        return Err(Error::ZeroBits);
    }
    if n == 0 {
        return Err(Error::ZeroItems);
    }
    // k = (m/n)·ln 2 minimises p; round, but never to 0: k = 0 would accept every query.
    let k = ((m as f64 / n as f64) * LN_2).round().max(1.0);
    if k > MAX_HASHES as f64 {
        return Err(Error::InvalidHashes(k.min(u32::MAX as f64) as u32));
    }
    Ok(k as u32)
}

/// Expected false-positive rate of `m` bits, `k` hashes and `n` items: (1 − e^(−kn/m))^k.
///
/// Computes in **O(1)** time.
///
/// # Errors
/// - [`Error::ZeroBits`] if `m` is 0; [`Error::InvalidHashes`] if `k` is 0 or above
///   [`MAX_HASHES`].
pub fn false_positive_rate(m: u64, n: u64, k: u32) -> Result<f64, Error> {
    check_shape(m, k)?;
    Ok(standard_rate(m as f64, n as f64, k))
}

fn standard_rate(m: f64, n: f64, k: u32) -> f64 {
    let k = f64::from(k);
    // −expm1(−x) = 1 − e^(−x) without cancellation when kn/m is tiny.
    (-(-k * n / m).exp_m1()).powf(k)
}

fn check_shape(m: u64, k: u32) -> Result<(), Error> {
    if m == 0 {
        return Err(Error::ZeroBits);
    }
    if k == 0 || k > MAX_HASHES {
        return Err(Error::InvalidHashes(k));
    }
    Ok(())
}

/// How many items `m` bits with `k` hashes hold before the expected rate exceeds `p`:
/// ⌊−(m/k)·ln(1 − p^(1/k))⌋, the inverse of [`false_positive_rate`].
///
/// Computes in **O(1)** time.
///
/// # Errors
/// - [`Error::InvalidRate`], [`Error::ZeroBits`], [`Error::InvalidHashes`] as above.
pub fn capacity(m: u64, k: u32, p: f64) -> Result<u64, Error> {
    check_rate(p)?;
    check_shape(m, k)?;
    let k = f64::from(k);
    // ln(1 − p^(1/k)) via ln_1p keeps precision when p^(1/k) is small.
    let n = -(m as f64 / k) * (-p.powf(1.0 / k)).ln_1p();
    Ok(n.floor() as u64)
}

/// Expected false-positive rate of a blocked filter: `m` bits in blocks of [`BLOCK_BITS`], an
/// item's `k` bits inside one block, `n` items (Putze, Sanders, Singler 2007, for the
/// split-block layout).
///
/// A block receives i items with Poisson probability P(i; λ = n·512/m). Inside it, the k bits go
/// round-robin to the block's eight 64-bit words, cᵥ = ⌈(k − v)/8⌉ of them to word v, each at a
/// uniform position in its word, so an absent item that lands in a block with i items is a false
/// positive with probability q(i) = Πᵥ (1 − (1 − 1/64)^(i·cᵥ))^cᵥ. Blocks with more than their
/// share of items dominate, so the rate is above the standard formula's at the same m; the sum is
/// over the blocks' load distribution:
///
/// p = Σᵢ P(i; λ) · q(i).
///
/// `m` is rounded up to whole blocks, as the filter does. Computes in **O(min(√λ, 2^16))**
/// time, λ = n / blocks: microseconds for any input.
///
/// # Errors
/// - [`Error::ZeroBits`] if `m` is 0; [`Error::InvalidHashes`] if `k` is 0 or above
///   [`MAX_HASHES`].
pub fn blocked_false_positive_rate(m: u64, n: u64, k: u32) -> Result<f64, Error> {
    check_shape(m, k)?;
    Ok(blocked_rate(m.div_ceil(BLOCK_BITS), n as f64, k))
}

/// The most Poisson terms [`blocked_rate`] sums: 2^16, a few hundred microseconds.
const MAX_POISSON_TERMS: u64 = 1 << 16;

/// The false-positive rate of one block holding `i` items: `extra` words take `few + 1` bits
/// of the query, the other `8 − extra` take `few`.
fn in_block_rate(i: u64, few: i32, extra: i32, keep_bit: f64) -> f64 {
    let kept_many = keep_bit.powf(((few + 1) as f64) * i as f64);
    let kept_few = keep_bit.powf(few as f64 * i as f64);
    (1.0 - kept_many).powi(few + 1).powi(extra) * (1.0 - kept_few).powi(few).powi(8 - extra)
}

fn blocked_rate(blocks: u64, n: f64, k: u32) -> f64 {
    let lambda = n / blocks as f64;
    if lambda == 0.0 {
        return 0.0;
    }
    // Bits per word: the first k mod 8 words take one more.
    let (few, extra) = ((k / 8) as i32, (k % 8) as i32);
    let keep_bit = 1.0 - 1.0 / 64.0f64;
    // The Poisson mass outside λ ± 12√λ (+ 40) is below 1e-30: far under any p we size for.
    let spread = 12.0 * lambda.sqrt() + 40.0;
    let lo = (lambda - spread).max(0.0).floor() as u64;
    let hi = (lambda + spread).ceil() as u64;
    if hi - lo > MAX_POISSON_TERMS {
        // λ is then above 7·10^6 items per 512-bit block, and every load within 12σ of it
        // fills a block to f64 precision: the integrand, increasing in i, is 1.0 at both ends
        // of the window, so it is the sum. (A unit test checks that for every k.)
        return in_block_rate(lo, few, extra, keep_bit);
    }
    // Walk i upwards with running products instead of a transcendental per term:
    // P(i) = P(i − 1)·λ/i, and (1 − 1/64)^(i·c) gains a factor (1 − 1/64)^c per step.
    let mut pmf = (-lambda + lo as f64 * lambda.ln() - ln_factorial(lo)).exp();
    let (step_many, step_few) = (keep_bit.powi(few + 1), keep_bit.powi(few));
    let (mut kept_many, mut kept_few) = (step_many.powf(lo as f64), step_few.powf(lo as f64));
    let mut sum = 0.0;
    for i in lo..=hi {
        if i > lo {
            pmf *= lambda / i as f64;
            kept_many *= step_many;
            kept_few *= step_few;
        }
        let in_block = (1.0 - kept_many).powi(few + 1).powi(extra)
            * (1.0 - kept_few).powi(few).powi(8 - extra);
        sum += pmf * in_block;
    }
    // A rate: the sum's rounding (its terms' logs reach 10^7) must not leave [0, 1].
    sum.clamp(0.0, 1.0)
}

/// ln(i!): exact below 32, Stirling's series (error below 1e-12) above.
fn ln_factorial(i: u64) -> f64 {
    if i < 32 {
        return (2..=i).map(|j| (j as f64).ln()).sum();
    }
    let x = i as f64;
    x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x * x * x)
}

/// A filter's shape: `bits` (m) and `hashes` (k).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Params {
    /// m: bits (for a counting filter: counters).
    pub bits: u64,
    /// k: hash functions, that is bits set per item.
    pub hashes: u32,
}

impl Params {
    /// A validated shape.
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// - [`Error::ZeroBits`] if `bits` is 0; [`Error::TooLarge`] above [`MAX_BITS`].
    /// - [`Error::InvalidHashes`] if `hashes` is 0 or above [`MAX_HASHES`].
    pub fn new(bits: u64, hashes: u32) -> Result<Self, Error> {
        check_shape(bits, hashes)?;
        let bits = check_bits(bits as f64)?;
        Ok(Self { bits, hashes })
    }

    /// The smallest standard filter for `n` items whose expected rate is at most `p`.
    ///
    /// Starts from [`optimal_bits`]. Because k must be a whole number, the rate there can exceed
    /// `p` slightly (0.4 % over at p = 1 % with k = 7), so m grows to −k·n / ln(1 − p^(1/k)) for
    /// the whole k on either side of (m/n)·ln 2, and the smaller wins: 0.1 % more bits at p = 1 %,
    /// a few percent at p above 10 %, where a whole k is a coarse step.
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// As [`optimal_bits`] and [`optimal_hashes`].
    ///
    /// ```
    /// use brick_bloom::Params;
    /// let params = Params::optimal(1_000_000_000, 0.01)?;
    /// assert_eq!(params.hashes, 7);
    /// assert_eq!(params.bits / 10_000_000, 959); // about 9.59e9 bits
    /// assert!(params.false_positive_rate(1_000_000_000) <= 0.01);
    /// # Ok::<(), brick_bloom::Error>(())
    /// ```
    pub fn optimal(n: u64, p: f64) -> Result<Self, Error> {
        let m0 = optimal_bits(n, p)?;
        let k_real = (m0 as f64 / n as f64) * LN_2;
        let mut best: Option<Self> = None;
        // The best whole k is next to the real optimum; try both neighbours and keep the one
        // that needs fewer bits (on a tie, fewer hashes).
        for k in [k_real.floor().max(1.0), k_real.ceil().max(1.0)] {
            let k = k as u32;
            if k > MAX_HASHES {
                return Err(Error::InvalidHashes(k));
            }
            let bits = bits_for_rate(n, p, k, m0)?;
            if best.is_none_or(|b| bits < b.bits) {
                best = Some(Self { bits, hashes: k });
            }
        }
        best.ok_or(Error::ZeroItems)
    }

    /// A blocked filter (whole 512-bit blocks) for `n` items whose expected rate, by
    /// [`blocked_false_positive_rate`], is at most `p`: the fewest blocks (to within 0.1 %)
    /// over k near its optimum.
    ///
    /// Computes in **O(√λ)** time: about a hundred evaluations of the rate, under a millisecond.
    ///
    /// # Errors
    /// As [`optimal_bits`].
    pub fn blocked(n: u64, p: f64) -> Result<Self, Error> {
        let standard = Self::optimal(n, p)?;
        let nf = n as f64;
        let mut best: Option<Self> = None;
        let limit = MAX_BITS / BLOCK_BITS;
        // The blocked optimum sits within a few hashes of the standard one (k = 8, one bit per
        // word, is often best), so search that window and always include 1..=8.
        let k_lo = standard.hashes.saturating_sub(4).clamp(1, 8);
        let k_hi = (standard.hashes + 4).clamp(8, MAX_HASHES);
        for k in k_lo..=k_hi {
            // The rate falls as blocks grow: bracket the fewest blocks that reach p, then
            // bisect until the bracket is within 0.1 % (a few blocks), keeping the side that
            // meets p.
            let mut lo = standard.bits.div_ceil(BLOCK_BITS).max(1);
            let mut hi = lo;
            while blocked_rate(hi, nf, k) > p {
                if hi >= limit {
                    break;
                }
                lo = hi;
                hi = hi.saturating_mul(2).min(limit);
            }
            if blocked_rate(hi, nf, k) > p {
                continue;
            }
            while hi - lo > 1 + lo / 1000 {
                let mid = lo + (hi - lo) / 2;
                if blocked_rate(mid, nf, k) <= p {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            best = pick(best, hi, k);
        }
        let best = best.ok_or(Error::TooLarge {
            bits: MAX_BITS as f64 * 2.0,
        })?;
        check_bits(best.bits as f64)?;
        Ok(best)
    }

    /// Expected false-positive rate of a standard filter of this shape holding `n` items.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn false_positive_rate(&self, n: u64) -> f64 {
        standard_rate(self.bits as f64, n as f64, self.hashes)
    }

    /// Expected false-positive rate of a blocked filter of this shape holding `n` items.
    ///
    /// Computes in **O(min(√λ, 2^16))** time, λ = n / blocks (a Poisson sum over block loads).
    #[must_use]
    pub fn blocked_false_positive_rate(&self, n: u64) -> f64 {
        blocked_rate(self.bits.div_ceil(BLOCK_BITS), n as f64, self.hashes)
    }

    /// Items this shape holds as a standard filter at rate `p` (see [`capacity`]).
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// - [`Error::InvalidRate`] if `p` is not in (0, 1).
    pub fn capacity(&self, p: f64) -> Result<u64, Error> {
        capacity(self.bits, self.hashes, p)
    }
}

/// The fewest bits, at least `floor`, with which k hashes hold n items at rate ≤ p:
/// (1 − e^(−kn/m))^k ≤ p ⇔ m ≥ −k·n / ln(1 − p^(1/k)).
fn bits_for_rate(n: u64, p: f64, k: u32, floor: u64) -> Result<u64, Error> {
    let kf = f64::from(k);
    let needed = (-kf * n as f64 / (-p.powf(1.0 / kf)).ln_1p()).ceil();
    let mut bits = check_bits(needed.max(floor as f64))?;
    // Floating rounding may leave the rate a hair above p: step until it is not.
    while standard_rate(bits as f64, n as f64, k) > p {
        bits = check_bits((bits + 1 + bits / 1_000_000) as f64)?;
    }
    Ok(bits)
}

fn pick(best: Option<Params>, blocks: u64, k: u32) -> Option<Params> {
    let bits = blocks * BLOCK_BITS;
    match best {
        // Fewer bits wins; on a tie, fewer hashes (cheaper per query).
        Some(b) if b.bits <= bits => Some(b),
        _ => Some(Params { bits, hashes: k }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_factorial_is_continuous_at_the_switch() {
        let exact: f64 = (2..=40u64).map(|j| (j as f64).ln()).sum();
        assert!((ln_factorial(40) - exact).abs() < 1e-9);
    }

    /// Where the sum is cut short, every block is full to f64 precision at both ends of the
    /// window, for every k: the shortcut is the sum.
    #[test]
    fn past_the_term_limit_every_block_is_full() {
        // The smallest λ whose window exceeds the limit: 24√λ + 80 > 2^16.
        let lambda = ((MAX_POISSON_TERMS as f64 - 80.0) / 24.0).powi(2);
        let lo = (lambda - 12.0 * lambda.sqrt() - 40.0).floor() as u64;
        let keep_bit = 1.0 - 1.0 / 64.0f64;
        for k in 1..=MAX_HASHES {
            let (few, extra) = ((k / 8) as i32, (k % 8) as i32);
            assert_eq!(in_block_rate(lo, few, extra, keep_bit), 1.0, "k = {k}");
        }
        // And the full sum just below the limit agrees, up to its own rounding (the terms'
        // logs are about 10^7: about 1e-9 relative, as in `poisson_mass_sums_to_one`).
        let below = lambda * 0.98;
        let full = blocked_rate(1 << 20, below * (1u64 << 20) as f64, 8);
        assert!((full - 1.0).abs() < 1e-8, "{full}");
    }

    #[test]
    fn poisson_mass_sums_to_one() {
        // One block holding a million items is full: every query is a false positive. The
        // terms' logs are about 1e7, so f64 rounding leaves about 1e-9 of relative error.
        assert!((blocked_rate(1, 1e6, 1) - 1.0).abs() < 1e-8);
    }

    #[test]
    fn nearly_empty_blocks_follow_the_single_item_term() {
        // λ → 0: only blocks with one item matter; its 7 bits sit in 7 different words, one
        // each, so p ≈ λ·(1/64)^7.
        let blocks = 1u64 << 40;
        let lambda = 1.0 / blocks as f64;
        let one = (1.0 / 64.0f64).powi(7);
        let rate = blocked_rate(blocks, 1.0, 7);
        assert!((rate / (lambda * one) - 1.0).abs() < 1e-6, "{rate}");
    }

    #[test]
    fn blocking_costs_accuracy_at_equal_bits() {
        for (m, n, k) in [
            (9_600_000u64, 1e6, 7),
            (14_400_000, 1e6, 10),
            (4_800_000, 1e6, 3),
        ] {
            let blocked = blocked_rate(m / BLOCK_BITS, n, k);
            let standard = standard_rate(m as f64, n, k);
            assert!(blocked > standard, "{m} {n} {k}: {blocked} vs {standard}");
        }
    }
}
