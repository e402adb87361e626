//! The hash ring: virtual nodes on a sorted array, weights, replicas and bounded loads.

use crate::hasher::hash_one;
use crate::{DefaultBuildHasher, Error};
use std::hash::{BuildHasher, Hash};

/// Default virtual nodes per unit of weight (the guides use 100–200; 160 is ketama's).
pub const DEFAULT_VNODES: u32 = 160;

/// A consistent-hash ring: each node owns `weight × vnodes` points on a 64-bit circle, and a key
/// belongs to the first point clockwise from its hash.
///
/// The points are one sorted array (positions apart from their owners, so the search touches
/// 8 bytes per point) with a prefix index over the top bits of the positions: a lookup is one
/// hash, one index read, and a search within one bucket of one or two points. Adding or removing
/// a node re-sorts the points and rebuilds the index.
#[derive(Debug, Clone)]
pub struct HashRing<N, S = DefaultBuildHasher> {
    vnodes: u32,
    hasher: S,
    /// (node, weight, node hash), in insertion order; the node hash breaks ties between equal
    /// points so the ring does not depend on insertion order.
    nodes: Vec<(N, u32, u64)>,
    /// Point positions, ascending (ties ordered by node hash): a dense array for the search.
    points: Vec<u64>,
    /// `owners[i]` is the node index of `points[i]`.
    owners: Vec<u32>,
    /// Prefix index: `index[b]` is the first point whose top bits are ≥ b, for the top
    /// `64 − shift` bits (about one bucket per point), so a lookup reads one index entry and
    /// searches only its bucket instead of binary-searching the whole array.
    index: Vec<u32>,
    shift: u32,
}

impl<N: Hash + Eq> HashRing<N> {
    /// A ring with `vnodes_per_weight` points per unit of weight and the default hasher.
    ///
    /// # Errors
    /// - [`Error::ZeroVirtualNodes`] for 0.
    pub fn new(vnodes_per_weight: u32) -> Result<Self, Error> {
        Self::with_hasher(vnodes_per_weight, DefaultBuildHasher::default())
    }
}

impl<N: Hash + Eq, S: BuildHasher> HashRing<N, S> {
    /// A ring hashing with `hasher`.
    ///
    /// # Errors
    /// - [`Error::ZeroVirtualNodes`] for 0.
    pub fn with_hasher(vnodes_per_weight: u32, hasher: S) -> Result<Self, Error> {
        if vnodes_per_weight == 0 {
            return Err(Error::ZeroVirtualNodes);
        }
        Ok(Self {
            vnodes: vnodes_per_weight,
            hasher,
            nodes: Vec::new(),
            points: Vec::new(),
            owners: Vec::new(),
            index: Vec::new(),
            shift: 63,
        })
    }

    /// Adds `node` with `weight` (its share is weight / total weight).
    ///
    /// Computes in **O(P log P)** for P points in the ring.
    ///
    /// # Errors
    /// - [`Error::DuplicateNode`] if present; [`Error::InvalidWeight`] for weight 0;
    ///   [`Error::TooManyPoints`] if the ring would exceed 2^32 points. The ring is unchanged.
    pub fn add(&mut self, node: N, weight: u32) -> Result<(), Error> {
        if weight == 0 {
            return Err(Error::InvalidWeight(0.0));
        }
        if self.nodes.iter().any(|(n, _, _)| *n == node) {
            return Err(Error::DuplicateNode);
        }
        let count = u64::from(weight) * u64::from(self.vnodes);
        let total = self.points.len() as u64 + count;
        if total > u64::from(u32::MAX) || self.nodes.len() >= u32::MAX as usize {
            return Err(Error::TooManyPoints(total));
        }
        let index = self.nodes.len() as u32;
        let node_hash = hash_one(&self.hasher, &node);
        let mut all: Vec<(u64, u32)> = self
            .points
            .iter()
            .copied()
            .zip(self.owners.iter().copied())
            .collect();
        all.extend((0..count).map(|i| (hash_one(&self.hasher, &(&node, i)), index)));
        self.nodes.push((node, weight, node_hash));
        self.set_points(all);
        Ok(())
    }

    /// Removes `node`, returning its weight.
    ///
    /// Computes in **O(P)**.
    pub fn remove(&mut self, node: &N) -> Option<u32> {
        let index = self.nodes.iter().position(|(n, _, _)| n == node)? as u32;
        let (_, weight, _) = self.nodes.remove(index as usize);
        let kept: Vec<(u64, u32)> = self
            .points
            .iter()
            .zip(&self.owners)
            .filter(|&(_, &i)| i != index)
            .map(|(&p, &i)| (p, if i > index { i - 1 } else { i }))
            .collect();
        self.set_points(kept);
        Some(weight)
    }

    /// Sorts (point, owner) pairs by (point, node hash) and stores them as two arrays.
    fn set_points(&mut self, mut all: Vec<(u64, u32)>) {
        let nodes = &self.nodes;
        all.sort_unstable_by_key(|&(p, i)| (p, nodes[i as usize].2));
        self.points = all.iter().map(|&(p, _)| p).collect();
        self.owners = all.iter().map(|&(_, i)| i).collect();
        // 2^bits ≥ points, at most 2^24 buckets (64 MiB of index for 16M points).
        let bits = (self
            .points
            .len()
            .max(2)
            .next_power_of_two()
            .trailing_zeros())
        .clamp(1, 24);
        self.shift = 64 - bits;
        let buckets = 1usize << bits;
        let mut index = Vec::with_capacity(buckets + 1);
        let mut i = 0usize;
        for b in 0..buckets {
            while i < self.points.len() && ((self.points[i] >> self.shift) as usize) < b {
                i += 1;
            }
            index.push(i as u32);
        }
        index.push(self.points.len() as u32);
        self.index = index;
    }

    /// The node owning `key`; `None` when the ring is empty.
    ///
    /// Computes in **O(1)** expected: one hash, one index read, a search within one bucket.
    #[inline]
    pub fn get<K: Hash + ?Sized>(&self, key: &K) -> Option<&N> {
        self.get_hash(hash_one(&self.hasher, key))
    }

    /// The node owning a precomputed key hash.
    #[inline]
    pub fn get_hash(&self, hash: u64) -> Option<&N> {
        let i = self.first_point(hash)?;
        Some(&self.nodes[self.owners[i] as usize].0)
    }

    /// Index of the first point at or after `hash`, wrapping; `None` when empty.
    #[inline]
    fn first_point(&self, hash: u64) -> Option<usize> {
        if self.points.is_empty() {
            return None;
        }
        let b = (hash >> self.shift) as usize;
        let (lo, hi) = (self.index[b] as usize, self.index[b + 1] as usize);
        // Points before `lo` are in lower buckets, points from `hi` on in higher ones.
        // A bucket holds about one point: count the smaller ones branch-free rather than
        // binary-search (whose data-dependent branches mispredict on such short runs).
        let i = lo
            + self.points[lo..hi]
                .iter()
                .map(|&p| usize::from(p < hash))
                .sum::<usize>();
        Some(if i == self.points.len() { 0 } else { i })
    }

    /// The first `r` distinct nodes clockwise from `key`: Dynamo's preference list. The first is
    /// [`HashRing::get`]; fewer than `r` if the ring has fewer nodes.
    ///
    /// Computes in **O(log P + r · P/n)** expected.
    pub fn replicas<K: Hash + ?Sized>(&self, key: &K, r: usize) -> impl Iterator<Item = &N> + '_ {
        let start = self.first_point(hash_one(&self.hasher, key)).unwrap_or(0);
        let want = r.min(self.nodes.len());
        let mut seen = vec![false; self.nodes.len()];
        let mut found = 0;
        let len = self.points.len();
        (0..len)
            .map(move |k| self.owners[(start + k) % len] as usize)
            .filter_map(move |i| {
                if found == want || seen[i] {
                    return None;
                }
                seen[i] = true;
                found += 1;
                Some(&self.nodes[i].0)
            })
            .take(want)
    }

    /// The node for `key` under bounded loads (Mirrokni, Thorup, Zadimoghaddam 2018; HAProxy's
    /// `hash-balance-factor`): walk clockwise from the key and take the first node whose load is
    /// below its cap ⌈c · (L + 1) · wᵢ / W⌉, where L is the total load now (the +1 is this key).
    /// No node ever exceeds its cap; a node changes for a key only when its preferred node is full.
    ///
    /// `load` reports each node's current load (connections, requests in flight, keys).
    ///
    /// # Errors
    /// - [`Error::InvalidBalanceFactor`] unless `c` is finite and above 1.
    pub fn get_bounded<K: Hash + ?Sized>(
        &self,
        key: &K,
        c: f64,
        load: impl Fn(&N) -> u64,
    ) -> Result<Option<&N>, Error> {
        if !(c.is_finite() && c > 1.0) {
            return Err(Error::InvalidBalanceFactor(c));
        }
        let Some(start) = self.first_point(hash_one(&self.hasher, key)) else {
            return Ok(None);
        };
        let loads: Vec<u64> = self.nodes.iter().map(|(n, _, _)| load(n)).collect();
        let total_load: u64 = loads.iter().sum();
        let total_weight: u64 = self.nodes.iter().map(|(_, w, _)| u64::from(*w)).sum();
        let cap = |w: u32| {
            (c * (total_load + 1) as f64 * f64::from(w) / total_weight as f64).ceil() as u64
        };
        let len = self.points.len();
        for k in 0..len {
            let i = self.owners[(start + k) % len] as usize;
            if loads[i] < cap(self.nodes[i].1) {
                return Ok(Some(&self.nodes[i].0));
            }
        }
        // Unreachable in exact arithmetic (the caps sum to more than L + 1); be safe anyway.
        Ok(Some(&self.nodes[self.owners[start] as usize].0))
    }

    /// The nodes with their weights, in insertion order.
    pub fn nodes(&self) -> impl Iterator<Item = (&N, u32)> + '_ {
        self.nodes.iter().map(|(n, w, _)| (n, *w))
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the ring has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Number of points (virtual nodes) on the ring.
    pub fn points(&self) -> usize {
        self.points.len()
    }

    /// Fraction of the hash space each node owns (the arcs ending at its points), in insertion
    /// order. Sums to 1 for a non-empty ring.
    pub fn ownership(&self) -> Vec<(&N, f64)> {
        let mut share = vec![0f64; self.nodes.len()];
        let len = self.points.len();
        for k in 0..len {
            let (p, i) = (self.points[k], self.owners[k]);
            let prev = if k == 0 {
                self.points[len - 1]
            } else {
                self.points[k - 1]
            };
            // Arc (prev, p], wrapping around the circle.
            share[i as usize] += p.wrapping_sub(prev) as f64 / 2f64.powi(64);
        }
        if len == 1 {
            share[self.owners[0] as usize] = 1.0;
        }
        self.nodes
            .iter()
            .zip(share)
            .map(|((n, _, _), s)| (n, s))
            .collect()
    }
}
