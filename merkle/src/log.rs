//! The append-only log tree of RFC 6962 / RFC 9162 §2.

use crate::error::DecodeError;
use crate::wire::{Reader, put_varint};
use crate::{Error, MerkleHasher, Proof, Sha256};
use std::sync::OnceLock;

/// Largest power of two strictly below `n` (n ≥ 2): where RFC 6962 splits a tree of n leaves.
#[inline]
pub(crate) fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// An append-only Merkle log: push leaves, get the root of any prefix, and produce inclusion
/// and consistency proofs.
///
/// Stores every complete subtree's hash: `levels[h][i]` is the root of leaves
/// `[i·2^h, (i+1)·2^h)`. That is about two digests per leaf, every proof is O(log n) lookups
/// plus O(log n) hashes for the ragged right edge, and a push hashes once per subtree it
/// completes (amortised one node hash per leaf).
#[derive(Clone)]
pub struct MerkleLog<H: MerkleHasher = Sha256> {
    /// `levels[h]` holds the complete subtrees of 2^h leaves, left to right.
    levels: Vec<Vec<H::Digest>>,
    /// Root of the whole log, computed on first ask after a push (the right edge folded).
    root: OnceLock<H::Digest>,
}

impl<H: MerkleHasher> std::fmt::Debug for MerkleLog<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerkleLog")
            .field("len", &self.len())
            .field("root", &self.root())
            .finish()
    }
}

impl<H: MerkleHasher> Default for MerkleLog<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H: MerkleHasher> MerkleLog<H> {
    /// An empty log.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn new() -> Self {
        Self {
            levels: vec![Vec::new()],
            root: OnceLock::new(),
        }
    }

    /// A log of `leaves`, in order: the same log as pushing them one by one.
    ///
    /// Computes in **O(n)** hashes: 2n − 1 in all, the minimum for a tree of n leaves. Built
    /// level by level, so the hashes of one level are independent and the CPU overlaps them.
    pub fn from_leaves<I: IntoIterator<Item = D>, D: AsRef<[u8]>>(leaves: I) -> Self {
        let mut levels = vec![
            leaves
                .into_iter()
                .map(|l| H::leaf(l.as_ref()))
                .collect::<Vec<_>>(),
        ];
        while let Some(last) = levels.last().filter(|l| l.len() >= 2) {
            let next: Vec<H::Digest> = last
                .chunks_exact(2)
                .map(|pair| H::node(&pair[0], &pair[1]))
                .collect();
            levels.push(next);
        }
        Self {
            levels,
            root: OnceLock::new(),
        }
    }

    /// Number of leaves.
    ///
    /// Computes in **O(1)** time.
    pub fn len(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Whether the log has no leaves.
    ///
    /// Computes in **O(1)** time.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// Appends a leaf and returns its index.
    ///
    /// Computes in **O(1)** amortised hashes: the leaf hash, plus one node hash for every
    /// subtree the new leaf completes (one on average).
    pub fn push(&mut self, data: &[u8]) -> u64 {
        self.push_hash(H::leaf(data))
    }

    /// Appends an already computed leaf hash (H(0x00 ‖ data)) and returns its index.
    ///
    /// Computes in **O(1)** amortised hashes, as [`push`](Self::push) without the leaf hash.
    pub fn push_hash(&mut self, leaf_hash: H::Digest) -> u64 {
        let index = self.len();
        self.levels[0].push(leaf_hash);
        let mut h = 0;
        // A level with an even count just completed a pair: its parent is complete too.
        while self.levels[h].len().is_multiple_of(2) {
            let n = self.levels[h].len();
            let parent = H::node(&self.levels[h][n - 2], &self.levels[h][n - 1]);
            if self.levels.len() == h + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[h + 1].push(parent);
            h += 1;
        }
        self.root = OnceLock::new();
        index
    }

    /// The leaf hash at `index`.
    ///
    /// Computes in **O(1)** time.
    pub fn leaf_hash(&self, index: u64) -> Option<H::Digest> {
        self.levels[0].get(usize::try_from(index).ok()?).copied()
    }

    /// Root of the whole log (H() when empty).
    ///
    /// Computes in **O(1)** when asked again, **O(log n)** hashes the first time after a push
    /// (folding the complete subtrees along the right edge).
    pub fn root(&self) -> H::Digest {
        *self.root.get_or_init(|| self.mth(0, self.len()))
    }

    /// The log's size and root as one [`TreeHead`](crate::TreeHead): what to sign and publish,
    /// and what verifiers check proofs against.
    ///
    /// Computes in **O(1)** when asked again, **O(log n)** hashes the first time after a push, as
    /// [`root`](Self::root).
    pub fn tree_head(&self) -> crate::TreeHead<H::Digest> {
        crate::TreeHead::new(self.len(), self.root())
    }

    /// Root of the tree of the first `size` leaves: what the log's root was at that size.
    ///
    /// Computes in **O(log n)** hashes.
    ///
    /// # Errors
    /// - [`Error::SizeOutOfRange`] if `size` exceeds the log.
    pub fn root_at(&self, size: u64) -> Result<H::Digest, Error> {
        self.check_size(size)?;
        Ok(self.mth(0, size))
    }

    /// RFC 6962 audit path for leaf `index` in the tree of the first `size` leaves, leaf level
    /// first.
    ///
    /// Computes in **O(log n)** lookups, plus O(log² n) hashes at worst for ragged right edges.
    ///
    /// # Errors
    /// - [`Error::SizeOutOfRange`] if `size` exceeds the log.
    /// - [`Error::IndexOutOfRange`] if `index ≥ size`.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Proof<H::Digest>, Error> {
        self.check_size(size)?;
        if index >= size {
            return Err(Error::IndexOutOfRange { index, size });
        }
        let mut hashes = Vec::with_capacity(64 - size.leading_zeros() as usize);
        self.path(index, 0, size, &mut hashes);
        Ok(Proof { hashes })
    }

    /// RFC 6962 consistency proof that the tree of `old` leaves is a prefix of the tree of `new`
    /// leaves (empty when they are equal).
    ///
    /// Computes in **O(log n)** lookups, plus O(log² n) hashes at worst for ragged right edges.
    ///
    /// # Errors
    /// - [`Error::SizeOutOfRange`] if `new` exceeds the log.
    /// - [`Error::OldAfterNew`] if `old > new`.
    /// - [`Error::EmptyOldTree`] if `old` is 0 (RFC 6962 defines no such proof).
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Proof<H::Digest>, Error> {
        self.check_size(new)?;
        if old > new {
            return Err(Error::OldAfterNew { old, new });
        }
        if old == 0 {
            return Err(Error::EmptyOldTree);
        }
        let mut hashes = Vec::new();
        if old < new {
            self.subproof(old, 0, new, true, &mut hashes);
        }
        Ok(Proof { hashes })
    }

    fn check_size(&self, size: u64) -> Result<(), Error> {
        if size > self.len() {
            Err(Error::SizeOutOfRange {
                size,
                len: self.len(),
            })
        } else {
            Ok(())
        }
    }

    /// MTH of leaves `[start, start + n)`: a stored complete subtree when aligned, otherwise
    /// split at the largest power of two (only the ragged right edge recurses).
    fn mth(&self, start: u64, n: u64) -> H::Digest {
        if n == 0 {
            return H::empty();
        }
        if n.is_power_of_two() && start.is_multiple_of(n) {
            let h = n.trailing_zeros() as usize;
            return self.levels[h][(start >> h) as usize];
        }
        let k = split(n);
        H::node(&self.mth(start, k), &self.mth(start + k, n - k))
    }

    /// PATH(m, D\[start, start + n)) of RFC 6962 §2.1.1.
    fn path(&self, m: u64, start: u64, n: u64, out: &mut Vec<H::Digest>) {
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m < k {
            self.path(m, start, k, out);
            out.push(self.mth(start + k, n - k));
        } else {
            self.path(m - k, start + k, n - k, out);
            out.push(self.mth(start, k));
        }
    }

    /// SUBPROOF(m, D\[start, start + n), b) of RFC 6962 §2.1.2.
    fn subproof(&self, m: u64, start: u64, n: u64, complete: bool, out: &mut Vec<H::Digest>) {
        if m == n {
            if !complete {
                out.push(self.mth(start, n));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, k, complete, out);
            out.push(self.mth(start + k, n - k));
        } else {
            self.subproof(m - k, start + k, n - k, false, out);
            out.push(self.mth(start, k));
        }
    }
}

/// Magic and version of a stored log: `"BML"`, 1.
const LOG_MAGIC: &[u8; 3] = b"BML";
const LOG_VERSION: u8 = 1;

impl<H: MerkleHasher> MerkleLog<H> {
    /// The log as bytes to store or send: `"BML"`, version 1, the hasher's id, the digest
    /// size, the number of leaves (LEB128), then the leaf hashes — what a log is; the inner
    /// nodes are rebuilt on reading.
    ///
    /// Computes in **O(n)** time.
    pub fn to_bytes(&self) -> Vec<u8> {
        let len = H::Digest::default().as_ref().len();
        let leaves = &self.levels[0];
        let mut out = Vec::with_capacity(6 + 10 + leaves.len() * len);
        out.extend_from_slice(LOG_MAGIC);
        out.push(LOG_VERSION);
        out.push(H::ID);
        out.push(len as u8);
        put_varint(&mut out, leaves.len() as u64);
        for leaf in leaves {
            out.extend_from_slice(leaf.as_ref());
        }
        out
    }

    /// Reads a log [`to_bytes`](Self::to_bytes) wrote, rebuilding its inner nodes (one node
    /// hash per leaf).
    ///
    /// Computes in **O(n)** time and hashes.
    ///
    /// # Errors
    /// [`Error::HasherMismatch`] for a log of another hasher; [`Error::Decode`] for another
    /// magic or version, a count the bytes do not hold, or trailing bytes. Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::open(bytes, LOG_MAGIC, LOG_VERSION)?;
        let theirs = r.u8()?;
        if theirs != H::ID {
            return Err(Error::HasherMismatch {
                ours: H::ID,
                theirs,
            });
        }
        let len = crate::proof::digest_len::<H::Digest>(&mut r)?;
        let n = r.varint_count(len)?;
        let mut log = Self::new();
        for _ in 0..n {
            log.push_hash(r.digest::<H::Digest>()?);
        }
        r.finish().map_err(|e: DecodeError| Error::Decode(e))?;
        Ok(log)
    }
}

#[cfg(feature = "serde")]
crate::serde_wire::serde_via_bytes!("MerkleLog", impl[H: MerkleHasher] MerkleLog<H>);

impl<H: MerkleHasher, D: AsRef<[u8]>> Extend<D> for MerkleLog<H> {
    /// Appends every leaf, as a loop of [`push`](MerkleLog::push) would. Computes in **O(1)**
    /// amortised hashes per leaf.
    fn extend<I: IntoIterator<Item = D>>(&mut self, leaves: I) {
        for leaf in leaves {
            self.push(leaf.as_ref());
        }
    }
}

impl<H: MerkleHasher, D: AsRef<[u8]>> FromIterator<D> for MerkleLog<H> {
    /// The log of these leaves, as [`from_leaves`](MerkleLog::from_leaves) builds it.
    fn from_iter<I: IntoIterator<Item = D>>(leaves: I) -> Self {
        Self::from_leaves(leaves)
    }
}

/// Two logs are equal when they hold the same leaf hashes in the same order (every other node
/// follows from them), so equal logs have equal roots and proofs at every size.
///
/// Computes in **O(n)** time.
impl<H: MerkleHasher> PartialEq for MerkleLog<H> {
    fn eq(&self, other: &Self) -> bool {
        self.levels[0] == other.levels[0]
    }
}

impl<H: MerkleHasher> Eq for MerkleLog<H> {}
