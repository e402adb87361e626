//! Hashing an attacker cannot aim: every cache built by `new` (or the builder's default) hashes
//! with a key of its own, so keys precomputed to share a bucket under the published
//! deterministic hasher spread out, and two caches disagree on every key's hash.

use std::collections::HashMap;
use std::hash::BuildHasher;

use brick_lru::{ConcurrentCache, LfuCache, LruCache, Xxh3BuildHasher};

/// Bits of the hash that pick a bucket in a table of 2^BITS buckets.
const BITS: u32 = 12;

/// `n` keys whose hashes under the published seed agree in their low `BITS` bits: what an
/// attacker who read the source would send to pile them into one bucket.
fn colliding_keys(n: usize) -> Vec<String> {
    let fixed = Xxh3BuildHasher::with_seed(0);
    let mask = (1u64 << BITS) - 1;
    let target = fixed.hash_one("/user/0") & mask;
    (0u64..)
        .map(|i| format!("/user/{i}"))
        .filter(|k| fixed.hash_one(k) & mask == target)
        .take(n)
        .collect()
}

/// The most keys that share one bucket under `hasher`.
fn worst_bucket(hasher: &impl BuildHasher, keys: &[String]) -> usize {
    let mut buckets: HashMap<u64, usize> = HashMap::new();
    for k in keys {
        *buckets
            .entry(hasher.hash_one(k) & ((1 << BITS) - 1))
            .or_default() += 1;
    }
    buckets.into_values().max().unwrap_or(0)
}

#[test]
fn keys_aimed_at_the_published_hasher_spread_under_the_default() {
    let keys = colliding_keys(64);
    assert_eq!(
        worst_bucket(&Xxh3BuildHasher::with_seed(0), &keys),
        64,
        "the attack works there"
    );
    // Under a uniformly keyed hash, five or more of 64 keys in one of 4,096 buckets has
    // probability below 3·10^-8.
    let lru = LruCache::<String, u32>::new(100).unwrap();
    let lfu = LfuCache::<String, u32>::new(100).unwrap();
    let concurrent = ConcurrentCache::<String, u32>::new(100).unwrap();
    assert!(worst_bucket(lru.hasher(), &keys) <= 4);
    assert!(worst_bucket(lfu.hasher(), &keys) <= 4);
    assert!(worst_bucket(concurrent.hasher(), &keys) <= 4);
}

#[test]
fn two_caches_built_by_new_hash_a_key_differently() {
    let key = "https://example.com/";
    let a = LruCache::<&str, u32>::new(10).unwrap();
    let b = LruCache::<&str, u32>::new(10).unwrap();
    assert_ne!(a.hasher().hash_one(key), b.hasher().hash_one(key));
    let a = LfuCache::<&str, u32>::new(10).unwrap();
    let b = LfuCache::<&str, u32>::new(10).unwrap();
    assert_ne!(a.hasher().hash_one(key), b.hasher().hash_one(key));
    let a = ConcurrentCache::<&str, u32>::new(10).unwrap();
    let b = ConcurrentCache::<&str, u32>::new(10).unwrap();
    assert_ne!(a.hasher().hash_one(key), b.hasher().hash_one(key));
    // The deterministic hasher, asked for explicitly, agrees with itself: replays repeat.
    let fixed = Xxh3BuildHasher::with_seed(7);
    let a = LruCache::<&str, u32, _>::builder(10)
        .hasher(fixed)
        .weigher(brick_lru::UnitWeigher)
        .build()
        .unwrap();
    assert_eq!(
        a.hasher().hash_one(key),
        Xxh3BuildHasher::with_seed(7).hash_one(key)
    );
}

/// The caches keep their promise with hostile keys: all present, nothing lost.
#[test]
fn a_cache_full_of_aimed_keys_still_finds_every_one() {
    let keys = colliding_keys(256);
    let mut lru = LruCache::new(256).unwrap();
    for (i, k) in keys.iter().enumerate() {
        assert!(
            lru.insert(k.clone(), i).is_none(),
            "nothing evicted below capacity"
        );
    }
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(lru.get(k), Some(&i));
    }
}
