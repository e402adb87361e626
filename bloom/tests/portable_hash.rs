//! The byte-level path is portable: `hash_bytes` is XXH3-64 of exactly the bytes, checked
//! against the reference implementation's vectors, and every `_bytes` method uses that hash.

mod portable;

use brick_bloom::{
    AtomicBloomFilter, BlockedBloomFilter, BloomFilter, CountingBloomFilter, DefaultBuildHasher,
    Params, ScalableBloomFilter,
};

#[test]
fn hash_bytes_is_reference_xxh3() {
    let params = Params::optimal(1_000, 0.01).unwrap();
    for v in portable::vectors() {
        let hasher = DefaultBuildHasher::with_seed(v.seed);
        let filter = BloomFilter::with_hasher(params, hasher).unwrap();
        assert_eq!(filter.hash_bytes(&v.input), v.hash, "seed {:x}", v.seed);
        let blocked = BlockedBloomFilter::with_hasher(params, hasher).unwrap();
        assert_eq!(blocked.hash_bytes(&v.input), v.hash);
        let counting = CountingBloomFilter::with_hasher(params, hasher).unwrap();
        assert_eq!(counting.hash_bytes(&v.input), v.hash);
        let atomic = AtomicBloomFilter::with_hasher(params, hasher).unwrap();
        assert_eq!(atomic.hash_bytes(&v.input), v.hash);
    }
}

#[test]
fn bytes_methods_set_the_bits_of_the_reference_hash() {
    let params = Params::optimal(1_000, 0.01).unwrap();
    let vectors = portable::vectors();
    for seed in [0, 1, u64::MAX] {
        let hasher = DefaultBuildHasher::with_seed(seed);
        let mut by_bytes = BloomFilter::with_hasher(params, hasher).unwrap();
        let mut by_hash = BloomFilter::with_hasher(params, hasher).unwrap();
        let mut blocked_bytes = BlockedBloomFilter::with_hasher(params, hasher).unwrap();
        let mut blocked_hash = BlockedBloomFilter::with_hasher(params, hasher).unwrap();
        let mut counting_bytes = CountingBloomFilter::with_hasher(params, hasher).unwrap();
        let mut counting_hash = CountingBloomFilter::with_hasher(params, hasher).unwrap();
        let atomic_bytes = AtomicBloomFilter::with_hasher(params, hasher).unwrap();
        let atomic_hash = AtomicBloomFilter::with_hasher(params, hasher).unwrap();
        let mut scalable_bytes = ScalableBloomFilter::with_hasher(
            100,
            0.01,
            brick_bloom::DEFAULT_GROWTH,
            brick_bloom::DEFAULT_TIGHTENING,
            hasher,
        )
        .unwrap();
        let mut scalable_hash = scalable_bytes.clone();
        for v in vectors.iter().filter(|v| v.seed == seed) {
            by_bytes.insert_bytes(&v.input);
            by_hash.insert_hash(v.hash);
            blocked_bytes.insert_bytes(&v.input);
            blocked_hash.insert_hash(v.hash);
            counting_bytes.insert_bytes(&v.input);
            counting_hash.insert_hash(v.hash);
            atomic_bytes.insert_bytes(&v.input);
            atomic_hash.insert_hash(v.hash);
            scalable_bytes.insert_bytes(&v.input).unwrap();
            scalable_hash.insert_hash(v.hash).unwrap();
        }
        assert_eq!(by_bytes.to_bytes(), by_hash.to_bytes());
        assert_eq!(blocked_bytes.to_bytes(), blocked_hash.to_bytes());
        assert_eq!(counting_bytes.to_bytes(), counting_hash.to_bytes());
        assert_eq!(
            atomic_bytes.to_filter().to_bytes(),
            atomic_hash.to_filter().to_bytes()
        );
        for v in vectors.iter().filter(|v| v.seed == seed) {
            assert!(by_bytes.contains_bytes(&v.input));
            assert!(blocked_bytes.contains_bytes(&v.input));
            assert!(counting_bytes.contains_bytes(&v.input));
            assert!(atomic_bytes.contains_bytes(&v.input));
            assert!(scalable_hash.contains_bytes(&v.input));
            counting_bytes.remove_bytes(&v.input).unwrap();
            counting_hash.remove_hash(v.hash).unwrap();
        }
        assert_eq!(counting_bytes.to_bytes(), counting_hash.to_bytes());
    }
}
