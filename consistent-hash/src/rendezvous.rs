//! Rendezvous (highest random weight) hashing, weighted by the logarithmic method.

use crate::hasher::fmix64;
use crate::xxh3::{hash_bytes, hash_one};
use crate::{DefaultBuildHasher, Error};
use std::hash::{BuildHasher, Hash};

/// Rendezvous hashing: every node scores every key, the highest score wins.
///
/// Weighted with the logarithmic method (Schindelhauer & Schomaker 2005): score = −w / ln(u),
/// u uniform in (0, 1) from hash(node, key). P(node i wins) = wᵢ / Σw exactly, and removing a
/// node moves only its keys. O(n) per lookup, no table; the top r scores give r replicas.
#[derive(Debug, Clone)]
pub struct Rendezvous<N, S = DefaultBuildHasher> {
    hasher: S,
    /// (node, weight, node hash).
    nodes: Vec<(N, f64, u64)>,
    /// All weights equal: the highest score is then simply the highest hash (−w/ln u grows with
    /// u), so lookups skip the logarithm.
    uniform: bool,
}

impl<N: Hash + Eq> Default for Rendezvous<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<N: Hash + Eq> Rendezvous<N> {
    /// An empty set of nodes with the default hasher.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn new() -> Self {
        Self::with_hasher(DefaultBuildHasher::default())
    }
}

impl<N, S> Rendezvous<N, S> {
    /// The smallest weight accepted, 2^−64. A score is w / −ln u with −ln u between 5.5·10^−17
    /// and 37.4, so weights in [2^−64, 2^64] give scores between 1.4·10^−21 and 3.3·10^35:
    /// never 0, never ∞, never subnormal, and every score keeps f64's full precision, so each
    /// node's share is its weight's.
    pub const MIN_WEIGHT: f64 = 1.0 / 18_446_744_073_709_551_616.0;
    /// The largest weight accepted, 2^64.
    pub const MAX_WEIGHT: f64 = 18_446_744_073_709_551_616.0;
}

impl<N: Hash + Eq, S: BuildHasher> Rendezvous<N, S> {
    /// An empty set of nodes hashing with `hasher`.
    ///
    /// Computes in **O(1)** time.
    pub fn with_hasher(hasher: S) -> Self {
        Self {
            hasher,
            nodes: Vec::new(),
            uniform: true,
        }
    }

    /// Adds a node with a weight in [`MIN_WEIGHT`](Self::MIN_WEIGHT)`..=`[`MAX_WEIGHT`](Self::MAX_WEIGHT).
    ///
    /// Computes in **O(n)**.
    ///
    /// # Errors
    /// - [`Error::InvalidWeight`] for a weight outside that range (zero, negative, NaN,
    ///   infinite, subnormal or near `f64::MAX` among them); [`Error::DuplicateNode`].
    pub fn add(&mut self, node: N, weight: f64) -> Result<(), Error> {
        if !(Self::MIN_WEIGHT..=Self::MAX_WEIGHT).contains(&weight) {
            return Err(Error::InvalidWeight(weight));
        }
        if self.nodes.iter().any(|(n, _, _)| *n == node) {
            return Err(Error::DuplicateNode);
        }
        let h = hash_one(&self.hasher, &node);
        self.nodes.push((node, weight, h));
        self.update_uniform();
        Ok(())
    }

    /// Removes a node, returning its weight.
    ///
    /// Computes in **O(n)** time.
    pub fn remove(&mut self, node: &N) -> Option<f64> {
        let i = self.nodes.iter().position(|(n, _, _)| n == node)?;
        let w = self.nodes.remove(i).1;
        self.update_uniform();
        Some(w)
    }

    /// The nodes with their weights, in insertion order.
    ///
    /// Computes in **O(1)** time; iterating is O(n).
    pub fn nodes(&self) -> impl Iterator<Item = (&N, f64)> + '_ {
        self.nodes.iter().map(|(n, w, _)| (n, *w))
    }

    /// Number of nodes.
    ///
    /// Computes in **O(1)** time.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no nodes.
    ///
    /// Computes in **O(1)** time.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn update_uniform(&mut self) {
        self.uniform = self.nodes.windows(2).all(|w| w[0].1 == w[1].1);
    }

    /// The 53 random bits of (node, key); `key_mix` is fmix64(key hash), computed once per key.
    #[inline]
    fn bits(node_hash: u64, key_mix: u64) -> u64 {
        fmix64(node_hash ^ key_mix) >> 11
    }

    #[inline]
    fn score(weight: f64, node_hash: u64, key_mix: u64) -> f64 {
        // Centred in their interval: u in (0, 1), never 0 or 1.
        let u = (Self::bits(node_hash, key_mix) as f64 + 0.5) / (1u64 << 53) as f64;
        -weight / u.ln()
    }

    /// The node for `key` (highest score); `None` when empty. Ties (probability ~2^-53) go to
    /// the larger node hash, so results never depend on insertion order.
    ///
    /// Computes in **O(n)**.
    pub fn get<K: Hash + ?Sized>(&self, key: &K) -> Option<&N> {
        self.get_hash(hash_one(&self.hasher, key))
    }

    /// [`get`](Self::get) of a byte-string key, hashed as exactly these bytes.
    ///
    /// Portable: with the default hasher the hash is XXH3-64 of exactly these bytes, the same on
    /// every machine and release, unlike a key hashed through std's `Hash`. (Nodes are placed
    /// by their `Hash`: give them the same type and names on every machine.)
    ///
    /// Computes in **O(len + n)** time: one hash of the key, one score per node.
    #[must_use]
    pub fn get_bytes(&self, key: &[u8]) -> Option<&N> {
        self.get_hash(hash_bytes(&self.hasher, key))
    }

    /// The node for a precomputed key hash (as [`get`](Self::get) computes it).
    ///
    /// Computes in **O(n)**.
    #[must_use]
    pub fn get_hash(&self, hash: u64) -> Option<&N> {
        let km = fmix64(hash);
        if self.uniform {
            return self
                .nodes
                .iter()
                .max_by_key(|(_, _, h)| (Self::bits(*h, km), *h))
                .map(|(n, _, _)| n);
        }
        // Each score once (a logarithm each), keeping the best.
        let mut best: Option<(f64, u64, &N)> = None;
        for (n, w, h) in &self.nodes {
            let s = Self::score(*w, *h, km);
            if best.is_none_or(|(bs, bh, _)| s.total_cmp(&bs).then(h.cmp(&bh)).is_gt()) {
                best = Some((s, *h, n));
            }
        }
        best.map(|(_, _, n)| n)
    }

    /// The `r` highest-scoring nodes for `key`, best first.
    ///
    /// Computes in **O(n log n)**.
    pub fn top<K: Hash + ?Sized>(&self, key: &K, r: usize) -> Vec<&N> {
        let kh = fmix64(hash_one(&self.hasher, key));
        let mut scored: Vec<(f64, u64, &N)> = self
            .nodes
            .iter()
            .map(|(n, w, h)| (Self::score(*w, *h, kh), *h, n))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
        scored.into_iter().take(r).map(|(_, _, n)| n).collect()
    }
}
