//! Proofs and their verification (RFC 9162 §2.1.3.2 and §2.1.4.2).

use crate::error::DecodeError;
use crate::log::split;
use crate::wire::{Reader, put_varint};
use crate::{Error, MerkleHasher};

/// An inclusion or consistency proof: sibling hashes, leaf level first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Proof<D> {
    /// The hashes, in RFC 6962 order.
    pub hashes: Vec<D>,
}

/// A tree head: a tree size and the root of the tree of that size, as one value — what a log
/// signs (RFC 9162's signed tree head, less the signature and timestamp, which your transport
/// checks). Verifying through a `TreeHead` takes the size from the same value as the root, so
/// it cannot come from elsewhere: a proof for leaf 1 of 8 no longer "verifies" under size 7 by a
/// size taken from the request.
///
/// ```
/// use brick_merkle::{MerkleHasher, MerkleLog, Sha256};
///
/// let mut log: MerkleLog = MerkleLog::new();
/// for entry in ["alice paid bob 5", "bob paid carol 3", "carol paid dave 1"] {
///     log.push(entry.as_bytes());
/// }
/// let old = log.tree_head();
/// log.push(b"dave paid erin 2");
/// let head = log.tree_head();
/// head.verify_inclusion::<Sha256>(&Sha256::leaf(b"bob paid carol 3"), 1, &log.inclusion_proof(1, 4)?)?;
/// old.verify_consistency::<Sha256>(&head, &log.consistency_proof(3, 4)?)?;
/// # Ok::<(), brick_merkle::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TreeHead<D> {
    /// The number of leaves.
    pub size: u64,
    /// The root of the tree of `size` leaves.
    pub root: D,
}

impl<D> TreeHead<D> {
    /// The head of the tree of `size` leaves whose root is `root`.
    ///
    /// Computes in **O(1)** time.
    pub fn new(size: u64, root: D) -> Self {
        Self { size, root }
    }

    /// Checks that `leaf_hash` is leaf `index` of this tree: [`verify_inclusion`] with this
    /// head's size and root.
    ///
    /// Computes in **O(log n)** hashes.
    ///
    /// # Errors
    /// As [`verify_inclusion`].
    pub fn verify_inclusion<H: MerkleHasher<Digest = D>>(
        &self,
        leaf_hash: &D,
        index: u64,
        proof: &Proof<D>,
    ) -> Result<(), Error> {
        verify_inclusion::<H>(leaf_hash, index, self.size, proof, &self.root)
    }

    /// Checks that this (older) tree is a prefix of `newer`: [`verify_consistency`] with both
    /// heads' sizes and roots.
    ///
    /// Computes in **O(log n)** hashes.
    ///
    /// # Errors
    /// As [`verify_consistency`].
    pub fn verify_consistency<H: MerkleHasher<Digest = D>>(
        &self,
        newer: &TreeHead<D>,
        proof: &Proof<D>,
    ) -> Result<(), Error> {
        verify_consistency::<H>(self.size, newer.size, &self.root, &newer.root, proof)
    }
}

/// Magic and version of a stored proof: `"BMP"`, 1.
const PROOF_MAGIC: &[u8; 3] = b"BMP";
/// Magic and version of a stored tree head: `"BMT"`, 1.
const HEAD_MAGIC: &[u8; 3] = b"BMT";
const VERSION: u8 = 1;

/// The digest size byte of the stored formats, checked against the type read into.
pub(crate) fn digest_len<D: Default + AsRef<[u8]>>(
    r: &mut Reader<'_>,
) -> Result<usize, DecodeError> {
    let expected = D::default().as_ref().len();
    match r.u8()? {
        got if usize::from(got) == expected => Ok(expected),
        got => Err(DecodeError::DigestLength { expected, got }),
    }
}

impl<D: AsRef<[u8]> + AsMut<[u8]> + Default> Proof<D> {
    /// The proof as bytes to store or send: `"BMP"`, version 1, the digest size, the number
    /// of hashes (LEB128), then the hashes.
    ///
    /// Computes in **O(hashes)** time.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let len = D::default().as_ref().len();
        let mut out = Vec::with_capacity(4 + 1 + 10 + self.hashes.len() * len);
        out.extend_from_slice(PROOF_MAGIC);
        out.push(VERSION);
        out.push(len as u8);
        put_varint(&mut out, self.hashes.len() as u64);
        for h in &self.hashes {
            out.extend_from_slice(h.as_ref());
        }
        out
    }

    /// Reads a proof [`to_bytes`](Self::to_bytes) wrote. Untrusted bytes are safe: nothing is
    /// reserved before the bytes are known to hold it.
    ///
    /// Computes in **O(bytes)** time.
    ///
    /// # Errors
    /// [`Error::Decode`] for another magic or version, digests of another size, a count the
    /// bytes do not hold, or trailing bytes. Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::open(bytes, PROOF_MAGIC, VERSION)?;
        let len = digest_len::<D>(&mut r)?;
        let n = r.varint_count(len)?;
        let hashes = (0..n).map(|_| r.digest()).collect::<Result<_, _>>()?;
        r.finish()?;
        Ok(Self { hashes })
    }
}

impl<D: AsRef<[u8]> + AsMut<[u8]> + Default> TreeHead<D> {
    /// The head as bytes to store or send: `"BMT"`, version 1, the digest size, the size
    /// (u64 LE), then the root.
    ///
    /// Computes in **O(1)** time.
    pub fn to_bytes(&self) -> Vec<u8> {
        let len = D::default().as_ref().len();
        let mut out = Vec::with_capacity(4 + 1 + 8 + len);
        out.extend_from_slice(HEAD_MAGIC);
        out.push(VERSION);
        out.push(len as u8);
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(self.root.as_ref());
        out
    }

    /// Reads a head [`to_bytes`](Self::to_bytes) wrote.
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// [`Error::Decode`] for another magic or version, digests of another size, a truncation
    /// or trailing bytes. Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::open(bytes, HEAD_MAGIC, VERSION)?;
        digest_len::<D>(&mut r)?;
        let size = r.u64()?;
        let root = r.digest()?;
        r.finish()?;
        Ok(Self { size, root })
    }
}

#[cfg(feature = "serde")]
crate::serde_wire::serde_via_bytes!(
    "Proof",
    impl[D: AsRef<[u8]> + AsMut<[u8]> + Default] Proof<D>
);
#[cfg(feature = "serde")]
crate::serde_wire::serde_via_bytes!(
    "TreeHead",
    impl[D: AsRef<[u8]> + AsMut<[u8]> + Default] TreeHead<D>
);

/// Hashes an inclusion proof for leaf `index` of a tree of `size` leaves must have.
///
/// Computes in **O(log size)** time.
#[must_use]
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    fn len(m: u64, n: u64) -> usize {
        if n <= 1 {
            return 0;
        }
        let k = split(n);
        1 + if m < k { len(m, k) } else { len(m - k, n - k) }
    }
    if index >= size { 0 } else { len(index, size) }
}

/// Hashes a consistency proof from `old` to `new` leaves must have (0 when equal).
///
/// Computes in **O(log new)** time.
#[must_use]
pub fn consistency_proof_len(old: u64, new: u64) -> usize {
    fn len(m: u64, n: u64, complete: bool) -> usize {
        if m == n {
            return usize::from(!complete);
        }
        let k = split(n);
        1 + if m <= k {
            len(m, k, complete)
        } else {
            len(m - k, n - k, false)
        }
    }
    if old == 0 || old > new {
        0
    } else {
        len(old, new, true)
    }
}

/// One step of RFC 9162's walk up the tree (§2.1.3.2 step 3, §2.1.4.2 step 6): whether this
/// level's proof hash goes on the left of the running hash, then the shifts to the next level.
/// `node` is the running node's index, `last` the index of the last node at that level.
#[inline]
fn step_up(node: &mut u64, last: &mut u64) -> bool {
    let on_left = *node & 1 == 1 || *node == *last;
    if on_left && *node & 1 == 0 {
        // The right edge: skip levels where the node has no sibling.
        while *node & 1 == 0 && *node != 0 {
            *node >>= 1;
            *last >>= 1;
        }
    }
    *node >>= 1;
    *last >>= 1;
    on_left
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `size` leaves whose root is `root`.
///
/// Follows RFC 9162 §2.1.3.2: walk up from the leaf, the index's bits saying on which side each
/// sibling goes, and compare the result with the root.
///
/// Take `size` and `root` from the same signed statement (a signed tree head): the proof binds
/// the leaf to the root, but a root is bound to its size only by that statement, so a proof
/// also verifies under another size whose audit path has the same left/right shape (as in every
/// RFC 9162 verifier). A size that changes the path's length or shape is refused.
/// [`TreeHead::verify_inclusion`] takes both as one value, so they cannot be mixed up.
///
/// Computes in **O(log size)** hashes.
///
/// # Errors
/// - [`Error::IndexOutOfRange`] if `index ≥ size`.
/// - [`Error::WrongProofLength`] if the proof is longer or shorter than these sizes require.
/// - [`Error::RootMismatch`] if the hashes do not lead to `root`.
pub fn verify_inclusion<H: MerkleHasher>(
    leaf_hash: &H::Digest,
    index: u64,
    size: u64,
    proof: &crate::Proof<H::Digest>,
    root: &H::Digest,
) -> Result<(), Error> {
    if index >= size {
        return Err(Error::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    if proof.hashes.len() != expected {
        return Err(Error::WrongProofLength {
            expected,
            got: proof.hashes.len(),
        });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in &proof.hashes {
        if sn == 0 {
            return Err(Error::WrongProofLength {
                expected,
                got: proof.hashes.len(),
            });
        }
        r = if step_up(&mut fn_, &mut sn) {
            H::node(p, &r)
        } else {
            H::node(&r, p)
        };
    }
    if sn != 0 {
        return Err(Error::WrongProofLength {
            expected,
            got: proof.hashes.len(),
        });
    }
    if &r == root {
        Ok(())
    } else {
        Err(Error::RootMismatch)
    }
}

/// Checks that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root`.
///
/// Follows RFC 9162 §2.1.4.2: the proof rebuilds both roots at once from the hashes of the
/// subtrees the two trees share and the ones only the new tree has. As for
/// [`verify_inclusion`], take each size from the same signed statement as its root, or use
/// [`TreeHead::verify_consistency`].
///
/// Computes in **O(log new_size)** hashes.
///
/// # Errors
/// - [`Error::OldAfterNew`] if `old_size > new_size`; [`Error::EmptyOldTree`] if `old_size` is 0.
/// - [`Error::WrongProofLength`] if the proof has the wrong number of hashes (for equal sizes,
///   any hash at all).
/// - [`Error::RootMismatch`] if either rebuilt root differs.
pub fn verify_consistency<H: MerkleHasher>(
    old_size: u64,
    new_size: u64,
    old_root: &H::Digest,
    new_root: &H::Digest,
    proof: &crate::Proof<H::Digest>,
) -> Result<(), Error> {
    if old_size > new_size {
        return Err(Error::OldAfterNew {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 {
        return Err(Error::EmptyOldTree);
    }
    let expected = consistency_proof_len(old_size, new_size);
    let got = proof.hashes.len();
    if got != expected {
        return Err(Error::WrongProofLength { expected, got });
    }
    if old_size == new_size {
        return if old_root == new_root {
            Ok(())
        } else {
            Err(Error::RootMismatch)
        };
    }
    // A power-of-two old tree is itself a complete subtree: its root starts the path.
    let path: Vec<H::Digest> = if old_size.is_power_of_two() {
        std::iter::once(*old_root)
            .chain(proof.hashes.iter().copied())
            .collect()
    } else {
        proof.hashes.clone()
    };
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return Err(Error::WrongProofLength { expected, got });
        }
        if step_up(&mut fn_, &mut sn) {
            fr = H::node(c, &fr);
            sr = H::node(c, &sr);
        } else {
            sr = H::node(&sr, c);
        }
    }
    if sn != 0 {
        return Err(Error::WrongProofLength { expected, got });
    }
    if &fr == old_root && &sr == new_root {
        Ok(())
    } else {
        Err(Error::RootMismatch)
    }
}
