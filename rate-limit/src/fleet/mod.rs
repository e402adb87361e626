//! Limits shared by a fleet of servers, kept in Redis (feature `redis`).
//!
//! The crate docs' "Running across a fleet" section explains the design.

#[cfg(feature = "tokio")]
mod async_client;
mod client;
mod error;
mod limiter;

#[cfg(feature = "tokio")]
pub use async_client::AsyncRedisClient;
pub use client::{RedisClient, RedisOptions, RedisTransport};
pub use error::RedisError;
pub use limiter::{
    FailurePolicy, RedisAlgorithm, RedisDecision, RedisFixedWindow, RedisGcra, RedisHierarchy,
    RedisLevel, RedisLimiter, RedisSlidingLog, RedisSlidingWindowCounter, RedisTokenBucket,
};
