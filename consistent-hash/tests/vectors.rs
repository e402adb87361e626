//! Every case of the shared vectors (tests/data/README.md): jump against the reference
//! implementation, ketama against uhashring and libketama.

use brick_consistent_hash::{KetamaFlavor, KetamaRing, jump, ketama_hash};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn data(file: &str) -> String {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn lines(file: &str) -> Vec<Value> {
    data(file)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn jump_pairs_match_the_reference() {
    let pairs = lines("jump_pairs.jsonl");
    assert!(!pairs.is_empty(), "no jump vectors");
    for p in &pairs {
        let (key, n, want) = (
            p[0].as_u64().unwrap(),
            p[1].as_u64().unwrap(),
            p[2].as_u64().unwrap(),
        );
        assert_eq!(
            jump(key, n as u32).unwrap(),
            want as u32,
            "jump({key}, {n})"
        );
    }
}

#[test]
fn jump_sweeps_match_and_are_monotone() {
    for s in lines("jump_sweeps.jsonl") {
        let key = s["key"].as_u64().unwrap();
        let buckets = s["buckets"].as_array().unwrap();
        let mut prev = None;
        for (i, b) in buckets.iter().enumerate() {
            let n = s["num_buckets_from"].as_u64().unwrap() as u32 + i as u32;
            let got = jump(key, n).unwrap();
            assert_eq!(got, b.as_u64().unwrap() as u32, "jump({key}, {n})");
            if let Some(p) = prev {
                assert!(
                    got == p || got == n - 1,
                    "growing to {n} moved {key} from {p} to {got}"
                );
            }
            prev = Some(got);
        }
    }
}

fn ring(case: &Value, flavor: KetamaFlavor, skip: Option<&str>) -> KetamaRing {
    let mut r = KetamaRing::new(flavor);
    for n in case["nodes"].as_array().unwrap() {
        let name = n["name"].as_str().unwrap();
        if Some(name) != skip {
            r.add(name, n["weight"].as_u64().unwrap() as u32).unwrap();
        }
    }
    r
}

fn continuum_sha256(r: &KetamaRing) -> String {
    let mut h = Sha256::new();
    for (p, name) in r.continuum() {
        h.update(format!("{p} {name}\n").as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn check_assign(r: &KetamaRing, case: &Value, keys: &[String], assign: &Value, what: &str) {
    let names: Vec<&str> = case["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    for (k, a) in keys.iter().zip(assign.as_array().unwrap()) {
        let want = names[a.as_u64().unwrap() as usize];
        assert_eq!(r.get(k.as_bytes()), Some(want), "{what}: key {k:?}");
    }
}

#[test]
fn ketama_matches_uhashring_and_libketama() {
    let keys: Value = serde_json::from_str(&data("ketama_keys.json")).unwrap();
    let keys: Vec<String> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    assert!(!keys.is_empty(), "no keys");
    let cases = lines("ketama_cases.jsonl");
    assert!(!cases.is_empty(), "no ketama cases");
    for case in &cases {
        let name = case["case"].as_str().unwrap();
        let u = ring(case, KetamaFlavor::Uhashring, None);
        for (node, count) in u.points_per_node() {
            assert_eq!(
                count,
                case["points_per_node_uhashring"][node].as_u64().unwrap(),
                "{name}: points of {node}"
            );
        }
        assert_eq!(
            continuum_sha256(&u),
            case["continuum_sha256"].as_str().unwrap(),
            "{name}: continuum"
        );
        if let Some(listed) = case["continuum"].as_array() {
            let node_names: Vec<&str> = case["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["name"].as_str().unwrap())
                .collect();
            let ours: Vec<(u32, &str)> = u.continuum().collect();
            let want: Vec<(u32, &str)> = listed
                .iter()
                .map(|p| {
                    (
                        p[0].as_u64().unwrap() as u32,
                        node_names[p[1].as_u64().unwrap() as usize],
                    )
                })
                .collect();
            assert_eq!(ours, want, "{name}: listed continuum");
        }
        for (i, h) in case["key_hash_first_20"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            assert_eq!(
                u64::from(ketama_hash(keys[i].as_bytes())),
                h.as_u64().unwrap()
            );
        }
        check_assign(
            &u,
            case,
            &keys,
            &case["assign"],
            &format!("{name} uhashring"),
        );

        let lib = ring(case, KetamaFlavor::Libketama, None);
        let lk = &case["libketama"];
        if lk["continuum_equal"].as_bool().unwrap() {
            assert_eq!(
                continuum_sha256(&lib),
                case["continuum_sha256"].as_str().unwrap()
            );
            check_assign(
                &lib,
                case,
                &keys,
                &case["assign"],
                &format!("{name} libketama"),
            );
        } else {
            assert_eq!(
                continuum_sha256(&lib),
                lk["continuum_sha256"].as_str().unwrap(),
                "{name}: libketama continuum"
            );
            check_assign(
                &lib,
                case,
                &keys,
                &lk["assign"],
                &format!("{name} libketama"),
            );
        }

        let after = &case["after_remove"];
        let removed = after["removed"].as_str().unwrap();
        let u2 = ring(case, KetamaFlavor::Uhashring, Some(removed));
        check_assign(
            &u2,
            case,
            &keys,
            &after["assign"],
            &format!("{name} uhashring after removing {removed}"),
        );
        let mut u3 = ring(case, KetamaFlavor::Uhashring, None);
        assert!(u3.remove(removed));
        assert_eq!(continuum_sha256(&u3), continuum_sha256(&u2));
        let lib2 = ring(case, KetamaFlavor::Libketama, Some(removed));
        let lk_assign = after["libketama"]
            .get("assign")
            .filter(|v| !v.is_null())
            .unwrap_or(&after["assign"]);
        check_assign(
            &lib2,
            case,
            &keys,
            lk_assign,
            &format!("{name} libketama after removing {removed}"),
        );
    }
}
