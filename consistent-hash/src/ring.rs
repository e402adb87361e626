//! The hash ring: virtual nodes on a sorted array, weights, replicas and bounded loads.

use crate::alloc;
use crate::xxh3::{hash_bytes, hash_one};
use crate::{DefaultBuildHasher, Error};
use std::hash::{BuildHasher, Hash};

/// Default virtual nodes per unit of weight (the guides use 100–200; 160 is ketama's).
pub const DEFAULT_VNODES: u32 = 160;

/// A consistent-hash ring: each node owns `weight × vnodes` points on a 64-bit circle, and a key
/// belongs to the first point clockwise from its hash.
///
/// The points are one sorted array of 8-byte entries, each a position's top 32 bits with its
/// owner's index in the low 32, with a prefix index over the top bits of the positions: a lookup
/// is one hash, one index read, and a search within one bucket of one or two entries, whose
/// owner is in the entry it lands on (no second array to read). Positions therefore have 32-bit
/// resolution: 2^32 positions for at most 2^32 points. Adding or removing a node re-sorts the
/// points and rebuilds the index.
#[derive(Debug, Clone)]
pub struct HashRing<N, S = DefaultBuildHasher> {
    vnodes: u32,
    hasher: S,
    /// (node, weight, node hash), in insertion order; the node hash breaks ties between equal
    /// points so the ring does not depend on insertion order.
    nodes: Vec<(N, u32, u64)>,
    /// Points ascending (ties ordered by node hash): `position & HIGH | owner`, so the entry a
    /// search lands on also names its node.
    entries: Vec<u64>,
    /// Prefix index: `index[b]` is the first point whose top bits are ≥ b, for the top
    /// `64 − shift` bits (about one bucket per point), so a lookup reads one index entry and
    /// searches only its bucket instead of binary-searching the whole array.
    index: Vec<u32>,
    shift: u32,
}

/// The position bits of an entry: a point's top 32 bits.
const HIGH: u64 = 0xffff_ffff_0000_0000;

/// Writes into `index` the prefix index of sorted `entries` for their top `64 − shift` bits:
/// `index[b]` is the first entry whose top bits are ≥ b, then one more entry, the length.
/// Allocates only when `index` has less room than that (never when the ring shrank).
fn build_index(index: &mut Vec<u32>, entries: &[u64], shift: u32) -> Result<(), Error> {
    let buckets = 1usize << (64 - shift);
    index.clear();
    alloc::reserve(index, buckets as u64 + 1)?;
    let mut i = 0usize;
    for b in 0..buckets {
        while i < entries.len() && ((entries[i] >> shift) as usize) < b {
            i += 1;
        }
        index.push(i as u32);
    }
    index.push(entries.len() as u32);
    Ok(())
}

/// The node index in an entry's low 32 bits.
#[inline(always)]
fn owner(entry: u64) -> u32 {
    entry as u32
}

impl<N: Hash + Eq> HashRing<N> {
    /// A ring with `vnodes_per_weight` points per unit of weight and the default hasher.
    ///
    /// Computes in **O(1)** time.
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
    /// Computes in **O(1)** time.
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
            entries: Vec::new(),
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
    ///   [`Error::TooManyPoints`] if the ring would exceed 2^32 points;
    ///   [`Error::OutOfMemory`] if the allocator refuses the points (24 bytes each while the
    ///   ring is rebuilt, 8 after). The ring is unchanged.
    pub fn add(&mut self, node: N, weight: u32) -> Result<(), Error> {
        if weight == 0 {
            return Err(Error::InvalidWeight(0.0));
        }
        if self.nodes.iter().any(|(n, _, _)| *n == node) {
            return Err(Error::DuplicateNode);
        }
        let count = u64::from(weight) * u64::from(self.vnodes);
        let total = self.entries.len() as u64 + count;
        if total > u64::from(u32::MAX) || self.nodes.len() >= u32::MAX as usize {
            return Err(Error::TooManyPoints(total));
        }
        let index = self.nodes.len() as u32;
        let node_hash = hash_one(&self.hasher, &node);
        let mut all: Vec<(u64, u32)> = alloc::vec_with_capacity(total)?;
        all.extend(self.entries.iter().map(|&e| (e & HIGH, owner(e))));
        all.extend((0..count).map(|i| (hash_one(&self.hasher, &(&node, i)) & HIGH, index)));
        alloc::reserve(&mut self.nodes, 1)?;
        self.nodes.push((node, weight, node_hash));
        if let Err(e) = self.set_points(all) {
            self.nodes.pop();
            return Err(e);
        }
        Ok(())
    }

    /// Removes `node`, returning its weight.
    ///
    /// Computes in **O(P)**; allocates nothing new (the points shrink in place).
    pub fn remove(&mut self, node: &N) -> Option<u32> {
        let index = self.nodes.iter().position(|(n, _, _)| n == node)? as u32;
        let (_, weight, _) = self.nodes.remove(index as usize);
        // Removing points keeps the rest in order: renumber owners above the removed one.
        self.entries.retain(|&e| owner(e) != index);
        for e in &mut self.entries {
            if owner(*e) > index {
                *e -= 1;
            }
        }
        self.shift = self.shift_for(self.entries.len());
        // Fewer points need no more buckets than the index already holds, so this reserves
        // within its capacity and cannot fail.
        let _ = build_index(&mut self.index, &self.entries, self.shift);
        Some(weight)
    }

    /// The index shift for `points` points: 2^bits ≥ points, at most 2^24 buckets (64 MiB of
    /// index for 16M points).
    fn shift_for(&self, points: usize) -> u32 {
        let bits = (points.max(2).next_power_of_two().trailing_zeros()).clamp(1, 24);
        64 - bits
    }

    /// Sorts (point, owner) pairs by (point, node hash) and stores them with their index; the
    /// ring is unchanged if an allocation is refused.
    fn set_points(&mut self, mut all: Vec<(u64, u32)>) -> Result<(), Error> {
        let nodes = &self.nodes;
        all.sort_unstable_by_key(|&(p, i)| (p, nodes[i as usize].2));
        let mut entries: Vec<u64> = alloc::vec_with_capacity(all.len() as u64)?;
        entries.extend(all.iter().map(|&(p, i)| p | u64::from(i)));
        drop(all);
        let shift = self.shift_for(entries.len());
        let mut index = Vec::new();
        build_index(&mut index, &entries, shift)?;
        self.index = index;
        self.entries = entries;
        self.shift = shift;
        Ok(())
    }

    /// The node owning `key`; `None` when the ring is empty.
    ///
    /// Computes in **O(1)** expected: one hash, one index read, a search within one bucket.
    #[inline]
    pub fn get<K: Hash + ?Sized>(&self, key: &K) -> Option<&N> {
        self.get_hash(hash_one(&self.hasher, key))
    }

    /// [`get`](Self::get) of a byte-string key, hashed as exactly these bytes.
    ///
    /// Portable: with the default hasher the hash is XXH3-64 of exactly these bytes, the same on
    /// every machine and release, unlike a key hashed through std's `Hash`. (Nodes are placed
    /// by their `Hash`: give them the same type and names on every machine.)
    ///
    /// Computes in **O(len)** expected time: one XXH3 pass, then as [`get_hash`](Self::get_hash).
    #[inline]
    #[must_use]
    pub fn get_bytes(&self, key: &[u8]) -> Option<&N> {
        self.get_hash(hash_bytes(&self.hasher, key))
    }

    /// The node owning a precomputed key hash.
    ///
    /// Computes in **O(1)** expected: one index read, a search within one bucket.
    #[inline]
    pub fn get_hash(&self, hash: u64) -> Option<&N> {
        let i = self.first_point(hash)?;
        Some(&self.nodes[owner(self.entries[i]) as usize].0)
    }

    /// Index of the first point at or after `hash`, wrapping; `None` when empty.
    #[inline]
    fn first_point(&self, hash: u64) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let b = (hash >> self.shift) as usize;
        let (lo, hi) = (self.index[b] as usize, self.index[b + 1] as usize);
        // Points before `lo` are in lower buckets, points from `hi` on in higher ones.
        // A bucket holds about one point: count the smaller ones branch-free rather than
        // binary-search (whose data-dependent branches mispredict on such short runs).
        // An entry is below the key iff its position is: the owner bits sit under the key's
        // cleared low half.
        let key = hash & HIGH;
        let below = |run: &[u64]| run.iter().map(|&e| usize::from(e < key)).sum::<usize>();
        // Compare a fixed four entries: a loop over the bucket's 0–3 points mispredicted its
        // exit about every other lookup. Entries past the bucket belong to higher
        // buckets, so they are above the key and count 0. Rare longer buckets, and the last few
        // entries, take the loop.
        let i = lo
            + match self.entries.get(lo..lo + 4) {
                Some(four) if hi - lo <= 4 => below(four),
                _ => below(&self.entries[lo..hi]),
            };
        Some(if i == self.entries.len() { 0 } else { i })
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
        let len = self.entries.len();
        (0..len)
            .map(move |k| owner(self.entries[(start + k) % len]) as usize)
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
    /// Computes in **O(n + s)** time: the n loads are read once, then s points are walked until a
    /// node under its cap (s is small unless c is close to 1).
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
        // In u128: the caller's loads may sum past u64 (which would wrap in release builds
        // and panic in debug ones); the cap's float-to-int conversion saturates.
        let total_load: u128 = loads.iter().map(|&l| u128::from(l)).sum();
        let total_weight: u64 = self.nodes.iter().map(|(_, w, _)| u64::from(*w)).sum();
        let cap = |w: u32| {
            (c * (total_load + 1) as f64 * f64::from(w) / total_weight as f64).ceil() as u64
        };
        let len = self.entries.len();
        for k in 0..len {
            let i = owner(self.entries[(start + k) % len]) as usize;
            if loads[i] < cap(self.nodes[i].1) {
                return Ok(Some(&self.nodes[i].0));
            }
        }
        // Unreachable in exact arithmetic (the caps sum to more than L + 1); be safe anyway.
        Ok(Some(&self.nodes[owner(self.entries[start]) as usize].0))
    }

    /// Virtual nodes per unit of weight (fixed at construction).
    ///
    /// Computes in **O(1)** time.
    pub fn vnodes_per_weight(&self) -> u32 {
        self.vnodes
    }

    /// The nodes with their weights, in insertion order.
    ///
    /// Computes in **O(1)** time; iterating is O(n).
    pub fn nodes(&self) -> impl Iterator<Item = (&N, u32)> + '_ {
        self.nodes.iter().map(|(n, w, _)| (n, *w))
    }

    /// Number of nodes.
    ///
    /// Computes in **O(1)** time.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the ring has no nodes.
    ///
    /// Computes in **O(1)** time.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Number of points (virtual nodes) on the ring.
    ///
    /// Computes in **O(1)** time.
    pub fn points(&self) -> usize {
        self.entries.len()
    }

    /// Fraction of the hash space each node owns (the arcs ending at its points), in insertion
    /// order. Sums to 1 for a non-empty ring.
    ///
    /// Computes in **O(P)** time.
    pub fn ownership(&self) -> Vec<(&N, f64)> {
        let mut share = vec![0f64; self.nodes.len()];
        let len = self.entries.len();
        for k in 0..len {
            let (p, i) = (self.entries[k] & HIGH, owner(self.entries[k]));
            let prev = if k == 0 {
                self.entries[len - 1]
            } else {
                self.entries[k - 1]
            } & HIGH;
            // Arc (prev, p], wrapping around the circle.
            share[i as usize] += p.wrapping_sub(prev) as f64 / 2f64.powi(64);
        }
        if len == 1 {
            share[owner(self.entries[0]) as usize] = 1.0;
        }
        self.nodes
            .iter()
            .zip(share)
            .map(|((n, _, _), s)| (n, s))
            .collect()
    }
}

#[cfg(test)]
mod lookup_tests {
    use super::*;
    use proptest::prelude::*;

    /// The first entry at or after `hash`, wrapping, by a linear scan: the reference the
    /// indexed, fixed-window search must agree with.
    fn naive(ring: &HashRing<u16>, hash: u64) -> usize {
        let key = hash & HIGH;
        ring.entries
            .iter()
            .position(|&e| e & HIGH >= key)
            .unwrap_or(0)
    }

    proptest! {
        #[test]
        fn indexed_search_equals_a_linear_scan(
            nodes in 1u16..40, vnodes in 1u32..50, keys in prop::collection::vec(any::<u64>(), 200),
        ) {
            let mut ring = HashRing::new(vnodes).unwrap();
            for n in 0..nodes {
                ring.add(n, 1 + u32::from(n % 3)).unwrap();
            }
            // Random keys, and keys exactly at, just below and just above every point.
            let at_points = ring.entries.iter().flat_map(|&e| {
                let p = e & HIGH;
                [p, p.wrapping_sub(1), p | 0xffff_ffff, p.wrapping_add(1 << 32)]
            });
            for h in keys.into_iter().chain(at_points).chain([0, u64::MAX]) {
                prop_assert_eq!(ring.first_point(h), Some(naive(&ring, h)), "hash {:#x}", h);
            }
        }
    }
}
