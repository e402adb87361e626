#![forbid(unsafe_code)]
//! Bloom filters: sets that can wrongly answer "present", never wrongly "absent", in a fixed
//! number of bits per item whatever the items' size.
//!
//! # Example
//! ```
//! use brick_bloom::BloomFilter;
//!
//! // A million URLs at a 1 % false-positive rate: 1.2 MB, 7 hash functions.
//! let mut seen = BloomFilter::new(1_000_000, 0.01)?;
//! assert_eq!(seen.hashes(), 7);
//! assert!(seen.memory_bytes() < 1_200_000);
//!
//! assert!(!seen.insert("https://example.com/")); // new
//! assert!(seen.insert("https://example.com/")); // seen before
//! assert!(seen.contains("https://example.com/"));
//! assert!(!seen.contains("https://example.org/")); // absent: `false` is always right
//! # Ok::<(), brick_bloom::Error>(())
//! ```
//!
//! # How it works
//! A filter is m bits, all 0, and k hash functions. Inserting an item sets the k bits its
//! hashes point at; a query answers "present" when all k of them are 1. An inserted item's bits
//! stay 1, so there are no false negatives. An absent item is a false positive when other items
//! happen to have set all its k bits.
//!
//! **The rate.** One insert leaves a given bit 0 with probability (1 − 1/m)^k, so after n
//! inserts the bit is still 0 with probability (1 − 1/m)^(kn) ≈ e^(−kn/m). An absent item
//! hits k bits that are each 1 with probability 1 − e^(−kn/m):
//!
//! p ≈ (1 − e^(−kn/m))^k.
//!
//! **The optimum.** For a given m/n, p is smallest when each bit is 1 with probability ½, at
//! k = (m/n)·ln 2. Then p = 2^(−k) = e^(−(m/n)(ln 2)²), which solved for m gives
//!
//! m = −n·ln p / (ln 2)² ≈ 1.44·n·log₂(1/p):
//!
//! 9.59 bits per item at 1 %, 14.4 at 0.1 %, and 4.79 more for each further factor of ten —
//! independent of how large the items are. [`optimal_bits`], [`optimal_hashes`],
//! [`false_positive_rate`] and [`capacity`] compute these; [`Params::optimal`] rounds k to a
//! whole number and adds the few bits (0.1 % at p = 1 %) that keep the rate at or below p.
//!
//! ```
//! // The worked example: a billion items at 1 % need about 9.59e9 bits (1.2 GB) and 7 hashes.
//! let bits = brick_bloom::optimal_bits(1_000_000_000, 0.01)?;
//! assert!((bits as f64 - 9.585e9).abs() < 1e6);
//! assert_eq!(brick_bloom::optimal_hashes(bits, 1_000_000_000)?, 7);
//! assert!(bits / 8 > 1_190_000_000 && bits / 8 < 1_200_000_000); // bytes
//! # Ok::<(), brick_bloom::Error>(())
//! ```
//!
//! **One hash per item.** Hashing dominates small filters, so each item is hashed once to 64
//! bits (seeded XXH3 by default: about 2 ns for a `u64`), and the k positions are derived from
//! it by enhanced double hashing, gᵢ = h₁ + i·h₂ + (i³ − i)/6 (Kirsch and Mitzenmacher showed
//! double hashing keeps the asymptotic rate; the cubic term removes the repeats plain double
//! hashing has). Each gᵢ maps onto 0..m by a multiply-shift, which has no division and works
//! for filters above 2^32 bits. A seed cannot weaken the filter: h₂ is a bijective mix of the
//! whole hash, not one half of a seed.
//!
//! **Blocked.** In a large filter each of the k bits is a cache miss. A [`BlockedBloomFilter`]
//! sends an item to one 512-bit block (one cache line) and sets its k bits there, one in each
//! of the block's eight 64-bit words (the split-block layout of Parquet and Impala): one miss,
//! and four multiplications for eight bits. Blocks fill unevenly (a block's load is Poisson),
//! and crowded blocks answer "present" more often, so at equal m the rate is higher. Putze,
//! Sanders and Singler give it as a mixture over block loads, p = Σᵢ P(i; λ)·q(i) with
//! λ = 512·n/m and q(i) the rate inside a block holding i items (for k = 8,
//! q(i) = (1 − (1 − 1/64)^i)^8); [`Params::blocked`] sizes with that formula, so the filter
//! still delivers p, for 5 % more bits at 1 % ([`blocked_false_positive_rate`]).
//!
//! **Counting.** Bits cannot be cleared, because another item may share them. A
//! [`CountingBloomFilter`] keeps a 4-bit counter per position instead, so `remove` decrements
//! them. Four times the memory; counters that reach 15 stick there.
//!
//! **Scalable.** m must be chosen before the items arrive. A [`ScalableBloomFilter`] (Almeida
//! et al. 2007) chains filters that grow geometrically and tighten their rate geometrically:
//! stage i holds n₀·gⁱ items at rate p·(1 − r)·rⁱ, so the compound rate 1 − Π(1 − pᵢ) stays
//! below p however many items arrive. That costs memory and probes:
//! - **Memory.** Each stage pays log₂(1/(1 − r)) + i·log₂(1/r) bits of rate more than a
//!   standard filter at p, 1.44× that in bits per item, and the newest stage is allocated before
//!   it fills. With the defaults (g = 2, r = 0.85) and n₀ = 1,000 at 1 %, a filter holding 10⁶
//!   items has allocated 16.6 bits per item, 1.73× a standard filter's 9.59; over 10⁴ to 10⁷ items
//!   the factor runs from 1.7× to 3.0×, highest just after a stage is added. A larger n₀ (close to
//!   the count you expect) keeps it near the low end.
//! - **Probes.** A query asks every stage, newest first: f = ⌈log₂(n/n₀ + 1)⌉ stages (10 at 10⁶
//!   items from n₀ = 1,000). An absent item costs about two bit probes per stage (each stage is
//!   half full, so a probe finds a 0 with probability ½); a present one, k probes in its stage
//!   after the misses in the newer ones.
//!
//! ```
//! use brick_bloom::{Params, ScalableBloomFilter};
//! // Bits allocated once 10^6 items are in, n₀ = 1,000 at 1 %: the sum of its stages.
//! let (n0, p, n) = (1_000u64, 0.01, 1_000_000u64);
//! let (mut bits, mut held, mut stages) = (0u64, 0u64, 0i32);
//! while held < n {
//!     let capacity = (n0 as f64 * 2f64.powi(stages)).ceil() as u64;
//!     bits += Params::optimal(capacity, p * 0.15 * 0.85f64.powi(stages))?.bits;
//!     held += capacity;
//!     stages += 1;
//! }
//! let standard = Params::optimal(n, p)?.bits;
//! assert_eq!(stages, 10);
//! assert_eq!((10.0 * bits as f64 / n as f64).round(), 166.0); // 16.6 bits per item
//! assert_eq!((100.0 * bits as f64 / standard as f64).round(), 173.0); // 1.73×
//! // The filter allocates exactly those stages.
//! let mut f = ScalableBloomFilter::new(n0, p)?;
//! for i in 0..n {
//!     f.insert_hash(i.wrapping_mul(0x9e37_79b9_7f4a_7c15))?;
//! }
//! assert_eq!(f.filter_count(), 10);
//! # Ok::<(), brick_bloom::Error>(())
//! ```
//!
//! **Concurrent.** An [`AtomicBloomFilter`] sets bits with atomic OR through `&self`: threads
//! share one filter without a lock, and lose no bit.
//!
//! # Complexity
//! | operation | time | space |
//! |---|---|---|
//! | `insert`, `contains` | O(k): one hash, k bit probes (blocked: in one cache line) | – |
//! | `new(n, p)` | O(m/64) to zero the bits | m = −n·ln p/(ln 2)² bits |
//! | `union`, `intersect`, `clear`, `estimated_len` | O(m/64) | – |
//! | `to_bytes`, `from_bytes` | O(m/64) | m/8 + 44 bytes |
//! | counting `remove` | O(k) | 4·m bits |
//! | scalable `insert`, `contains` | O(k·f), f = ⌈log₂(n/n₀ + 1)⌉ stages | 1.7–3.0 × m(n) at the defaults (see Scalable) |
//!
//! # Accuracy
//! The expected rate after n inserts is (1 − e^(−kn/m))^k for the standard, atomic and counting
//! filters, the Poisson mixture above for the blocked one, and at most p for the scalable one.
//! `tests/accuracy.rs` measures the standard, blocked and scalable filters on 10^6 absent keys
//! for p ∈ {0.1, 0.01, 0.001} and n ∈ {10^4, 10^6}, and checks each within 10 % of the target
//! plus four binomial standard deviations (a 4σ excursion has probability 6·10⁻⁵ per check).
//! The atomic and counting filters probe the same positions as a standard filter of the same
//! shape and hasher, and a property test (`tests/props.rs`) checks that all three answer every
//! query alike, so they share its measured rate. The `compare` report
//! (`cargo run --release -p brick-benches -- bloom`) shows the measured rates next to the
//! bound for ours and the peers.
//!
//! **Overfilling.** A filter keeps working past its planned n; its rate rises as the formula
//! says. For a filter planned for n items at 1 % (9.59 bits per item, k = 7):
//!
//! | items inserted | 1 × n | 1.25 × n | 1.5 × n | 2 × n | 3 × n | 4 × n |
//! |---|--:|--:|--:|--:|--:|--:|
//! | false-positive rate | 1.0 % | 2.7 % | 5.8 % | 15.7 % | 43.5 % | 67.8 % |
//!
//! ```
//! // The table, from the formula (tests/accuracy.rs measures the 2 × n column).
//! let plan = brick_bloom::Params::optimal(1_000_000, 0.01)?;
//! let percent = |load: f64| {
//!     let rate = plan.false_positive_rate((load * 1e6) as u64);
//!     (1000.0 * rate).round() / 10.0
//! };
//! assert_eq!(
//!     [1.0, 1.25, 1.5, 2.0, 3.0, 4.0].map(percent),
//!     [1.0, 2.7, 5.8, 15.7, 43.5, 67.8]
//! );
//! # Ok::<(), brick_bloom::Error>(())
//! ```
//! Past the plan, grow instead: a [`ScalableBloomFilter`], or a rebuild at a larger n.
//!
//! # When to use which
//! | need | use |
//! |---|---|
//! | a set of known size, fastest sequential build | [`BloomFilter`] |
//! | large filters (beyond cache) and hot queries | [`BlockedBloomFilter`]: one cache miss per query, a few % more bits |
//! | deletes | [`CountingBloomFilter`] (4× memory), or rebuild periodically; outside this crate, a cuckoo filter deletes in about 1.05·log₂(2b/p) bits per item (b entries per bucket) and a static xor or binary-fuse filter needs no deletes but is rebuilt from the whole set, at 1.23 or 1.13 × log₂(1/p) bits per item |
//! | unknown item count | [`ScalableBloomFilter`] |
//! | many threads inserting into one filter | [`AtomicBloomFilter`] |
//! | many processes sharing one filter (a fleet of crawler workers) | `RedisBloomFilter` (feature `redis`) |
//! | exact answers, or fewer than a few thousand items | a `HashSet` |
//!
//! # Hashing and security
//! The default [`DefaultBuildHasher`] is seeded XXH3: fast, and identical in every process, so
//! filters built apart can be merged and exchanged. Its seed is not secret, so someone who
//! chooses the items can search for ones that set bits of their choosing (pollution) or that
//! collide with present items. For such input use [`SipBuildHasher`] with a secret key:
//! ```
//! use brick_bloom::{BloomFilter, Params, SipBuildHasher};
//! let key = (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210); // from your secret store
//! let hasher = SipBuildHasher::with_keys(key.0, key.1);
//! let mut filter = BloomFilter::with_hasher(Params::optimal(10_000, 0.01)?, hasher)?;
//! filter.insert("user@example.com");
//! // The bytes carry a fingerprint of the key, never the key; decoding needs the hasher.
//! let bytes = filter.to_bytes();
//! assert!(BloomFilter::<SipBuildHasher>::from_bytes(&bytes).is_err());
//! let back = BloomFilter::from_bytes_with_hasher(&bytes, hasher)?;
//! assert!(back.contains("user@example.com"));
//! # Ok::<(), brick_bloom::Error>(())
//! ```
//!
//! **Across machines.** Through `Hash`, an item is hashed as the bytes its `Hash` impl writes:
//! std writes integers in native byte order and width, and does not promise to keep its impls
//! across releases. Filters that cross machines or releases should use the `_bytes` methods
//! (`insert_bytes`, `contains_bytes`, `remove_bytes`), which hash exactly the bytes given: XXH3-64 with the default hasher, checked
//! against the reference implementation's vectors.
//!
//! # Sharing one filter through Redis
//! With feature `redis`, `RedisBloomFilter` keeps a blocked filter's bits in Redis, so every
//! process that opens the same prefix with the same parameters shares one filter. The blocked
//! layout is what makes this cheap: an item's k bits all sit in one 512-bit block, so a query
//! is one `GETRANGE` of 64 bytes (one round trip, about a bare `GET`'s time), checked in the
//! client, and an insert is one script that sets the k bits in one key and answers whether
//! they were all set already. Scripts run atomically, so of two workers inserting the same URL
//! at once exactly one hears "new". A standard filter would touch k keys' worth of random bits:
//! k commands (the naive client, Redisson's design), not one.
//!
//! The bits are split over keys of at most `max_key_bytes` (16 MiB by default), each its own
//! cluster hash tag (`{prefix:i}`), and laid out as the wire format lays out a blocked filter's
//! payload. So `download` gives a [`BlockedBloomFilter`] equal, bit for bit, to the one the
//! same inserts would build in process, and `upload` migrates one the other way. Sizing is the
//! in-process [`Params::blocked`]: the crawler of the design guides, 10^10 URLs at 1 %, needs
//! 1.01·10^11 bits (k = 8), 12.6 GB in 754 keys of 16 MiB; on a Redis Cluster of four 8 GiB
//! masters that is about 3.2 GB each, with room for replication buffers.
//!
//! An insert that returned `Ok` has set its bits, so no false negative follows from it; one
//! that returned an error may or may not have, and a caller that needs the item present
//! retries. A key holding something this crate did not write is refused, never overwritten.
//!
//! # Wire format
//! `to_bytes` writes version 1 of a little-endian format: magic `BRBL`, version, kind (1
//! standard, 2 blocked, 3 counting), hasher id, a reserved zero byte, k (u32), m (u64), the
//! hasher tag (u64), the payload length in words (u64), the payload, and an XXH3-64 checksum of
//! everything before it. `from_bytes` checks every field, the exact length, the checksum and
//! that no bit past m is set, and returns a [`DecodeError`] rather than panic or build a filter
//! that differs from the one written. It allocates only after the length check, and then
//! exactly the payload's words: at most one byte per input byte.
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 4 | magic `BRBL` |
//! | 4 | 1 | version (1) |
//! | 5 | 1 | kind: 1 standard, 2 blocked, 3 counting |
//! | 6 | 1 | hasher id ([`StableHasher::ID`]) |
//! | 7 | 1 | reserved, 0 |
//! | 8 | 4 | hashes (k) |
//! | 12 | 8 | bits (m; counters for the counting filter) |
//! | 20 | 8 | hasher tag ([`StableHasher::tag`]) |
//! | 28 | 8 | payload words (w) |
//! | 36 | 8·w | payload, one `u64` per word |
//! | 36 + 8·w | 8 | XXH3-64 (seed 0) of every byte before it |
//!
//! # Features
//! None by default: the crate depends on xxhash-rust (the default hasher) and siphasher (the
//! keyed one).
//! - `serde`: `Serialize` and `Deserialize` for `BloomFilter`, `BlockedBloomFilter` and
//!   `CountingBloomFilter`, as their versioned byte format (`to_bytes`): serde and the format
//!   cannot disagree, and untrusted input meets the same checks. A keyed filter serializes, but
//!   reads back only through `from_bytes_with_hasher`.
//! - `redis`: `RedisBloomFilter`, `RedisClient` and `RedisError` (the redis crate's blocking
//!   client).
//! - `cluster`: `RedisClient::cluster`, over a Redis Cluster.
//! - `tokio`: `AsyncRedisClient`, one multiplexed self-reconnecting connection with a timeout
//!   and back-off per call, and the filter' operations as `async fn`s named `_async` (the redis
//!   crate's `ConnectionManager`, tokio's timers).
//!
//! # Limits
//! - m ≤ [`MAX_BITS`] (2^60 bits), k ≤ [`MAX_HASHES`] (256), and the bits must be addressable by
//!   `usize`; anything else is a typed error. An allocation the allocator refuses is
//!   [`Error::OutOfMemory`], not an abort (an operating system that overcommits memory may
//!   still kill the process later, when it touches the pages).
//! - Overfilling does not fail: it raises the rate (see `current_false_positive_rate`).
//! - `insert_hash` and `contains_hash` expect well-mixed 64-bit hashes: every bit is used.

// The loom models are unit tests, so loom can stay a dev-dependency; they name the crate as its
// users do.
#[cfg(all(test, loom))]
extern crate self as brick_bloom;
mod alloc;
mod atomic;
#[cfg(any(all(test, loom), feature = "redis"))]
mod backoff;
mod blocked;
mod bytes;
mod counting;
mod error;
mod extend;
mod hasher;
#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(any(all(test, loom), feature = "redis"))]
mod pool;
mod probe;
#[cfg(all(feature = "redis", not(all(test, loom))))]
mod redis_backend;
mod scalable;
#[cfg(feature = "serde")]
mod serde_wire;
mod sizing;
mod stable;
mod standard;
mod sync;
mod wire;
mod xxh3;

pub use atomic::AtomicBloomFilter;
pub use blocked::BlockedBloomFilter;
pub use counting::CountingBloomFilter;
pub use error::{DecodeError, Error};
pub use hasher::{DefaultBuildHasher, SipBuildHasher, StableHasher, Xxh3BuildHasher, Xxh3Hasher};
#[cfg(all(feature = "tokio", not(all(test, loom))))]
pub use redis_backend::AsyncRedisClient;
#[cfg(all(feature = "redis", not(all(test, loom))))]
pub use redis_backend::{
    RedisBloomFilter, RedisBloomOptions, RedisClient, RedisError, RedisOptions,
};
pub use scalable::{DEFAULT_GROWTH, DEFAULT_TIGHTENING, ScalableBloomFilter};
pub use sizing::{
    BLOCK_BITS, MAX_BITS, MAX_HASHES, Params, blocked_false_positive_rate, capacity,
    false_positive_rate, optimal_bits, optimal_hashes,
};
pub use standard::BloomFilter;
/// The Redis client's back-off and pool, public only for the loom model.
#[cfg(all(test, loom))]
#[doc(hidden)]
pub use {
    backoff::Backoff,
    pool::{Connector, Pool, PoolError},
};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
