//! A Bloom filter a fleet shares, kept in Redis (feature `redis`).
//!
//! The crate docs' "Sharing one filter through Redis" section explains the design.
//!
//! ```
//! use brick_bloom::{RedisClient, RedisOptions};
//!
//! // No I/O yet: connections open on the first call.
//! let client = RedisClient::with_options(
//!     "redis://127.0.0.1:6379/",
//!     RedisOptions { connections: 8, ..Default::default() },
//! )?;
//! assert!(RedisClient::open("not a url").is_err());
//! # Ok::<(), brick_bloom::RedisError>(())
//! ```

#[cfg(feature = "tokio")]
mod async_client;
mod client;
mod error;
mod filter;

#[cfg(feature = "tokio")]
pub use async_client::AsyncRedisClient;
pub use client::{RedisClient, RedisOptions};
pub use error::RedisError;
pub use filter::{RedisBloomFilter, RedisBloomOptions};

/// A filter keeps nothing beside a client's connections.
pub(crate) type ClientExtra = ();

impl RedisOptions {
    /// The default timeout, 1 s: long enough for a batch, or for one key of a download (16 MiB
    /// by default).
    pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
}
