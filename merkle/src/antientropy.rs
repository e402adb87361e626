//! Replica anti-entropy: a Merkle summary of a key-value store over the key-hash space, and a
//! message protocol that finds exactly which keys two replicas disagree on, descending a
//! configurable fan-out at a time and stopping where sending entries is cheaper than hashes,
//! so that it never costs more than a full exchange plus [`SyncSession::slack`].

use crate::error::DecodeError;
use crate::wire::{Reader, put_u32, put_varint, varint_len};
use crate::{Error, MerkleHasher, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Deepest tree: 2^24 buckets.
pub const MAX_DEPTH: u8 = 24;
/// Widest fan-out of a session: 2^8 children a step.
pub const MAX_FANOUT: u32 = 256;
/// The fan-out [`SyncSession::new`] uses.
pub const DEFAULT_FANOUT: u32 = 16;
/// The least a session may spend, beyond a full exchange, on hashes not yet shown to pay (for
/// trees whose full exchange is at least 512 KiB): enough to descend through the top levels,
/// where every node differs, for about a thousand differences before the weights shrink.
pub const SLACK: u64 = 64 * 1024;
/// Beyond [`SLACK`], a session may speculate with 1/64 of the full exchange: at n = 10^6 that
/// is what lets it get past the top levels for d up to about 1 % of n, where the descent then
/// saves most of the exchange, at a worst case (every key differs) of 1.6 % over a full one.
pub const SLACK_FRACTION: u64 = 64;
/// Wire format magic and version (version 1 had no fan-out, pulls or deltas).
const MAGIC: &[u8; 3] = b"BMK";
const VERSION: u8 = 2;
/// Magic, version, hasher, depth, fan-out and message type.
const HEADER: usize = 8;

/// Fixed seed of the bucket hash: every replica must place a key in the same bucket.
const BUCKET_SEED: u64 = 0x6272_6963_6b2d_6d6b;

/// A replica's summary: keys spread by hash over 2^depth buckets, each bucket's hash the XOR of
/// its entries' H(key, value) (order-independent, so insert, update and delete each take O(1)
/// in the bucket), and a binary Merkle tree over the buckets (O(depth) hashes per change).
#[derive(Clone)]
pub struct SyncTree<H: MerkleHasher = Sha256> {
    depth: u8,
    /// Heap order: node 1 is the root, node i has children 2i and 2i + 1; the buckets are the
    /// nodes 2^depth .. 2^(depth+1). Index 0 is unused.
    nodes: Vec<H::Digest>,
    /// Same order: the bytes the node's buckets take in a `Keys` message (a bucket: 8 bytes of
    /// header when it has entries, and 4 + key + digest per entry), which sessions budget with.
    weights: Vec<u64>,
    /// Per bucket: key → H.entry(key, value).
    buckets: Vec<BTreeMap<Vec<u8>, H::Digest>>,
    len: usize,
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
const BUCKET_HEADER: u64 = 8;

/// An entry in a `Keys` message: u32 key length, key, digest.
fn entry_weight<D: Default + AsRef<[u8]>>(key: &[u8]) -> u64 {
    (4 + key.len() + D::default().as_ref().len()) as u64
}

/// A `Keys` frame covering `covers` nodes whose buckets weigh `weight` bytes.
fn keys_len(covers: usize, weight: u64) -> u64 {
    (HEADER + 4 + 4 * covers + 4) as u64 + weight
}

/// A `Pull` frame naming `nodes` nodes.
fn pull_len(nodes: usize) -> u64 {
    (HEADER + 4 + 4 * nodes) as u64
}

fn xor_into<D: AsMut<[u8]> + AsRef<[u8]>>(acc: &mut D, x: &D) {
    for (a, b) in acc.as_mut().iter_mut().zip(x.as_ref()) {
        *a ^= b;
    }
}

impl<H: MerkleHasher> SyncTree<H> {
    /// An empty tree of 2^depth buckets: about 2^depth × (24 + 2 × digest) bytes up front
    /// (1.5 GiB at depth 24 with SHA-256).
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
    #[must_use]
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// Number of keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tree has no keys.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The root hash: equal roots mean (up to hash collisions) equal key-value sets.
    #[must_use]
    pub fn root(&self) -> H::Digest {
        self.nodes[1]
    }

    /// The bucket a key falls in (the top `depth` bits of a fixed-seed xxh3 of the key).
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
    #[must_use]
    pub fn entry_hash(&self, key: &[u8]) -> Option<H::Digest> {
        self.buckets[self.bucket_of(key) as usize].get(key).copied()
    }

    /// Every key with its entry hash, bucket by bucket.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &H::Digest)> + '_ {
        self.buckets
            .iter()
            .flat_map(|m| m.iter().map(|(k, v)| (k.as_slice(), v)))
    }

    fn bucket_node(&self, b: u32) -> usize {
        (1usize << self.depth) + b as usize
    }

    fn put(&mut self, b: u32, key: &[u8], entry: H::Digest) -> bool {
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

    fn rehash_path(&mut self, b: u32) {
        let mut i = self.bucket_node(b) / 2;
        while i >= 1 {
            self.nodes[i] = H::node(&self.nodes[2 * i], &self.nodes[2 * i + 1]);
            self.weights[i] = self.weights[2 * i] + self.weights[2 * i + 1];
            i /= 2;
        }
    }

    fn rehash_all(&mut self) {
        for i in (1..(1usize << self.depth)).rev() {
            self.nodes[i] = H::node(&self.nodes[2 * i], &self.nodes[2 * i + 1]);
            self.weights[i] = self.weights[2 * i] + self.weights[2 * i + 1];
        }
    }

    fn node(&self, index: u32) -> H::Digest {
        self.nodes[index as usize]
    }

    /// The bytes a `Keys` message spends on the buckets under node `index` (heap order).
    fn weight(&self, index: u32) -> u64 {
        self.weights[index as usize]
    }

    /// The bytes a full exchange spends on this tree's entries: what sending every key with
    /// its entry hash costs, the yardstick a [`SyncSession`] never exceeds by more than
    /// [`SyncSession::slack`].
    #[must_use]
    pub fn full_exchange_bytes(&self) -> u64 {
        keys_len(1, self.weights[1])
    }

    fn bucket_entries(&self, b: u32) -> Vec<(Vec<u8>, H::Digest)> {
        self.buckets[b as usize]
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }
}

/// One entry of a bucket: the key and its entry hash.
pub type Entry<D> = (Vec<u8>, D);

/// The entries of one bucket, as a `Keys` message carries them.
pub type BucketEntries<D> = (u32, Vec<Entry<D>>);

/// The children of one node, as a `Nodes` message carries them: the node, the hashes of its
/// descendants one step down (2^k of them, k = the fan-out's bits, fewer above the buckets) and,
/// from the initiator, the bytes each child's buckets would take in a `Keys` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeGroup<D> {
    /// The parent (heap order).
    pub parent: u32,
    /// Its descendants' hashes, left to right.
    pub hashes: Vec<D>,
    /// The initiator's weight of each descendant; empty in the responder's messages.
    pub weights: Vec<u64>,
}

/// The responder's answer about one bucket of a `Keys` message: its entries that differ from
/// the initiator's, and which of the initiator's entries it lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketDelta<D> {
    /// The bucket.
    pub bucket: u32,
    /// The responder's entries (key, entry hash) the initiator lacks or holds with another value.
    pub entries: Vec<(Vec<u8>, D)>,
    /// Positions, in the initiator's list for this bucket, of the keys the responder lacks.
    pub missing: Vec<u32>,
}

/// One protocol message. Node indices are in heap order (1 is the root; binary level L holds
/// 2^L .. 2^(L+1)); bucket b is node 2^depth + b.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<D> {
    /// Opens a session with the initiator's root and the weight of its whole tree (what a full
    /// exchange would cost it, so the responder can keep the session under that).
    Hello {
        /// The sender's root hash.
        root: D,
        /// [`SyncTree::full_exchange_bytes`] less a `Keys` frame's fixed part.
        weight: u64,
    },
    /// The sender's hashes of the children of every node it found different, one step down.
    Nodes {
        /// The binary level of the children (1..=depth).
        level: u8,
        /// One group per parent, ascending by parent.
        groups: Vec<NodeGroup<D>>,
    },
    /// The responder asks for the initiator's entries under these nodes instead of descending.
    Pull {
        /// Nodes, ascending.
        nodes: Vec<u32>,
    },
    /// The initiator's entries under the nodes it covers.
    Keys {
        /// The nodes whose buckets this message lists in full (ascending).
        covers: Vec<u32>,
        /// (bucket, its entries), ascending by bucket; a covered bucket left out is empty.
        buckets: Vec<BucketEntries<D>>,
    },
    /// The responder's entries that differ, the last message of a session.
    Delta {
        /// Only the buckets with a difference, ascending.
        buckets: Vec<BucketDelta<D>>,
    },
    /// The replicas agree: nothing differs.
    Equal,
}

impl<D> Message<D> {
    fn kind(&self) -> &'static str {
        match self {
            Message::Hello { .. } => "Hello",
            Message::Nodes { .. } => "Nodes",
            Message::Pull { .. } => "Pull",
            Message::Keys { .. } => "Keys",
            Message::Delta { .. } => "Delta",
            Message::Equal => "Equal",
        }
    }
}

/// A message with the header every message carries: the hasher, depth and fan-out of the
/// sender's session, so replicas built or configured differently refuse each other instead of
/// "finding" every key different.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<D> {
    /// [`MerkleHasher::ID`] of the sender.
    pub hasher: u8,
    /// The sender's tree depth.
    pub depth: u8,
    /// log2 of the session's fan-out (1..=8).
    pub fanout_log2: u8,
    /// The message.
    pub message: Message<D>,
}

/// The binary level of heap node `i` (0 for the root).
fn level_of(i: u32) -> u8 {
    (31 - i.leading_zeros()) as u8
}

/// The level one step below `level`: `bits` further down, but never past the buckets.
fn step_down(level: u8, bits: u8, depth: u8) -> u8 {
    (level + bits).min(depth)
}

fn put_entries<D: AsRef<[u8]>>(out: &mut Vec<u8>, entries: &[(Vec<u8>, D)]) {
    put_u32(out, entries.len() as u32);
    for (k, h) in entries {
        put_u32(out, k.len() as u32);
        out.extend_from_slice(k);
        out.extend_from_slice(h.as_ref());
    }
}

fn read_entries<D: Default + AsMut<[u8]> + AsRef<[u8]>>(
    r: &mut Reader<'_>,
    dlen: usize,
) -> Result<Vec<(Vec<u8>, D)>, DecodeError> {
    let n = r.count(4 + dlen)?;
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        let klen = r.count(1)?;
        let key = r.take(klen)?.to_vec();
        entries.push((key, r.digest()?));
    }
    Ok(entries)
}

fn read_u32s(r: &mut Reader<'_>) -> Result<Vec<u32>, DecodeError> {
    let n = r.count(4)?;
    (0..n).map(|_| r.u32()).collect()
}

impl<D: AsRef<[u8]>> Frame<D> {
    /// The versioned wire form: `"BMK"`, version 2, hasher id, depth, fan-out bits, type, then
    /// the body with little-endian u32 counts, indices and lengths (weights are LEB128).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[VERSION, self.hasher, self.depth, self.fanout_log2]);
        match &self.message {
            Message::Hello { root, weight } => {
                out.push(1);
                out.extend_from_slice(root.as_ref());
                put_varint(&mut out, *weight);
            }
            Message::Nodes { level, groups } => {
                out.push(2);
                out.push(*level);
                let weighted = groups.first().is_some_and(|g| !g.weights.is_empty());
                out.push(u8::from(weighted));
                put_u32(&mut out, groups.len() as u32);
                for g in groups {
                    put_u32(&mut out, g.parent);
                    for h in &g.hashes {
                        out.extend_from_slice(h.as_ref());
                    }
                    for w in &g.weights {
                        put_varint(&mut out, *w);
                    }
                }
            }
            Message::Keys { covers, buckets } => {
                out.push(3);
                put_u32(&mut out, covers.len() as u32);
                for c in covers {
                    put_u32(&mut out, *c);
                }
                put_u32(&mut out, buckets.len() as u32);
                for (b, entries) in buckets {
                    put_u32(&mut out, *b);
                    put_entries(&mut out, entries);
                }
            }
            Message::Equal => out.push(4),
            Message::Pull { nodes } => {
                out.push(5);
                put_u32(&mut out, nodes.len() as u32);
                for n in nodes {
                    put_u32(&mut out, *n);
                }
            }
            Message::Delta { buckets } => {
                out.push(6);
                put_u32(&mut out, buckets.len() as u32);
                for d in buckets {
                    put_u32(&mut out, d.bucket);
                    put_entries(&mut out, &d.entries);
                    put_u32(&mut out, d.missing.len() as u32);
                    for m in &d.missing {
                        put_u32(&mut out, *m);
                    }
                }
            }
        }
        out
    }

    /// The length of [`Frame::to_bytes`], without encoding.
    pub fn encoded_len(&self) -> usize {
        let entries = |e: &[(Vec<u8>, D)]| -> usize {
            4 + e
                .iter()
                .map(|(k, h)| 4 + k.len() + h.as_ref().len())
                .sum::<usize>()
        };
        HEADER
            + match &self.message {
                Message::Hello { root, weight } => root.as_ref().len() + varint_len(*weight),
                Message::Nodes { groups, .. } => {
                    6 + groups
                        .iter()
                        .map(|g| {
                            4 + g.hashes.iter().map(|h| h.as_ref().len()).sum::<usize>()
                                + g.weights.iter().map(|w| varint_len(*w)).sum::<usize>()
                        })
                        .sum::<usize>()
                }
                Message::Keys { covers, buckets } => {
                    8 + 4 * covers.len()
                        + buckets.iter().map(|(_, e)| 4 + entries(e)).sum::<usize>()
                }
                Message::Equal => 0,
                Message::Pull { nodes } => 4 + 4 * nodes.len(),
                Message::Delta { buckets } => {
                    4 + buckets
                        .iter()
                        .map(|d| 8 + entries(&d.entries) + 4 * d.missing.len())
                        .sum::<usize>()
                }
            }
    }
}

impl<D: Default + AsRef<[u8]> + AsMut<[u8]>> Frame<D> {
    /// Decodes [`Frame::to_bytes`] output; every malformed input is an error, never a panic.
    /// Every count is checked against the bytes left before anything is reserved, so a frame
    /// allocates at most a few bytes per input byte.
    ///
    /// # Errors
    /// - [`Error::Decode`] with the [`DecodeError`] found.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::open(bytes, MAGIC, VERSION)?;
        let hasher = r.u8()?;
        let depth = r.u8()?;
        let fanout_log2 = r.u8()?;
        let dlen = D::default().as_ref().len();
        let message = match r.u8()? {
            1 => Message::Hello {
                root: r.digest()?,
                weight: r.varint()?,
            },
            2 => {
                let level = r.u8()?;
                let weighted = match r.u8()? {
                    0 => false,
                    1 => true,
                    v => return Err(DecodeError::BadLength(u64::from(v)).into()),
                };
                let n = r.count(4 + dlen)?;
                let mut groups = Vec::with_capacity(n);
                for _ in 0..n {
                    let parent = r.u32()?;
                    // The group's size follows from the parent's level; a parent that is not
                    // above `level` by 1..=fan-out bits cannot head a group.
                    let up = if parent == 0 {
                        u8::MAX
                    } else {
                        level_of(parent)
                    };
                    let k = level
                        .checked_sub(up)
                        .filter(|k| (1..=fanout_log2.min(8)).contains(k));
                    let Some(k) = k else {
                        return Err(DecodeError::BadLength(u64::from(parent)).into());
                    };
                    let size = 1usize << k;
                    if size.saturating_mul(dlen) > r.rest() {
                        return Err(DecodeError::BadLength(size as u64).into());
                    }
                    let hashes = (0..size).map(|_| r.digest()).collect::<Result<_, _>>()?;
                    let weights = if weighted {
                        (0..size).map(|_| r.varint()).collect::<Result<_, _>>()?
                    } else {
                        Vec::new()
                    };
                    groups.push(NodeGroup {
                        parent,
                        hashes,
                        weights,
                    });
                }
                Message::Nodes { level, groups }
            }
            3 => {
                let covers = read_u32s(&mut r)?;
                let nb = r.count(8)?;
                let mut buckets = Vec::with_capacity(nb);
                for _ in 0..nb {
                    let b = r.u32()?;
                    buckets.push((b, read_entries(&mut r, dlen)?));
                }
                Message::Keys { covers, buckets }
            }
            4 => Message::Equal,
            5 => Message::Pull {
                nodes: read_u32s(&mut r)?,
            },
            6 => {
                let nb = r.count(12)?;
                let mut buckets = Vec::with_capacity(nb);
                for _ in 0..nb {
                    let bucket = r.u32()?;
                    let entries = read_entries(&mut r, dlen)?;
                    let missing = read_u32s(&mut r)?;
                    buckets.push(BucketDelta {
                        bucket,
                        entries,
                        missing,
                    });
                }
                Message::Delta { buckets }
            }
            t => return Err(DecodeError::UnknownType(t).into()),
        };
        r.finish()?;
        Ok(Frame {
            hasher,
            depth,
            fanout_log2,
            message,
        })
    }
}

/// How a key differs between the two replicas, seen from this side.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Difference {
    /// Only the peer has this key.
    MissingHere(Vec<u8>),
    /// Only this replica has this key.
    MissingThere(Vec<u8>),
    /// Both have it with different values.
    ValueDiffers(Vec<u8>),
}

impl Difference {
    /// The key.
    #[must_use]
    pub fn key(&self) -> &[u8] {
        match self {
            Difference::MissingHere(k)
            | Difference::MissingThere(k)
            | Difference::ValueDiffers(k) => k,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Nothing sent or received yet.
    Idle,
    /// We (the initiator) sent our root.
    SentHello,
    /// We sent the hashes of these nodes, all at binary level `level`.
    SentNodes { level: u8, sent: BTreeSet<u32> },
    /// We (the responder) asked for the initiator's entries under these nodes.
    SentPull { nodes: BTreeSet<u32> },
    /// We (the initiator) sent our entries under these nodes; the responder answers `Delta`.
    SentKeys { covers: BTreeSet<u32> },
    /// Finished with this result.
    Done(Vec<Difference>),
}

/// One side of a sync between two replicas: feed it the peer's frames, send what it returns.
///
/// The initiator sends its root; then the sides take turns sending, for every node found
/// different, the hashes of its descendants one fan-out step down. At every turn the side about
/// to send weighs descending against stopping, using the initiator's per-node weights (the
/// bytes its entries there would take): it stops when the subtrees are so small, or the
/// differences so dense, that sending entries costs less than another step of hashes, and
/// always before the session could cost more than a full exchange (the initiator sending every
/// entry, the responder answering with its differing ones) plus [`SyncSession::slack`]. To
/// stop, the initiator sends its entries under the differing nodes (`Keys`) and the responder
/// asks for them (`Pull`); the responder ends with a `Delta` of only its differing entries, and
/// both sides end with the exact set of differing keys.
///
/// Messages: at most ⌈depth / log2 fan-out⌉ + 4. Any message out of order, from a tree built
/// or configured differently, or naming nodes the session did not ask about is an error;
/// [`SyncSession::reset`] starts over.
#[derive(Debug)]
pub struct SyncSession<'a, H: MerkleHasher = Sha256> {
    tree: &'a SyncTree<H>,
    bits: u8,
    initiator: bool,
    state: State,
    /// Bytes of every frame sent and received so far: both sides count the same.
    spent: u64,
    /// The initiator's full-exchange cost, the budget's base.
    full: u64,
}

/// What the side about to send does with the nodes it found different.
enum Step {
    Descend,
    Stop,
}

impl<'a, H: MerkleHasher> SyncSession<'a, H> {
    /// A session over the local replica's tree (either side) with fan-out [`DEFAULT_FANOUT`].
    #[must_use]
    pub fn new(tree: &'a SyncTree<H>) -> Self {
        Self {
            tree,
            bits: DEFAULT_FANOUT.trailing_zeros() as u8,
            initiator: false,
            state: State::Idle,
            spent: 0,
            full: 0,
        }
    }

    /// A session descending `fanout` children a step: ⌈depth / log2 fanout⌉ steps, so fewer
    /// round trips for a wider fan-out, at more hashes a differing node. Both sides must use
    /// the same fan-out.
    ///
    /// # Errors
    /// - [`Error::InvalidFanout`] unless `fanout` is a power of two from 2 to [`MAX_FANOUT`].
    pub fn with_fanout(tree: &'a SyncTree<H>, fanout: u32) -> Result<Self, Error> {
        if !fanout.is_power_of_two() || !(2..=MAX_FANOUT).contains(&fanout) {
            return Err(Error::InvalidFanout(fanout));
        }
        let mut s = Self::new(tree);
        s.bits = fanout.trailing_zeros() as u8;
        Ok(s)
    }

    /// The fan-out.
    #[must_use]
    pub fn fanout(&self) -> u32 {
        1 << self.bits
    }

    /// The most a session may cost beyond a full exchange, in bytes: the room it may spend on
    /// steps of hashes that the differing nodes' weights have not yet shown to pay. It is the
    /// larger of [`SLACK`] (64 KiB) and 1/[`SLACK_FRACTION`] of the full exchange, but at most an
    /// eighth of the full exchange for small trees, and never less than two steps of fan-out
    /// hashes with their weights and a frame's overhead. It is fixed for a pair of replicas: it
    /// never grows with the number of differences. The responder knows the full exchange's
    /// size only from the initiator's `Hello`, so before it (and for a session not started)
    /// this is the floor.
    #[must_use]
    pub fn slack(&self) -> u64 {
        let dlen = H::Digest::default().as_ref().len() as u64;
        let floor = 2 * (u64::from(self.fanout()) * (dlen + 4 + 10) + 64);
        let room = SLACK.max(self.full / SLACK_FRACTION).min(self.full / 8);
        floor.max(room)
    }

    /// Starts over, forgetting all progress.
    pub fn reset(&mut self) {
        self.state = State::Idle;
        self.spent = 0;
        self.full = 0;
        self.initiator = false;
    }

    /// The initiator's first frame (our root).
    pub fn start(&mut self) -> Frame<H::Digest> {
        self.reset();
        self.initiator = true;
        self.full = self.tree.full_exchange_bytes();
        self.state = State::SentHello;
        self.send(Message::Hello {
            root: self.tree.root(),
            weight: self.tree.weight(1),
        })
    }

    /// The initiator's first frame of a plain full exchange: every entry at once (one round
    /// trip, the yardstick the descent is measured against, and the cheaper choice when most
    /// keys are known to differ).
    pub fn start_full(&mut self) -> Frame<H::Digest> {
        self.reset();
        self.initiator = true;
        self.full = self.tree.full_exchange_bytes();
        let covers: BTreeSet<u32> = [1].into();
        let reply = self.keys_message(&covers);
        self.state = State::SentKeys { covers };
        reply
    }

    /// Whether the session has its result.
    #[must_use]
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// The differing keys, sorted, once the session is done.
    #[must_use]
    pub fn differences(&self) -> Option<&[Difference]> {
        match &self.state {
            State::Done(d) => Some(d),
            _ => None,
        }
    }

    /// Bytes of every frame this side sent and received in this session.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.spent
    }

    fn send(&mut self, message: Message<H::Digest>) -> Frame<H::Digest> {
        let f = Frame {
            hasher: H::ID,
            depth: self.tree.depth,
            fanout_log2: self.bits,
            message,
        };
        self.spent += f.encoded_len() as u64;
        f
    }

    fn expected(&self) -> &'static str {
        match self.state {
            State::Idle => "Hello or Keys",
            State::SentHello => "Nodes, Pull or Equal",
            State::SentNodes { .. } => "Nodes one step down, Pull, Keys or Equal",
            State::SentPull { .. } => "Keys",
            State::SentKeys { .. } => "Delta",
            State::Done(_) => "nothing (session done)",
        }
    }

    /// Handles the peer's frame; returns the frame to send back, if any.
    ///
    /// # Errors
    /// - [`Error::HasherMismatch`] / [`Error::DepthMismatch`] / [`Error::FanoutMismatch`] for a
    ///   frame from a tree built or a session configured differently.
    /// - [`Error::UnexpectedMessage`] for a message out of order.
    /// - [`Error::UnexpectedNodes`] for nodes or buckets the session did not ask about.
    /// - [`Error::MisplacedKey`] for a key listed under a bucket it does not hash to, or a
    ///   bucket whose keys are not strictly ascending.
    /// - [`Error::InconsistentDelta`] for a `Delta` that contradicts the entries it answers.
    ///
    /// On error the session is unchanged; call [`SyncSession::reset`] to start over.
    pub fn handle(&mut self, frame: &Frame<H::Digest>) -> Result<Option<Frame<H::Digest>>, Error> {
        if frame.hasher != H::ID {
            return Err(Error::HasherMismatch {
                ours: H::ID,
                theirs: frame.hasher,
            });
        }
        if frame.depth != self.tree.depth {
            return Err(Error::DepthMismatch {
                ours: self.tree.depth,
                theirs: frame.depth,
            });
        }
        if frame.fanout_log2 != self.bits {
            return Err(Error::FanoutMismatch {
                ours: self.fanout(),
                theirs: 1u32.checked_shl(u32::from(frame.fanout_log2)).unwrap_or(0),
            });
        }
        let unexpected = Error::UnexpectedMessage {
            expected: self.expected(),
            got: frame.message.kind(),
        };
        let before = (self.spent, self.full, self.initiator);
        self.spent += frame.encoded_len() as u64;
        let result = match (&self.state, &frame.message) {
            (State::Idle, Message::Hello { root, weight }) => {
                self.full = keys_len(1, *weight);
                if *root == self.tree.root() {
                    self.state = State::Done(Vec::new());
                    return Ok(Some(self.send(Message::Equal)));
                }
                let differing: BTreeSet<u32> = [1].into();
                Ok(Some(self.choose(0, differing, *weight)))
            }
            (State::Idle, Message::Keys { covers, buckets }) => {
                let covers: BTreeSet<u32> = covers.iter().copied().collect();
                if covers != BTreeSet::from([1]) {
                    return self.undo(before, Err(Error::UnexpectedNodes));
                }
                self.full = self.spent;
                self.answer_keys(&covers, buckets)
            }
            (State::SentHello | State::SentNodes { .. }, Message::Equal) => {
                self.state = State::Done(Vec::new());
                Ok(None)
            }
            (State::SentHello, Message::Nodes { level, groups }) if self.initiator => {
                let sent: BTreeSet<u32> = [1].into();
                self.receive_nodes(0, &sent, *level, groups)
            }
            (State::SentNodes { level: ours, sent }, Message::Nodes { level, groups }) => {
                let (ours, sent) = (*ours, sent.clone());
                self.receive_nodes(ours, &sent, *level, groups)
            }
            (State::SentHello, Message::Pull { nodes }) if self.initiator => {
                self.answer_pull(&BTreeSet::from([1]), nodes)
            }
            (State::SentNodes { sent, .. }, Message::Pull { nodes }) if self.initiator => {
                let sent = sent.clone();
                self.answer_pull(&sent, nodes)
            }
            (State::SentPull { nodes }, Message::Keys { covers, buckets }) => {
                let covers: BTreeSet<u32> = covers.iter().copied().collect();
                if &covers != nodes {
                    return self.undo(before, Err(Error::UnexpectedNodes));
                }
                self.answer_keys(&covers, buckets)
            }
            (State::SentNodes { sent, .. }, Message::Keys { covers, buckets })
                if !self.initiator =>
            {
                let set: BTreeSet<u32> = covers.iter().copied().collect();
                if set.is_empty() || set.len() != covers.len() || !set.is_subset(sent) {
                    return self.undo(before, Err(Error::UnexpectedNodes));
                }
                self.answer_keys(&set, buckets)
            }
            (State::SentKeys { covers }, Message::Delta { buckets }) => {
                let covers = covers.clone();
                self.apply_delta(&covers, buckets).map(|()| None)
            }
            _ => Err(unexpected),
        };
        self.undo(before, result)
    }

    /// Restores the byte counts if `result` is an error (the state only changes on success).
    fn undo<T>(&mut self, before: (u64, u64, bool), result: Result<T, Error>) -> Result<T, Error> {
        if result.is_err() {
            (self.spent, self.full, self.initiator) = before;
        }
        result
    }

    /// [`SyncSession::handle`] on the wire form: decodes the peer's bytes and encodes the reply.
    ///
    /// # Errors
    /// As [`SyncSession::handle`], plus [`Error::Decode`] for malformed bytes.
    pub fn handle_bytes(&mut self, bytes: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let frame = Frame::<H::Digest>::from_bytes(bytes)?;
        Ok(self.handle(&frame)?.map(|reply| reply.to_bytes()))
    }

    /// The peer's hashes of the children of nodes we sent (`sent`, at binary level `ours`):
    /// checks they are whole groups under nodes we sent, one step down, then compares them
    /// with ours and chooses the next step.
    fn receive_nodes(
        &mut self,
        ours: u8,
        sent: &BTreeSet<u32>,
        level: u8,
        groups: &[NodeGroup<H::Digest>],
    ) -> Result<Option<Frame<H::Digest>>, Error> {
        let depth = self.tree.depth;
        let size = 1usize << (step_down(ours, self.bits, depth) - ours);
        // The initiator's groups carry weights; the responder's do not.
        let weighted = !self.initiator;
        let parents_ok = groups.windows(2).all(|w| w[0].parent < w[1].parent)
            && groups.iter().all(|g| sent.contains(&g.parent));
        let shapes_ok = groups
            .iter()
            .all(|g| g.hashes.len() == size && g.weights.len() == if weighted { size } else { 0 });
        if ours == depth
            || level != step_down(ours, self.bits, depth)
            || groups.is_empty()
            || !parents_ok
            || !shapes_ok
        {
            return Err(Error::UnexpectedNodes);
        }
        let shift = u32::from(level - ours);
        let mut differing = BTreeSet::new();
        let mut weight = 0u64;
        for g in groups {
            for (j, h) in g.hashes.iter().enumerate() {
                let child = (g.parent << shift) + j as u32;
                if self.tree.node(child) != *h {
                    differing.insert(child);
                    weight = weight.saturating_add(if weighted {
                        g.weights[j]
                    } else {
                        self.tree.weight(child)
                    });
                }
            }
        }
        if differing.is_empty() {
            self.state = State::Done(Vec::new());
            return Ok(Some(self.send(Message::Equal)));
        }
        Ok(Some(self.choose(level, differing, weight)))
    }

    /// Descends below `differing` (nodes at binary `level` whose subtrees the initiator's
    /// entries weigh `weight` bytes), or stops there, and sends the frame that says which.
    fn choose(&mut self, level: u8, differing: BTreeSet<u32>, weight: u64) -> Frame<H::Digest> {
        match self.step(level, &differing, weight) {
            Step::Descend => {
                let depth = self.tree.depth;
                let child = step_down(level, self.bits, depth);
                let shift = u32::from(child - level);
                let with_weights = self.initiator;
                let mut sent = BTreeSet::new();
                let groups = differing
                    .iter()
                    .map(|&p| {
                        let range = (p << shift)..((p + 1) << shift);
                        sent.extend(range.clone());
                        NodeGroup {
                            parent: p,
                            hashes: range.clone().map(|c| self.tree.node(c)).collect(),
                            weights: if with_weights {
                                range.map(|c| self.tree.weight(c)).collect()
                            } else {
                                Vec::new()
                            },
                        }
                    })
                    .collect();
                self.state = State::SentNodes { level: child, sent };
                self.send(Message::Nodes {
                    level: child,
                    groups,
                })
            }
            Step::Stop if self.initiator => {
                let reply = self.keys_message(&differing);
                self.state = State::SentKeys { covers: differing };
                reply
            }
            Step::Stop => {
                let reply = self.send(Message::Pull {
                    nodes: differing.iter().copied().collect(),
                });
                self.state = State::SentPull { nodes: differing };
                reply
            }
        }
    }

    /// The rule. Stopping now costs a `Keys` frame (and a `Pull` first, from the responder);
    /// descending costs a `Nodes` frame now, and at worst (every child differs, none lighter)
    /// the other side's stop right after. Descend only if that worst case keeps the session
    /// within a full exchange plus the slack, and if it pays: the step's hashes plus the stop
    /// one step down, were a single child of each node to differ, cost less than stopping now.
    fn step(&self, level: u8, differing: &BTreeSet<u32>, weight: u64) -> Step {
        let depth = self.tree.depth;
        if level == depth {
            return Step::Stop;
        }
        let dlen = H::Digest::default().as_ref().len() as u64;
        let n = differing.len();
        let size = 1u64 << (step_down(level, self.bits, depth) - level);
        let weights: u64 = if self.initiator {
            differing
                .iter()
                .map(|&p| {
                    let shift = u32::from(step_down(level, self.bits, depth) - level);
                    ((p << shift)..((p + 1) << shift))
                        .map(|c| varint_len(self.tree.weight(c)) as u64)
                        .sum::<u64>()
                })
                .sum()
        } else {
            0
        };
        let nodes = (HEADER + 6) as u64 + n as u64 * (4 + size * dlen) + weights;
        let children = n * size as usize;
        let stop_after = |covers: usize, w: u64| {
            // The other side stops next: the responder (after our initiator step) pulls first.
            keys_len(covers, w) + if self.initiator { pull_len(covers) } else { 0 }
        };
        let stop_now = keys_len(n, weight) + if self.initiator { 0 } else { pull_len(n) };
        let worst = self.spent + nodes + stop_after(children, weight);
        if worst > self.full.saturating_add(self.slack()) {
            return Step::Stop;
        }
        let sparse = nodes + stop_after(n, weight / size);
        if sparse < stop_now {
            Step::Descend
        } else {
            Step::Stop
        }
    }

    /// The initiator's entries under `covers`.
    fn keys_message(&mut self, covers: &BTreeSet<u32>) -> Frame<H::Digest> {
        let buckets = covers
            .iter()
            .flat_map(|&c| self.buckets_under(c))
            .filter(|&b| !self.tree.buckets[b as usize].is_empty())
            .map(|b| (b, self.tree.bucket_entries(b)))
            .collect();
        self.send(Message::Keys {
            covers: covers.iter().copied().collect(),
            buckets,
        })
    }

    /// The buckets below heap node `node`.
    fn buckets_under(&self, node: u32) -> std::ops::Range<u32> {
        let shift = u32::from(self.tree.depth - level_of(node));
        let first = 1u32 << self.tree.depth;
        ((node << shift) - first)..(((node + 1) << shift) - first)
    }

    fn under(&self, covers: &BTreeSet<u32>, bucket: u32) -> bool {
        let node = (1u32 << self.tree.depth) + bucket;
        (0..=self.tree.depth).any(|up| covers.contains(&(node >> up)))
    }

    fn answer_pull(
        &mut self,
        sent: &BTreeSet<u32>,
        nodes: &[u32],
    ) -> Result<Option<Frame<H::Digest>>, Error> {
        let set: BTreeSet<u32> = nodes.iter().copied().collect();
        if set.is_empty() || set.len() != nodes.len() || !set.is_subset(sent) {
            return Err(Error::UnexpectedNodes);
        }
        let reply = self.keys_message(&set);
        self.state = State::SentKeys { covers: set };
        Ok(Some(reply))
    }

    /// Checks the listed buckets are covered, ascending, each with its keys placed right and
    /// ascending.
    fn check_buckets<'b, I>(&self, covers: &BTreeSet<u32>, buckets: I) -> Result<(), Error>
    where
        I: Iterator<Item = (u32, &'b [(Vec<u8>, H::Digest)])> + Clone,
    {
        let ids: Vec<u32> = buckets.clone().map(|(b, _)| b).collect();
        let fits = ids.windows(2).all(|w| w[0] < w[1])
            && ids
                .iter()
                .all(|&b| b < (1u32 << self.tree.depth) && self.under(covers, b));
        if !fits {
            return Err(Error::UnexpectedNodes);
        }
        for (b, entries) in buckets {
            let placed = entries.iter().all(|(k, _)| self.tree.bucket_of(k) == b);
            let ascending = entries.windows(2).all(|w| w[0].0 < w[1].0);
            if !placed || !ascending {
                return Err(Error::MisplacedKey { bucket: b });
            }
        }
        Ok(())
    }

    /// The responder's end: compares the initiator's entries under `covers` with ours, learns
    /// the differences, and answers with a `Delta` of our side of them.
    fn answer_keys(
        &mut self,
        covers: &BTreeSet<u32>,
        buckets: &[BucketEntries<H::Digest>],
    ) -> Result<Option<Frame<H::Digest>>, Error> {
        self.check_buckets(covers, buckets.iter().map(|(b, e)| (*b, e.as_slice())))?;
        let theirs: BTreeMap<u32, &[Entry<H::Digest>]> =
            buckets.iter().map(|(b, e)| (*b, e.as_slice())).collect();
        let mut diff = Vec::new();
        let mut delta = Vec::new();
        for b in covers.iter().flat_map(|&c| self.buckets_under(c)) {
            let ours = &self.tree.buckets[b as usize];
            let listed = theirs.get(&b).copied().unwrap_or(&[]);
            if ours.is_empty() && listed.is_empty() {
                continue;
            }
            let mut d = BucketDelta {
                bucket: b,
                entries: Vec::new(),
                missing: Vec::new(),
            };
            let mut seen = 0;
            for (i, (k, h)) in listed.iter().enumerate() {
                match ours.get(k) {
                    None => {
                        d.missing.push(i as u32);
                        diff.push(Difference::MissingHere(k.clone()));
                    }
                    Some(o) => {
                        seen += 1;
                        if o != h {
                            d.entries.push((k.clone(), *o));
                            diff.push(Difference::ValueDiffers(k.clone()));
                        }
                    }
                }
            }
            if seen < ours.len() {
                let listed: BTreeMap<&[u8], ()> =
                    listed.iter().map(|(k, _)| (k.as_slice(), ())).collect();
                for (k, o) in ours {
                    if !listed.contains_key(k.as_slice()) {
                        d.entries.push((k.clone(), *o));
                        diff.push(Difference::MissingThere(k.clone()));
                    }
                }
                d.entries.sort_by(|x, y| x.0.cmp(&y.0));
            }
            if !d.entries.is_empty() || !d.missing.is_empty() {
                delta.push(d);
            }
        }
        diff.sort();
        self.state = State::Done(diff);
        Ok(Some(self.send(Message::Delta { buckets: delta })))
    }

    /// The initiator's end: the responder's `Delta` against the entries we sent.
    fn apply_delta(
        &mut self,
        covers: &BTreeSet<u32>,
        delta: &[BucketDelta<H::Digest>],
    ) -> Result<(), Error> {
        self.check_buckets(
            covers,
            delta.iter().map(|d| (d.bucket, d.entries.as_slice())),
        )?;
        let mut diff = Vec::new();
        for d in delta {
            let ours = &self.tree.buckets[d.bucket as usize];
            let keys: Vec<&Vec<u8>> = ours.keys().collect();
            let bad = Error::InconsistentDelta { bucket: d.bucket };
            let in_range = d.missing.iter().all(|&m| (m as usize) < keys.len());
            if !in_range || !d.missing.windows(2).all(|w| w[0] < w[1]) {
                return Err(bad);
            }
            for &m in &d.missing {
                diff.push(Difference::MissingThere(keys[m as usize].clone()));
            }
            for (k, h) in &d.entries {
                match ours.get(k) {
                    Some(o) if o == h => return Err(bad),
                    Some(_) => {
                        if d.missing.iter().any(|&m| keys[m as usize] == k) {
                            return Err(bad);
                        }
                        diff.push(Difference::ValueDiffers(k.clone()));
                    }
                    None => diff.push(Difference::MissingHere(k.clone())),
                }
            }
        }
        diff.sort();
        self.state = State::Done(diff);
        Ok(())
    }
}
