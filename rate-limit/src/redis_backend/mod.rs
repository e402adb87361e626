//! Limits shared by a fleet of servers, kept in Redis (feature `redis`).
//!
//! The crate docs' "Running across a fleet" section explains the design.

#[cfg(feature = "tokio")]
mod async_client;
mod check;
mod client;
mod error;
mod hierarchy;
mod limiter;
mod script;

#[cfg(feature = "tokio")]
pub use async_client::AsyncRedisClient;
pub use client::{RedisClient, RedisOptions, RedisTransport};
pub use error::RedisError;
pub use hierarchy::{RedisHierarchy, RedisLevel};
pub use limiter::{
    FailurePolicy, RedisDecision, RedisFixedWindow, RedisGcra, RedisLimiter, RedisSlidingLog,
    RedisSlidingWindowCounter, RedisTokenBucket,
};
pub use script::RedisAlgorithm;
