//! The crate's one error type.

use std::fmt;

/// Why a proof, a message or an argument was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A leaf index at or past the tree size.
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size it must be below.
        size: u64,
    },
    /// A tree size larger than the log holds.
    SizeOutOfRange {
        /// The size asked for.
        size: u64,
        /// Leaves in the log.
        len: u64,
    },
    /// A consistency proof from a larger tree to a smaller one.
    OldAfterNew {
        /// The old (first) size.
        old: u64,
        /// The new (second) size.
        new: u64,
    },
    /// A consistency proof from the empty tree: RFC 6962 defines none (every tree extends it).
    EmptyOldTree,
    /// A proof with the wrong number of hashes for its sizes.
    WrongProofLength {
        /// Hashes the sizes require.
        expected: usize,
        /// Hashes given.
        got: usize,
    },
    /// The proof's hashes lead to a different root: the leaf is not in the tree, or the old
    /// tree is not a prefix of the new one, or a hash was tampered with.
    RootMismatch,
    /// A sync tree depth outside 1..=24.
    InvalidDepth(u8),
    /// A message that could not be decoded.
    Decode(DecodeError),
    /// A message from a replica summarising its keys at another depth.
    DepthMismatch {
        /// Our depth.
        ours: u8,
        /// Theirs.
        theirs: u8,
    },
    /// A message hashed with another hasher (ids of [`crate::MerkleHasher::ID`]).
    HasherMismatch {
        /// Our hasher id.
        ours: u8,
        /// Theirs.
        theirs: u8,
    },
    /// A message the session did not expect now (out of order, or after the session ended).
    UnexpectedMessage {
        /// What the session was waiting for.
        expected: &'static str,
        /// What arrived.
        got: &'static str,
    },
    /// A message naming nodes or buckets other than those the session asked about.
    UnexpectedNodes,
    /// The allocator refused the memory a parameter asked for (a sync tree's buckets).
    OutOfMemory {
        /// The bytes that were asked for.
        bytes: u64,
    },
    /// A `Keys` message listing a key under a bucket it does not hash to, or a bucket's keys
    /// not strictly ascending (twice the same key): no replica sends that, and trusting it
    /// would report differences for keys both sides hold alike.
    MisplacedKey {
        /// The bucket the key was listed under.
        bucket: u32,
    },
    /// A sync fan-out that is not a power of two from 2 to 256.
    InvalidFanout(u32),
    /// A message from a session descending with another fan-out.
    FanoutMismatch {
        /// Our fan-out.
        ours: u32,
        /// Theirs (0 if their header's value is out of range).
        theirs: u32,
    },
    /// A `Delta` that contradicts the entries it answers: a position past the bucket's list or
    /// out of order, an entry equal to ours, or a key both listed and said to be missing.
    InconsistentDelta {
        /// The bucket.
        bucket: u32,
    },
    /// A symbol stream that broke the reconciliation protocol: symbols out of order or
    /// replayed, a decoded item that contradicts our own set, or garbage that cannot be a
    /// peer's honest stream.
    BadSymbols(&'static str),
    /// A peer still sending symbols at the configured bound (it is cut off there).
    SymbolLimit {
        /// The bound.
        limit: u64,
    },
}

/// What was malformed in a message's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not a sync message (magic bytes differ).
    BadMagic,
    /// A format version this crate does not read.
    UnsupportedVersion(u8),
    /// An unknown message type byte.
    UnknownType(u8),
    /// Fewer or more bytes than the message's fields imply: input that ends early (`got <
    /// needed`) or bytes left over after the message (`got > needed`).
    Length {
        /// Bytes the fields read so far imply.
        needed: u64,
        /// Bytes given.
        got: u64,
    },
    /// A count or length field larger than the message could hold.
    BadLength(u64),
    /// A LEB128 number longer than 10 bytes, overflowing 64 bits, or not in its shortest form.
    BadVarint,
    /// Digests of another size than the type read into (a proof of another hash function).
    DigestLength {
        /// The size the reading type holds.
        expected: usize,
        /// The size the bytes carry.
        got: u8,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::IndexOutOfRange { index, size } => {
                write!(f, "leaf index {index} is not below the tree size {size}")
            }
            Error::SizeOutOfRange { size, len } => {
                write!(f, "tree size {size} is larger than the log ({len} leaves)")
            }
            Error::OldAfterNew { old, new } => {
                write!(f, "old tree size {old} is larger than new size {new}")
            }
            Error::EmptyOldTree => write!(
                f,
                "no consistency proof exists from the empty tree (old size must be >= 1)"
            ),
            Error::WrongProofLength { expected, got } => {
                write!(f, "proof has {got} hashes, these sizes need {expected}")
            }
            Error::RootMismatch => write!(f, "proof does not lead to the expected root"),
            Error::InvalidDepth(d) => write!(f, "sync tree depth must be 1 to 24, got {d}"),
            Error::Decode(e) => write!(f, "malformed message: {e}"),
            Error::DepthMismatch { ours, theirs } => {
                write!(f, "peer's sync tree has depth {theirs}, ours {ours}")
            }
            Error::HasherMismatch { ours, theirs } => {
                write!(f, "peer hashes with hasher id {theirs}, ours is {ours}")
            }
            Error::UnexpectedMessage { expected, got } => {
                write!(f, "expected {expected}, got {got}")
            }
            Error::UnexpectedNodes => write!(
                f,
                "message names nodes or buckets the session did not ask about"
            ),
            Error::OutOfMemory { bytes } => write!(f, "the allocator refused {bytes} bytes"),
            Error::MisplacedKey { bucket } => write!(
                f,
                "bucket {bucket}'s keys include one that hashes elsewhere, or are not strictly ascending"
            ),
            Error::InvalidFanout(n) => {
                write!(
                    f,
                    "sync fan-out must be a power of two from 2 to 256, got {n}"
                )
            }
            Error::FanoutMismatch { ours, theirs } => {
                write!(f, "peer descends with fan-out {theirs}, ours is {ours}")
            }
            Error::InconsistentDelta { bucket } => {
                write!(
                    f,
                    "the peer's answer about bucket {bucket} contradicts our entries"
                )
            }
            Error::BadSymbols(why) => write!(f, "bad symbol stream: {why}"),
            Error::SymbolLimit { limit } => {
                write!(
                    f,
                    "peer still sending after {limit} symbols, the configured bound"
                )
            }
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadMagic => {
                write!(f, "not a brick-merkle message of this kind (bad magic)")
            }
            DecodeError::UnsupportedVersion(v) => {
                write!(f, "unsupported format version {v}")
            }
            DecodeError::UnknownType(t) => write!(f, "unknown message type {t}"),
            DecodeError::Length { needed, got } => {
                write!(f, "expected {needed} bytes, got {got}")
            }
            DecodeError::BadLength(n) => write!(f, "length field {n} exceeds the message"),
            DecodeError::BadVarint => write!(f, "malformed LEB128 number"),
            DecodeError::DigestLength { expected, got } => {
                write!(f, "digests of {got} bytes where {expected} were expected")
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<crate::alloc::Refused> for Error {
    fn from(r: crate::alloc::Refused) -> Self {
        Error::OutOfMemory { bytes: r.bytes }
    }
}
impl std::error::Error for DecodeError {}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}
