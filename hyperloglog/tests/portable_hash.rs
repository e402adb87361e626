//! The byte-level path is portable: `insert_bytes` adds XXH3-64 of exactly the bytes, checked
//! against the reference implementation's vectors.

mod portable;

use brick_hyperloglog::{AtomicHyperLogLog, DefaultBuildHasher, HyperLogLog};
use std::hash::{BuildHasher, Hasher};

#[test]
fn the_default_hasher_is_reference_xxh3_on_bytes() {
    for v in portable::vectors() {
        let mut h = DefaultBuildHasher::with_seed(v.seed).build_hasher();
        h.write(&v.input);
        assert_eq!(h.finish(), v.hash, "seed {:x}", v.seed);
    }
}

#[test]
fn insert_bytes_adds_the_reference_hash() {
    let vectors = portable::vectors();
    for seed in [0, 1, u64::MAX] {
        for precision in [4, 12, 14] {
            let hasher = DefaultBuildHasher::with_seed(seed);
            let mut by_bytes = HyperLogLog::with_hasher(precision, hasher).unwrap();
            let mut by_hash = by_bytes.clone();
            let atomic_bytes = AtomicHyperLogLog::with_hasher(precision, hasher).unwrap();
            let atomic_hash = AtomicHyperLogLog::with_hasher(precision, hasher).unwrap();
            for v in vectors.iter().filter(|v| v.seed == seed) {
                assert_eq!(by_bytes.insert_bytes(&v.input), by_hash.insert_hash(v.hash));
                assert_eq!(
                    atomic_bytes.insert_bytes(&v.input),
                    atomic_hash.insert_hash(v.hash)
                );
            }
            assert_eq!(by_bytes.to_bytes(), by_hash.to_bytes());
            assert_eq!(
                atomic_bytes.to_hyperloglog().to_bytes(),
                atomic_hash.to_hyperloglog().to_bytes()
            );
        }
    }
}
