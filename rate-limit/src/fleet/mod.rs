//! Limits shared by a fleet of servers, kept in Redis (feature `redis`).
//!
//! The crate docs' "Running across a fleet" section explains the design.

mod client;
mod error;
mod limiter;

pub use client::{RedisClient, RedisOptions};
pub use error::RedisError;
pub use limiter::{
    FailurePolicy, RedisAlgorithm, RedisDecision, RedisFixedWindow, RedisGcra, RedisHierarchy,
    RedisLevel, RedisLimiter, RedisSlidingWindowCounter, RedisTokenBucket,
};
