//! The registry of report sections: one file per brick, one line each in [`all`].

use crate::harness::Section;

pub mod bloom;
pub mod bloom_redis;
pub mod consistent_hash;
pub mod count_min;
pub mod count_min_redis;
pub mod geohash;
pub mod hyperloglog;
pub mod lru;
pub mod lru_async;
pub mod lru_concurrent;
pub mod merkle;
pub mod merkle_sync;
pub mod rate_limit;
pub mod rate_limit_http;
pub mod rate_limit_redis;

/// Every brick's section, in report order.
pub fn all() -> Vec<Box<dyn Section>> {
    vec![
        Box::new(bloom::BloomSection),
        Box::new(bloom_redis::BloomRedisSection),
        Box::new(consistent_hash::ConsistentHashSection),
        Box::new(count_min::CountMinSection),
        Box::new(count_min_redis::CountMinRedisSection),
        Box::new(geohash::GeohashSection),
        Box::new(hyperloglog::HyperLogLogSection),
        Box::new(lru::LruSection),
        Box::new(lru_concurrent::LruConcurrentSection),
        Box::new(lru_async::LruAsyncSection),
        Box::new(merkle::MerkleSection),
        Box::new(merkle_sync::MerkleSyncSection),
        Box::new(rate_limit::RateLimitSection),
        Box::new(rate_limit_redis::RateLimitRedisSection),
        Box::new(rate_limit_http::RateLimitHttpSection),
    ]
}
