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
mod transport;

#[cfg(feature = "tokio")]
pub use async_client::AsyncRedisClient;
pub use client::{RedisClient, RedisOptions};
pub use error::RedisError;
pub use hierarchy::{RedisHierarchy, RedisLevel};
pub use limiter::{
    FailurePolicy, RedisDecision, RedisFixedWindow, RedisGcra, RedisLimiter, RedisSlidingLog,
    RedisSlidingWindowCounter, RedisTokenBucket,
};
pub use script::RedisAlgorithm;
pub(crate) use transport::ClientExtra;
pub use transport::RedisTransport;

impl RedisOptions {
    /// The default timeout, 50 ms: short, because a rate limiter that waits on a sick Redis
    /// stalls every request behind it; the failure policy answers instead.
    pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(50);
}
