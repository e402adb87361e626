//! A Bloom filter a fleet shares, kept in Redis (feature `redis`).
//!
//! The crate docs' "Sharing one filter through Redis" section explains the design.

mod client;
mod error;
mod filter;

pub use client::{RedisClient, RedisOptions};
pub use error::RedisError;
pub use filter::{RedisBloomFilter, RedisBloomOptions};
