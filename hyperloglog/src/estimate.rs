//! Ertl's improved estimator: the cardinality from the histogram of register values.
//!
//! With m = 2^p registers of q + 1 possible ranks (q = 64 − p), and C[k] the number of registers
//! holding k, the estimate is
//!
//!   n̂ = α∞ m² / (m σ(C[0]/m) + Σ_{k=1..q} C[k] 2^−k + m τ(1 − C[q+1]/m) 2^−q),
//!
//! with α∞ = 1/(2 ln 2). σ corrects for empty registers (it replaces linear counting) and τ for
//! saturated ones. Both are series that converge to double precision in a few dozen terms.
//! Ertl (2017), "New cardinality estimation algorithms for HyperLogLog sketches", algorithm 6.

/// α∞ = 1/(2 ln 2), written as Redis writes it.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// σ(x) = x + Σ_{k≥1} x^(2^k) 2^(k−1), for x in [0, 1].
fn sigma(mut x: f64) -> f64 {
    if x >= 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if z == before {
            return z;
        }
    }
}

/// τ(x) = (1 − x − Σ_{k≥1} (1 − x^(2^−k))² 2^−k) / 3, for x in [0, 1].
fn tau(mut x: f64) -> f64 {
    if x <= 0.0 || x >= 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if z == before {
            return z / 3.0;
        }
    }
}

/// The histogram of register values at precision `p`: entry k counts the registers holding k,
/// for k in 0..=65 − p (the largest rank), as [`ertl`] takes it.
pub(crate) fn histogram(p: u8, registers: impl IntoIterator<Item = u8>) -> Vec<u32> {
    let mut hist = vec![0u32; 66 - usize::from(p)];
    for r in registers {
        hist[usize::from(r)] += 1;
    }
    hist
}

/// The estimate for `m` registers whose values have the histogram `counts` (`counts[k]` registers
/// hold k; the last index is q + 1).
pub(crate) fn ertl(m: f64, counts: &[u32]) -> f64 {
    // The operations in Redis's order, so that `RedisHyperLogLog` rounds exactly as PFCOUNT.
    let q = counts.len() - 2;
    let mut z = m * tau((m - f64::from(counts[q + 1])) / m);
    for k in (1..=q).rev() {
        z += f64::from(counts[k]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(counts[0]) / m);
    ALPHA_INF * m * m / z
}

/// The same estimate from its three parts, for a sketch that tracks them instead of a
/// histogram: `zeros` = C[0], `middle` = Σ_{k=1..q} C[k] 2^−k, `saturated` = C[q+1].
pub(crate) fn ertl_terms(m: f64, zeros: f64, middle: f64, saturated: f64, q: u32) -> f64 {
    let z = m * tau((m - saturated) / m) * 0.5f64.powi(q as i32) + middle + m * sigma(zeros / m);
    ALPHA_INF * m * m / z
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_sketch_estimates_zero() {
        let mut counts = vec![0u32; 52];
        counts[0] = 16384;
        assert_eq!(ertl(16384.0, &counts), 0.0);
    }

    #[test]
    fn one_register_set_estimates_about_one() {
        let mut counts = vec![0u32; 52];
        counts[0] = 16383;
        counts[1] = 1;
        let e = ertl(16384.0, &counts);
        assert!((e - 1.0).abs() < 0.01, "{e}");
    }

    #[test]
    fn the_series_match_their_closed_forms_at_the_ends() {
        assert_eq!(sigma(0.0), 0.0);
        assert!(sigma(1.0).is_infinite());
        assert_eq!(tau(0.0), 0.0);
        assert_eq!(tau(1.0), 0.0);
        // sigma(x) >= x, and grows past it.
        assert!(sigma(0.5) > 0.5 && sigma(0.5) < 2.0);
    }
}
