//! The byte-level path is portable: `hash_bytes` is XXH3-64 of exactly the bytes, checked
//! against the reference implementation's vectors, and every `_bytes` method uses that hash.

mod portable;

use brick_count_min::{AtomicCountMinSketch, CountMinSketch, DefaultBuildHasher};

#[test]
fn hash_bytes_is_reference_xxh3() {
    for v in portable::vectors() {
        let hasher = DefaultBuildHasher::with_seed(v.seed);
        let sketch = CountMinSketch::<u32>::with_hasher(64, 4, hasher).unwrap();
        assert_eq!(sketch.hash_bytes(&v.input), v.hash, "seed {:x}", v.seed);
        let atomic = AtomicCountMinSketch::<_>::with_hasher(64, 4, hasher).unwrap();
        assert_eq!(atomic.hash_bytes(&v.input), v.hash);
    }
}

#[test]
fn bytes_methods_count_under_the_reference_hash() {
    let vectors = portable::vectors();
    for seed in [0, 1, u64::MAX] {
        let hasher = DefaultBuildHasher::with_seed(seed);
        let mut by_bytes = CountMinSketch::<u32>::with_hasher(64, 4, hasher).unwrap();
        let mut by_hash = by_bytes.clone();
        let atomic_bytes = AtomicCountMinSketch::<_>::with_hasher(64, 4, hasher).unwrap();
        let atomic_hash = AtomicCountMinSketch::<_>::with_hasher(64, 4, hasher).unwrap();
        for (i, v) in vectors.iter().filter(|v| v.seed == seed).enumerate() {
            let count = i as u64 + 1;
            by_bytes.increment_bytes(&v.input);
            by_bytes.add_bytes(&v.input, count);
            by_hash.increment_hash(v.hash);
            by_hash.add_hash(v.hash, count);
            atomic_bytes.increment_bytes(&v.input);
            atomic_bytes.add_bytes(&v.input, count);
            atomic_hash.increment_hash(v.hash);
            atomic_hash.add_hash(v.hash, count);
        }
        assert_eq!(by_bytes.to_bytes(), by_hash.to_bytes());
        for v in vectors.iter().filter(|v| v.seed == seed) {
            assert_eq!(
                by_bytes.estimate_bytes(&v.input),
                by_hash.estimate_hash(v.hash)
            );
            assert_eq!(
                atomic_bytes.estimate_bytes(&v.input),
                atomic_hash.estimate_hash(v.hash)
            );
        }
    }
}
