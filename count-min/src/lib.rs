#![forbid(unsafe_code)]
//! Count-Min sketches: how often each key occurred in a stream, in fixed memory, never below the
//! true count and above it by at most ε·N with probability 1 − δ.
//!
//! # Example
//! ```
//! use brick_count_min::{ConservativeCountMin, CountMinSketch, SpaceSaving};
//!
//! // ε = 0.1 %, δ = 1 %: 2719 × 5 counters of 4 bytes (53 KiB), whatever the number of keys.
//! let mut hits: CountMinSketch = CountMinSketch::new(0.001, 0.01)?;
//! assert_eq!((hits.width(), hits.depth(), hits.len_bytes()), (2719, 5, 54_380));
//! for ip in ["10.0.0.1", "10.0.0.2", "10.0.0.1"] {
//!     hits.increment(ip);
//! }
//! assert!(hits.estimate("10.0.0.1") >= 2); // never below the truth
//! assert!(hits.estimate("10.0.0.1") as f64 <= 2.0 + hits.error_bound()); // w.p. 1 − δ
//!
//! // Shards merge exactly: the sum is the sketch of both streams.
//! let mut other: CountMinSketch = CountMinSketch::new(0.001, 0.01)?;
//! other.add("10.0.0.1", 5);
//! hits.merge(&other)?;
//! assert!(hits.estimate("10.0.0.1") >= 7);
//!
//! // Conservative update: same guarantee, smaller errors.
//! let mut cu: ConservativeCountMin = ConservativeCountMin::new(0.001, 0.01)?;
//! assert_eq!(cu.add("/index.html", 3), 3); // returns the new estimate
//!
//! // Heavy hitters with deterministic bounds.
//! let mut top = SpaceSaving::new(100)?;
//! top.add(&"10.0.0.9", 1000);
//! assert_eq!(top.top()[0].key, "10.0.0.9");
//! # Ok::<(), brick_count_min::Error>(())
//! ```
//!
//! # How it works
//! A sketch is d rows of w counters. Adding c occurrences of x hashes x once and adds c to one
//! counter in each row, at column hᵢ(x). The estimate is the smallest of x's d counters.
//!
//! **Never below the truth.** Every counter holds the sum of the counts of all keys hashed to it,
//! and counts are not negative, so each of x's counters is at least f(x), and so is their
//! minimum.
//!
//! **Above it by at most ε·N.** In row i, x's counter is f(x) plus the counts of the other keys
//! that land on it. Each other key lands there with probability 1/w, so that excess has
//! expectation at most N/w, where N is the total of all counts. By Markov's inequality, the
//! excess exceeds e·N/w with probability at most 1/e. The rows hash independently, so all d
//! rows exceed it with probability at most e^(−d). The minimum therefore stays within ε·N of the
//! truth except with probability δ when
//!
//! w = ⌈e/ε⌉ and d = ⌈ln(1/δ)⌉ ([`dimensions`]).
//!
//! ε = 0.001 and δ = 0.01 give 2719 × 5 counters. Memory depends on ε and δ only, not on how
//! many keys there are. The error is relative to N, so a sketch answers "which keys are large"
//! well and "how many times did this rare key occur" poorly.
//!
//! **One hash per item.** Each item is hashed once to 64 bits, seeded XXH3 by default (about
//! 1.5 ns for a `u64`). Row i uses h₁ + i·h₂ on the hash's 32-bit halves (Kirsch and
//! Mitzenmacher's double hashing), scaled onto w by a multiply-shift, so w is the formula's
//! width, not a power of two. Over 40 seeds on the shared Zipf stream, the errors equal those of
//! independent per-row hashes (`tests/accuracy.rs`). The rows are stored row-major, and an
//! estimate reads d counters: 5 loads for the sizes above.
//!
//! **Conservative update** (Estan and Varghese). On an add, only counters below the new estimate
//! m + c are raised, and only as far as m + c. Every counter still bounds every key hashed to
//! it, so estimates still never fall below the truth. They are never above the plain sketch's,
//! and on the Zipf streams measured here they are 1.7–3× smaller. The cost is that counters are no longer
//! sums:
//! - Two conservative sketches add to an upper bound that is valid but larger than the
//!   conservative sketch of the joined stream, because that sketch depends on the order of the
//!   items. [`merge`](CountMinSketch::merge) allows it and documents it.
//! - A decrement cannot be undone: x's add may have left some of its counters untouched, so
//!   subtracting from all of them could push another key's counter below its count.
//!
//! **Saturation.** Counters are `u8`, `u16`, `u32` or `u64` ([`Counter`]) and stop at their
//! maximum instead of wrapping. A counter then holds min(sum, MAX), so an estimate below MAX is
//! exact sketch arithmetic, and one equal to MAX means "MAX or more". [`halve`](
//! CountMinSketch::halve) leaves saturated counters saturated.
//!
//! **Decay.** [`halve`](CountMinSketch::halve) halves every counter. Calling it every T seconds
//! weights an occurrence t seconds ago by 2^(−t/T), which gives hot keys *now* (cache
//! admission, abuse detection). Estimates still bound the halved true counts, because
//! ⌊a/2⌋ + ⌊b/2⌋ ≤ ⌊(a + b)/2⌋.
//!
//! **Heavy hitters.** A sketch cannot list its keys. [`TopK`] pairs a conservative sketch with a
//! min-heap of the k largest estimates, indexed by key: a key enters when its estimate (which
//! includes its whole history) beats the heap's smallest. Two `TopK`s merge. [`SpaceSaving`]
//! (Metwally et al.) needs no sketch: k counters, where a new key replaces the smallest (count
//! m) and inherits m + c, recording m as its possible overestimate. Its bounds are
//! deterministic: every count is within N/k, and every key above N/k is reported.
//!
//! **Concurrent.** [`AtomicCountMinSketch`] updates `AtomicU64` counters through `&self`:
//! `fetch_add` per row for plain increments, and compare-and-swap for weighted and conservative
//! adds. A conservative add restarts if a counter moved since it was read, so no increment is
//! lost (loom-checked).
//!
//! # Complexity
//! d = depth, w = width, k = heavy hitters tracked.
//!
//! | operation | time | space |
//! |---|---|---|
//! | `increment`, `add`, `estimate` | O(d): one hash, d counters | — |
//! | conservative `add` | O(d): two passes over the same d counters | — |
//! | `merge`, `halve`, `clear`, `to_bytes` | O(w·d) | — |
//! | sketch | — | w·d counters (`size_of::<C>()` bytes each) |
//! | `TopK::add` | O(d) + O(log k) when the heap changes | sketch + k keys |
//! | `SpaceSaving::add` | O(log k) | k keys and counters |
//! | `top()` | O(k log k) | — |
//!
//! # Accuracy
//! The bound is an estimate ≤ f(x) + ε·N with probability ≥ 1 − δ, and never below f(x).
//! Measured (`tests/accuracy.rs`, fixed seeds):
//! - 10^7 Zipf(1.1) items over 10^6 keys at ε = 0.001, δ = 0.01: every key is within the bound
//!   for both the plain and the conservative sketch. The bound checked is the sketch's own,
//!   e·N/w = 9,997 for w = ⌈e/ε⌉ = 2,719 columns, just under ε·N = 10,000. The mean overestimate is 865
//!   (plain) and 496 (conservative). Top-100 recall is 0.99 for `TopK` and 1.00 for
//!   `SpaceSaving` with k = 1000.
//! - On the shared stream of 2 × 10^5 items at DataSketches' own 1024 × 4, the plain sketch's
//!   mean overestimate over nine seeds is 29.3 ± 0.8, against 27.9 for DataSketches' one draw.
//!   The conservative sketch gives 9.2, with a max of 52 against DataSketches' 96.
//!
//! The `compare` report (`cargo run --release -p brick-benches -- count-min`) charts the
//! overestimate distribution of every implementation against εN. It also compares errors at
//! equal memory.
//!
//! **Why the measured error sits far below the bound.** The bound is Markov's inequality, a
//! worst case over every stream: a row's overestimate has mean at most N/w, so it exceeds
//! e·N/w with probability at most 1/e, and d rows all exceed it with probability e^(−d). Real
//! overestimates are far smaller for two reasons. Markov's slack: the bound allows e times the
//! mean per row, and the minimum of d rows is much smaller than any one row (for the stream
//! above, a row's mean overestimate is about N/w = 3,678, the minimum of five rows' averages
//! 865). Skew: in a Zipf stream most of N sits in a few heavy keys, which collide with a given
//! key in one row at most; the light keys that fill the other cells add little. Conservative
//! update raises only the counters at the minimum, so collisions add less again (496).
//!
//! **Heavy hitters: choose ε ≤ φ/2.** To report every key with at least φ·N occurrences
//! ([`TopK`], or querying candidates), keep a key whose estimate is ≥ φ·N. None is missed
//! (estimates never fall below the truth), and a reported key's true count is at least
//! (φ − ε)·N with probability 1 − δ. With ε = φ/2 every reported key has at least half the
//! threshold; smaller ε tightens that at 1/ε memory. For φ = 1 %: ε = 0.005, w = 544.
//!
//! ```
//! // The figures above: w = ⌈e/ε⌉, the bound e·N/w, and a row's mean overestimate N/w.
//! let (n, w) = (10_000_000f64, brick_count_min::dimensions(0.001, 0.01)?.0);
//! assert_eq!(w, 2719);
//! assert_eq!((std::f64::consts::E * n / w as f64).floor(), 9997.0);
//! assert_eq!((n / w as f64).round(), 3678.0);
//! assert_eq!(brick_count_min::dimensions(0.01 / 2.0, 0.01)?, (544, 5));
//! # Ok::<(), brick_count_min::Error>(())
//! ```
//!
//! **When counts go down.** Count-Min's "never below the truth" needs non-negative updates.
//! For streams with decrements (the turnstile model: stock levels, net flows) use a Count
//! Sketch (Charikar, Chen, Farach-Colton 2002), which adds ±1 per row by a second hash and
//! takes the median of the rows: unbiased, with error ε·‖f‖₂ instead of ε·‖f‖₁, which is much
//! smaller on skewed data — at the cost of estimates that can fall below the truth. This crate
//! does not implement it.
//!
//! # Hashing across machines
//! **Across machines.** Through `Hash`, an item is hashed as the bytes its `Hash` impl writes:
//! std writes integers in native byte order and width, and does not promise to keep its impls
//! across releases. Sketches that cross machines or releases should use the `_bytes` methods
//! (`increment_bytes`, `add_bytes`, `estimate_bytes`, `hash_bytes`), which hash exactly the bytes given: XXH3-64 with the default hasher, checked
//! against the reference implementation's vectors.
//!
//! # When to use which
//! | need | use |
//! |---|---|
//! | counts per key, mergeable across shards or processes | [`CountMinSketch`] |
//! | the smallest error in one place (no merging of partial sketches) | [`ConservativeCountMin`] |
//! | the top k keys, approximately, with merging | [`TopK`] |
//! | the top k keys with guaranteed bounds, or no sketch at all | [`SpaceSaving`] |
//! | many threads counting into one sketch | [`AtomicCountMinSketch`] |
//! | many processes counting into one sketch or one top-k (every API server) | `RedisCountMin`, `RedisTopK` (feature `redis`) |
//! | exact counts, few keys | a `HashMap` |
//!
//! # Sharing one sketch through Redis
//! With feature `redis`, `RedisCountMin` keeps a sketch's u32 counters in one Redis string and
//! its total beside it, so a fleet counts into one sketch without shipping and merging bytes.
//! An add is one script: for the plain rule one `BITFIELD ... OVERFLOW SAT INCRBY` of the d
//! counters (saturating as the in-process u32 counters do), for the conservative rule a read of
//! the d counters and a write of those below min + count. The conservative rule is the reason
//! for a script: read and write must not interleave with another process's add, or the
//! estimates would no longer be those of any order of the adds. `add_many` runs a whole batch,
//! in order, in one script.
//!
//! `RedisTopK` adds a sorted set of the k heaviest keys, updated in the same script as the
//! counters with the in-process `TopK`'s rule: a key enters when its estimate beats the smallest
//! tracked one (the design of DataSketches' and RedisBloom's top-k). `halve` decays counters,
//! total and tracked scores in one script.
//!
//! A sketch's keys share one hash tag (`{prefix}`), so a Redis Cluster keeps each sketch on
//! one master, where one script can touch all of them; many sketches spread over the masters.
//! `download` returns the in-process [`CountMinSketch`] with the same counters and total, which
//! the twin tests compare against one fed the same stream.
//!
//! # Features
//! None by default.
//! - `serde`: `Serialize` and `Deserialize` for `CountMinSketch` (either update rule), as its
//!   versioned byte format (`to_bytes`): serde and the format cannot disagree, and untrusted
//!   input meets the same checks.
//! - `redis`: `RedisCountMin`, `RedisTopK`, `RedisClient` and `RedisError` (the redis crate's
//!   blocking client).
//! - `cluster`: `RedisClient::cluster`, over a Redis Cluster.
//! - `tokio`: `AsyncRedisClient`, one multiplexed self-reconnecting connection with a timeout
//!   and back-off per call, and the sketches' operations as `async fn`s named `_async` (the redis
//!   crate's `ConnectionManager`, tokio's timers).
//!
//! # Limits
//! - Width at most [`MAX_WIDTH`] (2^32 − 1), depth at most [`MAX_DEPTH`] (64), heavy hitters at
//!   most [`MAX_K`]. Larger values are typed errors.
//! - Counters saturate at their type's maximum. The atomic sketch saturates `add` at
//!   [`ATOMIC_COUNTER_MAX`] (2^63). Its `fetch_add` increments could only wrap after 2^63 more
//!   increments of one counter, 292 years at one per nanosecond.
//! - Counts only go up (cash-register model). There is no decrement; use two sketches (adds and
//!   removes) if you need one.
//!
//! # Wire format
//! [`to_bytes`](CountMinSketch::to_bytes) writes version 1, with all integers little-endian:
//! the magic `BRCM`, the version, the bytes per counter, the update rule (1 plain, 2
//! conservative), the hasher id, then width, depth, hasher tag and total as `u64`, then the
//! counters row-major, then an XXH3-64 checksum of everything before it. `from_bytes` checks the
//! length before allocating, and checks the kind, the hasher and the checksum. A secret SipHash
//! key is never written; only a fingerprint of it is.
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 4 | magic `BRCM` |
//! | 4 | 1 | version (1) |
//! | 5 | 1 | bytes per counter (1, 2, 4 or 8) |
//! | 6 | 1 | update rule: 1 plain, 2 conservative |
//! | 7 | 1 | hasher id ([`StableHasher::ID`]) |
//! | 8 | 8 | width |
//! | 16 | 8 | depth |
//! | 24 | 8 | hasher tag ([`StableHasher::tag`]) |
//! | 32 | 8 | total |
//! | 40 | b·w·d | counters, row-major |
//! | 40 + b·w·d | 8 | XXH3-64 (seed 0) of every byte before it |
//!
//! Beyond the layout, the decoder checks the invariant every sketch keeps: no row's counters,
//! saturated ones aside, sum past the total (checked unless the total saturated at u64::MAX). A decoder allocates
//! the counters, at most as many bytes as the input holds, after checking the length.

// The loom models are unit tests, so loom can stay a dev-dependency; they name the crate as its
// users do.
#[cfg(all(test, loom))]
extern crate self as brick_count_min;
mod alloc;
mod atomic;
#[cfg(any(all(test, loom), feature = "redis"))]
mod backoff;
mod counter;
mod error;
mod hasher;
mod heap;
#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(any(all(test, loom), feature = "redis"))]
mod pool;
mod probe;
#[cfg(all(feature = "redis", not(all(test, loom))))]
mod redis_backend;
#[cfg(feature = "serde")]
mod serde_wire;
mod sketch;
mod stable;
mod sync;
mod topk;
mod wire;
mod xxh3;

pub use atomic::{ATOMIC_COUNTER_MAX, AtomicConservativeCountMin, AtomicCountMinSketch};
pub use counter::Counter;
pub use error::{DecodeError, Error};
pub use hasher::{DefaultBuildHasher, SipBuildHasher, StableHasher, Xxh3BuildHasher, Xxh3Hasher};
#[cfg(all(feature = "tokio", not(all(test, loom))))]
pub use redis_backend::AsyncRedisClient;
#[cfg(all(feature = "redis", not(all(test, loom))))]
pub use redis_backend::{RedisClient, RedisCountMin, RedisError, RedisOptions, RedisTopK};
pub use sketch::{
    Conservative, ConservativeCountMin, CountMinSketch, Plain, UpdateRule, dimensions,
};
pub use topk::{HeavyHitter, SpaceSaving, TopK};
/// The Redis client's back-off and pool, public only for the loom model.
#[cfg(all(test, loom))]
#[doc(hidden)]
pub use {
    backoff::Backoff,
    pool::{Connector, Pool, PoolError},
};

/// The most columns a row may have (ε down to about 6.3 · 10⁻¹⁰).
pub const MAX_WIDTH: u64 = u32::MAX as u64;
/// The most rows a sketch may have (δ down to e⁻⁶⁴).
pub const MAX_DEPTH: u64 = 64;
/// The most heavy hitters a [`TopK`] or [`SpaceSaving`] may track.
pub const MAX_K: u64 = 1 << 24;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
