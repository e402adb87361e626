//! Properties every sketch promises, for any stream and any dimensions.
#![cfg(not(loom))]

use std::collections::HashMap;

use brick_count_min::{
    AtomicConservativeCountMin, AtomicCountMinSketch, ConservativeCountMin, CountMinSketch,
    DecodeError, DefaultBuildHasher, Error, SipBuildHasher, SpaceSaving, TopK, dimensions,
};
use proptest::prelude::*;

/// A stream of (key, count) over a small key space, so keys collide in small sketches.
fn stream() -> impl Strategy<Value = Vec<(u16, u64)>> {
    prop::collection::vec((0u16..300, 1u64..50), 0..400)
}

fn shape() -> impl Strategy<Value = (u64, u64)> {
    // Depths past 8 take the conservative update's general path.
    (1u64..80, 1u64..12)
}

fn exact(items: &[(u16, u64)]) -> HashMap<u16, u64> {
    let mut m = HashMap::new();
    for &(k, n) in items {
        *m.entry(k).or_insert(0) += n;
    }
    m
}

fn plain<C: brick_count_min::Counter>(
    (w, d): (u64, u64),
    seed: u64,
    items: &[(u16, u64)],
) -> CountMinSketch<C> {
    let mut s = CountMinSketch::with_hasher(w, d, DefaultBuildHasher::with_seed(seed)).unwrap();
    for (k, n) in items {
        s.add(k, *n);
    }
    s
}

fn conservative((w, d): (u64, u64), seed: u64, items: &[(u16, u64)]) -> ConservativeCountMin {
    let mut s =
        ConservativeCountMin::with_hasher(w, d, DefaultBuildHasher::with_seed(seed)).unwrap();
    for (k, n) in items {
        s.add(k, *n);
    }
    s
}

proptest! {
    #[test]
    fn estimates_never_fall_below_true_counts(items in stream(), dims in shape(), seed: u64) {
        let truth = exact(&items);
        let p = plain::<u32>(dims, seed, &items);
        let c = conservative(dims, seed, &items);
        for (k, &t) in &truth {
            prop_assert!(p.estimate(k) >= t);
            prop_assert!(c.estimate(k) >= t);
        }
        prop_assert_eq!(p.total(), truth.values().sum::<u64>());
        prop_assert_eq!(c.total(), p.total());
    }

    #[test]
    fn conservative_never_exceeds_plain(items in stream(), dims in shape(), seed: u64, probe in 0u16..400) {
        let p = plain::<u32>(dims, seed, &items);
        let c = conservative(dims, seed, &items);
        for k in exact(&items).keys().chain([&probe]) {
            prop_assert!(c.estimate(k) <= p.estimate(k));
        }
        // Counter by counter too: conservative update raises each counter at most as far.
        prop_assert!(c.counters().iter().zip(p.counters()).all(|(a, b)| a <= b));
    }

    #[test]
    fn add_returns_the_new_estimate(items in stream(), dims in shape()) {
        let mut p: CountMinSketch = CountMinSketch::with_params(dims.0, dims.1).unwrap();
        let mut c: ConservativeCountMin = ConservativeCountMin::with_params(dims.0, dims.1).unwrap();
        for (k, n) in &items {
            prop_assert_eq!(p.add(k, *n), p.estimate(k));
            prop_assert_eq!(c.add(k, *n), c.estimate(k));
        }
    }

    #[test]
    fn merge_equals_the_sketch_of_both_streams(a in stream(), b in stream(), dims in shape(), seed: u64) {
        let mut left = plain::<u32>(dims, seed, &a);
        left.merge(&plain(dims, seed, &b)).unwrap();
        let both: Vec<_> = a.iter().chain(&b).copied().collect();
        prop_assert_eq!(left, plain(dims, seed, &both));
    }

    #[test]
    fn conservative_merge_bounds_the_truth_and_stays_below_plain(a in stream(), b in stream(), dims in shape()) {
        let mut c = conservative(dims, 1, &a);
        c.merge(&conservative(dims, 1, &b)).unwrap();
        let both: Vec<_> = a.iter().chain(&b).copied().collect();
        let p = plain::<u32>(dims, 1, &both);
        for (k, t) in exact(&both) {
            prop_assert!(c.estimate(&k) >= t);
            prop_assert!(c.estimate(&k) <= p.estimate(&k));
        }
    }

    #[test]
    fn halve_halves_every_counter(items in stream(), dims in shape()) {
        let before = plain::<u32>(dims, 0, &items);
        let mut after = before.clone();
        after.halve();
        prop_assert_eq!(after.total(), before.total() / 2);
        for (a, b) in after.counters().iter().zip(before.counters()) {
            prop_assert_eq!(*a, b / 2);
        }
        // Still an upper bound of the halved true counts.
        for (k, t) in exact(&items) {
            prop_assert!(after.estimate(&k) >= t / 2);
        }
    }

    #[test]
    fn saturated_counters_read_as_the_minimum_of_max_and_the_unbounded_estimate(
        items in prop::collection::vec((0u16..40, 1u64..200), 0..200), dims in shape(),
    ) {
        let small = plain::<u8>(dims, 7, &items);
        let wide = plain::<u64>(dims, 7, &items);
        for (k, t) in exact(&items) {
            prop_assert_eq!(small.estimate(&k), wide.estimate(&k).min(255));
            prop_assert!(small.estimate(&k) >= t.min(255));
        }
        let mut halved = small.clone();
        halved.halve();
        for (h, s) in halved.counters().iter().zip(small.counters()) {
            prop_assert_eq!(*h, if *s == 255 { 255 } else { s / 2 });
        }
    }

    #[test]
    fn bytes_round_trip(items in stream(), dims in shape(), seed: u64) {
        let p = plain::<u16>(dims, seed, &items);
        prop_assert_eq!(CountMinSketch::from_bytes(&p.to_bytes()).unwrap(), p);
        let c = conservative(dims, seed, &items);
        prop_assert_eq!(ConservativeCountMin::from_bytes(&c.to_bytes()).unwrap(), c);
    }

    #[test]
    fn any_corrupted_truncated_or_extended_bytes_are_refused(
        items in stream(), dims in shape(), at: prop::sample::Index, flip in 1u8..=255, cut in 1usize..16,
    ) {
        let bytes = plain::<u32>(dims, 3, &items).to_bytes();
        let mut bad = bytes.clone();
        let i = at.index(bad.len());
        bad[i] ^= flip;
        prop_assert!(CountMinSketch::<u32>::from_bytes(&bad).is_err());
        prop_assert!(CountMinSketch::<u32>::from_bytes(&bytes[..bytes.len().saturating_sub(cut)]).is_err());
        let mut long = bytes.clone();
        long.extend(std::iter::repeat_n(0, cut));
        prop_assert!(CountMinSketch::<u32>::from_bytes(&long).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = CountMinSketch::<u32>::from_bytes(&bytes);
        let _ = ConservativeCountMin::<u8>::from_bytes(&bytes);
    }

    #[test]
    fn space_saving_bounds_hold_for_any_weighted_stream(items in stream(), k in 1u64..40) {
        let truth = exact(&items);
        let mut ss = SpaceSaving::new(k).unwrap();
        for (key, n) in &items {
            ss.add(key, *n);
        }
        let n: u64 = truth.values().sum();
        prop_assert_eq!(ss.total(), n);
        let top = ss.top();
        prop_assert!(top.len() as u64 <= k);
        // The counters hold exactly N between them: each add moves the total by its weight.
        prop_assert_eq!(top.iter().map(|h| h.count).sum::<u64>(), n);
        prop_assert!(top.windows(2).all(|w| w[0].count >= w[1].count));
        for h in &top {
            let t = truth[&h.key];
            prop_assert!(h.lower_bound() <= t && t <= h.count);
            prop_assert!(h.error * k <= n);
        }
        for (key, &t) in &truth {
            // Anything above N/k is reported, and every estimate is an upper bound.
            if t * k > n {
                prop_assert!(top.iter().any(|h| h.key == *key));
            }
            prop_assert!(ss.estimate(key) >= t);
        }
        for h in ss.above(n / 4) {
            prop_assert!(truth[&h.key] > n / 4);
        }
    }

    #[test]
    fn top_k_reports_upper_bounds_largest_first(a in stream(), b in stream(), k in 1u64..20, dims in shape()) {
        let mut top = TopK::<u16>::with_params(k, dims.0, dims.1).unwrap();
        let mut other = TopK::<u16>::with_params(k, dims.0, dims.1).unwrap();
        for (key, n) in &a {
            top.add(key, *n);
        }
        for (key, n) in &b {
            other.add(key, *n);
        }
        let check = |t: &TopK<u16>, truth: &HashMap<u16, u64>| -> Result<(), TestCaseError> {
            let r = t.top();
            prop_assert!(r.len() as u64 <= k);
            prop_assert_eq!(r.len(), truth.len().min(k as usize));
            prop_assert!(r.windows(2).all(|w| w[0].count >= w[1].count));
            for h in &r {
                prop_assert!(h.count >= truth[&h.key]);
                prop_assert!(h.count <= t.estimate(&h.key));
            }
            Ok(())
        };
        check(&top, &exact(&a))?;
        top.merge(&other).unwrap();
        let both: Vec<_> = a.iter().chain(&b).copied().collect();
        check(&top, &exact(&both))?;
        top.halve();
        let halved: HashMap<u16, u64> = exact(&both).into_iter().map(|(k, v)| (k, v / 2)).collect();
        for h in top.top() {
            prop_assert!(h.count >= halved[&h.key]);
        }
    }

    #[test]
    fn atomic_sketches_equal_their_single_threaded_twins(items in stream(), dims in shape()) {
        let atomic: AtomicCountMinSketch = AtomicCountMinSketch::with_params(dims.0, dims.1).unwrap();
        let atomic_cu: AtomicConservativeCountMin = AtomicConservativeCountMin::with_params(dims.0, dims.1).unwrap();
        let mut single = CountMinSketch::<u64>::with_params(dims.0, dims.1).unwrap();
        let mut single_cu = ConservativeCountMin::<u64>::with_params(dims.0, dims.1).unwrap();
        for (k, n) in &items {
            if *n == 1 { atomic.increment(k) } else { atomic.add(k, *n) }
            atomic_cu.add(k, *n);
            single.add(k, *n);
            single_cu.add(k, *n);
        }
        prop_assert_eq!(atomic.to_sketch(), single.clone());
        prop_assert_eq!(atomic_cu.to_sketch(), single_cu);
        let back = AtomicCountMinSketch::from(single.clone());
        prop_assert_eq!(back.to_sketch(), single);
    }
}

#[test]
fn threaded_increments_are_all_counted() {
    let atomic: std::sync::Arc<AtomicCountMinSketch> =
        std::sync::Arc::new(AtomicCountMinSketch::with_params(64, 3).unwrap());
    let cu: std::sync::Arc<AtomicConservativeCountMin> =
        std::sync::Arc::new(AtomicConservativeCountMin::with_params(64, 3).unwrap());
    let workers: Vec<_> = (0..2)
        .map(|t| {
            let (atomic, cu) = (atomic.clone(), cu.clone());
            std::thread::spawn(move || {
                for i in 0..20_000u64 {
                    atomic.increment(&(i % 100));
                    cu.add(&(i % 100), 1 + t);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let mut single = CountMinSketch::<u64>::with_params(64, 3).unwrap();
    for _ in 0..2 {
        for i in 0..20_000u64 {
            single.increment(&(i % 100));
        }
    }
    assert_eq!(atomic.to_sketch(), single);
    assert_eq!(atomic.total(), 40_000);
    assert_eq!(cu.total(), 20_000 * 3);
    for key in 0..100u64 {
        assert!(cu.estimate(&key) >= 200 * 3, "key {key}");
    }
}

#[test]
fn sizing_follows_the_formulas() {
    assert_eq!(dimensions(0.001, 0.01).unwrap(), (2719, 5));
    assert_eq!(dimensions(0.5, 0.5).unwrap(), (6, 1));
    let s: CountMinSketch = CountMinSketch::new(0.01, 0.001).unwrap();
    assert_eq!((s.width(), s.depth()), (272, 7));
    assert!(s.epsilon() <= 0.01 && s.delta() <= 0.001);
    assert_eq!(s.len_bytes(), 272 * 7 * 4);
}

#[test]
fn bad_parameters_are_typed_errors() {
    for e in [0.0, 1.0, -0.1, f64::NAN, f64::INFINITY] {
        assert!(matches!(dimensions(e, 0.01), Err(Error::InvalidEpsilon(_))));
        assert!(matches!(dimensions(0.01, e), Err(Error::InvalidDelta(_))));
    }
    assert!(matches!(
        dimensions(1e-12, 0.01),
        Err(Error::TooLarge { .. })
    ));
    assert!(matches!(
        dimensions(0.01, 1e-300),
        Err(Error::InvalidDepth(691))
    ));
    assert_eq!(
        CountMinSketch::<u32>::with_params(0, 3).unwrap_err(),
        Error::InvalidWidth(0)
    );
    assert_eq!(
        CountMinSketch::<u32>::with_params(3, 0).unwrap_err(),
        Error::InvalidDepth(0)
    );
    assert_eq!(
        CountMinSketch::<u32>::with_params(3, 65).unwrap_err(),
        Error::InvalidDepth(65)
    );
    assert_eq!(
        CountMinSketch::<u32>::with_params(1 << 32, 1).unwrap_err(),
        Error::InvalidWidth(1 << 32)
    );
    // u32::MAX × 64 counters of 8 bytes: more than the allocator gives (or than usize holds).
    assert!(matches!(
        CountMinSketch::<u64>::with_params(u32::MAX as u64, 64),
        Err(Error::OutOfMemory { .. } | Error::TooLarge { .. })
    ));
    assert_eq!(
        TopK::<u8>::with_params(0, 10, 2).unwrap_err(),
        Error::InvalidK(0)
    );
    assert_eq!(
        SpaceSaving::<u8>::new(1 << 25).unwrap_err(),
        Error::InvalidK(1 << 25)
    );
    assert!(AtomicCountMinSketch::<DefaultBuildHasher>::with_params(0, 1).is_err());
    for e in [
        Error::InvalidEpsilon(2.0),
        Error::InvalidK(0),
        Error::Decode(DecodeError::Checksum),
    ] {
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn merge_refuses_other_shapes_and_hashers_unchanged() {
    let mut a: CountMinSketch = CountMinSketch::with_params(100, 3).unwrap();
    a.increment("x");
    let before = a.clone();
    let b: CountMinSketch = CountMinSketch::with_params(100, 4).unwrap();
    assert!(matches!(a.merge(&b), Err(Error::ShapeMismatch { .. })));
    let c = CountMinSketch::with_hasher(100, 3, DefaultBuildHasher::with_seed(1)).unwrap();
    assert!(matches!(a.merge(&c), Err(Error::ShapeMismatch { .. })));
    assert_eq!(a, before);
}

#[test]
fn decoding_checks_kind_and_hasher() {
    let mut s =
        CountMinSketch::<u32>::with_hasher(50, 2, DefaultBuildHasher::with_seed(9)).unwrap();
    s.add("a", 3);
    let bytes = s.to_bytes();
    assert!(matches!(
        CountMinSketch::<u16>::from_bytes(&bytes),
        Err(Error::Decode(DecodeError::WrongKind { .. }))
    ));
    assert!(matches!(
        ConservativeCountMin::<u32>::from_bytes(&bytes),
        Err(Error::Decode(DecodeError::WrongKind { .. }))
    ));
    assert!(matches!(
        CountMinSketch::<u32>::from_bytes_with_hasher(&bytes, DefaultBuildHasher::with_seed(8)),
        Err(Error::Decode(DecodeError::HasherMismatch { .. }))
    ));
    let back = CountMinSketch::<u32>::from_bytes(&bytes).unwrap();
    assert_eq!(back.hasher().seed(), 9);
    assert_eq!(back.estimate("a"), 3);

    let key = SipBuildHasher::with_keys(1, 2);
    let mut keyed = CountMinSketch::<u32, _>::with_hasher(50, 2, key).unwrap();
    keyed.increment("a");
    let bytes = keyed.to_bytes();
    assert!(matches!(
        CountMinSketch::<u32, SipBuildHasher>::from_bytes(&bytes),
        Err(Error::Decode(DecodeError::NeedsHasher))
    ));
    assert!(matches!(
        CountMinSketch::<u32, _>::from_bytes_with_hasher(&bytes, SipBuildHasher::with_keys(1, 3)),
        Err(Error::Decode(DecodeError::HasherMismatch { .. }))
    ));
    assert_eq!(
        CountMinSketch::<u32, _>::from_bytes_with_hasher(&bytes, key).unwrap(),
        keyed
    );
}

#[test]
fn clear_empties_and_keeps_the_shape() {
    let mut s: ConservativeCountMin = ConservativeCountMin::with_params(10, 2).unwrap();
    assert!(s.is_empty());
    s.add(&1u8, 5);
    assert!(!s.is_empty());
    s.clear();
    assert!(s.is_empty());
    assert_eq!((s.width(), s.depth(), s.estimate(&1u8)), (10, 2, 0));
}

#[test]
fn shared_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<AtomicCountMinSketch>();
    check::<AtomicConservativeCountMin>();
    check::<CountMinSketch>();
    check::<TopK<String>>();
    check::<SpaceSaving<String>>();
}

/// serde (feature `serde`) is the byte format: sketches round-trip through JSON, and on
/// damaged encodings deserializing agrees with `from_bytes`.
#[cfg(feature = "serde")]
mod serde_wire;

#[cfg(feature = "serde")]
proptest! {
    #[test]
    fn serde_is_the_byte_format(items in stream(), dims in shape(), seed: u64, damage in serde_wire::damage()) {
        let p = plain::<u32>(dims, seed, &items);
        let c = conservative(dims, seed, &items);
        serde_wire::round_trips(&p, CountMinSketch::to_bytes);
        serde_wire::round_trips(&c, ConservativeCountMin::to_bytes);
        for good in [p.to_bytes(), c.to_bytes()] {
            serde_wire::agrees_when_damaged(&good, &damage, CountMinSketch::<u32>::from_bytes, CountMinSketch::to_bytes);
            serde_wire::agrees_when_damaged(&good, &damage, ConservativeCountMin::<u32>::from_bytes, ConservativeCountMin::to_bytes);
        }
    }
}

#[cfg(feature = "serde")]
#[test]
fn serde_refuses_values_that_are_not_bytes() {
    serde_wire::refuses_other_shapes::<CountMinSketch>();
    serde_wire::refuses_other_shapes::<ConservativeCountMin>();
}

// `extend` is a loop of `increment` (of `insert` for the heavy-hitter trackers).
proptest! {
    #[test]
    fn extend_equals_counting_one_by_one(items in proptest::collection::vec(0u64..50, 0..400)) {
        let mut by_one = brick_count_min::CountMinSketch::<u32>::with_params(64, 4).unwrap();
        let mut cons_by_one = brick_count_min::ConservativeCountMin::<u32>::with_params(64, 4).unwrap();
        let mut top_by_one = brick_count_min::TopK::<u64>::with_params(5, 64, 4).unwrap();
        let mut ss_by_one = brick_count_min::SpaceSaving::<u64>::new(5).unwrap();
        for x in &items {
            by_one.increment(x);
            cons_by_one.increment(x);
            top_by_one.insert(x);
            ss_by_one.insert(x);
        }
        let mut sketch = brick_count_min::CountMinSketch::<u32>::with_params(64, 4).unwrap();
        sketch.extend(&items);
        let mut cons = brick_count_min::ConservativeCountMin::<u32>::with_params(64, 4).unwrap();
        cons.extend(items.iter().copied());
        let mut atomic: brick_count_min::AtomicCountMinSketch =
            brick_count_min::AtomicCountMinSketch::with_params(64, 4).unwrap();
        atomic.extend(&items);
        let mut top = brick_count_min::TopK::<u64>::with_params(5, 64, 4).unwrap();
        top.extend(items.iter().copied());
        let mut ss = brick_count_min::SpaceSaving::<u64>::new(5).unwrap();
        ss.extend(items.iter().copied());
        prop_assert!(sketch == by_one);
        prop_assert!(cons == cons_by_one);
        let widened: Vec<u64> = by_one.counters().iter().map(|&c| u64::from(c)).collect();
        let snapshot = atomic.to_sketch();
        prop_assert_eq!(snapshot.counters(), widened.as_slice());
        prop_assert_eq!(top.top(), top_by_one.top());
        prop_assert_eq!(ss.top(), ss_by_one.top());
    }
}
