//! Synthetic traffic families, each with the relation to LRU that the concurrent cache's policy
//! promises by construction: a frequency-based admission keeps part of a loop larger than the
//! cache resident (LRU keeps none), and a scan of one-time keys cannot flush a hot set (it
//! flushes LRU's). The traces are generated here from fixed seeds, at several capacities.
//!
//! The race between the cache's two rules samples keys by hash, so what it decides depends on
//! the hasher's seed, which `new` draws at random: every assertion holds for each of
//! [`SEEDS`] seeds of the deterministic hasher, not for one lucky seed.

mod families;

use brick_lru::{ConcurrentCache, LruCache, Xxh3BuildHasher};
use families::{create_then_read, looping, recency, shifting, zipf_with_scan};

fn lru_ratio(cap: u64, keys: &[u64]) -> f64 {
    let mut cache = LruCache::new(cap).unwrap();
    let hits = keys
        .iter()
        .filter(|&&k| {
            let hit = cache.get(&k).is_some();
            if !hit {
                cache.insert(k, k);
            }
            hit
        })
        .count();
    hits as f64 / keys.len() as f64
}

/// Hash seeds every assertion is checked under.
const SEEDS: u64 = 4;

fn ours_ratio(cap: u64, keys: &[u64], seed: u64) -> f64 {
    let cache = ConcurrentCache::builder(cap)
        .hasher(Xxh3BuildHasher::with_seed(seed))
        .build()
        .unwrap();
    let hits = keys
        .iter()
        .filter(|&&k| {
            let hit = cache.get(&k).is_some();
            if !hit {
                let _ = cache.insert(k, k);
            }
            hit
        })
        .count();
    hits as f64 / keys.len() as f64
}

/// A loop over 25 % more keys than the cache holds, 20 times round: LRU always evicts the key
/// needed next and hits nothing; the admission test keeps a fixed part of the loop resident,
/// so at least half of what fits (cap / loop) hits.
#[test]
fn a_loop_larger_than_the_cache_keeps_part_of_it_resident() {
    for cap in [2_000u64, 10_000, 40_000] {
        let len = cap * 5 / 4;
        let keys = looping(len, 20);
        let lru = lru_ratio(cap, &keys);
        assert!(lru < 0.01, "LRU should thrash: {lru}");
        let fits = cap as f64 / len as f64;
        for seed in 0..SEEDS {
            let ours = ours_ratio(cap, &keys, seed);
            println!("loop {len} through {cap}, seed {seed}: LRU {lru:.3}, ours {ours:.3}");
            assert!(
                ours >= 0.5 * fits,
                "cap {cap}, seed {seed}: {ours:.3} below half of {fits:.3}"
            );
        }
    }
}

/// A Zipf(0.99) hot set interleaved one for one with a scan of keys never seen again: the
/// scan can only take LRU's room, so the policy hits at least as often as LRU.
#[test]
fn a_scan_cannot_flush_the_hot_set() {
    let keys = zipf_with_scan(800_000, 20_000, 0.99, 9);
    for cap in [1_000u64, 5_000, 10_000] {
        let lru = lru_ratio(cap, &keys);
        for seed in 0..SEEDS {
            let ours = ours_ratio(cap, &keys, seed);
            println!("zipf + scan through {cap}, seed {seed}: LRU {lru:.3}, ours {ours:.3}");
            assert!(
                ours >= lru,
                "cap {cap}, seed {seed}: ours {ours:.3} below LRU's {lru:.3}"
            );
        }
    }
}

/// The trace's distinct keys, and the capacities at 1, 5, 10 and 25 % of them with LRU's hit
/// ratio at each.
fn ladder(keys: &[u64]) -> (u64, Vec<(u64, f64)>) {
    let distinct = keys.iter().collect::<std::collections::HashSet<_>>().len() as u64;
    let rungs = [1u64, 5, 10, 25]
        .iter()
        .map(|pct| {
            let cap = (distinct * pct / 100).max(1);
            (cap, lru_ratio(cap, keys))
        })
        .collect();
    (distinct, rungs)
}

/// Asserts what the race between the adaptive and the recency rule promises where frequency
/// misleads, under each of [`SEEDS`] hash seeds: at 5 % of the keys and above the cache hits
/// at most 1 point less than LRU, and more memory never costs more than 0.2 points of hit
/// ratio. At 1 % a reuse distance of 10^4 requests is ten times the cache, and LRU itself hits
/// 3 %.
///
/// The one exception the crate docs state ("Where it loses"): create-then-read whose reuse
/// distance (`reuse`) exceeds the capacity, on a trace of at most four capacities of keys.
/// There the adaptive rule leads for most of the trace (the keys admitted while the cache
/// filled are read back up to a reuse distance later), and the trace ends with a reuse
/// distance of reads and no new keys, which only recency hits; on most seeds the race follows
/// the middle (1.8–3.1 points below LRU on 12 of 16 seeds). Monotonicity is asserted there too.
fn assert_follows_recency(name: &str, keys: &[u64], reuse: Option<u64>) {
    let (distinct, rungs) = ladder(keys);
    for seed in 0..SEEDS {
        let ours: Vec<f64> = rungs
            .iter()
            .map(|&(cap, _)| ours_ratio(cap, keys, seed))
            .collect();
        for (&(cap, lru), ours) in rungs.iter().zip(&ours) {
            println!("{name} through {cap}, seed {seed}: LRU {lru:.3}, ours {ours:.3}");
        }
        for (&(cap, lru), &ours) in rungs.iter().zip(&ours).skip(1) {
            let excepted = reuse.is_some_and(|d| cap < d && distinct <= 4 * cap);
            assert!(
                excepted || ours >= lru - 0.01,
                "{name} at {cap}, seed {seed}: ours {ours:.3} more than a point below LRU's {lru:.3}"
            );
        }
        for (pair, caps) in ours.windows(2).zip(rungs.windows(2)) {
            assert!(
                pair[1] + 0.002 >= pair[0],
                "{name}, seed {seed}: {:.3} at {} but {:.3} at {}",
                pair[0],
                caps[0].0,
                pair[1],
                caps[1].0
            );
        }
    }
}

/// Create-then-read traffic at reuse distances from 10 to 10^5 requests, and pure recency.
#[test]
fn recency_traffic_grows_the_window() {
    for d in [10u64, 100, 1_000, 10_000, 100_000] {
        let keys = create_then_read(100_000, d, 3);
        assert_follows_recency(&format!("create-then-read d={d}"), &keys, Some(d));
    }
    assert_follows_recency(
        "recency mean 1000",
        &recency(400_000, 0.3, 1_000.0, 11),
        None,
    );
    let deep = recency(800_000, 0.3, 10_000.0, 12);
    assert_follows_recency("recency mean 10000", &deep, None);
}

/// Popularity that moves: yesterday's favourites refuse today's at admission, so the refused
/// come back and the window grows until the cache follows the shift.
#[test]
fn shifting_popularity_is_followed() {
    assert_follows_recency("shifting", &shifting(600_000, 20_000, 6, 21), None);
}
