//! The versioned byte format of [`HyperLogLog::to_bytes`](crate::HyperLogLog::to_bytes).
//!
//! ```text
//! offset  size  field
//! 0       4     magic "BHLL"
//! 4       1     version (2; version 1 is still read, see below)
//! 5       1     precision p (4..=18)
//! 6       1     representation: 0 sparse, 1 dense
//! 7       1     hasher id (1 = seeded XXH3, 2 = keyed SipHash-1-3)
//! 8       8     hasher tag (the XXH3 seed; never a secret key), little-endian
//! 16      4     sparse: entry count n; dense: overflow count k
//! 20      8     the HIP estimate as an f64, little-endian: NaN when the sketch has no
//!               insert-only history (merged, folded); 0 while sparse
//! 28      ...   sparse: n entries, u32 little-endian, as `hll::sparse_entry` builds them
//!               (31 hash bits, or 18 and a rank), strictly increasing by `hll::sparse_key`;
//!               dense, as the sketch holds it: 1 byte base b (at most 65 − p); 2^p / 2 bytes
//!               of nibbles (register i in byte i/2, the low nibble for even i), each the
//!               register's value minus b, 15 for "15 or more above"; then k overflow entries,
//!               u32 little-endian, index << 8 | value, strictly increasing index, exactly the
//!               registers whose nibble is 15, value from b + 15 to 65 − p
//! end-8   8     XXH3-64 (seed 0) of every byte before it, little-endian
//! ```
//!
//! Version 1 differed in its sparse entries, which kept 25 bits of each hash
//! (`index << 6 | rank`, rank 1..=40), and its dense body, 2^p registers of 6 bits packed
//! little-endian (register i at bit 6i) with a count of 0. Version-1 sparse entries cannot
//! become version-2 entries (the other 6 bits are gone), so a version-1 sparse sketch is read as
//! the dense registers it determines.

use xxhash_rust::xxh3::xxh3_64;

use crate::hll::{Dense, Repr, carry_rank, get6, sparse_key, valid_sparse_entry};
use crate::{DecodeError, HyperLogLog, SketchHasher};

const MAGIC: &[u8; 4] = b"BHLL";
const VERSION: u8 = 2;
/// The first version, whose sparse entries kept 25 hash bits.
const VERSION_1: u8 = 1;
/// Version 1's sparse precision.
const V1_SPARSE_P: u32 = 25;
const HEADER: usize = 28;

pub(crate) fn encode<S: SketchHasher>(hll: &HyperLogLog<S>) -> Vec<u8> {
    let (repr, count, body): (u8, u32, Vec<u8>) = match hll.repr() {
        Repr::Sparse(entries) => (
            0,
            entries.len() as u32,
            entries.iter().flat_map(|e| e.to_le_bytes()).collect(),
        ),
        Repr::Dense(d) => {
            let (base, nibbles, overflow) = d.parts();
            let mut body = Vec::with_capacity(1 + nibbles.len() + 4 * overflow.len());
            body.push(base);
            body.extend_from_slice(nibbles);
            body.extend(overflow.iter().flat_map(|e| e.to_le_bytes()));
            (1, overflow.len() as u32, body)
        }
    };
    let mut out = Vec::with_capacity(HEADER + body.len() + 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[VERSION, hll.precision(), repr, S::ID]);
    out.extend_from_slice(&hll.hasher().tag().to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    let hip = if hll.hip().is_nan() {
        f64::NAN
    } else {
        hll.hip()
    };
    out.extend_from_slice(&hip.to_bits().to_le_bytes());
    out.extend_from_slice(&body);
    let sum = xxh3_64(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// The header fields of a well-formed byte string: precision, representation, hasher tag.
pub(crate) struct Parsed {
    pub(crate) precision: u8,
    pub(crate) tag: u64,
    pub(crate) repr: Repr,
    pub(crate) hip: f64,
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

pub(crate) fn decode(bytes: &[u8], hasher_id: u8) -> Result<Parsed, DecodeError> {
    if bytes.len() < HEADER + 8 {
        return Err(DecodeError::WrongLength {
            expected: HEADER + 8,
            got: bytes.len(),
        });
    }
    if &bytes[..4] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let version = bytes[4];
    if version != VERSION && version != VERSION_1 {
        return Err(DecodeError::UnsupportedVersion(bytes[4]));
    }
    let precision = bytes[5];
    if !(crate::MIN_PRECISION..=crate::MAX_PRECISION).contains(&precision) {
        return Err(DecodeError::BadRegister { index: 0 });
    }
    if bytes[7] != hasher_id {
        return Err(DecodeError::Hasher);
    }
    let mut tag = [0u8; 8];
    tag.copy_from_slice(&bytes[8..16]);
    let tag = u64::from_le_bytes(tag);
    let count = u32_at(bytes, 16) as usize;
    let m = 1usize << precision;
    let entries_len = count
        .checked_mul(4)
        .ok_or(DecodeError::BadRegister { index: 0 })?;
    let body = match (bytes[6], version) {
        (0, _) => entries_len,
        (1, VERSION_1) => m * 6 / 8,
        (1, _) => 1 + m / 2 + entries_len,
        (r, _) => return Err(DecodeError::BadRepresentation(r)),
    };
    let expected = HEADER + body + 8;
    if bytes.len() != expected {
        return Err(DecodeError::WrongLength {
            expected,
            got: bytes.len(),
        });
    }
    let (content, sum) = bytes.split_at(expected - 8);
    let mut stored = [0u8; 8];
    stored.copy_from_slice(sum);
    if xxh3_64(content) != u64::from_le_bytes(stored) {
        return Err(DecodeError::Checksum);
    }
    let mut hip = [0u8; 8];
    hip.copy_from_slice(&bytes[20..28]);
    let hip = f64::from_bits(u64::from_le_bytes(hip));
    let hip_ok = match bytes[6] {
        0 => hip.is_nan() || hip == 0.0,
        _ => hip.is_nan() || (hip.is_finite() && hip >= 0.0),
    };
    if !hip_ok {
        return Err(DecodeError::BadEstimate);
    }
    let body = &content[HEADER..];
    let max = 65 - precision;
    let repr = if bytes[6] == 0 && version == VERSION_1 {
        let mut values = vec![0u8; m];
        let mut last = None;
        for i in 0..count {
            let e = u32_at(body, 4 * i);
            let (index, rank) = (e >> 6, (e & 63) as u8);
            if index >= 1 << V1_SPARSE_P || rank == 0 || rank > 40 || last >= Some(index) {
                return Err(DecodeError::BadRegister { index: i });
            }
            last = Some(index);
            let (register, rank) = v1_sparse_to_dense(index, rank, u32::from(precision));
            values[register] = values[register].max(rank);
        }
        Repr::Dense(Dense::from_registers(&values))
    } else if bytes[6] == 0 {
        let mut entries = Vec::with_capacity(count);
        for i in 0..count {
            let e = u32_at(body, 4 * i);
            let increasing = entries
                .last()
                .is_none_or(|&prev: &u32| sparse_key(prev) < sparse_key(e));
            if !valid_sparse_entry(e) || !increasing {
                return Err(DecodeError::BadRegister { index: i });
            }
            entries.push(e);
        }
        Repr::Sparse(entries)
    } else if version == VERSION_1 {
        if count != 0 {
            return Err(DecodeError::BadRegister { index: 0 });
        }
        let values: Vec<u8> = (0..m).map(|i| get6(body, i)).collect();
        if let Some(index) = values.iter().position(|&v| v > max) {
            return Err(DecodeError::BadRegister { index });
        }
        Repr::Dense(Dense::from_registers(&values))
    } else {
        Repr::Dense(decode_dense(body, m, count, max)?)
    };
    // A version-1 sparse sketch comes back dense, with no insert history.
    let hip = if version == VERSION_1 && bytes[6] == 0 {
        f64::NAN
    } else {
        hip
    };
    Ok(Parsed {
        precision,
        tag,
        repr,
        hip,
    })
}

/// Version 2's dense body: base, nibbles, then the overflow entries, each checked.
fn decode_dense(body: &[u8], m: usize, count: usize, max: u8) -> Result<Dense, DecodeError> {
    let base = body[0];
    let nibbles = &body[1..1 + m / 2];
    let entries = &body[1 + m / 2..];
    if base > max {
        return Err(DecodeError::BadRegister { index: 0 });
    }
    let mut values = Vec::with_capacity(m);
    let mut overflowing = 0;
    for (i, &byte) in nibbles.iter().enumerate() {
        for (j, nibble) in [byte & 15, byte >> 4].into_iter().enumerate() {
            // A nibble of 15 is settled by its overflow entry below.
            overflowing += usize::from(nibble == 15);
            let v = base + nibble;
            if v > max {
                return Err(DecodeError::BadRegister { index: 2 * i + j });
            }
            values.push(v);
        }
    }
    let mut last = None;
    for k in 0..count {
        let e = u32_at(entries, 4 * k);
        let (index, value) = ((e >> 8) as usize, e as u8);
        let in_order = last.is_none_or(|prev| prev < index);
        let nibble_says_overflow =
            index < m && (nibbles[index / 2] >> (4 * (index & 1))) & 15 == 15;
        if !in_order || !nibble_says_overflow || value < base + 15 || value > max {
            return Err(DecodeError::BadRegister {
                index: index.min(m),
            });
        }
        values[index] = value;
        last = Some(index);
    }
    // Every nibble of 15 needs its entry: as many entries as such nibbles.
    if overflowing != count {
        return Err(DecodeError::BadRegister { index: m });
    }
    Ok(Dense::from_registers(&values))
}

/// The dense register and rank of a version-1 sparse entry (index at precision 25): the
/// 25 − p index bits below p start the rank's run of zeros.
fn v1_sparse_to_dense(index: u32, rank: u8, p: u32) -> (usize, u8) {
    let shift = V1_SPARSE_P - p;
    let low = index & ((1 << shift) - 1);
    ((index >> shift) as usize, carry_rank(low, shift, rank))
}

impl<S: SketchHasher> HyperLogLog<S> {
    /// The sketch in the crate's versioned byte format (see the `wire` module docs in the
    /// source): header, entries or registers, checksum. A secret hasher key is never written.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }

    /// Reads bytes written by [`to_bytes`](Self::to_bytes), rebuilding the hasher from its
    /// stored tag (seeded XXH3).
    ///
    /// # Errors
    /// [`Error::Decode`](crate::Error::Decode) for anything malformed; never panics, whatever
    /// the bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, crate::Error> {
        let parsed = decode(bytes, S::ID)?;
        let hasher = S::from_tag(parsed.tag).ok_or(DecodeError::Hasher)?;
        Ok(Self::from_parts_with_hip(
            parsed.precision,
            parsed.repr,
            hasher,
            parsed.hip,
        ))
    }

    /// Reads bytes written by [`to_bytes`](Self::to_bytes) with a hasher you supply (for a
    /// secret key); it must be the one that wrote them.
    ///
    /// # Errors
    /// As [`from_bytes`](Self::from_bytes), and [`DecodeError::Hasher`] when `hasher`'s tag
    /// differs from the stored one.
    pub fn from_bytes_with_hasher(bytes: &[u8], hasher: S) -> Result<Self, crate::Error> {
        let parsed = decode(bytes, S::ID)?;
        if parsed.tag != hasher.tag() {
            return Err(DecodeError::Hasher.into());
        }
        Ok(Self::from_parts_with_hip(
            parsed.precision,
            parsed.repr,
            hasher,
            parsed.hip,
        ))
    }
}
