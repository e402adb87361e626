//! Load balance and movement at scale (fixed seeds): 100 nodes, 1,000,000 keys, next to theory.

use brick_consistent_hash::{HashRing, Maglev, Rendezvous, distribution, jump, moved};

const NODES: u32 = 100;
const KEYS: u64 = 1_000_000;

#[test]
fn adding_one_node_moves_about_one_in_n_plus_one() {
    let mut ring = HashRing::new(160).unwrap();
    for n in 0..NODES {
        ring.add(n, 1).unwrap();
    }
    let before = ring.clone();
    ring.add(NODES, 1).unwrap();
    let m = moved(
        0..KEYS,
        |k| before.get(k).copied(),
        |k| ring.get(k).copied(),
    );
    let frac = m as f64 / KEYS as f64;
    let ideal = 1.0 / f64::from(NODES + 1);
    println!("ring: moved {frac:.5} of keys on adding node 101 (ideal 1/101 = {ideal:.5})");
    assert!(
        (frac - ideal).abs() <= 0.1 * ideal,
        "moved {frac}, want within 10% of {ideal}"
    );

    let m = moved(
        0..KEYS,
        |k| jump(*k, NODES).ok(),
        |k| jump(*k, NODES + 1).ok(),
    );
    let frac = m as f64 / KEYS as f64;
    println!("jump: moved {frac:.5}");
    assert!((frac - ideal).abs() <= 0.1 * ideal);

    let mut hrw = Rendezvous::new();
    let mut maglev = Maglev::new(65_537).unwrap();
    for n in 0..NODES {
        hrw.add(n, 1.0).unwrap();
        maglev.add(n).unwrap();
    }
    let (hrw_before, maglev_before) = (hrw.clone(), maglev.clone());
    hrw.add(NODES, 1.0).unwrap();
    maglev.add(NODES).unwrap();
    let keys = 200_000u64;
    let frac = moved(
        0..keys,
        |k| hrw_before.get(k).copied(),
        |k| hrw.get(k).copied(),
    ) as f64
        / keys as f64;
    println!("rendezvous: moved {frac:.5}");
    assert!((frac - ideal).abs() <= 0.1 * ideal);
    let frac = moved(
        0..KEYS,
        |k| maglev_before.get(k).copied(),
        |k| maglev.get(k).copied(),
    ) as f64
        / KEYS as f64;
    println!("maglev (65537 slots): moved {frac:.5}");
    // Maglev trades some extra movement for its O(1) lookup; the paper reports a few per cent.
    assert!(frac < 3.0 * ideal, "maglev moved {frac}");
}

#[test]
fn max_over_mean_load_against_vnodes() {
    println!("| vnodes | max/mean | std/mean | theory std/mean ~ 1/sqrt(v) |");
    let mut last = f64::INFINITY;
    for v in [1u32, 10, 100, 160, 500] {
        let mut ring = HashRing::new(v).unwrap();
        for n in 0..NODES {
            ring.add(n, 1).unwrap();
        }
        let s = distribution(0..KEYS, 0..NODES, |k| ring.get(k).copied());
        println!(
            "| {v} | {:.3} | {:.3} | {:.3} |",
            s.max_over_mean,
            s.std_dev_over_mean,
            1.0 / f64::from(v).sqrt()
        );
        // Each node's share is a sum of v arcs: relative spread ~ 1/sqrt(v), plus key noise
        // sqrt(n/K) = 0.01. Allow 1.5x the theory.
        let theory = (1.0 / f64::from(v) + f64::from(NODES) / KEYS as f64).sqrt();
        assert!(
            s.std_dev_over_mean <= 1.5 * theory,
            "v = {v}: {} vs {theory}",
            s.std_dev_over_mean
        );
        assert!(
            s.max_over_mean <= last + 0.05,
            "more vnodes should not balance worse"
        );
        last = s.max_over_mean;
    }
    let mut maglev = Maglev::new(65_537).unwrap();
    for n in 0..NODES {
        maglev.add(n).unwrap();
    }
    let s = distribution(0..KEYS, 0..NODES, |k| maglev.get(k).copied());
    println!("maglev: max/mean {:.3}", s.max_over_mean);
    // Slot counts differ by at most ~1 per node; the rest is binomial key noise (~4 sigma).
    assert!(s.max_over_mean < 1.05);
}
