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

/// Create-then-read traffic: keys 0..distinct in order, half of them (by a fixed-seed coin)
/// requested a second time, 1 to `reuse` requests after the first. Frequency says nothing
/// here; only recency hits.
fn create_then_read(distinct: u64, reuse: u64, seed: u64) -> Vec<u64> {
    let mut r = Rng(seed | 1);
    let mut pending: std::collections::BTreeMap<u64, Vec<u64>> = Default::default();
    let mut out = Vec::new();
    for k in 0..distinct {
        while let Some(due) = pending.first_entry() {
            if *due.key() > out.len() as u64 {
                break;
            }
            out.extend(due.remove());
        }
        out.push(k);
        if r.next().is_multiple_of(2) {
            let at = out.len() as u64 + r.next() % reuse;
            pending.entry(at).or_default().push(k);
        }
    }
    out.extend(pending.into_values().flatten());
    out
}

/// Pure recency: each request is a new key with probability `p_new`, else a repeat of the
/// request an exponentially distributed number of requests back (mean `mean_back`).
fn recency(n: usize, p_new: f64, mean_back: f64, seed: u64) -> Vec<u64> {
    let mut r = Rng(seed | 1);
    let mut unit = move || (r.next() >> 11) as f64 / (1u64 << 53) as f64;
    let mut out: Vec<u64> = Vec::with_capacity(n);
    let mut fresh = 0u64;
    for _ in 0..n {
        if out.is_empty() || unit() < p_new {
            out.push(fresh);
            fresh += 1;
        } else {
            let back = (-unit().max(1e-12).ln() * mean_back) as usize + 1;
            out.push(out[out.len().saturating_sub(back)]);
        }
    }
    out
}

/// Zipf(0.9) popularity whose ranking is dealt to new keys `phases` times over the trace: the
/// frequencies a phase learnt are wrong for the next.
fn shifting(n: usize, universe: u64, phases: usize, seed: u64) -> Vec<u64> {
    let per = n.div_ceil(phases);
    zipf(n, universe, 0.9, seed)
        .into_iter()
        .enumerate()
        .map(|(i, k)| k + (i / per) as u64 * universe)
        .collect()
}

/// The hit ratios of LRU and ours at 1, 5, 10 and 25 % of the trace's distinct keys.
fn ladder(keys: &[u64]) -> Vec<(u64, f64, f64)> {
    let distinct = keys.iter().collect::<std::collections::HashSet<_>>().len() as u64;
    [1u64, 5, 10, 25]
        .iter()
        .map(|pct| {
            let cap = (distinct * pct / 100).max(1);
            (cap, lru_ratio(cap, keys), ours_ratio(cap, keys))
        })
        .collect()
}

/// Asserts what the window's adaptation promises where frequency misleads: more memory
/// never costs more than half a point of hit ratio (the window moves on sampled events, so
/// neighbouring capacities settle a little differently), and the cache hits at least three
/// quarters of what LRU hits at 5 % of the keys and above (measured: 0.77 at worst, on
/// create-then-read at reuse 10^4 through 5 %, where each of the default 4 shards adapts on
/// its own; one shard reaches 0.91) (at 1 % a reuse distance of 10^4
/// requests is ten times the cache, and LRU itself hits 3 %). (The hill climber this replaced lost 20–29
/// points to LRU at reuse 10^3–10^4 and hit less with more memory.)
fn assert_follows_recency(name: &str, keys: &[u64]) {
    let rungs = ladder(keys);
    for (cap, lru, ours) in &rungs {
        println!("{name} through {cap}: LRU {lru:.3}, ours {ours:.3}");
    }
    for (cap, lru, ours) in &rungs[1..] {
        assert!(
            *ours >= 0.75 * lru,
            "{name} at {cap}: ours {ours:.3} below three quarters of LRU's {lru:.3}"
        );
    }
    for pair in rungs.windows(2) {
        assert!(
            pair[1].2 + 0.005 >= pair[0].2,
            "{name}: {:.3} at {} but {:.3} at {}",
            pair[0].2,
            pair[0].0,
            pair[1].2,
            pair[1].0
        );
    }
}

/// Create-then-read traffic at reuse distances from 10 to 10^4 requests, and pure recency.
#[test]
fn recency_traffic_grows_the_window() {
    for d in [10u64, 100, 1_000, 10_000] {
        let keys = create_then_read(100_000, d, 3);
        assert_follows_recency(&format!("create-then-read d={d}"), &keys);
    }
    assert_follows_recency("recency mean 1000", &recency(400_000, 0.3, 1_000.0, 11));
    assert_follows_recency("recency mean 10000", &recency(800_000, 0.3, 10_000.0, 12));
}

/// Popularity that moves: yesterday's favourites refuse today's at admission, so the refused
/// come back and the window grows until the cache follows the shift.
#[test]
fn shifting_popularity_is_followed() {
    assert_follows_recency("shifting", &shifting(600_000, 20_000, 6, 21));
}
