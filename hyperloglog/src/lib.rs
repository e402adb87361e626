#![forbid(unsafe_code)]
//! HyperLogLog: how many distinct items a stream holds, estimated in kilobytes, mergeable
//! across shards.
//!
//! # Example
//! ```
//! use brick_hyperloglog::HyperLogLog;
//!
//! // One sketch per shard: 2^14 registers, 0.81 % standard error, about 8 KiB each.
//! let mut monday = HyperLogLog::with_params(14)?;
//! let mut tuesday = HyperLogLog::with_params(14)?;
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
//! let mut few = HyperLogLog::with_params(14)?;
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
//! and replaces the empty registers' contribution by a series σ and the saturated ones' by τ.
//! With `C[k]` the number of registers holding k and q = 64 − p,
//!
//! `n̂ = α∞·m² / (m·σ(C[0]/m) + Σ_{k=1..q} C[k]·2^−k + m·τ(1 − C[q+1]/m)·2^−q)`, α∞ = 1/(2 ln 2),
//!
//! σ(x) = x + Σ_{k≥1} x^(2^k)·2^(k−1) and τ(x) = (1 − x − Σ_{k≥1} (1 − x^(2^−k))²·2^−k) / 3, two
//! series that reach double precision in a few dozen terms (Ertl 2017, "New cardinality
//! estimation algorithms for HyperLogLog sketches", algorithm 6). It is unbiased to within a
//! fraction of the standard error over the whole range, for every precision, with no tables to
//! ship or get wrong. It needs only three
//! numbers, which the sketch keeps exactly as registers change: the empty registers, the
//! saturated ones and Σ 2^−register (a 128-bit fixed-point sum, so no rounding accumulates).
//! So `count` is O(1), not a scan of the registers.
//!
//! **Why HIP on top.** A sketch that has only ever been fed by `insert` knows more than its
//! registers: it saw each register change happen. When a change happens, the chance that a new
//! item would cause one was q = Σ 2^−register / m, so that change stands, on average, for
//! 1/q distinct items. Summing 1/q over the changes (the historic inverse probability
//! estimator of Cohen and Ting, which DataSketches also uses) is unbiased with about 20 %
//! less error: its relative standard error is about 0.83/√m against 1.04/√m for the registers
//! alone (0.65 % against 0.81 % at p = 14; `tests/accuracy.rs` measures 0.63 % and 0.83 %). It
//! costs one float and a division per register change (rare after the first few thousand
//! items). A merged or folded sketch has no such history (the union's registers do not say
//! which side raised each one, nor in what order), so it reports Ertl's estimate of its
//! registers and loses HIP's advantage: a union of HIP sketches is back to 1.04/√m.
//! `register_estimate` gives that estimate for any sketch. The HIP value travels in the byte
//! format, and `from_bytes` refuses one no insert history could leave beside its registers.
//!
//! **Why 4 bits a register.** A rank needs 6 bits (up to 65 − p), but the ranks of one sketch
//! are not spread over that range: each is about log2(n/m), give or take a few. So the dense
//! registers store each rank as its distance above `base`, the smallest rank of any register,
//! in a nibble; a nibble of 15 means "15 or more above", and the exact rank of such a register
//! sits in a short sorted overflow list. When the last register at `base` rises, `base` rises
//! too and every nibble is lowered in place (O(m), fewer than log2(n/m) times in all). At p = 14 a
//! handful of the 16,384 registers overflow, whatever n: 8 KiB instead of 12, as DataSketches'
//! HLL_4. The hot path is still one read: a rank at or below `base` + nibble changes nothing.
//!
//! **Why sparse.** A fresh p = 14 sketch would spend 8 KiB to count three items. Until that
//! pays, the sketch keeps a sorted list of 4-byte entries, one per distinct hash seen, that
//! keep 31 bits of the hash (2^31 virtual registers, where HLL++ keeps 25). At that resolution
//! two of a thousand distinct items share an entry in one sketch of about 4,300 (at 25 bits,
//! one in 67), so a count below a few thousand is within ±1 of the truth in almost every
//! stream. An entry must also say which dense register and rank its hash sets at any precision
//! up to 18: bits 18..31 of the hash hold a one in all but 1 hash in 8,192, and then the rank
//! lies within the kept bits; for the rest the entry keeps 18 bits and the rank after bit 31
//! instead (bit 0 says which). So the conversion to dense, when the list would outgrow the
//! registers (4 bytes × entries > 2^p / 2), loses nothing. While sparse, the estimate is linear
//! counting over the 2^31 virtual registers.
//!
//! **Trade-off.** Precision buys accuracy with memory: each +1 of p divides the
//! error by √2 and doubles the dense registers. Merging is a register-wise maximum, and it is
//! lossless: a register of a sketch of A ∪ B holds the longest run among the hashes of A ∪ B
//! that chose it, which is the larger of the longest among A's and the longest among B's —
//! max(max A, max B) = max(A ∪ B). So the merge of two sketches is exactly the sketch of the
//! union (same precision, same hasher), however the items were split, and merging is
//! associative, commutative and idempotent (a replayed merge changes nothing). Intersections
//! are not supported (inclusion-exclusion on estimates is unreliable).
//!
//! **Which precision.** Take p = 14 unless you have a reason not to: 0.81 % standard error
//! (0.65 % while HIP holds) in 8 KiB dense, and exact-looking counts while sparse. It is
//! Redis's choice, so a [`RedisHyperLogLog`] and a p = 14 sketch describe the same error; three
//! standard errors, the width that holds in 99.7 % of streams, is 2.4 %. Go down to 10–12 for
//! millions of small sketches (per user, per key) where 1.6–3.3 % is enough; go up to 16–18
//! for one global count where 0.2–0.4 % matters and 32–128 KiB is nothing. Sketches of
//! different precisions merge after `fold`ing the finer one down, so pick the finest you will
//! ever merge into.
//!
//! # Complexity
//! | operation | dense | sparse (k entries) |
//! |---|---|---|
//! | `insert` | O(1): one hash, one nibble compare | O(log k) search + O(k) insert |
//! | `count`, `estimate` | O(1) | O(1) |
//! | `merge` | O(m) | O(k₁ + k₂) |
//! | `fold(p')` | O(m) | O(k) |
//! | `RedisHyperLogLog::insert` | O(1) | O(value bytes): find and split one opcode, as Redis |
//! | memory | 0.5 · 2^p bytes (+ 4 per overflowing register) | 4 · k bytes |
//!
//! # Accuracy
//! The relative standard error is 1.04/√m for the registers (Ertl's estimator) and about
//! 0.83/√m for HIP. `tests/accuracy.rs` runs 200 independent streams at p = 14 for n from 10 to
//! 10^6 and checks, at every n, that the RMSE of `estimate` and of `register_estimate` is at most
//! 1.10 × 1.04/√m, that the mean bias is within ±0.2 %, and that at n ≤ 1,000 at least 99 % of
//! streams count within ±1 (the sparse representation). On the shared reference streams
//! `RedisHyperLogLog` reproduces Redis's error stream for stream, and `HyperLogLog` is shown
//! beside DataSketches' HLL at lg_k = 14. The `compare` report
//! (`cargo run --release -p brick-benches -- hyperloglog`) charts error against cardinality.
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
//! | 10 | 1,024 | 512 | 3.25 % |
//! | 12 | 4,096 | 2,048 | 1.63 % |
//! | 14 | 16,384 | 8,192 | 0.81 % |
//! | 16 | 65,536 | 32,768 | 0.41 % |
//! | 18 | 262,144 | 131,072 | 0.20 % |
//!
//! # Features
//! None by default: the crate depends on xxhash-rust (the default hasher) and siphasher (the
//! keyed one).
//! - `serde`: `Serialize` and `Deserialize` for `HyperLogLog`, as its versioned byte format
//!   (`to_bytes`, sparse or dense): serde and the format cannot disagree, and untrusted input
//!   meets the same checks.
//!
//! # Limits
//! - Precision 4 to 18 ([`MIN_PRECISION`], [`MAX_PRECISION`]); anything else is a typed error.
//! - Union only: there is no intersection or difference.
//! - `insert_hash` expects well-mixed 64-bit hashes. Through `Hash`, an item is hashed as the
//!   bytes its `Hash` impl writes (integers in native byte order and width; std does not
//!   promise to keep its impls across releases): sketches that cross machines should be filled
//!   with [`HyperLogLog::insert_bytes`], which hashes exactly the bytes given (XXH3-64 with the
//!   default hasher, checked against the reference vectors).
//! - The byte format refuses what no sketch could be (see [`HyperLogLog::to_bytes`]) and
//!   allocates at most 3 bytes per input byte.

// The loom models are unit tests, so loom can stay a dev-dependency; they name the crate as its
// users do.
#[cfg(all(test, loom))]
extern crate self as brick_hyperloglog;
mod atomic;
mod dense;
mod error;
mod estimate;
mod hasher;
mod hll;
#[cfg(all(test, loom))]
mod loom_tests;
mod redis;
#[cfg(feature = "serde")]
mod serde_wire;
mod sparse;
mod stable;
mod sync;
mod wire;
mod xxh3;

pub use atomic::AtomicHyperLogLog;
pub use error::{DecodeError, Error};
pub use hasher::{DefaultBuildHasher, SipBuildHasher, StableHasher, Xxh3BuildHasher, Xxh3Hasher};
pub use hll::{HyperLogLog, MAX_PRECISION, MIN_PRECISION, precision_for};
pub use redis::{
    REDIS_DENSE_LEN, REDIS_REGISTERS, REDIS_SPARSE_MAX_BYTES, RedisHyperLogLog, murmur64a,
    redis_register,
};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
