//! Every RFC 6962 vector in tests/data (provenance in tests/data/README.md): roots, audit paths
//! and consistency proofs, produced and verified.

use brick_merkle::{MerkleHasher, MerkleLog, Proof, Sha256, verify_consistency, verify_inclusion};
use serde_json::Value;

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

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn digest(v: &Value) -> [u8; 32] {
    unhex(v.as_str().unwrap()).try_into().unwrap()
}

fn proof(v: &Value) -> Proof<[u8; 32]> {
    Proof {
        hashes: v.as_array().unwrap().iter().map(digest).collect(),
    }
}

fn shared_log() -> MerkleLog {
    let leaves: Value = serde_json::from_str(&data("merkle_leaves.json")).unwrap();
    MerkleLog::from_leaves(
        leaves["leaves_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| unhex(l.as_str().unwrap())),
    )
}

#[test]
fn roots_for_every_size() {
    let leaves: Value = serde_json::from_str(&data("merkle_leaves.json")).unwrap();
    let leaves: Vec<Vec<u8>> = leaves["leaves_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| unhex(l.as_str().unwrap()))
        .collect();
    let log: MerkleLog = MerkleLog::from_leaves(&leaves);
    let cases = lines("merkle_roots.jsonl");
    assert!(!cases.is_empty(), "no root vectors");
    // Grown one leaf at a time, the current root at every size matches too.
    let mut grown: MerkleLog = MerkleLog::new();
    for c in &cases {
        let size = c["size"].as_u64().unwrap();
        assert_eq!(
            log.root_at(size).unwrap(),
            digest(&c["root"]),
            "root_at({size})"
        );
        assert_eq!(grown.root(), digest(&c["root"]), "root after {size} pushes");
        if let Some(leaf) = leaves.get(size as usize) {
            grown.push(leaf);
        }
    }
    // The whole log's root is the case of its size, wherever the file lists it.
    for c in cases
        .iter()
        .filter(|c| c["size"].as_u64() == Some(leaves.len() as u64))
    {
        assert_eq!(log.root(), digest(&c["root"]), "root of the whole log");
    }
}

#[test]
fn inclusion_paths_match_and_verify() {
    let log = shared_log();
    let cases = lines("merkle_inclusion.jsonl");
    assert_eq!(cases.len(), 275);
    for c in &cases {
        let (index, size) = (c["index"].as_u64().unwrap(), c["size"].as_u64().unwrap());
        let want = proof(&c["path"]);
        assert_eq!(
            log.inclusion_proof(index, size).unwrap(),
            want,
            "PATH({index}, {size})"
        );
        assert_eq!(log.leaf_hash(index).unwrap(), digest(&c["leaf_hash"]));
        verify_inclusion::<Sha256>(
            &digest(&c["leaf_hash"]),
            index,
            size,
            &want,
            &digest(&c["root"]),
        )
        .unwrap();
    }
}

#[test]
fn consistency_proofs_match_and_verify() {
    let log = shared_log();
    let cases = lines("merkle_consistency.jsonl");
    assert_eq!(cases.len(), 287);
    for c in &cases {
        let (m, n) = (c["m"].as_u64().unwrap(), c["n"].as_u64().unwrap());
        let want = proof(&c["proof"]);
        assert_eq!(
            log.consistency_proof(m, n).unwrap(),
            want,
            "PROOF({m}, {n})"
        );
        verify_consistency::<Sha256>(m, n, &digest(&c["root_m"]), &digest(&c["root_n"]), &want)
            .unwrap();
    }
}

#[test]
fn certificate_transparency_reference_vectors() {
    let ct: Value = serde_json::from_str(&data("ct_reference.json")).unwrap();
    let leaves: Vec<Vec<u8>> = ct["leaves_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| unhex(l.as_str().unwrap()))
        .collect();
    let log: MerkleLog = MerkleLog::from_leaves(&leaves);
    let roots = ct["roots_by_size"].as_array().unwrap();
    assert_eq!(roots.len(), 9);
    assert_eq!(digest(&roots[0]), Sha256::empty());
    for (size, root) in roots.iter().enumerate() {
        assert_eq!(
            log.root_at(size as u64).unwrap(),
            digest(root),
            "CT root of size {size}"
        );
    }
    // Complete-subtree hashes by level: level 0 are the leaf hashes.
    for (level, hashes) in ct["node_hashes_by_level"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        for (i, h) in hashes.as_array().unwrap().iter().enumerate() {
            let width = 1u64 << level;
            let sub: MerkleLog =
                MerkleLog::from_leaves(&leaves[i * width as usize..(i + 1) * width as usize]);
            assert_eq!(sub.root(), digest(h), "node {i} at level {level}");
        }
    }
    for c in ct["inclusion"].as_array().unwrap() {
        let (index, size) = (c["index"].as_u64().unwrap(), c["size"].as_u64().unwrap());
        let want = proof(&c["path"]);
        assert_eq!(log.inclusion_proof(index, size).unwrap(), want);
        let leaf = log.leaf_hash(index).unwrap();
        verify_inclusion::<Sha256>(&leaf, index, size, &want, &log.root_at(size).unwrap()).unwrap();
    }
    for c in ct["consistency"].as_array().unwrap() {
        let (m, n) = (c["m"].as_u64().unwrap(), c["n"].as_u64().unwrap());
        let want = proof(&c["proof"]);
        assert_eq!(log.consistency_proof(m, n).unwrap(), want);
        verify_consistency::<Sha256>(
            m,
            n,
            &log.root_at(m).unwrap(),
            &log.root_at(n).unwrap(),
            &want,
        )
        .unwrap();
    }
}
