#![forbid(unsafe_code)]
//! HyperLogLog: how many distinct items a stream holds, estimated in kilobytes, mergeable
//! across shards.
//!
//! # Example
//! ```
//! use brick_hyperloglog::HyperLogLog;
//!
//! // One sketch per shard: 2^14 registers, 0.81 % standard error, at most 12 KiB each.
//! let mut monday = HyperLogLog::new(14)?;
//! let mut tuesday = HyperLogLog::new(14)?;
//! for user in 0..50_000u64 {
//!     monday.insert(&user);
//! }
//! for user in 25_000..75_000u64 {
//!     tuesday.insert(&user);
//! }
//! let mut week = monday.clone();
//! week.merge(&tuesday)?; // the union: 75,000 distinct users
//! let n = week.count() as f64;
//! assert!((n / 75_000.0 - 1.0).abs() < 0.03, "{n}");
//!
//! // Small sets are almost exact while the sketch is sparse.
//! let mut few = HyperLogLog::new(14)?;
//! for word in ["a", "b", "c", "a"] {
//!     few.insert(word);
//! }
//! assert_eq!(few.count(), 3);
//! assert!(few.is_sparse());
//!
//! // A sketch travels as bytes with a versioned, checksummed header.
//! let copy: HyperLogLog = HyperLogLog::from_bytes(&week.to_bytes())?;
//! assert_eq!(copy.count(), week.count());
//! # Ok::<(), brick_hyperloglog::Error>(())
//! ```
//!
//! # How it works
//! **The math.** Hash each item to 64 uniform bits. The chance that a hash starts with k − 1
//! zeros and then a one is 2^−k, so among n distinct hashes the longest such run is about
//! log2 n: one number of 6 bits "remembers" the order of magnitude of n. One such maximum is
//! noisy, so HyperLogLog splits the stream: the first p bits of the hash choose one of m = 2^p
//! registers, and each register keeps the longest run (the rank, 1 + leading zeros) of the
//! hashes that chose it. Each register estimates log2(n/m); the estimates are combined with a
//! harmonic mean, which tames the registers that got an unusually long run:
//! n̂ ≈ α m² / Σ 2^−register. The relative standard error is about 1.04/√m.
//!
//! **Why Ertl's estimator.** The raw harmonic mean is biased when many registers are still
//! empty (small n) and when ranks saturate (huge n). HLL++ patched the small range with linear
//! counting and empirical bias tables interpolated at 200 points per precision. Ertl (2017)
//! derived the correction instead: the estimator works on the histogram of register values
//! and replaces the empty registers' contribution by a series σ and the saturated ones' by τ
//! (`estimate.rs`). It is unbiased to within a fraction of the standard error over the whole
//! range, for every precision, with no tables to ship or get wrong. The histogram is kept up
//! to date by each insert, so `count` costs O(64), not a scan of the registers.
//!
//! **Why HIP on top.** A sketch that has only ever been fed by `insert` knows more than its
//! registers: it saw each register change happen. When a change happens, the chance that a new
//! item would cause one was q = Σ 2^−register / m, so that change stands, on average, for
//! 1/q distinct items. Summing 1/q over the changes (the historic inverse probability
//! estimator of Cohen and Ting, which DataSketches also uses) is unbiased with about 20 %
//! less error: 0.63 % instead of 0.83 % at p = 14 (`tests/accuracy.rs`). It costs two floating
//! point numbers and a division per register change (rare after the first few thousand
//! items). A merged or folded sketch has no such history, so it reports Ertl's estimate of its
//! registers; `register_estimate` gives that for any sketch. The HIP value travels in the
//! byte format.
//!
//! **Why sparse.** A fresh p = 14 sketch would spend 12 KiB to count three items. Until that
//! pays, the sketch keeps a sorted list of 4-byte entries at precision 25 (2^25 virtual
//! registers: index and rank of each distinct hash seen), exactly as HLL++ does. At that
//! precision collisions are rare, so a count below a few thousand is within ±1 of the truth in
//! almost every stream. When the list would outgrow the dense registers (4 bytes × entries >
//! 6 bits × 2^p), it is converted: an entry at precision 25 determines exactly the dense
//! register and rank the same hash would have set (the 25 − p extra index bits start the run
//! of zeros), so the conversion loses nothing.
//!
//! **Trade-off.** Precision buys accuracy with memory: each +1 of p divides the
//! error by √2 and doubles the dense registers. Merging is a register-wise maximum, so sketches
//! of one precision and one hasher combine exactly (the union); intersections are not
//! supported (inclusion-exclusion on estimates is unreliable).
//!
//! # Complexity
//! | operation | dense | sparse (k entries) |
//! |---|---|---|
//! | `insert` | O(1): one hash, one 6-bit maximum | O(log k) search + O(k) insert |
//! | `count`, `estimate` | O(64) | O(64) |
//! | `merge` | O(m) | O(k₁ + k₂) |
//! | `fold(p')` | O(m) | O(k) |
//! | `RedisHyperLogLog::insert` | O(1) | O(value bytes): find and split one opcode, as Redis |
//! | memory | 0.75 · 2^p bytes | 4 · k bytes |
//!
//! # When to use which
//! | need | use |
//! |---|---|
//! | distinct counts of large streams, mergeable across shards and days | `HyperLogLog` at p = 12..16 |
//! | one sketch filled by many threads at once | `AtomicHyperLogLog`: `insert(&self)`, one atomic byte a register |
//! | sketches shared with Redis (`PFADD`, `PFCOUNT`, `PFMERGE` on the same values) | `RedisHyperLogLog`: Redis's hash, p = 14, its exact bytes |
//! | exact counts below ~10^5 and memory is no issue | a `HashSet` |
//! | "has this item been seen?" | a Bloom filter (`brick-bloom`) |
//! | how often each item occurs | a Count-Min sketch (`brick-count-min`) |
//!
//! | precision | registers | dense bytes | standard error |
//! |---|--:|--:|--:|
//! | 10 | 1,024 | 768 | 3.25 % |
//! | 12 | 4,096 | 3,072 | 1.63 % |
//! | 14 | 16,384 | 12,288 | 0.81 % |
//! | 16 | 65,536 | 49,152 | 0.41 % |
//! | 18 | 262,144 | 196,608 | 0.20 % |

mod atomic;
mod error;
mod estimate;
mod hasher;
mod hll;
mod redis;
mod sync;
mod wire;

pub use atomic::AtomicHyperLogLog;
pub use error::{DecodeError, Error};
pub use hasher::{DefaultBuildHasher, SipBuildHasher, SketchHasher, Xxh3Hasher};
pub use hll::{HyperLogLog, MAX_PRECISION, MIN_PRECISION};
pub use redis::{
    REDIS_DENSE_LEN, REDIS_REGISTERS, REDIS_SPARSE_MAX_BYTES, RedisHyperLogLog, murmur64a,
    redis_register,
};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
