//! The versioned byte format of [`HyperLogLog::to_bytes`](crate::HyperLogLog::to_bytes); its
//! layout and checks are documented there, where docs.rs shows them.

use xxhash_rust::xxh3::xxh3_64;

use crate::hll::{Dense, Repr, get6, sparse_entry, sparse_key, valid_sparse_entry};
use crate::stable::decoding_hasher;
use crate::{DecodeError, HyperLogLog, StableHasher};

const MAGIC: &[u8; 4] = b"BHLL";
const VERSION: u8 = 2;
/// The first version, whose sparse entries kept 25 hash bits.
const VERSION_1: u8 = 1;
/// Version 1's sparse precision.
const V1_SPARSE_P: u32 = 25;
const HEADER: usize = 28;

pub(crate) fn encode<S: StableHasher>(hll: &HyperLogLog<S>) -> Vec<u8> {
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
    /// Whether the bytes are the current version, which must re-encode to themselves.
    pub(crate) current: bool,
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

pub(crate) fn decode(bytes: &[u8], hasher_id: u8) -> Result<Parsed, DecodeError> {
    if bytes.len() < HEADER + 8 {
        return Err(DecodeError::Length {
            needed: (HEADER + 8) as u64,
            got: bytes.len() as u64,
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
    let mut tag = [0u8; 8];
    tag.copy_from_slice(&bytes[8..16]);
    let tag = u64::from_le_bytes(tag);
    if bytes[7] != hasher_id {
        return Err(DecodeError::HasherMismatch {
            expected: (hasher_id, 0),
            found: (bytes[7], tag),
        });
    }
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
        return Err(DecodeError::Length {
            needed: expected as u64,
            got: bytes.len() as u64,
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
    // One NaN and one zero: any other bit pattern would re-encode differently.
    let canonical_nan = hip.to_bits() == f64::NAN.to_bits();
    if hip.is_nan() && !canonical_nan || hip.to_bits() == (-0.0f64).to_bits() {
        return Err(DecodeError::NotCanonical);
    }
    let hip_ok = match bytes[6] {
        0 => hip.is_nan() || hip == 0.0,
        _ => hip.is_nan() || (hip.is_finite() && hip >= 0.0),
    };
    if !hip_ok {
        return Err(DecodeError::BadEstimate);
    }
    if bytes[6] == 0 && version == VERSION && count > m / 8 {
        // A sparse list this long turns dense on the insert that makes it.
        return Err(DecodeError::NotCanonical);
    }
    let body = &content[HEADER..];
    let max = 65 - precision;
    let repr = if bytes[6] == 0 && version == VERSION_1 {
        let mut entries = Vec::with_capacity(count);
        let mut last = None;
        for i in 0..count {
            let e = u32_at(body, 4 * i);
            let (index, rank) = (e >> 6, (e & 63) as u8);
            if index >= 1 << V1_SPARSE_P || rank == 0 || rank > 40 || last >= Some(index) {
                return Err(DecodeError::BadRegister { index: i });
            }
            last = Some(index);
            entries.push(v1_sparse_entry(index, rank));
        }
        Repr::Sparse(entries)
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
        check_hip(&values, hip)?;
        Repr::Dense(Dense::from_registers(&values))
    } else {
        let values = decode_dense(body, m, count, max)?;
        check_hip(&values, hip)?;
        Repr::Dense(Dense::from_registers(&values))
    };
    // A version-1 sparse sketch comes back with no insert history.
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
        current: version == VERSION,
    })
}

/// Version 2's dense body: base, nibbles, then the overflow entries, each checked; the
/// register values.
fn decode_dense(body: &[u8], m: usize, count: usize, max: u8) -> Result<Vec<u8>, DecodeError> {
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
    Ok(values)
}

/// Refuses a HIP estimate outside [`hip_range`] (NaN, "no history", is always allowed).
fn check_hip(values: &[u8], hip: f64) -> Result<(), DecodeError> {
    if hip.is_nan() {
        return Ok(());
    }
    let (low, high) = hip_range(values);
    // The estimate was summed in f64, one rounding per change: a relative slack of 1e-9
    // covers that many roundings with room to spare, and no forged value hides in it.
    if hip < low * (1.0 - 1e-9) || hip > high * (1.0 + 1e-9) {
        return Err(DecodeError::BadEstimate);
    }
    Ok(())
}

/// The smallest and largest HIP estimate any insert history can leave beside these registers.
///
/// HIP adds 1/q for each change, q = Σ 2^−register / m being the chance that the next new item
/// changes a register just before it. The sketch turns dense with an estimate of at least its
/// entries and at most 2^p / 8 + 1 (times 1 + 2^−13 for linear counting over 2^31).
/// - Lowest: every change adds at least 1 (q ≤ 1), and every nonzero register took one.
/// - Highest: most changes, each as late as possible. Raising registers one rank at a time,
///   lowest ranks first, maximises the sum (an exchange argument: of two adjacent changes,
///   the one that lowers q more should come first), so the bound walks the ranks in order,
///   with the sum of each rank's steps bounded by its integral. The sparse start is added.
pub(crate) fn hip_range(values: &[u8]) -> (f64, f64) {
    let m = values.len() as f64;
    let mut at_least = [0u32; 66];
    for &v in values {
        at_least[usize::from(v)] += 1;
    }
    // at_least[v]: registers ≥ v (a suffix sum of the histogram).
    for v in (0..65).rev() {
        at_least[v] += at_least[v + 1];
    }
    let nonzero = f64::from(at_least[1]);
    // q_v: q once every register below v has been raised to min(its value, v).
    let q_at = |v: usize| -> f64 {
        let mut sum = 0.0;
        for r in 0..v {
            // Registers at exactly r stay at r: weight 2^-r each.
            sum += f64::from(at_least[r] - at_least[r + 1]) * 0.5f64.powi(r as i32);
        }
        (sum + f64::from(at_least[v]) * 0.5f64.powi(v as i32)) / m
    };
    let mut high = (m / 8.0 + 1.0) * (1.0 + 1.0 / 8192.0);
    let mut q = 1.0;
    for v in 0..65 {
        let steps = at_least[v + 1];
        if steps == 0 {
            break;
        }
        let next = q_at(v + 1);
        // Each step lowers q by δ = 2^-(v+1) / m: Σ_j 1/(q − jδ) ≤ ∫_0^steps dx / (q − xδ).
        let delta = 0.5f64.powi(v as i32 + 1) / m;
        high += (q / next).ln() / delta;
        q = next;
    }
    (nonzero, high)
}

/// The version-2 entry of a hash whose first 25 bits are `index` and whose next bits are
/// `rank − 1` zeros and a one (a version-1 sparse entry); the bits after that one are set to
/// zero, which no dense register at precision ≤ 18 reads.
fn v1_sparse_entry(index: u32, rank: u8) -> u32 {
    // Rank 40, version 1's cap, is a run through all 39 bits: no one bit to set.
    let one = (1u64 << 63)
        .checked_shr(V1_SPARSE_P + u32::from(rank) - 1)
        .unwrap_or(0);
    sparse_entry((u64::from(index) << (64 - V1_SPARSE_P)) | one)
}

impl<S: StableHasher> HyperLogLog<S> {
    /// The sketch in the crate's versioned byte format: header, entries or registers,
    /// checksum. A secret hasher key is never written.
    ///
    /// Computes in **O(s)** time sparse, **O(m)** dense.
    ///
    /// # Format
    ///
    /// ```text
    /// offset  size  field
    /// 0       4     magic "BHLL"
    /// 4       1     version (2; version 1 is still read, see below)
    /// 5       1     precision p (4..=18)
    /// 6       1     representation: 0 sparse, 1 dense
    /// 7       1     hasher id (1 = seeded XXH3, 2 = keyed SipHash-1-3)
    /// 8       8     hasher tag (the XXH3 seed; never a secret key), little-endian
    /// 16      4     sparse: entry count n; dense: overflow count k
    /// 20      8     the HIP estimate as an f64, little-endian: NaN when the sketch has no
    ///               insert-only history (merged, folded); 0 while sparse
    /// 28      ...   sparse: n entries, u32 little-endian, as `hll::sparse_entry` builds them
    ///               (31 hash bits, or 18 and a rank), strictly increasing by `hll::sparse_key`;
    ///               dense, as the sketch holds it: 1 byte base b (at most 65 − p); 2^p / 2 bytes
    ///               of nibbles (register i in byte i/2, the low nibble for even i), each the
    ///               register's value minus b, 15 for "15 or more above"; then k overflow entries,
    ///               u32 little-endian, index << 8 | value, strictly increasing index, exactly the
    ///               registers whose nibble is 15, value from b + 15 to 65 − p
    /// end-8   8     XXH3-64 (seed 0) of every byte before it, little-endian
    /// ```
    ///
    /// Version 1 differed in its sparse entries, which kept 25 bits of each hash
    /// (`index << 6 | rank`, rank 1..=40), and its dense body, 2^p registers of 6 bits packed
    /// little-endian (register i at bit 6i) with a count of 0. A version-1 sparse entry becomes the
    /// version-2 entry of a hash with the same 25 leading bits and the same run of zeros after them
    /// (the bits past the first one are gone, and no precision up to 18 reads them), so it stands
    /// for the same dense register at every precision.
    ///
    /// What a decoder checks beyond the layout: every invariant an encoder keeps. Registers and
    /// entries in range and order; a sparse list no longer than the point where the sketch turns
    /// dense (2^p / 8 entries); the HIP estimate inside the range the HIP rule allows for the
    /// registers (see the HIP paragraph of the crate docs); and canonical form: a version-2 byte string is accepted only if
    /// the sketch it decodes to writes exactly those bytes again.
    ///
    /// Allocation: a decoder allocates at most 3 bytes per input byte plus 64 bytes (the dense
    /// registers, 2^p bytes, and their nibbles are built from a body of at least 2^p / 2 bytes;
    /// sparse entries from 4 bytes each).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }

    /// Reads bytes written by [`to_bytes`](Self::to_bytes), rebuilding the hasher from its
    /// stored tag (seeded XXH3).
    ///
    /// Computes in **O(s)** time sparse, **O(m)** dense: every entry or register is checked.
    ///
    /// # Errors
    /// [`Error::Decode`](crate::Error::Decode) for anything malformed; never panics, whatever
    /// the bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, crate::Error> {
        let parsed = decode(bytes, S::ID)?;
        let hasher = decoding_hasher(None, (S::ID, parsed.tag)).map_err(DecodeError::from)?;
        Self::from_parsed(parsed, hasher, bytes)
    }

    /// Reads bytes written by [`to_bytes`](Self::to_bytes) with a hasher you supply (for a
    /// secret key); it must be the one that wrote them.
    ///
    /// Computes in **O(s)** time sparse, **O(m)** dense: every entry or register is checked.
    ///
    /// # Errors
    /// As [`from_bytes`](Self::from_bytes), and [`DecodeError::HasherMismatch`] when `hasher`'s
    /// tag differs from the stored one.
    pub fn from_bytes_with_hasher(bytes: &[u8], hasher: S) -> Result<Self, crate::Error> {
        let parsed = decode(bytes, S::ID)?;
        let hasher =
            decoding_hasher(Some(hasher), (S::ID, parsed.tag)).map_err(DecodeError::from)?;
        Self::from_parsed(parsed, hasher, bytes)
    }

    /// The sketch the checked fields describe; current-version bytes must be exactly what it
    /// writes (one more pass over at most the input's size).
    fn from_parsed(parsed: Parsed, hasher: S, bytes: &[u8]) -> Result<Self, crate::Error> {
        let mut hll = Self::from_parts_with_hip(parsed.precision, parsed.repr, hasher, parsed.hip);
        if parsed.current {
            if encode(&hll) != bytes {
                return Err(DecodeError::NotCanonical.into());
            }
        } else {
            // Version 1 turned dense at its own size; this version at 2^p / 8 entries.
            hll.promote_if_large();
        }
        Ok(hll)
    }
}

#[cfg(feature = "serde")]
crate::serde_wire::serde_via_bytes!("HyperLogLog", impl[S: StableHasher] HyperLogLog<S>);
