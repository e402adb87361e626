//! Bad input over the whole public surface: arbitrary parameters (0, 1, MAX, NaN, ±∞,
//! subnormals) and call sequences answer with a value or a typed error, never a panic, and
//! every `Ok` agrees with a model.

use brick_consistent_hash::{Error, HashRing, KetamaFlavor, KetamaRing, Maglev, Rendezvous, jump};
use proptest::prelude::*;

mod limit;

/// `HashRing::new(u32::MAX)` is accepted, and the add that asks for 2^32 − 1 points (64 GiB
/// while the ring is rebuilt) is a typed error that leaves the ring as it was: not an abort.
#[test]
fn a_ring_too_large_to_allocate_is_a_typed_error() {
    if limit::ran_under_limit("a_ring_too_large_to_allocate_is_a_typed_error") {
        return;
    }
    let mut ring = HashRing::new(u32::MAX).unwrap();
    assert!(matches!(ring.add("a", 1), Err(Error::OutOfMemory { .. })));
    assert!(ring.is_empty());
    assert_eq!(ring.get(&1u64), None);
    // A ring that holds nodes survives the refusal unchanged.
    let mut small = HashRing::new(1_000_000).unwrap();
    small.add("a", 1).unwrap();
    let owner = *small.get(&7u64).unwrap();
    assert!(matches!(
        small.add("b", 4_000),
        Err(Error::OutOfMemory { .. })
    ));
    assert_eq!(small.len(), 1);
    assert_eq!(*small.get(&7u64).unwrap(), owner);
    small.add("c", 1).unwrap();
    assert_eq!(small.len(), 2);
}

/// Rendezvous weights near `f64::MAX` or subnormal are refused: their scores would overflow
/// to ∞ or underflow to 0 and the shares would stop following the weights.
#[test]
fn rendezvous_weights_outside_the_exact_range_are_refused() {
    let mut r = Rendezvous::new();
    for w in [
        f64::MAX,
        1e300,
        f64::MIN_POSITIVE,
        5e-324,
        0.0,
        -1.0,
        f64::NAN,
        f64::INFINITY,
        Rendezvous::<u8>::MAX_WEIGHT * 2.0,
        Rendezvous::<u8>::MIN_WEIGHT / 2.0,
    ] {
        assert!(
            matches!(r.add(1u8, w), Err(Error::InvalidWeight(_))),
            "weight {w}"
        );
    }
    // At the ends of the range the shares still follow the weights (1 : 2 at both ends).
    for scale in [
        Rendezvous::<u8>::MIN_WEIGHT,
        Rendezvous::<u8>::MAX_WEIGHT / 2.0,
    ] {
        let mut r = Rendezvous::new();
        r.add(0u8, scale).unwrap();
        r.add(1u8, 2.0 * scale).unwrap();
        let n = 60_000u64;
        let ones = (0..n).filter(|k| *r.get(k).unwrap() == 1).count() as f64 / n as f64;
        // Share 2/3; 6σ of a binomial proportion at n = 60,000 is 0.012.
        assert!(
            (ones - 2.0 / 3.0).abs() < 0.012,
            "share {ones} at scale {scale}"
        );
    }
}

/// Loads that sum past u64 neither wrap nor panic: the bounded lookup still answers a node
/// under its cap.
#[test]
fn bounded_loads_summing_past_u64_still_answer() {
    let mut ring = HashRing::new(40).unwrap();
    for n in 0..4u32 {
        ring.add(n, 1).unwrap();
    }
    let load = |n: &u32| if *n == 0 { 0 } else { u64::MAX };
    for key in 0..200u64 {
        assert_eq!(ring.get_bounded(&key, 1.25, load).unwrap(), Some(&0));
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
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        any::<f64>(),
        0.001f64..1e6,
    ]
}

fn weird_u32() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), Just(1), Just(u32::MAX), 0u32..400, any::<u32>()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Ring: random adds and removes with arbitrary vnode counts and weights; every accepted
    /// configuration answers lookups from its nodes, replicas are distinct, and errors are the
    /// documented ones.
    #[test]
    fn ring_calls_with_arbitrary_parameters(vnodes in prop_oneof![Just(0u32), 1u32..64], ops in prop::collection::vec((any::<u8>(), weird_u32(), any::<bool>()), 0..24), key in any::<u64>(), r in any::<usize>(), c in weird_f64()) {
        let Ok(mut ring) = HashRing::new(vnodes) else {
            prop_assert_eq!(vnodes, 0);
            return Ok(());
        };
        let mut model: Vec<u8> = Vec::new();
        for (node, weight, add) in ops {
            // Weights past a few thousand would make millions of points: cap them for time.
            let weight = if weight > 64 { weight % 64 } else { weight };
            if add {
                match ring.add(node, weight) {
                    Ok(()) => model.push(node),
                    Err(Error::InvalidWeight(_)) => prop_assert_eq!(weight, 0),
                    Err(Error::DuplicateNode) => prop_assert!(model.contains(&node)),
                    Err(e) => prop_assert!(false, "unexpected {e}"),
                }
            } else {
                let had = model.contains(&node);
                prop_assert_eq!(ring.remove(&node).is_some(), had);
                model.retain(|&n| n != node);
            }
        }
        prop_assert_eq!(ring.len(), model.len());
        match ring.get(&key) {
            Some(n) => prop_assert!(model.contains(n)),
            None => prop_assert!(model.is_empty()),
        }
        let reps: Vec<_> = ring.replicas(&key, r).collect();
        prop_assert_eq!(reps.len(), r.min(model.len()));
        let distinct: std::collections::HashSet<_> = reps.iter().collect();
        prop_assert_eq!(distinct.len(), reps.len());
        match ring.get_bounded(&key, c, |_| u64::MAX / 3) {
            Ok(n) => prop_assert!(c > 1.0 && c.is_finite() && n.is_none_or(|n| model.contains(n))),
            Err(Error::InvalidBalanceFactor(_)) => prop_assert!(!(c > 1.0 && c.is_finite())),
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }

    /// Rendezvous: any weight is accepted exactly when it is in range, and lookups answer a
    /// present node.
    #[test]
    fn rendezvous_calls_with_arbitrary_weights(weights in prop::collection::vec(weird_f64(), 0..12), key in any::<u64>(), r in 0usize..20) {
        let mut rv = Rendezvous::new();
        let mut model = Vec::new();
        for (i, w) in weights.into_iter().enumerate() {
            let ok = (Rendezvous::<usize>::MIN_WEIGHT..=Rendezvous::<usize>::MAX_WEIGHT).contains(&w);
            prop_assert_eq!(rv.add(i, w).is_ok(), ok, "weight {}", w);
            if ok {
                model.push(i);
            }
        }
        prop_assert_eq!(rv.get(&key).is_some(), !model.is_empty());
        prop_assert_eq!(rv.top(&key, r).len(), r.min(model.len()));
    }

    /// Jump, Maglev and ketama with arbitrary sizes, counts and weights.
    #[test]
    fn jump_maglev_ketama_with_arbitrary_parameters(key in any::<u64>(), buckets in weird_u32(), size in prop_oneof![Just(0u64), Just(1), Just(2), Just(u64::MAX), 0u64..2000], nodes in 0u8..8, weight in weird_u32()) {
        match jump(key, buckets) {
            Ok(b) => prop_assert!(b < buckets),
            Err(e) => prop_assert_eq!(e, Error::NoBuckets),
        }
        if let Ok(mut m) = Maglev::new(size) {
            for n in 0..nodes {
                let added = m.add(n);
                let table_full = matches!(added, Err(Error::TableSize { .. }));
                prop_assert!(added.is_ok() || table_full);
            }
            if let Some(n) = m.get(&key) {
                prop_assert!(*n < nodes);
            }
        }
        let mut k = KetamaRing::new(KetamaFlavor::Uhashring);
        for n in 0..nodes {
            let w = if weight > 1_000 { weight % 1_000 } else { weight };
            prop_assert_eq!(k.add(&format!("n{n}"), w).is_ok(), w > 0);
        }
        prop_assert_eq!(k.get(&key.to_le_bytes()).is_some(), !k.is_empty());
    }
}
