//! The protocol's messages and their versioned, length-checked frames.

use crate::Error;
use crate::error::DecodeError;
use crate::wire::{Reader, put_u32, put_varint, varint_len};

/// Wire format magic and version (version 1 had no fan-out, pulls or deltas).
pub(super) const MAGIC: &[u8; 3] = b"BMK";
pub(super) const VERSION: u8 = 2;
/// Magic, version, hasher, depth, fan-out and message type.
pub(super) const HEADER: usize = 8;

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
        /// [`SyncTree::full_exchange_bytes`](crate::SyncTree::full_exchange_bytes) less a `Keys` frame's fixed part.
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
    pub(super) fn kind(&self) -> &'static str {
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
    /// [`MerkleHasher::ID`](crate::MerkleHasher::ID) of the sender.
    pub hasher: u8,
    /// The sender's tree depth.
    pub depth: u8,
    /// log2 of the session's fan-out (1..=8).
    pub fanout_log2: u8,
    /// The message.
    pub message: Message<D>,
}

/// The binary level of heap node `i` (0 for the root).
pub(super) fn level_of(i: u32) -> u8 {
    (31 - i.leading_zeros()) as u8
}

/// The level one step below `level`: `bits` further down, but never past the buckets.
pub(super) fn step_down(level: u8, bits: u8, depth: u8) -> u8 {
    (level + bits).min(depth)
}

pub(super) fn put_entries<D: AsRef<[u8]>>(out: &mut Vec<u8>, entries: &[(Vec<u8>, D)]) {
    put_u32(out, entries.len() as u32);
    for (k, h) in entries {
        put_u32(out, k.len() as u32);
        out.extend_from_slice(k);
        out.extend_from_slice(h.as_ref());
    }
}

pub(super) fn read_entries<D: Default + AsMut<[u8]> + AsRef<[u8]>>(
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

pub(super) fn read_u32s(r: &mut Reader<'_>) -> Result<Vec<u32>, DecodeError> {
    let n = r.count(4)?;
    (0..n).map(|_| r.u32()).collect()
}

impl<D: AsRef<[u8]>> Frame<D> {
    /// The versioned wire form: `"BMK"`, version 2, hasher id, depth, fan-out bits, type, then
    /// the body with little-endian u32 counts, indices and lengths (weights are LEB128).
    ///
    /// Computes in **O(bytes)** time.
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
    ///
    /// Computes in **O(entries)** time.
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
    /// Computes in **O(bytes)** time.
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
