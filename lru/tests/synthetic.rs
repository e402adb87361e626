//! Synthetic traffic families, each with the relation to LRU that the concurrent cache's policy
//! promises by construction: a frequency-based admission keeps part of a loop larger than the
//! cache resident (LRU keeps none), and a scan of one-time keys cannot flush a hot set (it
//! flushes LRU's). The traces are generated here from fixed seeds, at several capacities.

use brick_lru::{ConcurrentCache, LruCache, Xxh3BuildHasher};

/// xorshift64: a fixed, seedable stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `n` keys from a Zipf(s) distribution over `universe`.
fn zipf(n: usize, universe: u64, s: f64, seed: u64) -> Vec<u64> {
    let mut cdf = Vec::with_capacity(universe as usize);
    let mut total = 0.0;
    for i in 1..=universe {
        total += 1.0 / (i as f64).powf(s);
        cdf.push(total);
    }
    let mut r = Rng(seed | 1);
    (0..n)
        .map(|_| {
            let u = (r.next() >> 11) as f64 / (1u64 << 53) as f64 * total;
            cdf.partition_point(|&c| c < u) as u64
        })
        .collect()
}

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

fn ours_ratio(cap: u64, keys: &[u64]) -> f64 {
    let cache = ConcurrentCache::builder(cap)
        .hasher(Xxh3BuildHasher::default())
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
        let keys: Vec<u64> = (0..20).flat_map(|_| 0..len).collect();
        let (lru, ours) = (lru_ratio(cap, &keys), ours_ratio(cap, &keys));
        println!("loop {len} through {cap}: LRU {lru:.3}, ours {ours:.3}");
        assert!(lru < 0.01, "LRU should thrash: {lru}");
        let fits = cap as f64 / len as f64;
        assert!(
            ours >= 0.5 * fits,
            "cap {cap}: {ours:.3} below half of {fits:.3}"
        );
    }
}

/// A Zipf(0.99) hot set interleaved one for one with a scan of keys never seen again: the
/// scan can only take LRU's room, so the policy hits at least as often as LRU.
#[test]
fn a_scan_cannot_flush_the_hot_set() {
    let hot = zipf(400_000, 20_000, 0.99, 9);
    let mut scan = 1u64 << 40;
    let keys: Vec<u64> = hot
        .iter()
        .flat_map(|&k| {
            scan += 1;
            [k, scan]
        })
        .collect();
    for cap in [1_000u64, 5_000, 10_000] {
        let (lru, ours) = (lru_ratio(cap, &keys), ours_ratio(cap, &keys));
        println!("zipf + scan through {cap}: LRU {lru:.3}, ours {ours:.3}");
        assert!(
            ours >= lru,
            "cap {cap}: ours {ours:.3} below LRU's {lru:.3}"
        );
    }
}
