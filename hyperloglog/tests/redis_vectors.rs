//! Bit-exact Redis interop: every vector in `tests/data/redis_hll_*.jsonl` (captured from a
//! real redis-server 7.0.15) reproduced byte for byte.
#![cfg(not(loom))]

use brick_hyperloglog::{RedisHyperLogLog, murmur64a, redis_register};
use serde_json::Value;

fn lines(file: &str) -> Vec<Value> {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn elements(spec: &Value) -> Vec<Vec<u8>> {
    match spec["kind"].as_str() {
        Some("pattern") => {
            let format = spec["format"].as_str().unwrap();
            let (from, to) = (
                spec["i_from"].as_u64().unwrap(),
                spec["i_to"].as_u64().unwrap(),
            );
            (from..to)
                .map(|i| format.replace("{i}", &i.to_string()).into_bytes())
                .collect()
        }
        Some("explicit_hex") => spec["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| unhex(h.as_str().unwrap()))
            .collect(),
        other => panic!("unknown element kind {other:?}"),
    }
}

fn build(spec: &Value) -> RedisHyperLogLog {
    let mut hll = RedisHyperLogLog::new();
    for e in elements(spec) {
        hll.insert(&e);
    }
    hll
}

/// A snapshot: encoding, length, the header before PFCOUNT, the value and PFCOUNT after.
fn check_snapshot(name: &str, hll: &RedisHyperLogLog, expected: &Value) {
    assert_eq!(
        hex(&hll.as_redis_bytes()[..16]),
        expected["header_before_pfcount_hex"].as_str().unwrap(),
        "{name}: header before PFCOUNT"
    );
    assert_eq!(
        hll.count(),
        expected["pfcount"].as_u64().unwrap(),
        "{name}: PFCOUNT"
    );
    let encoding = if hll.is_sparse() { "sparse" } else { "dense" };
    assert_eq!(
        encoding,
        expected["encoding"].as_str().unwrap(),
        "{name}: encoding"
    );
    assert_eq!(
        hll.len_bytes() as u64,
        expected["len"].as_u64().unwrap(),
        "{name}: length"
    );
    let value = hll.to_redis_bytes();
    assert_eq!(
        hex(&value),
        expected["value_hex"].as_str().unwrap(),
        "{name}: value"
    );
    // And the value reads back to the same sketch.
    let back = RedisHyperLogLog::from_redis_bytes(&value).expect("valid");
    assert_eq!(
        back.registers(),
        hll.registers(),
        "{name}: registers after reading back"
    );
    let nonzero = hll.registers().iter().filter(|&&r| r > 0).count() as u64;
    assert_eq!(
        nonzero,
        expected["nonzero_registers"].as_u64().unwrap(),
        "{name}"
    );
}

#[test]
fn single_elements_hash_register_and_encode_as_redis() {
    let cases = lines("redis_hll_single.jsonl");
    assert!(!cases.is_empty(), "no vectors");
    for case in cases {
        let element = match (&case["element"]["utf8"], &case["element"]["hex"]) {
            (Value::String(s), _) => s.clone().into_bytes(),
            (_, Value::String(h)) => unhex(h),
            _ => panic!("element"),
        };
        let hash = format!("{:016x}", murmur64a(&element, 0xadc8_3b19));
        assert_eq!(hash, case["murmur64a_seed_adc83b19"].as_str().unwrap());
        let (register, rank) = redis_register(&element);
        assert_eq!(register as u64, case["register"].as_u64().unwrap());
        assert_eq!(u64::from(rank), case["run_length"].as_u64().unwrap());
        let mut hll = RedisHyperLogLog::new();
        assert!(hll.insert(&element));
        assert_eq!(
            hex(hll.as_redis_bytes()),
            case["value_hex"].as_str().unwrap()
        );
        assert_eq!(hll.count(), case["pfcount"].as_u64().unwrap());
    }
}

#[test]
fn element_sets_match_pfadd_and_pfcount_byte_for_byte() {
    for case in lines("redis_hll_cases.jsonl") {
        let name = case["case"].as_str().unwrap();
        let all = elements(&case["elements"]);
        let mut hll = RedisHyperLogLog::new();
        // PFADD in batches of 1000; the first also creates the key, which counts as a change.
        let mut replies = 0;
        for (b, batch) in all.chunks(1000).enumerate() {
            let mut changed = b == 0;
            for e in batch {
                changed |= hll.insert(e);
            }
            replies += u64::from(changed);
        }
        if all.is_empty() {
            replies = 1;
        }
        if let Some(expected) = case["pfadd_replies_sum"].as_u64() {
            assert_eq!(replies, expected, "{name}: PFADD replies");
        }
        check_snapshot(name, &hll, &case);
        if case.get("readd_pfadd_replies_sum").is_some() {
            let before = hll.to_redis_bytes();
            let mut counted = RedisHyperLogLog::from_redis_bytes(&before).unwrap();
            assert!(
                all.iter().all(|e| !counted.insert(e)),
                "{name}: re-adding changed something"
            );
            assert_eq!(
                counted.as_redis_bytes(),
                &before[..],
                "{name}: re-adding changed bytes"
            );
        }
    }
}

#[test]
fn promotion_happens_at_the_element_and_bytes_redis_promoted() {
    for case in lines("redis_hll_switch.jsonl") {
        let max = case["hll_sparse_max_bytes"].as_u64().unwrap() as usize;
        let mut hll = RedisHyperLogLog::with_sparse_max_bytes(max);
        let replies = case["pfadd_replies"].as_str().unwrap().as_bytes();
        let lens: Vec<u64> = serde_json::from_value(case["strlen_after_each"].clone()).unwrap();
        let switch = case["switch_at_index"].as_u64().unwrap() as usize;
        for (i, e) in elements(&case["elements"]).iter().enumerate() {
            if i == switch {
                assert!(hll.is_sparse());
                assert_eq!(
                    hex(hll.as_redis_bytes()),
                    case["last_sparse_value_hex"].as_str().unwrap(),
                    "the last sparse value"
                );
            }
            // Each PFADD creates the key first on element 0, which is a change.
            let changed = hll.insert(e) || i == 0;
            assert_eq!(changed, replies[i] == b'1', "element {i}: PFADD reply");
            assert_eq!(hll.len_bytes() as u64, lens[i], "element {i}: STRLEN");
            if i == switch {
                assert!(!hll.is_sparse(), "promoted at element {i}");
                assert_eq!(
                    hex(hll.as_redis_bytes()),
                    case["first_dense_value_hex"].as_str().unwrap(),
                    "the first dense value"
                );
            }
        }
        check_snapshot("switch final", &hll, &case["final"]);
    }
}

#[test]
fn pfmerge_and_multi_key_pfcount_match() {
    for case in lines("redis_hll_merge.jsonl") {
        let name = case["case"].as_str().unwrap();
        let mut a = build(&case["a"]["elements"]);
        let b = if case["b"].is_null() {
            None
        } else {
            let b = build(&case["b"]["elements"]);
            assert_eq!(
                if b.is_sparse() { "sparse" } else { "dense" },
                case["b"]["encoding"].as_str().unwrap()
            );
            Some(b)
        };
        // A missing key counts as an empty HLL.
        let empty = RedisHyperLogLog::new();
        let b_ref = b.as_ref().unwrap_or(&empty);
        let sources = [&a, b_ref];
        assert_eq!(
            RedisHyperLogLog::union_count(&sources),
            case["pfcount_multi_key"].as_u64().unwrap(),
            "{name}: PFCOUNT A B"
        );
        let sources: Vec<&RedisHyperLogLog> = match &b {
            Some(b) => vec![&a, b],
            None => vec![&a],
        };
        let dest = RedisHyperLogLog::merged(&sources);
        check_snapshot(name, &dest, &case["dest"]);
        if let Some(into_a) = case.get("merge_into_a") {
            // The generator had counted A (caching its cardinality) before merging into it.
            a.pfcount();
            let b = b.as_ref().expect("merging into A needs B");
            a.merge(&[b]);
            check_snapshot(&format!("{name} into A"), &a, &into_a["dest"]);
        }
    }
}
