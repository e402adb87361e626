#![forbid(unsafe_code)]
//! Merkle trees for backend systems: an RFC 6962 append-only log that proves a record is in it
//! and that it only ever grew, and a replica summary whose sync protocol finds exactly which
//! keys two replicas disagree on while exchanging far less than the data.
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
//! **Anti-entropy.** Replicas of a key-value store hash each (key, value), spread the keys over
//! 2^depth buckets by key hash, XOR the hashes within a bucket (order-independent, so updates are
//! O(1) per bucket) and build a binary Merkle tree over the buckets (O(depth) per update). Two
//! replicas compare roots, then only the children of differing nodes, level by level, then the
//! keys of the differing buckets: for d differing keys that is about d · depth hashes and d
//! buckets' keys instead of the whole key set ([`SyncSession`]).
//!
//! **Trade-off.** Storing every complete subtree costs about two digests per record (64 bytes with
//! SHA-256) but makes every proof O(log n) lookups; a sync tree's depth trades the bytes of the
//! descent (deeper: more levels) against the keys sent per differing bucket (shallower: more keys
//! per bucket); [`SyncTree::with_expected_keys`] aims at about 8 keys per bucket.
//!
//! # Complexity
//! | operation | time | space |
//! |---|---|---|
//! | [`MerkleLog::push`] | O(1) amortised hashes | ~2 digests per leaf (64 B with SHA-256) |
//! | [`MerkleLog::root`] | O(1) cached, O(log n) after a push | – |
//! | [`MerkleLog::root_at`], `inclusion_proof`, `consistency_proof` | O(log n) hashes (O(log² n) worst, ragged edges) | O(log n) proof |
//! | [`verify_inclusion`], [`verify_consistency`] | O(log n) hashes | – |
//! | [`SyncTree::insert`] / `remove` | O(depth) hashes | ~1 digest per key + 2 per bucket |
//! | a [`SyncSession`] | ≤ depth + 3 messages, O(d · depth) hashes + d buckets' keys | – |
//!
//! # Accuracy
//! Proofs are exact: every root, audit path and consistency proof of the RFC 6962 vectors in
//! `tests/data` (pymerkle, checked against transparency-dev/merkle, and the Certificate
//! Transparency reference set) is reproduced byte for byte, and every bit flip of a proof, leaf,
//! index, size or root is rejected (property-tested). Sync finds exactly the differing keys
//! (tested at 1,000,000 keys); the measured bytes against d are in the README and the compare report.
//!
//! # When to use which
//! | need | use |
//! |---|---|
//! | an append-only audit/transparency log with proofs | [`MerkleLog`] with [`Sha256`] |
//! | checking proofs you received | [`TreeHead::verify_inclusion`], [`TreeHead::verify_consistency`] (size and root as one value), or [`verify_inclusion`], [`verify_consistency`] |
//! | finding what two replicas disagree on | [`SyncTree`] + [`SyncSession`] |
//! | the same between replicas that trust each other, faster | [`Xxh3_128`] (not cryptographic) |
//!
//! # Features
//! | feature | default | cost |
//! |---|---|---|
//! | *(none)* | — | `sha2`, `xxhash-rust` |
//!
//! # Limits
//! - Leaf indices and sizes are `u64`; a log holds what memory holds (about 64 bytes per leaf).
//! - A sync tree has 2^1 to 2^24 buckets. Deletes are plain removals: a replica that never saw a
//!   key and one that deleted it look the same, so a repair policy needs tombstones (store the
//!   deletion as a value) to tell "deleted" from "not yet received".

mod alloc;
mod antientropy;
mod error;
mod hasher;
mod log;
mod proof;
mod reconcile;
mod wire;

pub use antientropy::{
    BucketDelta, BucketEntries, DEFAULT_FANOUT, Difference, Entry, Frame, MAX_DEPTH, MAX_FANOUT,
    Message, NodeGroup, SLACK, SyncSession, SyncTree,
};
pub use error::{DecodeError, Error};
pub use hasher::{MerkleHasher, Sha256, Xxh3_128};
pub use log::MerkleLog;
pub use proof::{
    Proof, TreeHead, consistency_proof_len, inclusion_proof_len, verify_consistency,
    verify_inclusion,
};
pub use reconcile::{CodedSymbol, DEFAULT_MAX_KEY, Reconciler, SymbolFrame, SymbolMessage, window};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
