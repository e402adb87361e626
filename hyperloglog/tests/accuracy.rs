//! Accuracy at p = 14 over 200 independent streams (fixed seeds), against the bound
//! 1.04/√m and next to the DataSketches figures from `tests/data/`.
#![cfg(not(loom))]

use brick_hyperloglog::{DefaultBuildHasher, HyperLogLog};

const STREAMS: u64 = 200;
const P: u8 = 14;

/// Per cardinality: (mean relative error, relative RMSE) of `estimate` (HIP once dense) and
/// the RMSE of `register_estimate` (Ertl's estimator, what merged sketches report), and the
/// share of streams whose `count` is within ±1.
fn trials(n: u64) -> (f64, f64, f64, f64) {
    let (mut sum, mut sq, mut sq_registers, mut within_one) = (0.0, 0.0, 0.0, 0u64);
    for stream in 0..STREAMS {
        let hasher = DefaultBuildHasher::with_seed(0x5eed_0000 + stream);
        let mut hll = HyperLogLog::with_hasher(P, hasher).unwrap();
        for item in 0..n {
            hll.insert(&item);
        }
        let rel = hll.estimate() / n as f64 - 1.0;
        sum += rel;
        sq += rel * rel;
        let rel_registers = hll.register_estimate() / n as f64 - 1.0;
        sq_registers += rel_registers * rel_registers;
        within_one += u64::from((hll.count() as i64 - n as i64).abs() <= 1);
    }
    let k = STREAMS as f64;
    (
        sum / k,
        (sq / k).sqrt(),
        (sq_registers / k).sqrt(),
        within_one as f64 / k,
    )
}

#[test]
fn relative_error_is_within_the_bound_at_every_cardinality() {
    let bound = 1.04 / f64::from(1u32 << P).sqrt();
    println!(
        "n | mean bias | RMSE of estimate (HIP) | RMSE of register_estimate (Ertl) | bound 1.10 × 1.04/√m | streams within ±1"
    );
    for n in [10u64, 1_000, 10_000, 100_000, 1_000_000] {
        let (bias, rmse, rmse_registers, within_one) = trials(n);
        println!(
            "{n} | {bias:+.5} | {rmse:.5} | {rmse_registers:.5} | {:.5} | {within_one:.3}",
            1.10 * bound
        );
        assert!(
            rmse <= 1.10 * bound,
            "n = {n}: RMSE {rmse} above {}",
            1.10 * bound
        );
        assert!(
            rmse_registers <= 1.10 * bound,
            "n = {n}: register RMSE {rmse_registers} above {}",
            1.10 * bound
        );
        assert!(bias.abs() <= 0.002, "n = {n}: mean bias {bias}");
        if n <= 1_000 {
            assert!(within_one >= 0.99, "n = {n}: only {within_one} within ±1");
        }
    }
}

/// The reference trials in `tests/data/hll_accuracy_trials.jsonl`: our `RedisHyperLogLog`
/// reproduces Redis's error on every stream exactly, and `HyperLogLog` is shown next to
/// DataSketches (lg_k 14) on the same streams.
#[test]
fn reference_trials_match_redis_and_compare_with_datasketches() {
    let path = format!(
        "{}/tests/data/hll_accuracy_trials.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("trials file");
    println!(
        "n | streams | ours (XXH3, p = 14) | DataSketches lg_k 14 | Redis p = 14 (ours bit-exact)"
    );
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let n = v["n"].as_u64().unwrap();
        let trials = v["trials"].as_u64().unwrap();
        let format = v["elements_format"].as_str().unwrap();
        let (mut ours, mut redis) = (0.0, 0.0);
        for (t, expected) in v["redis_p14"]["rel_errors"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let mut hll = HyperLogLog::with_params(P).unwrap();
            let mut r = brick_hyperloglog::RedisHyperLogLog::new();
            for i in 0..n {
                let e = format
                    .replace("{trial}", &t.to_string())
                    .replace("{i}", &i.to_string());
                hll.insert(e.as_bytes());
                r.insert(e.as_bytes());
            }
            let rel = r.count() as f64 / n as f64 - 1.0;
            assert!(
                (rel - expected.as_f64().unwrap()).abs() < 1e-12,
                "n = {n}, stream {t}: Redis's error {expected}, ours {rel}"
            );
            redis += rel * rel;
            let e = hll.count() as f64 / n as f64 - 1.0;
            ours += e * e;
        }
        let k = trials as f64;
        println!(
            "{n} | {trials} | {:.5} | {:.5} | {:.5}",
            (ours / k).sqrt(),
            v["datasketches_lg14"]["rmse_rel_error"].as_f64().unwrap(),
            (redis / k).sqrt()
        );
    }
}
