//! Every case of `tests/data/cache_results.jsonl` (cachetools 8.0.1): the same hit on every
//! request and the same final contents, for LRU and LFU.
#![cfg(not(loom))]

use brick_lru::{LfuCache, LruCache};
use serde_json::Value;

fn traces() -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/cache_traces.json"
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["traces"].as_object().unwrap().clone()
}

/// The replay protocol: get each key; on a miss, insert it. One hit bit per request.
/// (A macro: the single-threaded caches share these methods but no trait.)
macro_rules! replay {
    ($cache:expr, $keys:expr) => {{
        let cache = &mut $cache;
        $keys
            .iter()
            .map(|&k| {
                let hit = cache.get(&k).is_some();
                if !hit {
                    cache.insert(k, k);
                }
                hit
            })
            .collect::<Vec<bool>>()
    }};
}

fn bits_hex(hits: &[bool]) -> String {
    hits.chunks(8)
        .map(|c| {
            let byte = c
                .iter()
                .enumerate()
                .fold(0u8, |b, (i, &h)| b | (u8::from(h) << (7 - i)));
            format!("{byte:02x}")
        })
        .collect()
}

#[test]
fn cachetools_cases_are_reproduced_exactly() {
    let traces = traces();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/cache_results.jsonl"
    ))
    .unwrap();
    let mut cases = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        let name = case["trace"].as_str().unwrap();
        let capacity = case["capacity"].as_u64().unwrap();
        let keys: Vec<u64> = traces[name]["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_u64().unwrap())
            .collect();
        let what = format!("{name} cap={capacity} {}", case["policy"]);
        let hits: Vec<bool>;
        match case["policy"].as_str().unwrap() {
            "lru" => {
                let mut c = LruCache::new(capacity).unwrap();
                hits = replay!(c, keys);
                c.check_invariants();
                let mut lru_to_mru: Vec<u64> = c.iter().map(|(k, _)| *k).collect();
                lru_to_mru.reverse();
                let expected: Vec<u64> = case["final_keys_lru_to_mru"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k.as_u64().unwrap())
                    .collect();
                assert_eq!(lru_to_mru, expected, "{what}: final contents");
            }
            "lfu" => {
                let mut c = LfuCache::new(capacity).unwrap();
                hits = replay!(c, keys);
                c.check_invariants();
                let order: Vec<(u64, u64)> = c.iter().map(|(k, _, n)| (*k, n)).collect();
                let expected: Vec<(u64, u64)> = case["final_keys_eviction_order_with_counts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
                    .collect();
                assert_eq!(order, expected, "{what}: final contents");
            }
            other => panic!("unknown policy {other}"),
        }
        let hit_count = hits.iter().filter(|&&h| h).count() as u64;
        assert_eq!(hit_count, case["hits"].as_u64().unwrap(), "{what}: hits");
        assert_eq!(
            bits_hex(&hits),
            case["hit_bits_hex"].as_str().unwrap(),
            "{what}: hit bits"
        );
        cases += 1;
    }
    assert_eq!(cases, 16);
}
