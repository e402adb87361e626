//! The wire format shared by every filter, version 1: its layout is in the crate docs' "Wire
//! format" section, where docs.rs shows it.

use crate::stable::decoding_hasher;
use crate::{DecodeError, Error, MAX_BITS, MAX_HASHES, StableHasher};

pub(crate) const MAGIC: [u8; 4] = *b"BRBL";
pub(crate) const VERSION: u8 = 1;
const HEADER: usize = 36;
const TRAILER: usize = 8;

/// The variants, as stored in the kind byte.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Standard = 1,
    Blocked = 2,
    Counting = 3,
}

pub(crate) struct Header {
    pub(crate) bits: u64,
    pub(crate) hashes: u32,
}

pub(crate) fn encode<S: StableHasher>(
    kind: Kind,
    hasher: &S,
    header: Header,
    words: &[u64],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + words.len() * 8 + TRAILER);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&[VERSION, kind as u8, S::ID, 0]);
    out.extend_from_slice(&header.hashes.to_le_bytes());
    out.extend_from_slice(&header.bits.to_le_bytes());
    out.extend_from_slice(&hasher.tag().to_le_bytes());
    out.extend_from_slice(&(words.len() as u64).to_le_bytes());
    for w in words {
        out.extend_from_slice(&w.to_le_bytes());
    }
    let sum = xxhash_rust::xxh3::xxh3_64(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

/// Parses and checks everything but the payload's meaning. `words_for` gives the payload words
/// a filter of `bits` bits must have; the caller checks its own invariants (trailing bits).
pub(crate) fn decode<S: StableHasher>(
    bytes: &[u8],
    kind: Kind,
    hasher: Option<S>,
    words_for: impl Fn(u64) -> u64,
) -> Result<(Header, S, Vec<u64>), Error> {
    let got = bytes.len() as u64;
    let min = (HEADER + TRAILER) as u64;
    if bytes.len() < HEADER + TRAILER {
        return Err(DecodeError::Length { needed: min, got }.into());
    }
    let magic = [bytes[0], bytes[1], bytes[2], bytes[3]];
    if magic != MAGIC {
        return Err(DecodeError::BadMagic.into());
    }
    if bytes[4] != VERSION {
        return Err(DecodeError::UnsupportedVersion(bytes[4]).into());
    }
    if bytes[5] != kind as u8 {
        return Err(DecodeError::WrongKind {
            expected: kind as u8,
            found: bytes[5],
        }
        .into());
    }
    let hashes = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    let bits = u64_at(bytes, 12);
    let tag = u64_at(bytes, 20);
    let words = u64_at(bytes, 28);
    if bytes[7] != 0 || bits == 0 || bits > MAX_BITS || hashes == 0 || hashes > MAX_HASHES {
        return Err(DecodeError::BadParams.into());
    }
    if words != words_for(bits) {
        return Err(DecodeError::BadParams.into());
    }
    // Checked before any allocation, so a short input cannot ask for a huge payload.
    let needed = words
        .checked_mul(8)
        .and_then(|p| p.checked_add(min))
        .ok_or(DecodeError::BadParams)?;
    if needed != got {
        return Err(DecodeError::Length { needed, got }.into());
    }
    let body = bytes.len() - TRAILER;
    if xxhash_rust::xxh3::xxh3_64(&bytes[..body]) != u64_at(bytes, body) {
        return Err(DecodeError::Checksum.into());
    }
    let hasher = decoding_hasher(hasher, (bytes[6], tag)).map_err(DecodeError::from)?;
    let payload = bytes[HEADER..body]
        .chunks_exact(8)
        .map(|c| u64_at(c, 0))
        .collect();
    Ok((Header { bits, hashes }, hasher, payload))
}
