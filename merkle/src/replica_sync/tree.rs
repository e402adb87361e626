//! [`SyncTree`]: a replica's summary, keys spread by hash over 2^depth buckets under a binary
//! Merkle tree, and the costs of sending its parts.

use crate::{Error, MerkleHasher, Sha256};
use std::collections::BTreeMap;

use super::frame::*;

/// Deepest tree: 2^24 buckets.
pub const MAX_DEPTH: u8 = 24;
/// Fixed seed of the bucket hash: every replica must place a key in the same bucket.
pub(super) const BUCKET_SEED: u64 = 0x6272_6963_6b2d_6d6b;

/// A replica's summary: keys spread by hash over 2^depth buckets, each bucket's hash the XOR of
/// its entries' H(key, value) (order-independent, so insert, update and delete each take O(1)
/// in the bucket), and a binary Merkle tree over the buckets (O(depth) hashes per change).
#[derive(Clone)]
pub struct SyncTree<H: MerkleHasher = Sha256> {
    pub(super) depth: u8,
    /// Heap order: node 1 is the root, node i has children 2i and 2i + 1; the buckets are the
    /// nodes 2^depth .. 2^(depth+1). Index 0 is unused.
    pub(super) nodes: Vec<H::Digest>,
    /// Same order: the bytes the node's buckets take in a `Keys` message (a bucket: 8 bytes of
    /// header when it has entries, and 4 + key + digest per entry), which sessions budget with.
    pub(super) weights: Vec<u64>,
    /// Per bucket: key → H.entry(key, value).
    pub(super) buckets: Vec<BTreeMap<Vec<u8>, H::Digest>>,
    pub(super) len: usize,
}

impl<H: MerkleHasher> std::fmt::Debug for SyncTree<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncTree")
            .field("depth", &self.depth)
            .field("len", &self.len)
            .field("root", &self.root())
            .finish()
    }
}

/// A bucket's header in a `Keys` message: its index and its entry count, u32 each.
pub(super) const BUCKET_HEADER: u64 = 8;

/// An entry in a `Keys` message: u32 key length, key, digest.
pub(super) fn entry_weight<D: Default + AsRef<[u8]>>(key: &[u8]) -> u64 {
    (4 + key.len() + D::default().as_ref().len()) as u64
}

/// A `Keys` frame covering `covers` nodes whose buckets weigh `weight` bytes.
pub(super) fn keys_len(covers: usize, weight: u64) -> u64 {
    (HEADER + 4 + 4 * covers + 4) as u64 + weight
}

/// A `Pull` frame naming `nodes` nodes.
pub(super) fn pull_len(nodes: usize) -> u64 {
    (HEADER + 4 + 4 * nodes) as u64
}

pub(super) fn xor_into<D: AsMut<[u8]> + AsRef<[u8]>>(acc: &mut D, x: &D) {
    for (a, b) in acc.as_mut().iter_mut().zip(x.as_ref()) {
        *a ^= b;
    }
}

impl<H: MerkleHasher> SyncTree<H> {
    /// An empty tree of 2^depth buckets: about 2^depth × (24 + 2 × digest) bytes up front
    /// (1.5 GiB at depth 24 with SHA-256).
    ///
    /// Computes in **O(2^depth)** time: the buckets are allocated.
    ///
    /// # Errors
    /// - [`Error::InvalidDepth`] for 0 or more than [`MAX_DEPTH`].
    /// - [`Error::OutOfMemory`] if the allocator refuses the buckets.
    pub fn new(depth: u8) -> Result<Self, Error> {
        if depth == 0 || depth > MAX_DEPTH {
            return Err(Error::InvalidDepth(depth));
        }
        let buckets = 1usize << depth;
        let mut nodes = crate::alloc::vec_with_capacity(2 * buckets as u64)?;
        nodes.resize(2 * buckets, H::Digest::default());
        let mut weights = crate::alloc::vec_with_capacity(2 * buckets as u64)?;
        weights.resize(2 * buckets, 0);
        let mut lists = crate::alloc::vec_with_capacity(buckets as u64)?;
        lists.resize_with(buckets, BTreeMap::new);
        let mut tree = Self {
            depth,
            nodes,
            weights,
            buckets: lists,
            len: 0,
        };
        tree.rehash_all();
        Ok(tree)
    }

    /// A tree sized for about `n` keys: about 8 keys per bucket, so a differing key costs one
    /// bucket's key list, and the tree has depth ⌈log2(n / 8)⌉ (between 1 and 24).
    ///
    /// Computes in **O(n)** time: about n / 8 buckets are allocated.
    #[must_use]
    pub fn with_expected_keys(n: u64) -> Self {
        let depth = (n / 8)
            .max(2)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(1, u32::from(MAX_DEPTH)) as u8;
        // In range by construction.
        Self::new(depth).unwrap_or_else(|_| unreachable!("depth {depth} is within 1..=24"))
    }

    /// Depth (the tree has 2^depth buckets).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// Number of keys.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tree has no keys.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The root hash: equal roots mean (up to hash collisions) equal key-value sets.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn root(&self) -> H::Digest {
        self.nodes[1]
    }

    /// The bucket a key falls in (the top `depth` bits of a fixed-seed xxh3 of the key).
    ///
    /// Computes in **O(len)** time: one XXH3 of the key.
    #[must_use]
    pub fn bucket_of(&self, key: &[u8]) -> u32 {
        (xxhash_rust::xxh3::xxh3_64_with_seed(key, BUCKET_SEED) >> (64 - u32::from(self.depth)))
            as u32
    }

    /// Sets `key` to `value`; returns whether the key is new.
    ///
    /// Computes in **O(depth)** hashes.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> bool {
        let b = self.bucket_of(key);
        let new = self.put(b, key, H::entry(key, value));
        self.rehash_path(b);
        new
    }

    /// Removes `key`; returns whether it was there.
    ///
    /// Computes in **O(depth)** hashes.
    pub fn remove(&mut self, key: &[u8]) -> bool {
        let b = self.bucket_of(key);
        let Some(old) = self.buckets[b as usize].remove(key) else {
            return false;
        };
        let node = self.bucket_node(b);
        xor_into(&mut self.nodes[node], &old);
        self.len -= 1;
        self.weights[node] -= entry_weight::<H::Digest>(key);
        if self.buckets[b as usize].is_empty() {
            self.weights[node] -= BUCKET_HEADER;
        }
        self.rehash_path(b);
        true
    }

    /// Adds many pairs, hashing the tree once at the end: O(n + 2^depth) hashes instead of
    /// O(n · depth).
    pub fn extend<'a, I: IntoIterator<Item = (&'a [u8], &'a [u8])>>(&mut self, pairs: I) {
        for (key, value) in pairs {
            let b = self.bucket_of(key);
            self.put(b, key, H::entry(key, value));
        }
        self.rehash_all();
    }

    /// The entry hash H(key, value) stored for `key`.
    ///
    /// Computes in **O(len + log b)** time for the b keys of its bucket.
    #[must_use]
    pub fn entry_hash(&self, key: &[u8]) -> Option<H::Digest> {
        self.buckets[self.bucket_of(key) as usize].get(key).copied()
    }

    /// Every key with its entry hash, bucket by bucket.
    ///
    /// Computes in **O(1)** time; iterating is O(n + 2^depth).
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &H::Digest)> + '_ {
        self.buckets
            .iter()
            .flat_map(|m| m.iter().map(|(k, v)| (k.as_slice(), v)))
    }

    pub(super) fn bucket_node(&self, b: u32) -> usize {
        (1usize << self.depth) + b as usize
    }

    pub(super) fn put(&mut self, b: u32, key: &[u8], entry: H::Digest) -> bool {
        let node = self.bucket_node(b);
        let old = self.buckets[b as usize].insert(key.to_vec(), entry);
        if let Some(old) = &old {
            xor_into(&mut self.nodes[node], old);
        } else {
            self.len += 1;
            if self.buckets[b as usize].len() == 1 {
                self.weights[node] += BUCKET_HEADER;
            }
            self.weights[node] += entry_weight::<H::Digest>(key);
        }
        xor_into(&mut self.nodes[node], &entry);
        old.is_none()
    }

    pub(super) fn rehash_path(&mut self, b: u32) {
        let mut i = self.bucket_node(b) / 2;
        while i >= 1 {
            self.nodes[i] = H::node(&self.nodes[2 * i], &self.nodes[2 * i + 1]);
            self.weights[i] = self.weights[2 * i] + self.weights[2 * i + 1];
            i /= 2;
        }
    }

    pub(super) fn rehash_all(&mut self) {
        for i in (1..(1usize << self.depth)).rev() {
            self.nodes[i] = H::node(&self.nodes[2 * i], &self.nodes[2 * i + 1]);
            self.weights[i] = self.weights[2 * i] + self.weights[2 * i + 1];
        }
    }

    pub(super) fn node(&self, index: u32) -> H::Digest {
        self.nodes[index as usize]
    }

    /// The bytes a `Keys` message spends on the buckets under node `index` (heap order).
    pub(super) fn weight(&self, index: u32) -> u64 {
        self.weights[index as usize]
    }

    /// The bytes a full exchange spends on this tree's entries: what sending every key with
    /// its entry hash costs, the yardstick a [`SyncSession`](crate::SyncSession) never exceeds by more than
    /// [`SyncSession::slack`](crate::SyncSession::slack).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn full_exchange_bytes(&self) -> u64 {
        keys_len(1, self.weights[1])
    }

    pub(super) fn bucket_entries(&self, b: u32) -> Vec<(Vec<u8>, H::Digest)> {
        self.buckets[b as usize]
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }
}

impl<H: MerkleHasher, K: AsRef<[u8]>, V: AsRef<[u8]>> Extend<(K, V)> for SyncTree<H> {
    /// Inserts or updates every (key, value), as a loop of [`insert`](SyncTree::insert) would.
    /// Computes in **O(depth)** hashes per pair.
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
        for (key, value) in pairs {
            self.insert(key.as_ref(), value.as_ref());
        }
    }
}

/// Two trees are equal when they have the same depth and the same keys with the same entry
/// hashes (the nodes above the buckets follow from them), so equal trees have equal roots.
///
/// Computes in **O(n + 2^depth)** time.
impl<H: MerkleHasher> PartialEq for SyncTree<H> {
    fn eq(&self, other: &Self) -> bool {
        self.depth == other.depth && self.buckets == other.buckets
    }
}

impl<H: MerkleHasher> Eq for SyncTree<H> {}
