//! Bad input over the public surface: sizing functions and constructors with arbitrary
//! parameters (0, 1, MAX, NaN, ±∞, subnormals) answer quickly with a value in range or a
//! typed error, and never panic.

use brick_bloom::{
    AtomicBloomFilter, BlockedBloomFilter, BloomFilter, CountingBloomFilter, Error, Params,
    ScalableBloomFilter, blocked_false_positive_rate, capacity, false_positive_rate, optimal_bits,
    optimal_hashes,
};
use proptest::prelude::*;
use std::time::{Duration, Instant};

mod limit;

/// Far above any answer's time (microseconds), far below a hang.
const BOUND: Duration = Duration::from_secs(2);

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < BOUND, "{what} took {took:?}");
    out
}

/// λ ≈ 10^19 items per block once looped O(√λ) times: now a bounded sum.
#[test]
fn the_blocked_rate_of_an_overfull_filter_answers_at_once() {
    let rate = timed("blocked rate, n = u64::MAX", || {
        blocked_false_positive_rate(512, u64::MAX, 8).unwrap()
    });
    assert_eq!(rate, 1.0);
    let filter = BlockedBloomFilter::new(1_000, 0.01).unwrap();
    for n in [1e15 as u64, u64::MAX, 1 << 40] {
        let rate = timed("expected rate", || filter.expected_false_positive_rate(n));
        assert_eq!(rate, 1.0, "n = {n}");
    }
}

fn weird_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(-0.0),
        Just(1.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        Just(1.0 - f64::EPSILON),
        1e-12f64..0.5,
        any::<f64>(),
    ]
}

fn weird_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(u64::MAX),
        Just(1 << 63),
        1u64..100_000,
        any::<u64>(),
    ]
}

fn weird_k() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0u32),
        Just(1),
        Just(256),
        Just(257),
        Just(u32::MAX),
        1u32..40
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every sizing function answers within the time bound, with a rate in [0, 1] or a typed
    /// error.
    #[test]
    fn sizing_with_arbitrary_parameters(m in weird_u64(), n in weird_u64(), k in weird_k(), p in weird_f64()) {
        let rate_ok = |r: f64| (0.0..=1.0).contains(&r);
        if let Ok(r) = timed("false_positive_rate", || false_positive_rate(m, n, k)) {
            prop_assert!(rate_ok(r), "{}", r);
        }
        if let Ok(r) = timed("blocked_false_positive_rate", || blocked_false_positive_rate(m, n, k)) {
            prop_assert!(rate_ok(r), "{}", r);
        }
        let valid_p = p > 0.0 && p < 1.0;
        if let Ok(bits) = timed("optimal_bits", || optimal_bits(n, p)) {
            prop_assert!(valid_p && bits >= 1);
        }
        if !valid_p {
            prop_assert!(optimal_bits(n.max(1), p).is_err());
            prop_assert!(capacity(m.max(1), k.max(1), p).is_err());
        }
        let _ = timed("optimal_hashes", || optimal_hashes(m, n));
        let _ = timed("capacity", || capacity(m, k, p));
        if let Ok(params) = timed("Params::new", || Params::new(m, k)) {
            prop_assert!(rate_ok(timed("Params rate", || params.false_positive_rate(n))));
            prop_assert!(rate_ok(timed("Params blocked rate", || params.blocked_false_positive_rate(n))));
        }
    }
}

/// Constructors with arbitrary targets: a filter where the plan is small enough to build
/// here, a typed error where the parameters are invalid, and a built filter never says
/// "absent" for what it holds.
#[test]
fn constructors_with_arbitrary_parameters() {
    if limit::ran_under_limit("constructors_with_arbitrary_parameters") {
        return;
    }
    proptest!(ProptestConfig::with_cases(512), |(n in weird_u64(), p in weird_f64(), growth in weird_f64(), tightening in weird_f64(), items in prop::collection::vec(any::<u32>(), 0..50))| {
    let Ok(plan) = Params::optimal(n, p) else {
        prop_assert!(BloomFilter::new(n, p).is_err());
        prop_assert!(BlockedBloomFilter::new(n, p).is_err());
        prop_assert!(CountingBloomFilter::new(n, p).is_err());
        prop_assert!(AtomicBloomFilter::new(n, p).is_err());
        return Ok(());
    };
    // Build only what fits in a test (16 Mbit, and 16 MiB for a counting filter).
    if plan.bits > 1 << 24 {
        return Ok(());
    }
    let mut standard = BloomFilter::new(n, p).unwrap();
    // The blocked filter sizes by its own formula, which at extreme rates asks for far more
    // bits than the standard plan (n = 1 at p = 5e-67: petabytes): built only when it fits.
    let mut blocked = match Params::blocked(n, p) {
        Ok(plan) if plan.bits <= 1 << 24 => Some(BlockedBloomFilter::new(n, p).unwrap()),
        Ok(_) => None,
        Err(_) => {
            prop_assert!(BlockedBloomFilter::new(n, p).is_err());
            None
        }
    };
    let mut counting = CountingBloomFilter::new(n, p).unwrap();
    let atomic = AtomicBloomFilter::new(n, p).unwrap();
    let scalable = ScalableBloomFilter::with_growth(n.max(1), p, growth, tightening);
    let growth_ok = growth >= 1.0 && growth.is_finite() && tightening > 0.0 && tightening < 1.0;
    if !growth_ok {
        prop_assert!(scalable.is_err());
    }
    let mut scalable = scalable.ok();
    for x in &items {
        standard.insert(x);
        if let Some(b) = blocked.as_mut() {
            b.insert(x);
        }
        counting.insert(x);
        atomic.insert(x);
        if let Some(s) = scalable.as_mut() {
            // A scalable filter may refuse to grow (typed: under the 4 GiB limit, a stage
            // too large to allocate, or one whose rate needs more than MAX_HASHES hashes),
            // never lose an item it took.
            if let Err(e) = s.insert(x) {
                prop_assert!(matches!(e, Error::TooLarge { .. } | Error::OutOfMemory { .. } | Error::Exhausted { .. }), "{}", e);
                scalable = None;
            }
        }
    }
    for x in &items {
        prop_assert!(standard.contains(x) && counting.contains(x) && atomic.contains(x));
        prop_assert!(blocked.as_ref().is_none_or(|b| b.contains(x)));
        if let Some(s) = &scalable {
            prop_assert!(s.contains(x));
        }
    }
    // Documented: +∞ once every bit is set; never NaN, never negative.
    let blocked_len = blocked.as_ref().map_or(0.0, BlockedBloomFilter::estimated_len);
    for e in [standard.estimated_len(), blocked_len, counting.estimated_len(), atomic.estimated_len()] {
        prop_assert!(e >= 0.0, "{}", e);
    }
    });
}

/// A tightening ratio so small that the second stage's rate needs more than MAX_HASHES hash
/// functions: the insert that would open it is refused with a typed error, and what the filter
/// took stays present.
#[test]
fn scalable_filter_out_of_stages_is_a_typed_error() {
    let mut s = ScalableBloomFilter::with_growth(1, 1e-12, 1.0, f64::MIN_POSITIVE).unwrap();
    assert_eq!(s.insert(&"first"), Ok(false));
    let err = s.insert(&"second").unwrap_err();
    assert!(matches!(err, Error::Exhausted { stages: 1, .. }), "{err}");
    assert!(s.contains(&"first"));
    assert_eq!(s.len(), 1);
}
