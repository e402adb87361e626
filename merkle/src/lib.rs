#![forbid(unsafe_code)]
//! Merkle trees and set reconciliation for backend systems: an RFC 6962 append-only log that
//! proves a record is in it and that it only ever grew, and two ways for replicas to find
//! exactly which keys they disagree on while exchanging far less than the data: an adaptive
//! Merkle descent that never costs more than sending everything, and a rateless IBLT stream
//! that costs about 1.35 symbols per difference in one round trip.
//!
//! # Example
//! ```
//! use brick_merkle::{verify_consistency, verify_inclusion, MerkleHasher, MerkleLog, Sha256};
//!
//! let mut log: MerkleLog = MerkleLog::new();
//! for record in ["alice paid bob 5", "bob paid carol 3", "carol paid dave 1"] {
//!     log.push(record.as_bytes());
//! }
//! let old_root = log.root();
//! log.push(b"dave paid alice 2");
//!
//! // Anyone holding only the root can check that record 1 is in the log...
//! let proof = log.inclusion_proof(1, 4)?;
//! verify_inclusion::<Sha256>(&Sha256::leaf(b"bob paid carol 3"), 1, 4, &proof, &log.root())?;
//! // ...and that the 4-record log extends the 3-record one without rewriting it.
//! let proof = log.consistency_proof(3, 4)?;
//! verify_consistency::<Sha256>(3, 4, &old_root, &log.root(), &proof)?;
//! // A forged record does not verify: a typed error, never a silent `false`.
//! let proof = log.inclusion_proof(1, 4)?;
//! assert!(verify_inclusion::<Sha256>(&Sha256::leaf(b"bob paid carol 300"), 1, 4, &proof, &log.root()).is_err());
//! # Ok::<(), brick_merkle::Error>(())
//! ```
//!
//! Two replicas that drifted apart, reconciled both ways:
//! ```
//! use brick_merkle::{Difference, Reconciler, SyncSession, SyncTree};
//!
//! let (mut a, mut b): (SyncTree, SyncTree) = (SyncTree::new(6)?, SyncTree::new(6)?);
//! for i in 0..1000u32 {
//!     a.insert(format!("order:{i}").as_bytes(), b"paid");
//!     b.insert(format!("order:{i}").as_bytes(), b"paid");
//! }
//! b.insert(b"order:7", b"refunded"); // the same key, another value
//! a.remove(b"order:9"); // a write A missed
//!
//! // Merkle descent: frames go back and forth until neither side has more to say.
//! let (mut sa, mut sb) = (SyncSession::new(&a), SyncSession::new(&b));
//! let mut wire = Some(sa.start().to_bytes());
//! let mut to_b = true;
//! while let Some(bytes) = wire {
//!     wire = if to_b { sb.handle_bytes(&bytes)? } else { sa.handle_bytes(&bytes)? };
//!     to_b = !to_b;
//! }
//! let expected = [
//!     Difference::MissingHere(b"order:9".to_vec()),
//!     Difference::ValueDiffers(b"order:7".to_vec()),
//! ];
//! assert_eq!(sa.differences(), Some(&expected[..]));
//!
//! // Rateless IBLT: B streams symbols, A answers with acknowledgements and, once it has
//! // decoded the difference, a stop.
//! let (mut ra, mut rb) = (Reconciler::new(&a), Reconciler::new(&b));
//! let mut symbols = rb.handle_bytes(&ra.start().to_bytes())?;
//! while !ra.is_done() {
//!     if let Some(reply) = ra.handle_bytes(&symbols.expect("streaming"))? {
//!         rb.handle_bytes(&reply)?;
//!     }
//!     symbols = rb.next_frame().map(|f| f.to_bytes());
//! }
//! assert_eq!(ra.differences(), Some(&expected[..]));
//! # Ok::<(), brick_merkle::Error>(())
//! ```
//!
//! # How it works
//! **The tree.** RFC 6962 hashes a list of n records: MTH(∅) = H(), a leaf is H(0x00 ‖ d), and
//! a list of n > 1 records splits at k, the largest power of two below n:
//! MTH(D\[0:n\]) = H(0x01 ‖ MTH(D\[0:k\]) ‖ MTH(D\[k:n\])). The left part is always a complete subtree,
//! so a tree only ever grows on its right edge, and the tree of the first m records is made of
//! complete subtrees the bigger tree also contains.
//!
//! **Why the 0x00 / 0x01 prefixes.** Without them a 64-byte leaf equal to "left ‖ right" of an
//! interior node would hash to that node: a tree of n records would have the same root as a
//! different, shorter tree (a second preimage; Bitcoin, whose tree has no prefixes, has it as
//! CVE-2017-12842, where a 64-byte transaction poses as an interior node). Prefixing separates
//! the two domains, so a proof cannot pass an interior node off as a record. RFC 6962's split
//! also avoids Bitcoin's other tree flaw, CVE-2012-2459: Bitcoin pads an odd level by
//! duplicating its last node, so a list and the same list with its last records repeated share
//! a root; here a lone right subtree is hashed as it is, never doubled.
//!
//! **Inclusion proof.** To show record i is in the tree, give the sibling of every node on the
//! path from the leaf to the root: at most ⌈log₂ n⌉ hashes (fewer for a leaf in a smaller right
//! subtree of an unbalanced tree; [`inclusion_proof_len`] gives the exact count, and a property
//! test checks the bound). The verifier rehashes upward (the bits of i say left or right) and
//! compares with the root it trusts.
//!
//! **Consistency proof.** To show the tree of m records is a prefix of the tree of n, give the
//! complete subtrees that make up the old tree and the ones the new tree adds, O(log n) hashes.
//! From them the verifier rebuilds *both* roots: the old one only from the shared subtrees, the
//! new one from those plus the additions. If both match, nothing in the first m records changed.
//!
//! **Anti-entropy by Merkle descent.** Replicas of a key-value store hash each (key, value),
//! spread the keys over 2^depth buckets by key hash, XOR the hashes within a bucket
//! (order-independent, so updates are O(1) per bucket) and build a binary Merkle tree over the
//! buckets (O(depth) per update). Two replicas compare roots, then, for every node found
//! different, the hashes of its descendants one fan-out step down ([`SyncSession`]): with fan-out
//! f = 2^k a step skips k levels, so a session takes ⌈depth / k⌉ steps (round trips fall from 17
//! to 5 at depth 14 with f = 16) at f − 1 more hashes per differing node and step.
//!
//! **Why adaptive.** Descending pays only while the subtrees it rules out weigh more than the
//! hashes it sends. With d differences among n keys, the top log_f d levels differ everywhere,
//! and once d is a sizeable fraction of n so do the bottom ones: a descent that always goes to the
//! buckets sends more than simply sending every entry. So each side, before it sends, weighs the
//! two: it stops and has the initiator send the entries under the differing nodes when they are
//! lighter than another step of hashes, and it never takes a step that could, if every child
//! turned out to differ, push the session past a full exchange plus its slack (1/64 of it, at
//! least [`SLACK`] = 64 KiB: fixed for a pair of replicas, whatever d). The
//! weights (the bytes each node's entries would take) are kept in the tree and travel with the
//! initiator's hashes, so both sides decide on the same numbers. Bytes: O(d · f · depth / k)
//! hashes plus the differing buckets' entries, and at every d at most a full exchange plus the
//! slack.
//!
//! **Rateless IBLT.** An invertible Bloom lookup table (Eppstein et al., SIGCOMM 2011) sums
//! items into cells: each cell holds the XOR of its items, their count and the XOR of their
//! checksums. Subtract the peer's table from yours and the shared items cancel, leaving the
//! symmetric difference; a cell left with one item ("pure": count ±1 and the checksum of its
//! contents matches) gives that item back, and removing it from its other cells frees more.
//! A fixed-size table needs d known in advance; the rateless version (Yang, Gilad, Alizadeh,
//! SIGCOMM 2024) maps each item to an infinite sequence of cells, cell i holding an item with
//! probability 1/(1 + i/2), so the first cells hold almost every item and later ones few. Any
//! prefix of the stream then works as a table of its size: the receiver decodes as the cells
//! arrive and stops the sender once the first cell, which holds everything, is empty. It needs
//! about 1.35 · d cells for large d (measured: 1.32–1.38), and no tree ([`Reconciler`]).
//!
//! **Trade-off.** Storing every complete subtree costs about two digests per record (64 bytes with
//! SHA-256) but makes every proof O(log n) lookups. A sync tree's depth trades the descent's
//! levels against the keys per differing bucket ([`SyncTree::with_expected_keys`] aims at
//! about 8), and the fan-out trades round trips against hashes. The IBLT sends ~1.35 cells of
//! about key + digest + 12 bytes per differing item, far fewer bytes than the descent for any d
//! and in one round trip, but each side reads its whole set (n log m work) for every
//! reconciliation, and only the initiator learns the difference; the tree answers incremental
//! updates in O(depth) and costs nothing when the roots agree.

//! # Complexity
//! | operation | time | space |
//! |---|---|---|
//! | [`MerkleLog::push`] | O(1) amortised hashes | ~2 digests per leaf (64 B with SHA-256) |
//! | [`MerkleLog::root`] | O(1) cached, O(log n) after a push | – |
//! | [`MerkleLog::root_at`], `inclusion_proof`, `consistency_proof` | O(log n) hashes (O(log² n) worst, ragged edges) | O(log n) proof |
//! | [`verify_inclusion`], [`verify_consistency`] | O(log n) hashes | – |
//! | [`SyncTree::insert`] / `remove` | O(depth) hashes | ~1 digest per key + 2 per bucket |
//! | a [`SyncSession`] | ≤ ⌈depth / log2 f⌉ + 4 messages; O(d · f · depth / log2 f) hashes + the differing buckets' entries, ≤ full exchange + its slack (1/64 of it, at least 64 KiB) | – |
//! | a [`Reconciler`] session | 1 round trip; ~1.35 · d symbols; O(n log d) work per side | O(n) per side, O(d) decoder |
//!
//! # Accuracy
//! Proofs are exact: every root, audit path and consistency proof of the RFC 6962 vectors in
//! `tests/data` (pymerkle, checked against transparency-dev/merkle, and the Certificate
//! Transparency reference set) is reproduced byte for byte, and every bit flip of a proof, leaf,
//! index, size or root is rejected (property-tested). Both sync protocols find exactly the
//! symmetric difference (property-tested on arbitrary pairs of sets, at 1,000,000 keys for the
//! descent); the measured bytes against d are in the README and the `merkle-sync` compare
//! section. The IBLT's checksums are 64-bit: a mixed cell passes for pure with probability
//! 2^-64 per test, and a decode it misleads is caught when the result contradicts our own set.

//! # When to use which
//! | need | use |
//! |---|---|
//! | an append-only audit/transparency log with proofs | [`MerkleLog`] with [`Sha256`] |
//! | checking proofs you received | [`TreeHead::verify_inclusion`], [`TreeHead::verify_consistency`] (size and root as one value), or [`verify_inclusion`], [`verify_consistency`] |
//! | the same between replicas that trust each other, faster | [`Xxh3_128`] (not cryptographic) |
//!
//! Finding what two replicas disagree on:
//!
//! | | full exchange ([`SyncSession::start_full`]) | Merkle descent ([`SyncSession`]) | rateless IBLT ([`Reconciler`]) |
//! |---|---|---|---|
//! | bytes | every entry | O(d · depth) hashes + differing buckets, never more than a full exchange + its slack (1/64, at least 64 KiB) | ~1.35 · d symbols (key + digest + ~12 bytes each) |
//! | round trips | 1 | ⌈depth / log2 f⌉ + 2 (5 at depth 14, f = 16) | 1 (streamed, paced by acks) |
//! | when nothing differs | every entry | one root each way | one symbol |
//! | work per session | O(n) | O(d · depth) | O(n log d) each side |
//! | standing state | none | a tree, O(depth) per update | none beyond the set |
//! | learns the difference | the responder | both sides | the initiator |
//! | pick it when | most keys differ, or the set is tiny | syncs run often and usually find little, you keep a tree anyway, or both sides must learn the result | d is unknown and may be large, round trips are expensive (WAN), or there is no tree to keep |

//! # Features
//! | feature | default | cost |
//! |---|---|---|
//! | *(none)* | — | `sha2`, `xxhash-rust` |
//! | `serde` | no | `serde`: [`MerkleLog`], [`Proof`] and [`TreeHead`] as their versioned byte formats (`to_bytes`: `"BML"`, `"BMP"`, `"BMT"`, version 1) |
//!
//! # Limits
//! - Leaf indices and sizes are `u64`; a log holds what memory holds (about 64 bytes per leaf).
//! - A sync tree has 2^1 to 2^24 buckets; a session's fan-out is 2 to 256. An IBLT stream is
//!   cut off at 2 × both set sizes + [`SYMBOL_FLOOR`] (4,096) symbols unless
//!   [`Reconciler::with_limit`] says less, and
//!   refuses keys over 64 KiB unless [`Reconciler::with_max_key`] says more.
//! - Deletes are plain removals: a replica that never saw a
//!   key and one that deleted it look the same, so a repair policy needs tombstones (store the
//!   deletion as a value) to tell "deleted" from "not yet received".

mod alloc;
mod error;
mod hasher;
mod log;
mod proof;
mod reconcile;
mod replica_sync;
#[cfg(feature = "serde")]
mod serde_wire;
mod wire;

pub use error::{DecodeError, Error};
pub use hasher::{MerkleHasher, Sha256, Xxh3_128};
pub use log::MerkleLog;
pub use proof::{
    Proof, TreeHead, consistency_proof_len, inclusion_proof_len, verify_consistency,
    verify_inclusion,
};
pub use reconcile::{
    CodedSymbol, DEFAULT_MAX_KEY, Reconciler, SYMBOL_FLOOR, SymbolFrame, SymbolMessage, window,
};
pub use replica_sync::{
    BucketDelta, BucketEntries, DEFAULT_FANOUT, Difference, Entry, Frame, MAX_DEPTH, MAX_FANOUT,
    Message, NodeGroup, SLACK, SLACK_FRACTION, SyncSession, SyncTree,
};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
