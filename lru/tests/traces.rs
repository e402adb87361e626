//! Replays the shared cache traces: LRU must equal libCacheSim's LRU, and LFU libCacheSim's
//! LFU, hit for hit at every listed capacity (60 cases each); the ratios are printed.
#![cfg(not(loom))]

use brick_lru::{Cache, LfuCache, LruCache};
use serde_json::Value;
use std::io::Read;

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

fn replay(cache: &mut impl Cache<u64, u64>, keys: &[u64]) -> u64 {
    let mut hits = 0;
    for &k in keys {
        if cache.get(&k).is_some() {
            hits += 1;
        } else {
            cache.insert(k, k);
        }
    }
    hits
}

#[test]
fn lru_hit_counts_equal_libcachesim_on_every_trace() {
    let text = std::fs::read_to_string(format!("{DATA}/reference_hit_ratios.json")).unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    let traces = reference["traces"].as_object().unwrap();
    assert_eq!(traces.len(), 15);
    let mut checked = 0;
    for (file, t) in traces {
        let keys = read_trace(file);
        assert_eq!(keys.len() as u64, t["requests"].as_u64().unwrap(), "{file}");
        for (label, cap) in t["capacities"].as_object().unwrap() {
            let cap = cap.as_u64().unwrap();
            let mut lru = LruCache::new(cap).unwrap();
            let hits = replay(&mut lru, &keys);
            let expected = t["hits"]["LRU"][label].as_u64().unwrap();
            assert_eq!(hits, expected, "{file} at {label} = {cap}: LRU hits");
            assert_eq!(lru.stats().hits, hits);
            let mut lfu = LfuCache::new(cap).unwrap();
            let lfu_hits = replay(&mut lfu, &keys);
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
    assert_eq!(checked, 60);
}
