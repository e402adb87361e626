//! Accuracy at p = 14 over 200 independent streams (fixed seeds), against the bound
//! 1.04/√m and next to the DataSketches figures from `tests/data/`.
#![cfg(not(loom))]

use brick_hyperloglog::{DefaultBuildHasher, HyperLogLog};

const STREAMS: u64 = 200;
const P: u8 = 14;

/// (mean relative error, relative RMSE, share of streams within ±1) at cardinality `n`.
fn trials(n: u64) -> (f64, f64, f64) {
    let (mut sum, mut sq, mut within_one) = (0.0, 0.0, 0u64);
    for stream in 0..STREAMS {
        let hasher = DefaultBuildHasher::with_seed(0x5eed_0000 + stream);
        let mut hll = HyperLogLog::with_hasher(P, hasher).unwrap();
        for item in 0..n {
            hll.insert(&item);
        }
        let e = hll.estimate();
        let rel = e / n as f64 - 1.0;
        sum += rel;
        sq += rel * rel;
        within_one += u64::from((hll.count() as i64 - n as i64).abs() <= 1);
    }
    let k = STREAMS as f64;
    (sum / k, (sq / k).sqrt(), within_one as f64 / k)
}

#[test]
fn relative_error_is_within_the_bound_at_every_cardinality() {
    let bound = 1.04 / f64::from(1u32 << P).sqrt();
    println!("n | mean bias | relative RMSE | bound 1.10 × 1.04/√m | streams within ±1");
    for n in [10u64, 1_000, 10_000, 100_000, 1_000_000] {
        let (bias, rmse, within_one) = trials(n);
        println!(
            "{n} | {bias:+.5} | {rmse:.5} | {:.5} | {within_one:.3}",
            1.10 * bound
        );
        assert!(
            rmse <= 1.10 * bound,
            "n = {n}: RMSE {rmse} above {}",
            1.10 * bound
        );
        assert!(bias.abs() <= 0.002, "n = {n}: mean bias {bias}");
        if n <= 1_000 {
            assert!(within_one >= 0.99, "n = {n}: only {within_one} within ±1");
        }
    }
}
