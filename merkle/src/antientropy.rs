//! Replica anti-entropy: a Merkle summary of a key-value store over the key-hash space, and a
//! message protocol that finds exactly which keys two replicas disagree on.

use crate::error::DecodeError;
use crate::{Error, MerkleHasher, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Deepest tree: 2^24 buckets.
pub const MAX_DEPTH: u8 = 24;
/// Wire format magic and version.
const MAGIC: &[u8; 3] = b"BMK";
const VERSION: u8 = 1;

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
        let mut lists = crate::alloc::vec_with_capacity(buckets as u64)?;
        lists.resize_with(buckets, BTreeMap::new);
        let mut tree = Self {
            depth,
            nodes,
            buckets: lists,
            len: 0,
        };
        tree.rehash_all();
        Ok(tree)
    }

    /// A tree sized for about `n` keys: about 8 keys per bucket, so a differing key costs one
    /// bucket's key list, and the tree has depth ⌈log2(n / 8)⌉ (between 1 and 24).
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
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tree has no keys.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The root hash: equal roots mean (up to hash collisions) equal key-value sets.
    pub fn root(&self) -> H::Digest {
        self.nodes[1]
    }

    /// The bucket a key falls in (the top `depth` bits of a fixed-seed xxh3 of the key).
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
        }
        xor_into(&mut self.nodes[node], &entry);
        old.is_none()
    }

    fn rehash_path(&mut self, b: u32) {
        let mut i = self.bucket_node(b) / 2;
        while i >= 1 {
            self.nodes[i] = H::node(&self.nodes[2 * i], &self.nodes[2 * i + 1]);
            i /= 2;
        }
    }

    fn rehash_all(&mut self) {
        for i in (1..(1usize << self.depth)).rev() {
            self.nodes[i] = H::node(&self.nodes[2 * i], &self.nodes[2 * i + 1]);
        }
    }

    fn node(&self, index: u32) -> H::Digest {
        self.nodes[index as usize]
    }

    fn bucket_entries(&self, b: u32) -> Vec<(Vec<u8>, H::Digest)> {
        self.buckets[b as usize]
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }
}

/// The entries (key, entry hash) of one bucket, as a `Keys` message carries them.
pub type BucketEntries<D> = (u32, Vec<(Vec<u8>, D)>);

/// One protocol message. Node indices are in heap order (1 is the root; level L holds
/// 2^L .. 2^(L+1)); bucket b is node 2^depth + b.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<D> {
    /// Opens a session with the initiator's root.
    Hello {
        /// The sender's root hash.
        root: D,
    },
    /// The sender's hashes of the children of every node found different one level up.
    Nodes {
        /// The level of these nodes (1..=depth).
        level: u8,
        /// (node index, hash), ascending.
        nodes: Vec<(u32, D)>,
    },
    /// The sender's entries (key, entry hash) in each bucket found different.
    Keys {
        /// Whether the sender already has the result (the last message of a session).
        last: bool,
        /// (bucket, its entries), ascending by bucket.
        buckets: Vec<BucketEntries<D>>,
    },
    /// The replicas agree: nothing differs.
    Equal,
}

impl<D> Message<D> {
    fn kind(&self) -> &'static str {
        match self {
            Message::Hello { .. } => "Hello",
            Message::Nodes { .. } => "Nodes",
            Message::Keys { .. } => "Keys",
            Message::Equal => "Equal",
        }
    }
}

/// A message with the header every message carries: the hasher and depth of the sender's tree,
/// so replicas built differently refuse each other instead of "finding" every key different.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<D> {
    /// [`MerkleHasher::ID`] of the sender.
    pub hasher: u8,
    /// The sender's tree depth.
    pub depth: u8,
    /// The message.
    pub message: Message<D>,
}

impl<D: AsRef<[u8]>> Frame<D> {
    /// The versioned wire form: `"BMK"`, version 1, hasher id, depth, type, then the body with
    /// little-endian u32 counts and lengths.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[VERSION, self.hasher, self.depth]);
        let put_u32 =
            |out: &mut Vec<u8>, v: usize| out.extend_from_slice(&(v as u32).to_le_bytes());
        match &self.message {
            Message::Hello { root } => {
                out.push(1);
                out.extend_from_slice(root.as_ref());
            }
            Message::Nodes { level, nodes } => {
                out.push(2);
                out.push(*level);
                put_u32(&mut out, nodes.len());
                for (i, h) in nodes {
                    put_u32(&mut out, *i as usize);
                    out.extend_from_slice(h.as_ref());
                }
            }
            Message::Keys { last, buckets } => {
                out.push(3);
                out.push(u8::from(*last));
                put_u32(&mut out, buckets.len());
                for (b, entries) in buckets {
                    put_u32(&mut out, *b as usize);
                    put_u32(&mut out, entries.len());
                    for (k, h) in entries {
                        put_u32(&mut out, k.len());
                        out.extend_from_slice(k);
                        out.extend_from_slice(h.as_ref());
                    }
                }
            }
            Message::Equal => out.push(4),
        }
        out
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let rest = self.bytes.len() - self.pos;
        if n > rest {
            return Err(DecodeError::Truncated {
                needed: self.pos + n,
                got: self.bytes.len(),
            });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A count of items of at least `min_item` bytes each: refuse counts the rest cannot hold
    /// before allocating for them.
    fn count(&mut self, min_item: usize) -> Result<usize, DecodeError> {
        let n = self.u32()? as usize;
        let rest = self.bytes.len() - self.pos;
        if n.saturating_mul(min_item.max(1)) > rest {
            return Err(DecodeError::BadLength(n as u64));
        }
        Ok(n)
    }
    fn digest<D: Default + AsMut<[u8]>>(&mut self) -> Result<D, DecodeError> {
        let mut d = D::default();
        let n = d.as_mut().len();
        d.as_mut().copy_from_slice(self.take(n)?);
        Ok(d)
    }
}

impl<D: Default + AsRef<[u8]> + AsMut<[u8]>> Frame<D> {
    /// Decodes [`Frame::to_bytes`] output; every malformed input is an error, never a panic.
    /// Every count is checked against the bytes left before anything is reserved, so a frame
    /// allocates at most about 4 bytes per input byte (a 36-byte entry becomes a 56-byte one).
    ///
    /// # Errors
    /// - [`Error::Decode`] with the [`DecodeError`] found.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(3).map_err(|_| DecodeError::BadMagic)? != MAGIC {
            return Err(DecodeError::BadMagic.into());
        }
        let version = r.u8()?;
        if version != VERSION {
            return Err(DecodeError::UnsupportedVersion(version).into());
        }
        let hasher = r.u8()?;
        let depth = r.u8()?;
        let dlen = D::default().as_ref().len();
        let message = match r.u8()? {
            1 => Message::Hello { root: r.digest()? },
            2 => {
                let level = r.u8()?;
                let n = r.count(4 + dlen)?;
                let mut nodes = Vec::with_capacity(n);
                for _ in 0..n {
                    nodes.push((r.u32()?, r.digest()?));
                }
                Message::Nodes { level, nodes }
            }
            3 => {
                let last = match r.u8()? {
                    0 => false,
                    1 => true,
                    v => return Err(DecodeError::BadLength(u64::from(v)).into()),
                };
                let nb = r.count(8)?;
                let mut buckets = Vec::with_capacity(nb);
                for _ in 0..nb {
                    let b = r.u32()?;
                    let ne = r.count(4 + dlen)?;
                    let mut entries = Vec::with_capacity(ne);
                    for _ in 0..ne {
                        let klen = r.count(1)?;
                        let key = r.take(klen)?.to_vec();
                        entries.push((key, r.digest()?));
                    }
                    buckets.push((b, entries));
                }
                Message::Keys { last, buckets }
            }
            4 => Message::Equal,
            t => return Err(DecodeError::UnknownType(t).into()),
        };
        if r.pos != bytes.len() {
            return Err(DecodeError::TrailingBytes(bytes.len() - r.pos).into());
        }
        Ok(Frame {
            hasher,
            depth,
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
    /// We sent our root; the peer answers with level-1 nodes or Equal.
    SentHello,
    /// We sent these nodes at this level (or, for the responder after Hello, level 1).
    SentNodes { level: u8, indices: BTreeSet<u32> },
    /// We sent the entries of these buckets; the peer answers with its own (`last`).
    SentKeys { buckets: BTreeSet<u32> },
    /// Finished with this result.
    Done(Vec<Difference>),
}

/// One side of a sync between two replicas: feed it the peer's frames, send what it returns.
///
/// Roots first; then, level by level, only the children of nodes that differ; at the buckets,
/// each side sends the keys (with entry hashes) of the differing buckets, and both end with the
/// exact set of differing keys. Messages: 1 + depth + 2 at most; bytes: O(d · depth) hashes
/// plus the keys of the d differing buckets. Any message out of order, from a differently built
/// tree, or naming nodes the session did not ask about is an error; [`SyncSession::reset`]
/// starts over.
#[derive(Debug)]
pub struct SyncSession<'a, H: MerkleHasher = Sha256> {
    tree: &'a SyncTree<H>,
    state: State,
}

impl<'a, H: MerkleHasher> SyncSession<'a, H> {
    /// A session over the local replica's tree (either side).
    pub fn new(tree: &'a SyncTree<H>) -> Self {
        Self {
            tree,
            state: State::Idle,
        }
    }

    /// Starts over, forgetting all progress.
    pub fn reset(&mut self) {
        self.state = State::Idle;
    }

    /// The initiator's first frame (our root).
    pub fn start(&mut self) -> Frame<H::Digest> {
        self.state = State::SentHello;
        self.frame(Message::Hello {
            root: self.tree.root(),
        })
    }

    /// Whether the session has its result.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// The differing keys, sorted, once the session is done.
    pub fn differences(&self) -> Option<&[Difference]> {
        match &self.state {
            State::Done(d) => Some(d),
            _ => None,
        }
    }

    fn frame(&self, message: Message<H::Digest>) -> Frame<H::Digest> {
        Frame {
            hasher: H::ID,
            depth: self.tree.depth,
            message,
        }
    }

    fn expected(&self) -> &'static str {
        match self.state {
            State::Idle => "Hello",
            State::SentHello => "Nodes at level 1 or Equal",
            State::SentNodes { .. } => "Nodes one level down, Keys or Equal",
            State::SentKeys { .. } => "Keys (last)",
            State::Done(_) => "nothing (session done)",
        }
    }

    /// Handles the peer's frame; returns the frame to send back, if any.
    ///
    /// # Errors
    /// - [`Error::HasherMismatch`] / [`Error::DepthMismatch`] for a frame from a tree built
    ///   differently.
    /// - [`Error::UnexpectedMessage`] for a message out of order.
    /// - [`Error::UnexpectedNodes`] for nodes or buckets the session did not ask about.
    /// - [`Error::MisplacedKey`] for a key listed under a bucket it does not hash to, or a
    ///   bucket whose keys are not strictly ascending.
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
        let unexpected = || Error::UnexpectedMessage {
            expected: self.expected(),
            got: frame.message.kind(),
        };
        let depth = self.tree.depth;
        match (&self.state, &frame.message) {
            (State::Idle, Message::Hello { root }) => {
                if *root == self.tree.root() {
                    self.state = State::Done(Vec::new());
                    return Ok(Some(self.frame(Message::Equal)));
                }
                let indices: BTreeSet<u32> = [2, 3].into();
                let reply = self.nodes_message(1, &indices);
                self.state = State::SentNodes { level: 1, indices };
                Ok(Some(reply))
            }
            (State::SentHello | State::SentNodes { .. }, Message::Equal) => {
                self.state = State::Done(Vec::new());
                Ok(None)
            }
            (State::SentHello, Message::Nodes { level: 1, nodes }) => {
                let asked: BTreeSet<u32> = [2, 3].into();
                self.descend(1, &asked, nodes, true)
            }
            (
                State::SentNodes { level, indices },
                Message::Nodes {
                    level: got_level,
                    nodes,
                },
            ) if *level < depth => {
                if *got_level != level + 1 {
                    return Err(unexpected());
                }
                let (level, indices) = (*level, indices.clone());
                // They sent both children of each of our nodes they found different.
                let asked: BTreeSet<u32> =
                    indices.iter().flat_map(|&i| [2 * i, 2 * i + 1]).collect();
                self.descend(level + 1, &asked, nodes, false)
            }
            (
                State::SentNodes { level, indices },
                Message::Keys {
                    last: false,
                    buckets,
                },
            ) if *level == depth => {
                let first = 1u32 << depth;
                let sent: BTreeSet<u32> = indices.iter().map(|i| i - first).collect();
                let theirs: BTreeSet<u32> = buckets.iter().map(|(b, _)| *b).collect();
                if theirs.is_empty() || !theirs.is_subset(&sent) || theirs.len() != buckets.len() {
                    return Err(Error::UnexpectedNodes);
                }
                let diff = self.diff(buckets)?;
                let reply = self.keys_message(true, &theirs);
                self.state = State::Done(diff);
                Ok(Some(reply))
            }
            (
                State::SentKeys { buckets: sent },
                Message::Keys {
                    last: true,
                    buckets,
                },
            ) => {
                let theirs: BTreeSet<u32> = buckets.iter().map(|(b, _)| *b).collect();
                if &theirs != sent || theirs.len() != buckets.len() {
                    return Err(Error::UnexpectedNodes);
                }
                self.state = State::Done(self.diff(buckets)?);
                Ok(None)
            }
            _ => Err(unexpected()),
        }
    }

    /// [`SyncSession::handle`] on the wire form: decodes the peer's bytes and encodes the reply.
    ///
    /// # Errors
    /// As [`SyncSession::handle`], plus [`Error::Decode`] for malformed bytes.
    pub fn handle_bytes(&mut self, bytes: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let frame = Frame::<H::Digest>::from_bytes(bytes)?;
        Ok(self.handle(&frame)?.map(|reply| reply.to_bytes()))
    }

    /// Checks the peer's nodes at `level` are exactly `asked` (all of them on the first round;
    /// otherwise whole sibling pairs within it), compares them with ours, and answers with the
    /// next level down (or the buckets' keys at the bottom).
    fn descend(
        &mut self,
        level: u8,
        asked: &BTreeSet<u32>,
        nodes: &[(u32, H::Digest)],
        all: bool,
    ) -> Result<Option<Frame<H::Digest>>, Error> {
        let got: BTreeSet<u32> = nodes.iter().map(|(i, _)| *i).collect();
        let pairs_ok = got.iter().all(|i| got.contains(&(i ^ 1)));
        if got.len() != nodes.len()
            || !got.is_subset(asked)
            || got.is_empty()
            || !pairs_ok
            || (all && &got != asked)
        {
            return Err(Error::UnexpectedNodes);
        }
        let differing: BTreeSet<u32> = nodes
            .iter()
            .filter(|(i, h)| self.tree.node(*i) != *h)
            .map(|(i, _)| *i)
            .collect();
        if differing.is_empty() {
            self.state = State::Done(Vec::new());
            return Ok(Some(self.frame(Message::Equal)));
        }
        if level == self.tree.depth {
            let first = 1u32 << level;
            let buckets: BTreeSet<u32> = differing.iter().map(|i| i - first).collect();
            let reply = self.keys_message(false, &buckets);
            self.state = State::SentKeys { buckets };
            return Ok(Some(reply));
        }
        let children: BTreeSet<u32> = differing.iter().flat_map(|&i| [2 * i, 2 * i + 1]).collect();
        let reply = self.nodes_message(level + 1, &children);
        self.state = State::SentNodes {
            level: level + 1,
            indices: children,
        };
        Ok(Some(reply))
    }

    fn nodes_message(&self, level: u8, indices: &BTreeSet<u32>) -> Frame<H::Digest> {
        self.frame(Message::Nodes {
            level,
            nodes: indices.iter().map(|&i| (i, self.tree.node(i))).collect(),
        })
    }

    fn keys_message(&self, last: bool, buckets: &BTreeSet<u32>) -> Frame<H::Digest> {
        self.frame(Message::Keys {
            last,
            buckets: buckets
                .iter()
                .map(|&b| (b, self.tree.bucket_entries(b)))
                .collect(),
        })
    }

    /// Our view of the differences in the peer's buckets, after checking that every key the
    /// peer listed belongs where it listed it, once.
    fn diff(&self, theirs: &[BucketEntries<H::Digest>]) -> Result<Vec<Difference>, Error> {
        for (b, entries) in theirs {
            let placed = entries.iter().all(|(k, _)| self.tree.bucket_of(k) == *b);
            let ascending = entries.windows(2).all(|w| w[0].0 < w[1].0);
            if !placed || !ascending {
                return Err(Error::MisplacedKey { bucket: *b });
            }
        }
        let mut out = Vec::new();
        for (b, entries) in theirs {
            let ours = &self.tree.buckets[*b as usize];
            let theirs: BTreeMap<&[u8], &H::Digest> =
                entries.iter().map(|(k, h)| (k.as_slice(), h)).collect();
            for (k, h) in &theirs {
                match ours.get(*k) {
                    None => out.push(Difference::MissingHere(k.to_vec())),
                    Some(o) if o != *h => out.push(Difference::ValueDiffers(k.to_vec())),
                    Some(_) => {}
                }
            }
            for k in ours.keys() {
                if !theirs.contains_key(k.as_slice()) {
                    out.push(Difference::MissingThere(k.clone()));
                }
            }
        }
        out.sort();
        Ok(out)
    }
}
