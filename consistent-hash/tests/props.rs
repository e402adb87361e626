//! One property per promise: monotonicity, distinct replicas, weights, caps, order independence,
//! and no panics on empty structures.

use brick_consistent_hash::{Error, HashRing, KetamaFlavor, KetamaRing, Maglev, Rendezvous, jump};
use proptest::prelude::*;
use std::collections::HashSet;

fn ring_of(nodes: &[u16], vnodes: u32) -> HashRing<u16> {
    let mut r = HashRing::new(vnodes).unwrap();
    for &n in nodes {
        r.add(n, 1 + u32::from(n % 3)).unwrap();
    }
    r
}

fn node_set() -> impl Strategy<Value = Vec<u16>> {
    prop::collection::hash_set(any::<u16>(), 2..12).prop_map(|s| s.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn ring_adding_a_node_moves_keys_only_to_it(nodes in node_set(), extra in any::<u16>(), keys in prop::collection::vec(any::<u64>(), 200)) {
        prop_assume!(!nodes.contains(&extra));
        let before = ring_of(&nodes, 20);
        let mut after = before.clone();
        after.add(extra, 2).unwrap();
        for k in &keys {
            let (b, a) = (before.get(k).unwrap(), after.get(k).unwrap());
            prop_assert!(a == b || *a == extra, "key {k} moved from {b} to {a}, not to the new node {extra}");
        }
        // Removing it again restores every key exactly.
        after.remove(&extra);
        for k in &keys {
            prop_assert_eq!(before.get(k), after.get(k));
        }
    }

    #[test]
    fn ring_removing_a_node_moves_only_its_keys(nodes in node_set(), pick in any::<prop::sample::Index>(), keys in prop::collection::vec(any::<u64>(), 200)) {
        let gone = nodes[pick.index(nodes.len())];
        let before = ring_of(&nodes, 20);
        let mut after = before.clone();
        prop_assert_eq!(after.remove(&gone), Some(1 + u32::from(gone % 3)));
        for k in &keys {
            let b = before.get(k).unwrap();
            if *b != gone {
                prop_assert_eq!(after.get(k), Some(b));
            } else {
                prop_assert_ne!(after.get(k), Some(&gone));
            }
        }
    }

    #[test]
    fn ring_does_not_depend_on_insertion_order(mut nodes in node_set(), keys in prop::collection::vec(any::<u64>(), 100)) {
        let a = ring_of(&nodes, 10);
        nodes.reverse();
        let b = ring_of(&nodes, 10);
        for k in &keys {
            prop_assert_eq!(a.get(k), b.get(k));
            prop_assert_eq!(a.replicas(k, 3).collect::<Vec<_>>(), b.replicas(k, 3).collect::<Vec<_>>());
        }
    }

    #[test]
    fn replicas_are_distinct_and_start_with_get(nodes in node_set(), r in 0usize..15, key in any::<u64>()) {
        let ring = ring_of(&nodes, 10);
        let reps: Vec<&u16> = ring.replicas(&key, r).collect();
        prop_assert_eq!(reps.len(), r.min(nodes.len()));
        prop_assert_eq!(reps.iter().collect::<HashSet<_>>().len(), reps.len());
        if r > 0 {
            prop_assert_eq!(Some(reps[0]), ring.get(&key));
        }
    }

    #[test]
    fn bounded_loads_never_exceed_the_cap(nodes in node_set(), keys in 1usize..2000, c in 1.05f64..2.0) {
        let mut ring = HashRing::new(20).unwrap();
        for &n in &nodes {
            ring.add(n, 1).unwrap();
        }
        let mut load: std::collections::HashMap<u16, u64> = nodes.iter().map(|&n| (n, 0)).collect();
        for k in 0..keys as u64 {
            let n = *ring.get_bounded(&k, c, |n| load[n]).unwrap().unwrap();
            *load.get_mut(&n).unwrap() += 1;
            let cap = (c * (k + 1) as f64 / nodes.len() as f64).ceil() as u64;
            prop_assert!(load[&n] <= cap, "node {n} at {} over cap {cap}", load[&n]);
        }
    }

    #[test]
    fn jump_is_monotone(key in any::<u64>(), n in 1u32..100_000) {
        let a = jump(key, n).unwrap();
        let b = jump(key, n + 1).unwrap();
        prop_assert!(a < n);
        prop_assert!(b == a || b == n);
    }

    #[test]
    fn rendezvous_is_monotone_and_order_free(nodes in node_set(), extra in any::<u16>(), keys in prop::collection::vec(any::<u64>(), 200)) {
        prop_assume!(!nodes.contains(&extra));
        let mut before = Rendezvous::new();
        let mut reversed = Rendezvous::new();
        for &n in &nodes { before.add(n, 1.0 + f64::from(n % 4)).unwrap(); }
        for &n in nodes.iter().rev() { reversed.add(n, 1.0 + f64::from(n % 4)).unwrap(); }
        let mut after = before.clone();
        after.add(extra, 2.0).unwrap();
        for k in &keys {
            prop_assert_eq!(before.get(k), reversed.get(k));
            let (b, a) = (before.get(k).unwrap(), after.get(k).unwrap());
            prop_assert!(a == b || *a == extra);
            let top = after.top(k, 3);
            prop_assert_eq!(top[0], a);
            prop_assert_eq!(top.iter().collect::<HashSet<_>>().len(), top.len());
        }
    }

    #[test]
    fn ketama_equal_weights_removal_moves_only_its_keys(n in 2usize..12, pick in any::<prop::sample::Index>(), keys in prop::collection::vec(any::<u32>(), 100)) {
        let names: Vec<String> = (0..n).map(|i| format!("10.0.0.{i}:11211")).collect();
        let mut before = KetamaRing::new(KetamaFlavor::Uhashring);
        for name in &names { before.add(name, 1).unwrap(); }
        let gone = &names[pick.index(n)];
        let mut after = before.clone();
        prop_assert!(after.remove(gone));
        for k in &keys {
            let key = k.to_le_bytes();
            let b = before.get(&key).unwrap();
            if b != gone.as_str() {
                prop_assert_eq!(after.get(&key), Some(b));
            }
        }
    }
}

#[test]
fn weight_shares_converge_to_weight_fractions() {
    let mut ring = HashRing::new(160).unwrap();
    let mut hrw = Rendezvous::new();
    for (n, w) in [("a", 1u32), ("b", 2), ("c", 5)] {
        ring.add(n, w).unwrap();
        hrw.add(n, f64::from(w)).unwrap();
    }
    let keys = 200_000u64;
    for (name, locate) in [
        (
            "ring",
            Box::new(|k: &u64| *ring.get(k).unwrap()) as Box<dyn Fn(&u64) -> &'static str>,
        ),
        ("rendezvous", Box::new(|k: &u64| *hrw.get(k).unwrap())),
    ] {
        let mut counts = std::collections::HashMap::new();
        for k in 0..keys {
            *counts.entry(locate(&k)).or_insert(0u64) += 1;
        }
        for (n, w) in [("a", 1.0), ("b", 2.0), ("c", 5.0)] {
            let share = counts[n] as f64 / keys as f64;
            // Rendezvous is exact in expectation (binomial noise ~0.1 %); the ring's 160·w points
            // leave a few per cent of arc-length spread.
            let tol = if name == "ring" { 0.03 } else { 0.005 };
            assert!(
                (share - w / 8.0).abs() < tol,
                "{name}: {n} got {share}, want {}",
                w / 8.0
            );
        }
    }
    let owned: f64 = ring.ownership().iter().map(|(_, s)| s).sum();
    assert!((owned - 1.0).abs() < 1e-9);
}

#[test]
fn empty_structures_and_bad_input_are_none_or_typed_errors() {
    let ring: HashRing<u8> = HashRing::new(10).unwrap();
    assert_eq!(ring.get(&1), None);
    assert_eq!(ring.replicas(&1, 3).count(), 0);
    assert_eq!(ring.get_bounded(&1, 1.25, |_| 0), Ok(None));
    assert!(ring.ownership().is_empty());
    assert_eq!(HashRing::<u8>::new(0).unwrap_err(), Error::ZeroVirtualNodes);
    let mut ring = HashRing::new(10).unwrap();
    ring.add(1u8, 1).unwrap();
    assert_eq!(ring.add(1, 1), Err(Error::DuplicateNode));
    assert_eq!(ring.add(2, 0), Err(Error::InvalidWeight(0.0)));
    assert_eq!(
        ring.get_bounded(&1, 1.0, |_| 0),
        Err(Error::InvalidBalanceFactor(1.0))
    );
    assert!(matches!(
        ring.get_bounded(&1, f64::NAN, |_| 0),
        Err(Error::InvalidBalanceFactor(_))
    ));
    assert_eq!(ring.remove(&9), None);
    assert_eq!(jump(5, 0), Err(Error::NoBuckets));
    let hrw: Rendezvous<u8> = Rendezvous::new();
    assert_eq!(hrw.get(&1), None);
    assert!(hrw.top(&1, 2).is_empty());
    let mut hrw = Rendezvous::new();
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(hrw.add(1u8, bad), Err(Error::InvalidWeight(_))));
    }
    assert_eq!(
        Maglev::<u8>::new(65_536).unwrap_err(),
        Error::NotPrime(65_536)
    );
    assert_eq!(Maglev::<u8>::new(1).unwrap_err(), Error::NotPrime(1));
    let mut m = Maglev::new(3).unwrap();
    assert_eq!(m.get(&1), None);
    for n in 0..3u8 {
        m.add(n).unwrap();
    }
    assert_eq!(m.add(3), Err(Error::TableSize { size: 3, nodes: 4 }));
    assert_eq!(m.add(0), Err(Error::DuplicateNode));
    assert_eq!(KetamaRing::new(KetamaFlavor::Libketama).get(b"k"), None);
    assert!(Error::NoBuckets.to_string().contains("at least 1 bucket"));
}

#[cfg(feature = "serde")]
proptest! {
    /// serde (feature `serde`): every ring, rendezvous set, Maglev table and ketama continuum
    /// reads back as one that sends every key to the same node, with the same members.
    #[test]
    fn serde_round_trips_keep_every_lookup(nodes in node_set(), vnodes in 1u32..40, keys in prop::collection::vec(any::<u64>(), 100)) {
        let ring = ring_of(&nodes, vnodes);
        let mut rendezvous = Rendezvous::new();
        let mut maglev = Maglev::new(251).unwrap();
        let mut ketama = KetamaRing::new(KetamaFlavor::Libketama);
        for &n in &nodes {
            rendezvous.add(n, 0.5 + f64::from(n % 4)).unwrap();
            maglev.add(n).unwrap();
            ketama.add(&format!("10.0.0.{n}:11211"), 1 + u32::from(n % 3)).unwrap();
        }
        let ring2: HashRing<u16> = serde_json::from_str(&serde_json::to_string(&ring).unwrap()).unwrap();
        let rendezvous2: Rendezvous<u16> = serde_json::from_str(&serde_json::to_string(&rendezvous).unwrap()).unwrap();
        let maglev2: Maglev<u16> = serde_json::from_str(&serde_json::to_string(&maglev).unwrap()).unwrap();
        let ketama2: KetamaRing = serde_json::from_str(&serde_json::to_string(&ketama).unwrap()).unwrap();
        prop_assert!(ring2.nodes().eq(ring.nodes()));
        prop_assert_eq!(ring2.vnodes_per_weight(), vnodes);
        prop_assert!(rendezvous2.nodes().eq(rendezvous.nodes()));
        prop_assert!(maglev2.nodes().eq(maglev.nodes()));
        prop_assert_eq!(ketama2.flavor(), KetamaFlavor::Libketama);
        prop_assert!(ketama2.nodes().eq(ketama.nodes()));
        for k in &keys {
            prop_assert_eq!(ring2.get(k), ring.get(k));
            prop_assert_eq!(rendezvous2.get(k), rendezvous.get(k));
            prop_assert_eq!(maglev2.get(k), maglev.get(k));
            prop_assert_eq!(ketama2.get(&k.to_le_bytes()), ketama.get(&k.to_le_bytes()));
        }
    }
}

/// serde: what the constructors refuse, deserializing refuses with the same error — a zero
/// weight, a duplicate node, zero virtual nodes, a zero table size — and so is another format
/// version or another shape; nothing panics.
#[cfg(feature = "serde")]
#[test]
fn serde_refuses_what_the_constructors_refuse() {
    let refused = |json: &str, why: &str| {
        let errors = [
            serde_json::from_str::<HashRing<u16>>(json).err(),
            serde_json::from_str::<Rendezvous<u16>>(json).err(),
            serde_json::from_str::<Maglev<u16>>(json).err(),
            serde_json::from_str::<KetamaRing>(json).err(),
        ];
        errors
            .into_iter()
            .flatten()
            .any(|e| e.to_string().contains(why))
    };
    let dup = Error::DuplicateNode.to_string();
    assert!(refused(
        r#"{"version":1,"vnodes_per_weight":10,"nodes":[[1,1],[1,2]]}"#,
        &dup
    ));
    assert!(refused(r#"{"version":1,"nodes":[[1,1.0],[1,2.0]]}"#, &dup));
    assert!(refused(r#"{"version":1,"size":251,"nodes":[3,3]}"#, &dup));
    assert!(refused(
        r#"{"version":1,"flavor":"libketama","nodes":[["a",1],["a",1]]}"#,
        &dup
    ));
    let zero = Error::InvalidWeight(0.0).to_string();
    assert!(refused(
        r#"{"version":1,"vnodes_per_weight":10,"nodes":[[1,0]]}"#,
        &zero
    ));
    assert!(refused(
        r#"{"version":1,"flavor":"uhashring","nodes":[["a",0]]}"#,
        &zero
    ));
    assert!(refused(
        r#"{"version":1,"vnodes_per_weight":0,"nodes":[]}"#,
        &Error::ZeroVirtualNodes.to_string()
    ));
    assert!(serde_json::from_str::<Maglev<u16>>(r#"{"version":1,"size":0,"nodes":[]}"#).is_err());
    assert!(
        serde_json::from_str::<Rendezvous<u16>>(r#"{"version":1,"nodes":[[1,-1.0]]}"#).is_err()
    );
    assert!(refused(
        r#"{"version":2,"vnodes_per_weight":10,"nodes":[]}"#,
        "unsupported ring format version 2"
    ));
    assert!(refused(
        r#"{"version":2,"flavor":"uhashring","nodes":[]}"#,
        "unsupported ring format version 2"
    ));
    for other in [
        "null",
        "[]",
        "{}",
        r#"{"version":1}"#,
        r#"{"version":1,"flavor":"md5","nodes":[]}"#,
    ] {
        assert!(serde_json::from_str::<HashRing<u16>>(other).is_err());
        assert!(serde_json::from_str::<Rendezvous<u16>>(other).is_err());
        assert!(serde_json::from_str::<Maglev<u16>>(other).is_err());
        assert!(serde_json::from_str::<KetamaRing>(other).is_err());
    }
}
