//! Replays the shared cache traces: LRU must equal libCacheSim's LRU, and LFU libCacheSim's
//! LFU, hit for hit at every listed capacity (60 cases each); the concurrent cache is held to
//! the references' means. The ratios are printed.
#![cfg(not(loom))]

use brick_lru::{ConcurrentCache, LfuCache, LruCache, Xxh3BuildHasher};
use serde_json::Value;
use std::io::Read;

const LABELS: [&str; 4] = ["1%", "5%", "10%", "25%"];
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/traces");

fn read_trace(file: &str) -> Vec<u64> {
    let mut raw = Vec::new();
    let f = std::fs::File::open(format!("{DATA}/{file}")).unwrap();
    flate2::read::GzDecoder::new(f)
        .read_to_end(&mut raw)
        .unwrap();
    assert_eq!(raw.len() % 8, 0, "{file}: not whole u64s");
    raw.chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

/// Get each key; on a miss, insert it. Returns the hits. (A macro: the single-threaded caches
/// share these methods but no trait.)
macro_rules! replay {
    ($cache:expr, $keys:expr) => {{
        let cache = &mut $cache;
        let mut hits = 0u64;
        for &k in $keys.iter() {
            if cache.get(&k).is_some() {
                hits += 1;
            } else {
                cache.insert(k, k);
            }
        }
        hits
    }};
}

#[test]
fn lru_hit_counts_equal_libcachesim_on_every_trace() {
    let text = std::fs::read_to_string(format!("{DATA}/reference_hit_ratios.json")).unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    let traces = reference["traces"].as_object().unwrap();
    // Whatever traces the data folder holds, but at least one: an empty folder proves nothing.
    assert!(!traces.is_empty(), "no traces in the reference table");
    let mut checked = 0;
    for (file, t) in traces {
        let keys = read_trace(file);
        assert_eq!(keys.len() as u64, t["requests"].as_u64().unwrap(), "{file}");
        for (label, cap) in t["capacities"].as_object().unwrap() {
            let cap = cap.as_u64().unwrap();
            let mut lru = LruCache::new(cap).unwrap();
            let hits = replay!(lru, keys);
            let expected = t["hits"]["LRU"][label].as_u64().unwrap();
            assert_eq!(hits, expected, "{file} at {label} = {cap}: LRU hits");
            assert_eq!(lru.stats().hits, hits);
            let mut lfu = LfuCache::new(cap).unwrap();
            let lfu_hits = replay!(lfu, keys);
            let reference_lfu = t["hits"]["LFU"][label].as_u64();
            // libCacheSim's LFU breaks ties as cachetools does (oldest count first): equal too.
            assert_eq!(
                Some(lfu_hits),
                reference_lfu,
                "{file} at {label} = {cap}: LFU hits"
            );
            println!(
                "{file:28} {label:>4} cap {cap:>5}: LRU {:.4} (= libCacheSim), LFU {:.4} (= libCacheSim {})",
                hits as f64 / keys.len() as f64,
                lfu_hits as f64 / keys.len() as f64,
                reference_lfu.map_or("n/a".into(), |h| format!(
                    "{:.4}",
                    h as f64 / keys.len() as f64
                )),
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no capacity was checked");
}

fn replay_concurrent(cache: &ConcurrentCache<u64, u64, Xxh3BuildHasher>, keys: &[u64]) -> u64 {
    let mut hits = 0;
    for &k in keys {
        if cache.get(&k).is_some() {
            hits += 1;
        } else {
            cache.insert(k, k).unwrap();
        }
    }
    hits
}

/// The concurrent cache (single thread, default configuration, deterministic) against the
/// reference table's moka, quick_cache and Caffeine at every listed capacity. Asserted: a
/// replay repeats hit for hit, and the counters and capacity hold (the means are asserted under
/// several seeds below). Printed: every cell, the means, and the cells below moka or
/// quick_cache.
#[test]
fn concurrent_cache_against_the_references() {
    let text = std::fs::read_to_string(format!("{DATA}/reference_hit_ratios.json")).unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    let traces = reference["traces"].as_object().unwrap();
    let peers = ["moka", "quick_cache", "Caffeine", "W-TinyLFU (libCacheSim)"];
    let mut sums = [[0.0f64; 5]; 4];
    let mut below = vec![];
    for (file, t) in traces {
        let keys = read_trace(file);
        for (label, cap) in t["capacities"].as_object().unwrap() {
            let c = LABELS.iter().position(|l| l == label).unwrap();
            let cap = cap.as_u64().unwrap();
            // The deterministic hasher: a replay must repeat hit for hit.
            let cache = ConcurrentCache::builder(cap)
                .hasher(Xxh3BuildHasher::default())
                .record_stats()
                .build()
                .unwrap();
            let hits = replay_concurrent(&cache, &keys);
            if c == 0 {
                let again = ConcurrentCache::builder(cap)
                    .hasher(Xxh3BuildHasher::default())
                    .build()
                    .unwrap();
                assert_eq!(
                    replay_concurrent(&again, &keys),
                    hits,
                    "{file}: replays differ"
                );
            }
            cache.check_invariants();
            assert!(cache.len() as u64 <= cap);
            let stats = cache.stats();
            assert_eq!(stats.hits, hits);
            assert_eq!(stats.hits + stats.misses, keys.len() as u64);
            let ratio = 100.0 * hits as f64 / keys.len() as f64;
            let refs: Vec<f64> = peers
                .iter()
                .map(|p| {
                    100.0
                        * t["hit_ratio"][*p][label.as_str()]
                            .as_f64()
                            .unwrap_or(f64::NAN)
                })
                .collect();
            sums[c][0] += ratio;
            for (j, r) in refs.iter().enumerate() {
                sums[c][j + 1] += r;
            }
            let mark = if ratio + 1e-9 < refs[0].max(refs[1]) {
                "  <"
            } else {
                ""
            };
            if !mark.is_empty() {
                below.push(format!("{file} {label}"));
            }
            println!(
                "{file:26} {label:>4} {cap:>5}: ours {ratio:6.2}  moka {:6.2}  qc {:6.2}  caffeine {:6.2}  wtlfu {:6.2}{mark}",
                refs[0], refs[1], refs[2], refs[3]
            );
        }
    }
    // The mean over however many traces the table lists (each has every capacity).
    let n = traces.len() as f64;
    for (c, s) in sums.iter().enumerate() {
        println!(
            "mean {}: ours {:.2} moka {:.2} qc {:.2} caffeine {:.2} wtlfu {:.2}",
            LABELS[c],
            s[0] / n,
            s[1] / n,
            s[2] / n,
            s[3] / n,
            s[4] / n
        );
    }
    println!("below max(moka, qc) in {} cells: {below:?}", below.len());
}

/// The target for the mean over whatever traces the table lists: at every capacity at
/// least the best of Caffeine, quick_cache, S3-FIFO, LRU and moka, under each of four hash
/// seeds (the race samples keys by hash, and `new` draws the seed at random).
#[test]
fn concurrent_mean_beats_every_reference_under_several_seeds() {
    let text = std::fs::read_to_string(format!("{DATA}/reference_hit_ratios.json")).unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    let traces = reference["traces"].as_object().unwrap();
    let peers = ["Caffeine", "quick_cache", "S3-FIFO", "LRU", "moka"];
    let keys: Vec<(Vec<u64>, &Value)> = traces.iter().map(|(f, t)| (read_trace(f), t)).collect();
    let n = keys.len() as f64;
    for seed in 0..4 {
        for label in LABELS {
            let mut ours = 0.0;
            let mut theirs = [0.0f64; 5];
            for (keys, t) in &keys {
                let cap = t["capacities"][label].as_u64().unwrap();
                let cache = ConcurrentCache::builder(cap)
                    .hasher(Xxh3BuildHasher::with_seed(seed))
                    .build()
                    .unwrap();
                ours += 100.0 * replay_concurrent(&cache, keys) as f64 / keys.len() as f64 / n;
                for (sum, p) in theirs.iter_mut().zip(peers) {
                    // `n/a` (null): S3-FIFO below 20 entries, where libCacheSim's never hits.
                    *sum += 100.0 * t["hit_ratio"][p][label].as_f64().unwrap_or(0.0) / n;
                }
            }
            println!("seed {seed} {label}: mean ours {ours:.2}, {peers:?} {theirs:.2?}");
            for (mean, p) in theirs.iter().zip(peers) {
                assert!(
                    ours >= *mean,
                    "seed {seed}, {label}: mean {ours:.2} below {p}'s {mean:.2}"
                );
            }
        }
    }
}
