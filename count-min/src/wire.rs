//! The wire format, version 1: its layout and checks are in the crate docs' "Wire format"
//! section, where docs.rs shows them.

use crate::stable::decoding_hasher;
use crate::{
    CountMinSketch, Counter, DecodeError, Error, MAX_DEPTH, MAX_WIDTH, StableHasher, UpdateRule,
};

const MAGIC: [u8; 4] = *b"BRCM";
const VERSION: u8 = 1;
const HEADER: usize = 40;
const TRAILER: usize = 8;

pub(crate) fn encode<C: Counter, S: StableHasher, U: UpdateRule>(
    sketch: &CountMinSketch<C, S, U>,
) -> Vec<u8> {
    let counters = sketch.counters();
    let mut out = Vec::with_capacity(HEADER + counters.len() * usize::from(C::BYTES) + TRAILER);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&[VERSION, C::BYTES, U::ID, S::ID]);
    out.extend_from_slice(&sketch.width().to_le_bytes());
    out.extend_from_slice(&sketch.depth().to_le_bytes());
    out.extend_from_slice(&sketch.hasher().tag().to_le_bytes());
    out.extend_from_slice(&sketch.total().to_le_bytes());
    for &c in counters {
        c.write_le(&mut out);
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

pub(crate) fn decode<C: Counter, S: StableHasher, U: UpdateRule>(
    bytes: &[u8],
    hasher: Option<S>,
) -> Result<CountMinSketch<C, S, U>, Error> {
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
    if (bytes[5], bytes[6]) != (C::BYTES, U::ID) {
        return Err(DecodeError::WrongKind {
            expected: (C::BYTES, U::ID),
            found: (bytes[5], bytes[6]),
        }
        .into());
    }
    let width = u64_at(bytes, 8);
    let depth = u64_at(bytes, 16);
    let tag = u64_at(bytes, 24);
    let total = u64_at(bytes, 32);
    if width == 0 || width > MAX_WIDTH || depth == 0 || depth > MAX_DEPTH {
        return Err(DecodeError::BadParams.into());
    }
    // Checked before any allocation, so a short input cannot ask for a huge payload.
    let needed = width
        .checked_mul(depth)
        .and_then(|n| n.checked_mul(u64::from(C::BYTES)))
        .and_then(|p| p.checked_add(min))
        .ok_or(DecodeError::BadParams)?;
    if needed != got {
        return Err(DecodeError::Length { needed, got }.into());
    }
    let body = bytes.len() - TRAILER;
    if xxhash_rust::xxh3::xxh3_64(&bytes[..body]) != u64_at(bytes, body) {
        return Err(DecodeError::Checksum.into());
    }
    let hasher = decoding_hasher(hasher, (bytes[7], tag)).map_err(DecodeError::from)?;
    let counters: Vec<C> = bytes[HEADER..body]
        .chunks_exact(usize::from(C::BYTES))
        .map(C::read_le)
        .collect();
    // Every update adds its count to the total and at most that to each row (conservative
    // update adds less; halving halves both): no row's counters sum past the total, unless
    // the total itself saturated. A saturated counter means "at least its maximum" and stays
    // so when halved (estimates never fall below the truth), so it is left out of the sum.
    if total < u64::MAX {
        for (row, cells) in counters.chunks_exact(width as usize).enumerate() {
            let sum: u128 = cells
                .iter()
                .filter(|&&c| c != C::MAX)
                .map(|c| u128::from(c.to_u64()))
                .sum();
            if sum > u128::from(total) {
                return Err(DecodeError::Inconsistent { row: row as u64 }.into());
            }
        }
    }
    Ok(CountMinSketch::from_parts(
        counters,
        width as usize,
        depth as usize,
        total,
        hasher,
    ))
}
