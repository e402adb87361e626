#![forbid(unsafe_code)]
//! LRU and LFU caches with O(1) operations, weights, TTL and statistics, in safe Rust.
//!
//! # Example
//! ```
//! use brick_lru::LruCache;
//!
//! let mut cache = LruCache::new(2)?;
//! cache.insert("a", 1);
//! cache.insert("b", 2);
//! assert_eq!(cache.get("a"), Some(&1)); // "a" is now the most recently used
//! let evicted = cache.insert("c", 3);   // full: the least recently used goes
//! assert_eq!(evicted, Some(("b", 2)));
//! assert_eq!(cache.stats().hits, 1);
//! # Ok::<(), brick_lru::Error>(())
//! ```
//!
//! # How it works
//! A cache answers "do I have this key?" in O(1) with a hash table, and "which entry goes
//! when I am full?" in O(1) with a list kept in eviction order. Least recently used (LRU)
//! keeps the list in order of last use: a hit moves the entry to the front, the victim is at
//! the back. Both moves are O(1) in a doubly linked list, given a pointer to the node; the
//! hash table supplies that pointer.
//!
//! **Indices instead of pointers.** The usual Rust LRU crates build that list from raw
//! pointers, which needs `unsafe` (and `lru` has had soundness advisories). Here every entry
//! lives in one `Vec` (the slab), and the links are `u32` slab indices: the same O(1) moves, no
//! `unsafe`, half the size of pointers, and the entries sit together in memory. The slab stays
//! dense: an eviction reuses the victim's slot for the new entry, and a removal moves the last
//! entry into the hole (fixing its neighbours' links and its table slot). The hash table is a
//! `hashbrown::HashTable<u32>` of slab indices, hashed and compared through the slab, so the
//! key is stored once and the table costs 4 bytes and a control byte per entry.
//!
//! **LFU.** Least frequently used keeps use counts and evicts the smallest. Shah, Mitra and
//! Matani (2010) make it O(1): entries with equal counts share a bucket, buckets form a list
//! by count, and a hit moves its entry one bucket up. Ties go to the entry whose count was set
//! longest ago, exactly as Python's cachetools does. Counts only grow, so a key that was hot
//! yesterday stays; `decay` halves them all.
//!
//! **Trade-off.** LRU adapts at once but a scan of one-time keys flushes it; LFU resists scans
//! but adapts slowly and pays for its counts. Neither remembers evicted keys; admission
//! policies such as W-TinyLFU (the concurrent cache) beat both on most real traces.
//!
//! # Complexity
//! | operation | LRU | LFU |
//! |---|---|---|
//! | `get`, `peek`, `contains` | O(1) expected | O(1) expected |
//! | `insert` (with eviction) | O(1) expected, amortized; O(evicted) by weight | same |
//! | `remove`, `pop_lru` / `pop_lfu` | O(1) expected | O(1) expected |
//! | `iter`, `retain`, `purge_expired` | O(n) | O(n) |
//! | `decay` | – | O(buckets + entries moved) |
//! | memory | slab entry (key, value, two `u32`) + about 5–10 bytes of table | + a `u32` and buckets |
//!
//! # Accuracy
//! The policies are exact, not approximations: `tests/vectors.rs` reproduces all 16 cachetools
//! 8.0.1 cases hit for hit (and their final contents in order), and `tests/traces.rs` replays 15
//! real and synthetic traces (1.1 M requests) at four capacities each, where LRU's hit counts
//! equal libCacheSim's LRU and LFU's equal libCacheSim's LFU in all 60 cases. The `compare`
//! report (`cargo run --release -p brick-benches -- lru`) charts them against the reference
//! curve, beside speed and bytes per entry against lru, schnellru, clru, hashlink and
//! quick_cache.
//!
//! # When to use which
//! | workload | use |
//! |---|---|
//! | recency matters (sessions, recently viewed items) | [`LruCache`] |
//! | stable popularity (a product catalogue, DNS) | [`LfuCache`], with `decay` if popularity drifts |
//! | scans mixed with hot keys | [`LfuCache`], or an admission policy (W-TinyLFU) |
//! | many threads | one cache per thread, or a sharded concurrent cache |
//!
//! # Features
//! None. Dependencies: `hashbrown` (the raw table, no default features) and `xxhash-rust`
//! (the default hasher).
//!
//! # Limits
//! - At most [`MAX_ENTRIES`] entries (2^32 − 2: the links are `u32`). A capacity above that
//!   is a typed error for count-bounded caches; weighted caches evict to stay below it.
//! - Weights are `u32` per entry and `u64` in total. An entry heavier than the capacity is
//!   refused and handed back, never inserted.
//! - Times are nanoseconds of the injected clock: 584 years before they saturate.

mod cache;
mod clock;
mod concurrent;
mod error;
mod hasher;
mod lfu;
mod lru;
mod stats;
mod store;
mod sync;
mod weigher;

pub use cache::{Cache, Removal};
pub use clock::{Clock, ManualClock, SystemClock};
pub use concurrent::{Builder, CacheStats, ConcurrentCache, RemovalCause, TooHeavy};
pub use error::Error;
pub use hasher::{DefaultBuildHasher, Xxh3Hasher};
pub use lfu::LfuCache;
pub use lru::LruCache;
pub use stats::Stats;
pub use weigher::{UnitWeigher, Weigher};

/// The most entries a cache holds: slab links are `u32`, and `u32::MAX` means "none".
pub const MAX_ENTRIES: u32 = u32::MAX - 1;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
