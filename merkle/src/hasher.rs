//! The hash functions a tree is built with.

use sha2::Digest as _;
use std::fmt::Debug;
use std::hash::Hash;

/// A tree hash: RFC 6962's leaf and node hashes, with their domain-separation prefixes.
///
/// Leaf = H(0x00 ‖ data), node = H(0x01 ‖ left ‖ right): a leaf can never be passed off as an
/// interior node (the second-preimage attack on unprefixed trees; Bitcoin's CVE-2017-12842).
pub trait MerkleHasher {
    /// The digest: a fixed-size byte array.
    type Digest: Copy
        + Eq
        + Ord
        + Hash
        + Default
        + Debug
        + AsRef<[u8]>
        + AsMut<[u8]>
        + Send
        + Sync
        + 'static;
    /// Stable id, carried in sync messages so replicas with different hashers refuse each other.
    const ID: u8;
    /// H() of nothing: the root of the empty tree.
    fn empty() -> Self::Digest;
    /// H(0x00 ‖ data).
    fn leaf(data: &[u8]) -> Self::Digest;
    /// H(0x01 ‖ left ‖ right).
    fn node(left: &Self::Digest, right: &Self::Digest) -> Self::Digest;
    /// H(0x02 ‖ len(key) as u64 LE ‖ key ‖ value): one key-value pair of a sync tree (the length
    /// prefix keeps ("ab", "c") and ("a", "bc") apart).
    fn entry(key: &[u8], value: &[u8]) -> Self::Digest;
}

/// SHA-256 (the `sha2` crate, which uses the CPU's SHA extensions when it has them): RFC 6962's
/// hash, and the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sha256;

/// SHA-256's initial state (FIPS 180-4 §5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// Compresses ready-padded blocks from the initial state and returns the digest.
#[inline]
fn sha256_blocks(blocks: &[[u8; 64]]) -> [u8; 32] {
    let mut state = SHA256_IV;
    sha2::block_api::compress256(&mut state, blocks);
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

impl MerkleHasher for Sha256 {
    type Digest = [u8; 32];
    const ID: u8 = 1;

    fn empty() -> [u8; 32] {
        sha2::Sha256::digest([]).into()
    }

    /// Leaves of up to 54 bytes fit one padded block with their prefix: it is built by hand and
    /// compressed directly (one compression, no streaming buffer); longer ones stream.
    #[inline]
    fn leaf(data: &[u8]) -> [u8; 32] {
        if data.len() <= 54 {
            let mut block = [0u8; 64];
            block[1..=data.len()].copy_from_slice(data);
            block[data.len() + 1] = 0x80;
            block[56..].copy_from_slice(&((data.len() as u64 + 1) * 8).to_be_bytes());
            return sha256_blocks(&[block]);
        }
        let mut h = sha2::Sha256::new();
        h.update([0u8]);
        h.update(data);
        h.finalize().into()
    }

    /// 0x01 ‖ left ‖ right is always 65 bytes: two blocks with fixed padding (520 bits).
    #[inline]
    fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
        let mut blocks = [[0u8; 64]; 2];
        blocks[0][0] = 1;
        blocks[0][1..33].copy_from_slice(left);
        blocks[0][33..].copy_from_slice(&right[..31]);
        blocks[1][0] = right[31];
        blocks[1][1] = 0x80;
        blocks[1][56..].copy_from_slice(&520u64.to_be_bytes());
        sha256_blocks(&blocks)
    }

    fn entry(key: &[u8], value: &[u8]) -> [u8; 32] {
        let mut h = sha2::Sha256::new();
        h.update([2u8]);
        h.update((key.len() as u64).to_le_bytes());
        h.update(key);
        h.update(value);
        h.finalize().into()
    }
}

/// XXH3-128 with the same prefixes: several times faster than SHA-256 but **not
/// cryptographic** — anyone can forge collisions. Use it only between replicas that trust each
/// other (anti-entropy inside one cluster), never for proofs shown to third parties.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Xxh3_128;

impl MerkleHasher for Xxh3_128 {
    type Digest = [u8; 16];
    const ID: u8 = 2;

    fn empty() -> [u8; 16] {
        xxhash_rust::xxh3::xxh3_128(&[]).to_le_bytes()
    }

    #[inline]
    fn leaf(data: &[u8]) -> [u8; 16] {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(&[0]);
        h.update(data);
        h.digest128().to_le_bytes()
    }

    #[inline]
    fn node(left: &[u8; 16], right: &[u8; 16]) -> [u8; 16] {
        let mut buf = [0u8; 33];
        buf[0] = 1;
        buf[1..17].copy_from_slice(left);
        buf[17..].copy_from_slice(right);
        xxhash_rust::xxh3::xxh3_128(&buf).to_le_bytes()
    }

    fn entry(key: &[u8], value: &[u8]) -> [u8; 16] {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(&[2]);
        h.update(&(key.len() as u64).to_le_bytes());
        h.update(key);
        h.update(value);
        h.digest128().to_le_bytes()
    }
}
