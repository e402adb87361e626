#![forbid(unsafe_code)]
//! Consistent hashing: map keys to nodes so that adding or removing one of n nodes moves only
//! about 1/n of the keys — with weights, replicas, bounded loads, and the statistics to choose.
//!
//! # Example
//! ```
//! use brick_consistent_hash::{jump, HashRing, Rendezvous};
//!
//! let mut ring = HashRing::new(160)?;
//! for server in ["cache-a", "cache-b", "cache-c"] {
//!     ring.add(server, 1)?;
//! }
//! let owner = *ring.get("user:42").unwrap();
//! // Replicas: the first three distinct servers clockwise, starting with the owner.
//! let replicas: Vec<_> = ring.replicas("user:42", 3).copied().collect();
//! assert_eq!(replicas[0], owner);
//! assert_eq!(replicas.len(), 3);
//!
//! // Removing another server never moves this key.
//! let other = replicas[1];
//! ring.remove(&other);
//! assert_eq!(*ring.get("user:42").unwrap(), owner);
//!
//! assert!(jump(42, 10)? < 10);
//! let mut hrw = Rendezvous::new();
//! hrw.add("big", 3.0)?;
//! hrw.add("small", 1.0)?;
//! assert!(hrw.get("user:42").is_some());
//! # Ok::<(), brick_consistent_hash::Error>(())
//! ```
//!
//! # How it works
//! **Why K/N keys move.** Hashing `hash(key) mod n` reassigns almost every key when n changes.
//! Consistent hashing instead places nodes and keys on the same circle of 2^64 hash values; a key
//! belongs to the first node point clockwise. Adding a node takes over only the arcs just before
//! its points, about 1/(n + 1) of the circle, and only from their previous owners; removing one
//! hands its arcs to the next points. Every other key stays where it was.
//!
//! **Why virtual nodes.** One point per node gives arcs of very unequal length: with n random
//! points the largest arc is about ln n / n, so the busiest node carries ~ln n times its share.
//! Giving each node v points makes each node's share a sum of v arcs, whose relative spread falls
//! like 1/√v: with v = 160 the busiest of 100 nodes carries roughly 1.2–1.3× the mean. Weights
//! scale v per node. [`HashRing`] keeps the points in one sorted array of 8-byte entries (a
//! position's top 32 bits, its owner in the low 32) with a prefix index over the top bits of the
//! positions (about one bucket per point). A lookup reads one index entry and compares a fixed
//! four entries, branch-free, instead of binary-searching the whole array: no loop whose exit
//! mispredicts, and the owner comes with the entry.
//!
//! **What more virtual nodes cost.** Balance improves like 1/√v, and the price is paid in
//! memory and in membership changes, not in lookups. Measured on a 100-node ring
//! (`cargo run --release -p brick-benches -- consistent-hash`, rows `vnodes_lookup` and
//! `vnodes_build`; 2026-12-02, AMD EPYC, 200,000 keys):
//!
//! | vnodes per node | points | memory | build (100 adds) | lookup | busiest / mean |
//! |--:|--:|--:|--:|--:|--:|
//! | 1 | 100 | 3.0 KB | 0.07 ms | 4.3 ns | 6.00 |
//! | 10 | 1,000 | 13.8 KB | 0.98 ms | 3.4 ns | 2.81 |
//! | 40 | 4,000 | 50 KB | 4.9 ms | 3.6 ns | 1.42 |
//! | 160 | 16,000 | 195 KB | 22 ms | 4.3 ns | 1.14 |
//! | 640 | 64,000 | 776 KB | 98 ms | 5.0 ns | 1.12 |
//!
//! Memory is about 12 bytes a point (8 for the entry, 4 for its prefix-index bucket). Each add
//! re-sorts all P points, so building n nodes one by one is O(n·P log P), and a single change
//! costs P log P. The lookup stays O(1) (one index read, one bucket) whatever v; it slows only
//! as the array outgrows the caches. Past 160, balance barely improves: key sampling and the
//! largest arcs dominate.
//!
//! **Bounded loads.** Even 1.2× can be too much for a hot shard. [`HashRing::get_bounded`] caps
//! every node at ⌈c · average⌉ (c = 1.25, say) and walks on clockwise past full nodes
//! (Mirrokni, Thorup, Zadimoghaddam 2018). A key moves only when its node is full, and the paper
//! bounds the expected number of moves per insertion or deletion by O(1/ε²) for c = 1 + ε.
//!
//! **Other schemes.** [`jump()`] computes a bucket in O(ln n) with no memory and perfect balance,
//! but buckets are numbered: only the last can be removed. [`Rendezvous`] scores every node per
//! key (O(n)) and weights exactly with −w / ln u. [`Maglev`] fills a fixed prime-sized table so a
//! lookup is one array read with near-perfect balance, at the cost of a table rebuild per change;
//! a change moves close to 1/n of the keys only while the table keeps about 1,000 slots per node
//! (with the default 65,537 slots: 1.02× the ideal at 10 nodes, 1.5× at 100, 7× at 1,000 —
//! [`Maglev::for_nodes`] sizes the table for a node count). [`KetamaRing`] reproduces memcached's ketama continuum
//! (MD5, 160 points per node) for interoperability.
//!
//! # Complexity
//! | structure | lookup | add / remove | memory |
//! |---|---|---|---|
//! | [`HashRing`] (P = Σ weight × vnodes) | O(1) expected (prefix index + bucket) | O(P log P) | about 12–16 B per point |
//! | [`HashRing::replicas`] (r replicas) | O(log P + r·P/n) | – | O(n) scratch |
//! | [`jump()`] | O(ln n) | – | none |
//! | [`Rendezvous`] | O(n) | O(n) | per node |
//! | [`Maglev`] (M slots) | O(1) | O(M log M) | 4 B per slot |
//! | [`KetamaRing`] | O(log P) + MD5 | O(P log P) | 8 B per point |
//!
//! # Accuracy
//! `jump` equals the reference implementation on every shared vector; `KetamaRing` assigns every
//! vector key as uhashring and libketama do (both flavours). Load balance and movement are
//! measured in `tests/statistics.rs` (100 nodes, 1M keys) against the theory above.
//!
//! # When to use which
//! | need | use |
//! |---|---|
//! | nodes join and leave in any order, weights, replicas | [`HashRing`] |
//! | the same, and no node may exceed c × average | [`HashRing::get_bounded`] |
//! | shards numbered 0..n that only grow or shrink at the end | [`jump()`] |
//! | few nodes, exact weights, no state to keep in sync | [`Rendezvous`] |
//! | the fastest lookup, near-perfect balance (load balancers) | [`Maglev`] |
//! | interoperating with memcached clients | [`KetamaRing`] |
//! | many request threads reading while membership changes | [`SharedRing`] |
//!
//! # Features
//! | feature | default | cost |
//! |---|---|---|
//! | *(none)* | — | `xxhash-rust`, `siphasher`, `md-5` |
//! | `serde` | no | `serde` (derive): [`HashRing`], [`Rendezvous`], [`Maglev`] (default hasher) and [`KetamaRing`] as their membership under a format version, rebuilt through the constructors on reading (the same lookups; what `add` refuses, deserializing refuses) |
//!
//! # Limits
//! - A ring holds at most 2^32 points; a Maglev table at most 2^26 slots.
//! - The default hasher is deterministic (seeded XXH3) so every process agrees; if keys are
//!   chosen by an adversary, use [`SipBuildHasher`] with a secret key.
//! - Through `Hash`, a key is hashed as the bytes its `Hash` impl writes (integers in native
//!   byte order and width; std does not promise to keep its impls across releases). Fleets of
//!   mixed machines look keys up with `get_bytes`, which hashes exactly the bytes given
//!   (XXH3-64, checked against the reference vectors), and name nodes with strings; or use
//!   [`KetamaRing`], whose placement is defined on bytes throughout.

// The loom models are unit tests, so loom can stay a dev-dependency; they name the crate as its
// users do.
#[cfg(all(test, loom))]
extern crate self as brick_consistent_hash;
mod alloc;
mod error;
mod hasher;
mod jump;
mod ketama;
#[cfg(all(test, loom))]
mod loom_tests;
mod maglev;
mod rendezvous;
mod ring;
#[cfg(feature = "serde")]
mod serde_form;
mod shared;
mod stable;
mod stats;
mod sync;
mod xxh3;

pub use error::Error;
pub use hasher::{DefaultBuildHasher, SipBuildHasher, StableHasher, Xxh3BuildHasher, Xxh3Hasher};
pub use jump::jump;
pub use ketama::{KetamaFlavor, KetamaRing, ketama_hash};
pub use maglev::{DEFAULT_TABLE_SIZE, Maglev};
pub use rendezvous::Rendezvous;
pub use ring::{DEFAULT_VNODES, HashRing};
pub use shared::{RingSnapshot, SharedRing};
pub use stats::{LoadStats, distribution, moved};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
