//! Maglev hashing (Eisenbud et al., NSDI 2016): a fixed prime-sized lookup table.

use crate::hasher::fmix64;
use crate::xxh3::{hash_bytes, hash_one};
use crate::{DefaultBuildHasher, Error};
use std::hash::{BuildHasher, Hash};

/// Default table size (Envoy's and the paper's choice), prime. Keys move close to the ideal
/// 1/n on a membership change only while the table has about 1,000 slots or more per node:
/// with this size, 1.02× the ideal at 10 nodes, 1.5× at 100 and 7× at 1,000 (the compare
/// report's `moved_on_add` rows). Size larger tables with [`Maglev::for_nodes`].
pub const DEFAULT_TABLE_SIZE: u64 = 65_537;
const MAX_TABLE_SIZE: u64 = 1 << 26;

/// Maglev: each node walks its own permutation of a prime-sized table, the nodes take turns
/// claiming their next free slot, and a key is one table lookup.
///
/// Shares differ from 1/n by at most a slot or so per node, and lookups are O(1). A membership
/// change moves close to the ideal 1/n of the keys when the table keeps about 1,000 slots or
/// more per node, and more below that: each node's permutation claims slots in turn, so a join
/// reshuffles about n/M of the slots besides those the newcomer takes (measured with the
/// default 65,537 slots: 1.02× the ideal at 10 nodes, 1.5× at 100, 7× at 1,000). The table size
/// must stay fixed across changes — crates that size it from the current node count move almost
/// every key — so size it once for the most nodes you will run ([`Maglev::for_nodes`]).
#[derive(Debug, Clone)]
pub struct Maglev<N, S = DefaultBuildHasher> {
    hasher: S,
    size: u64,
    /// (node, node hash), sorted by node hash so the table does not depend on insertion order.
    nodes: Vec<(N, u64)>,
    /// Slot → index into `nodes`; empty when there are no nodes.
    table: Vec<u32>,
}

fn is_prime(m: u64) -> bool {
    if m < 2 {
        return false;
    }
    let mut d = 2;
    while d * d <= m {
        if m % d == 0 {
            return false;
        }
        d += 1;
    }
    true
}

/// Slots per node [`Maglev::for_nodes`] provides.
const SLOTS_PER_NODE: u64 = 1_000;

/// The smallest prime at or above `m` (trial division: microseconds below 2^26).
fn next_prime(m: u64) -> u64 {
    (m.max(2)..).find(|&c| is_prime(c)).unwrap_or(m)
}

impl<N: Hash + Eq> Maglev<N> {
    /// An empty table sized for up to `max_nodes` nodes: the smallest prime with at least
    /// 1,000 slots per node and at least [`DEFAULT_TABLE_SIZE`], so a membership change moves
    /// close to the ideal 1/n of the keys. 4 bytes a slot: 4 MB for 1,000 nodes.
    ///
    /// Computes in **O(√M)** time per candidate tried for the prime M (trial division; prime gaps
    /// are short); the table is allocated empty.
    ///
    /// ```
    /// use brick_consistent_hash::Maglev;
    /// let m: Maglev<u32> = Maglev::for_nodes(1_000)?;
    /// assert_eq!(m.size(), 1_000_003);
    /// # Ok::<(), brick_consistent_hash::Error>(())
    /// ```
    ///
    /// # Errors
    /// - [`Error::TableSize`] when that exceeds 2^26 slots (more than 67,108 nodes).
    pub fn for_nodes(max_nodes: u64) -> Result<Self, Error> {
        let wanted = max_nodes
            .saturating_mul(SLOTS_PER_NODE)
            .max(DEFAULT_TABLE_SIZE);
        if wanted > MAX_TABLE_SIZE {
            return Err(Error::TableSize {
                size: wanted,
                nodes: max_nodes,
            });
        }
        Self::new(next_prime(wanted))
    }

    /// An empty table of `size` slots with the default hasher.
    ///
    /// Computes in **O(√M)** time: `size` is checked to be prime.
    ///
    /// # Errors
    /// - [`Error::NotPrime`]; [`Error::TableSize`] above 2^26 slots.
    pub fn new(size: u64) -> Result<Self, Error> {
        Self::with_hasher(size, DefaultBuildHasher::default())
    }
}

impl<N: Hash + Eq, S: BuildHasher> Maglev<N, S> {
    /// An empty table hashing with `hasher`.
    ///
    /// Computes in **O(√M)** time: `size` is checked to be prime.
    ///
    /// # Errors
    /// As [`Maglev::new`].
    pub fn with_hasher(size: u64, hasher: S) -> Result<Self, Error> {
        if size > MAX_TABLE_SIZE {
            return Err(Error::TableSize { size, nodes: 0 });
        }
        if !is_prime(size) {
            return Err(Error::NotPrime(size));
        }
        Ok(Self {
            hasher,
            size,
            nodes: Vec::new(),
            table: Vec::new(),
        })
    }

    /// Adds a node and repopulates the table.
    ///
    /// Computes in **O(M log M)** expected for M slots.
    ///
    /// # Errors
    /// - [`Error::DuplicateNode`]; [`Error::TableSize`] if the table has fewer slots than nodes.
    pub fn add(&mut self, node: N) -> Result<(), Error> {
        if self.nodes.iter().any(|(n, _)| *n == node) {
            return Err(Error::DuplicateNode);
        }
        if self.nodes.len() as u64 + 1 > self.size {
            return Err(Error::TableSize {
                size: self.size,
                nodes: self.nodes.len() as u64 + 1,
            });
        }
        let h = hash_one(&self.hasher, &node);
        let at = self.nodes.partition_point(|(_, x)| *x < h);
        self.nodes.insert(at, (node, h));
        self.populate();
        Ok(())
    }

    /// Removes a node and repopulates the table; returns whether it was there.
    ///
    /// Computes in **O(M log M)** expected for M slots: the table is repopulated.
    pub fn remove(&mut self, node: &N) -> bool {
        let Some(i) = self.nodes.iter().position(|(n, _)| n == node) else {
            return false;
        };
        self.nodes.remove(i);
        self.populate();
        true
    }

    /// The paper's population: node i prefers slots offset, offset + skip, … (mod M); nodes take
    /// turns claiming their next unclaimed preference until the table is full.
    fn populate(&mut self) {
        let m = self.size;
        if self.nodes.is_empty() {
            self.table.clear();
            return;
        }
        let perms: Vec<(u64, u64)> = self
            .nodes
            .iter()
            .map(|(_, h)| {
                (
                    fmix64(*h) % m,
                    fmix64(h ^ 0x9e37_79b9_7f4a_7c15) % (m - 1) + 1,
                )
            })
            .collect();
        let mut next = vec![0u64; self.nodes.len()];
        let mut table = vec![u32::MAX; m as usize];
        let mut filled = 0u64;
        'fill: loop {
            for (i, &(offset, skip)) in perms.iter().enumerate() {
                let mut c = (offset + next[i] * skip) % m;
                while table[c as usize] != u32::MAX {
                    next[i] += 1;
                    c = (offset + next[i] * skip) % m;
                }
                table[c as usize] = i as u32;
                next[i] += 1;
                filled += 1;
                if filled == m {
                    break 'fill;
                }
            }
        }
        self.table = table;
    }

    /// The node for `key`; `None` when there are no nodes.
    ///
    /// Computes in **O(1)**: one hash, one table read.
    pub fn get<K: Hash + ?Sized>(&self, key: &K) -> Option<&N> {
        self.get_hash(hash_one(&self.hasher, key))
    }

    /// [`get`](Self::get) of a byte-string key, hashed as exactly these bytes.
    ///
    /// Portable: with the default hasher the hash is XXH3-64 of exactly these bytes, the same on
    /// every machine and release, unlike a key hashed through std's `Hash`. (Nodes are placed
    /// by their `Hash`: give them the same type and names on every machine.)
    ///
    /// Computes in **O(len)** time: one XXH3 pass, one table read.
    #[inline]
    #[must_use]
    pub fn get_bytes(&self, key: &[u8]) -> Option<&N> {
        self.get_hash(hash_bytes(&self.hasher, key))
    }

    /// The node for a precomputed key hash.
    ///
    /// Computes in **O(1)** time: one table read.
    #[inline]
    pub fn get_hash(&self, hash: u64) -> Option<&N> {
        // Multiply-shift maps the hash uniformly onto 0..size without a division (Lemire).
        let slot = *self
            .table
            .get(((u128::from(hash) * u128::from(self.size)) >> 64) as usize)?;
        Some(&self.nodes[slot as usize].0)
    }

    /// Slots in the table (fixed at construction).
    ///
    /// Computes in **O(1)** time.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The nodes, sorted by node hash (the order the table is built in).
    ///
    /// Computes in **O(1)** time; iterating is O(n).
    pub fn nodes(&self) -> impl Iterator<Item = &N> + '_ {
        self.nodes.iter().map(|(n, _)| n)
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

    /// Table slots owned by each node (its share is slots / size), sorted by node hash.
    ///
    /// Computes in **O(M + n log n)** time.
    pub fn slots(&self) -> Vec<(&N, u64)> {
        let mut counts = vec![0u64; self.nodes.len()];
        for &i in &self.table {
            counts[i as usize] += 1;
        }
        self.nodes
            .iter()
            .zip(counts)
            .map(|((n, _), c)| (n, c))
            .collect()
    }
}
