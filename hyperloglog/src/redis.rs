//! [`RedisHyperLogLog`]: the exact `HYLL` string values Redis stores for `PFADD`, read and
//! written byte for byte, with `PFCOUNT` and `PFMERGE` semantics.
//!
//! The format itself is documented on [`RedisHyperLogLog`], where docs.rs shows it.

use crate::estimate::{ertl, histogram};
use crate::hll::{get6, set6};
use crate::{DecodeError, Error};

/// Registers in a Redis HLL: p = 14.
pub const REDIS_REGISTERS: usize = 1 << 14;
/// Bytes of a dense Redis HLL value: 16 of header and 12,288 of registers.
pub const REDIS_DENSE_LEN: usize = HEADER + REDIS_REGISTERS * 6 / 8;
/// Redis's default `hll-sparse-max-bytes`: a sparse value (header included) grows up to this.
pub const REDIS_SPARSE_MAX_BYTES: usize = 3000;

const HEADER: usize = 16;
const P: u32 = 14;
const Q: u32 = 64 - P;
const SEED: u64 = 0xadc8_3b19;
const SPARSE: u8 = 1;
const DENSE: u8 = 0;
/// The largest value a sparse VAL opcode holds.
const VAL_MAX: u8 = 32;
const STALE: u8 = 0x80;

/// MurmurHash64A (Austin Appleby's 64-bit MurmurHash2), as Redis hashes HLL elements.
///
/// Computes in **O(len)** time.
#[must_use]
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut word = [0u8; 8];
        word.copy_from_slice(block);
        let mut k = u64::from_le_bytes(word).wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = (h ^ k).wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^ (h >> R)
}

/// Register and rank of an element, as `PFADD` computes them.
///
/// Computes in **O(len)** time: one MurmurHash64A pass.
#[must_use]
pub fn redis_register(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, SEED);
    let index = (hash & (REDIS_REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1 << Q);
    (index, (rest.trailing_zeros() + 1) as u8)
}

/// One decoded sparse opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `len` empty registers, from a ZERO (1 byte) or XZERO (2 bytes) opcode.
    Zero { len: usize, bytes: usize },
    /// `len` registers of `value`.
    Val { value: u8, len: usize },
}

impl Op {
    fn at(ops: &[u8], i: usize) -> Option<Op> {
        let b = *ops.get(i)?;
        Some(if b & 0x80 != 0 {
            Op::Val {
                value: ((b >> 2) & 0x1f) + 1,
                len: usize::from(b & 3) + 1,
            }
        } else if b & 0x40 != 0 {
            let low = *ops.get(i + 1)?;
            Op::Zero {
                len: ((usize::from(b & 0x3f) << 8) | usize::from(low)) + 1,
                bytes: 2,
            }
        } else {
            Op::Zero {
                len: usize::from(b & 0x3f) + 1,
                bytes: 1,
            }
        })
    }

    fn len(self) -> usize {
        match self {
            Op::Zero { len, .. } | Op::Val { len, .. } => len,
        }
    }

    fn bytes(self) -> usize {
        match self {
            Op::Zero { bytes, .. } => bytes,
            Op::Val { .. } => 1,
        }
    }
}

fn val(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len - 1) as u8
}

/// The opcode(s) for a run of `len` empty registers: ZERO up to 64, else XZERO.
fn push_zeros(out: &mut Vec<u8>, len: usize) {
    if len > 64 {
        out.push(0x40 | ((len - 1) >> 8) as u8);
        out.push(((len - 1) & 0xff) as u8);
    } else {
        out.push((len - 1) as u8);
    }
}

/// Redis's estimate for 16,384 register values: Ertl's estimator on their histogram, rounded
/// half away from zero as `llroundl` does.
fn redis_estimate(registers: Vec<u8>) -> u64 {
    ertl(REDIS_REGISTERS as f64, &histogram(P as u8, registers)).round() as u64
}

/// A HyperLogLog in Redis's own format: the value `PFADD` builds, byte for byte.
///
/// ```
/// use brick_hyperloglog::RedisHyperLogLog;
///
/// let mut hll = RedisHyperLogLog::new();
/// for visitor in ["alice", "bob", "carol", "bob"] {
///     hll.insert(visitor.as_bytes()); // PFADD key alice bob carol bob
/// }
/// assert_eq!(hll.count(), 3); // PFCOUNT key
/// let value = hll.to_redis_bytes(); // what GET key returns after that PFCOUNT
/// assert_eq!(&value[..4], b"HYLL");
/// let back = RedisHyperLogLog::from_redis_bytes(&value)?; // e.g. read back from GET
/// assert_eq!(back.count(), 3);
/// # Ok::<(), brick_hyperloglog::Error>(())
/// ```
///
/// # Redis's format
/// Redis 7, `src/hyperloglog.c` (the crate's `tests/data/README.md` records the facts and
/// where they were read):
/// - MurmurHash64A with seed 0xadc83b19; register = hash & 0x3fff (p = 14); rank = 1 + the
///   trailing zeros of hash >> 14, with bit 50 set (1..=51).
/// - 16-byte header: `HYLL`, encoding (0 dense, 1 sparse), 3 unused bytes, the cached
///   cardinality as 8 bytes little-endian, whose top bit set means "stale".
/// - Dense: 16,384 registers of 6 bits, register i at bit 6i, least significant bit first.
/// - Sparse: run-length opcodes. ZERO `00xxxxxx` (1..64 empty registers), XZERO
///   `01xxxxxx yyyyyyyy` (1..16384, 14 bits big-endian), VAL `1vvvvvxx` (1..4 registers of value
///   1..32). Which opcodes a value holds depends on the order of updates (each update splits one
///   opcode, then merges equal neighbours in a short window), so this type keeps the bytes
///   themselves and updates them the way Redis does, rather than regenerating them.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisHyperLogLog {
    bytes: Vec<u8>,
    sparse_max_bytes: usize,
}

impl std::fmt::Debug for RedisHyperLogLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHyperLogLog")
            .field("sparse", &self.is_sparse())
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl Default for RedisHyperLogLog {
    fn default() -> Self {
        Self::new()
    }
}

impl RedisHyperLogLog {
    /// An empty sketch, as `PFADD key` creates it: sparse, one XZERO covering all 16,384
    /// registers, cached cardinality stale (18 bytes).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn new() -> Self {
        Self::with_sparse_max_bytes(REDIS_SPARSE_MAX_BYTES)
    }

    /// An empty sketch promoted to dense once its sparse value would exceed `max_bytes`
    /// (Redis's `hll-sparse-max-bytes`; default 3000).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn with_sparse_max_bytes(max_bytes: usize) -> Self {
        let mut bytes = vec![
            b'H', b'Y', b'L', b'L', SPARSE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        push_zeros(&mut bytes, REDIS_REGISTERS);
        bytes[15] |= STALE;
        Self {
            bytes,
            sparse_max_bytes: max_bytes,
        }
    }

    /// Reads a Redis `HYLL` value (from `GET` or `DUMP`-free replication of the string).
    ///
    /// Computes in **O(len)** time: every opcode or register is checked.
    ///
    /// # Errors
    /// [`Error::Decode`] for a bad magic or encoding, a dense value of the wrong length, sparse
    /// opcodes that run past 16,384 registers or end before, or a dense register above 51.
    /// Redis itself has shipped CVEs in this parser; nothing here trusts the input.
    pub fn from_redis_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() < HEADER || &bytes[..4] != b"HYLL" {
            return Err(DecodeError::BadMagic.into());
        }
        match bytes[4] {
            DENSE => {
                if bytes.len() != REDIS_DENSE_LEN {
                    return Err(DecodeError::Length {
                        needed: REDIS_DENSE_LEN as u64,
                        got: bytes.len() as u64,
                    }
                    .into());
                }
                let regs = &bytes[HEADER..];
                if let Some(index) = (0..REDIS_REGISTERS).find(|&i| get6(regs, i) > 51) {
                    return Err(DecodeError::BadRegister { index }.into());
                }
            }
            SPARSE => {
                let ops = &bytes[HEADER..];
                let (mut at, mut covered) = (0, 0);
                while at < ops.len() {
                    let Some(op) = Op::at(ops, at) else {
                        return Err(DecodeError::Length {
                            needed: (HEADER + at + 2) as u64,
                            got: bytes.len() as u64,
                        }
                        .into());
                    };
                    covered += op.len();
                    if covered > REDIS_REGISTERS {
                        return Err(DecodeError::BadRegister { index: covered }.into());
                    }
                    at += op.bytes();
                }
                if covered != REDIS_REGISTERS {
                    return Err(DecodeError::BadRegister { index: covered }.into());
                }
            }
            other => return Err(DecodeError::BadRepresentation(other).into()),
        }
        Ok(Self {
            bytes: bytes.to_vec(),
            sparse_max_bytes: REDIS_SPARSE_MAX_BYTES,
        })
    }

    /// Sets the sparse limit (Redis's `hll-sparse-max-bytes`) for later updates.
    ///
    /// Computes in **O(1)** time.
    pub fn set_sparse_max_bytes(&mut self, max_bytes: usize) {
        self.sparse_max_bytes = max_bytes;
    }

    /// The value as Redis holds it after a `PFCOUNT`: the cached cardinality filled in and
    /// valid. This is what `GET` returns once the key has been counted.
    ///
    /// Computes in **O(len)** time (a copy, plus the count if the cache is stale: O(m)).
    #[must_use]
    pub fn to_redis_bytes(&self) -> Vec<u8> {
        let mut out = self.bytes.clone();
        if out[15] & STALE != 0 {
            out[8..16].copy_from_slice(&self.count().to_le_bytes());
        }
        out
    }

    /// The value exactly as it stands, cached cardinality marked stale if an insert or merge
    /// changed it: what `GET` returns before any `PFCOUNT`.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn as_redis_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether the value is in Redis's sparse encoding.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn is_sparse(&self) -> bool {
        self.bytes[4] == SPARSE
    }

    /// Bytes of the value, header included (12,304 when dense).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn len_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// `PFADD key element`: returns whether a register changed.
    ///
    /// Computes in **O(1)** time dense; **O(len)** sparse, as Redis's sparse encoding is a
    /// run-length list it walks (bounded by `hll-sparse-max-bytes`).
    pub fn insert(&mut self, element: &[u8]) -> bool {
        let (index, rank) = redis_register(element);
        self.set(index, rank)
    }

    /// Raises register `index` to `rank` as Redis does (`hllSparseSet` / `hllDenseSet`).
    fn set(&mut self, index: usize, rank: u8) -> bool {
        let changed = if self.is_sparse() {
            self.sparse_set(index, rank)
        } else {
            self.dense_set_max(index, rank)
        };
        if changed {
            self.bytes[15] |= STALE;
        }
        changed
    }

    fn dense_set_max(&mut self, index: usize, rank: u8) -> bool {
        let regs = &mut self.bytes[HEADER..];
        if get6(regs, index) >= rank {
            return false;
        }
        set6(regs, index, rank);
        true
    }

    /// The sparse update: find the opcode covering `index`, split it around the register,
    /// then merge equal VAL neighbours in a window of five opcodes from the one before.
    fn sparse_set(&mut self, index: usize, rank: u8) -> bool {
        if rank > VAL_MAX {
            self.promote();
            return self.dense_set_max(index, rank);
        }
        // Step 1: the opcode covering `index`, the register it starts at, and the previous one.
        let ops = &self.bytes[HEADER..];
        let (mut at, mut first, mut prev) = (0, 0, None);
        let op = loop {
            let Some(op) = Op::at(ops, at) else {
                return false; // validated input never ends early
            };
            if index < first + op.len() {
                break op;
            }
            prev = Some(at);
            first += op.len();
            at += op.bytes();
        };
        let last = first + op.len() - 1;
        // Step 2: no change, a trivial in-place change, or a split.
        let mut seq = Vec::with_capacity(5);
        match op {
            Op::Val { value, .. } if value >= rank => return false,
            Op::Val { len: 1, .. } | Op::Zero { len: 1, bytes: 1 } => seq.push(val(rank, 1)),
            Op::Zero { .. } => {
                if index != first {
                    push_zeros(&mut seq, index - first);
                }
                seq.push(val(rank, 1));
                if index != last {
                    push_zeros(&mut seq, last - index);
                }
            }
            Op::Val { value, .. } => {
                if index != first {
                    seq.push(val(value, index - first));
                }
                seq.push(val(rank, 1));
                if index != last {
                    seq.push(val(value, last - index));
                }
            }
        }
        // Step 3: splice, unless growing would pass the sparse limit: then go dense.
        let grows = seq.len() > op.bytes();
        if grows && self.bytes.len() + seq.len() - op.bytes() > self.sparse_max_bytes {
            self.promote();
            return self.dense_set_max(index, rank);
        }
        let start = HEADER + at;
        self.bytes.splice(start..start + op.bytes(), seq);
        // Step 4: merge adjacent VAL opcodes of equal value whose runs fit in one.
        let mut p = HEADER + prev.unwrap_or(0);
        let mut window = 5;
        while p < self.bytes.len() && window > 0 {
            window -= 1;
            let b = self.bytes[p];
            if b & 0x80 == 0 {
                p += if b & 0x40 != 0 { 2 } else { 1 };
                continue;
            }
            if let Some(&next) = self.bytes.get(p + 1)
                && next & 0x80 != 0
                && (b >> 2) & 0x1f == (next >> 2) & 0x1f
            {
                let len = usize::from(b & 3) + usize::from(next & 3) + 2;
                if len <= 4 {
                    self.bytes[p + 1] = val(((b >> 2) & 0x1f) + 1, len);
                    self.bytes.remove(p);
                    continue;
                }
            }
            p += 1;
        }
        true
    }

    /// Converts the sparse value to dense, keeping the header (and its cached cardinality).
    fn promote(&mut self) {
        if !self.is_sparse() {
            return;
        }
        let mut dense = vec![0u8; REDIS_DENSE_LEN];
        dense[..HEADER].copy_from_slice(&self.bytes[..HEADER]);
        dense[4] = DENSE;
        for (i, r) in self.registers().into_iter().enumerate() {
            if r > 0 {
                set6(&mut dense[HEADER..], i, r);
            }
        }
        self.bytes = dense;
    }

    /// The 16,384 register values (rank 0..=51 each).
    ///
    /// Computes in **O(m)** time, m = 16,384.
    #[must_use]
    pub fn registers(&self) -> Vec<u8> {
        let mut regs = vec![0u8; REDIS_REGISTERS];
        if self.is_sparse() {
            let (mut at, mut index) = (0, 0);
            let ops = &self.bytes[HEADER..];
            while let Some(op) = Op::at(ops, at) {
                if let Op::Val { value, len } = op {
                    for r in regs.iter_mut().skip(index).take(len) {
                        *r = value;
                    }
                }
                index += op.len();
                at += op.bytes();
            }
        } else {
            for (i, r) in regs.iter_mut().enumerate() {
                *r = get6(&self.bytes[HEADER..], i);
            }
        }
        regs
    }

    /// `PFCOUNT key`: Ertl's estimator on the register histogram, exactly as Redis computes
    /// it. (Redis would also store it in the header; [`to_redis_bytes`](Self::to_redis_bytes)
    /// does.)
    ///
    /// Computes in **O(m)** time, m = 16,384: the register histogram.
    #[must_use]
    pub fn count(&self) -> u64 {
        redis_estimate(self.registers())
    }

    /// `PFCOUNT key` with its side effect: the count, now cached in the header as Redis caches
    /// it (so [`as_redis_bytes`](Self::as_redis_bytes) shows it too).
    ///
    /// Computes in **O(m)** time, m = 16,384.
    pub fn pfcount(&mut self) -> u64 {
        let n = self.count();
        if self.bytes[15] & STALE != 0 {
            self.bytes[8..16].copy_from_slice(&n.to_le_bytes());
        }
        n
    }

    /// `PFCOUNT key1 key2 ...`: the cardinality of the union, storing nothing.
    ///
    /// Computes in **O(n·m)** time for n sketches.
    #[must_use]
    pub fn union_count(sketches: &[&RedisHyperLogLog]) -> u64 {
        redis_estimate(Self::max_registers(sketches))
    }

    fn max_registers(sketches: &[&RedisHyperLogLog]) -> Vec<u8> {
        let mut max = vec![0u8; REDIS_REGISTERS];
        for s in sketches {
            for (m, r) in max.iter_mut().zip(s.registers()) {
                *m = (*m).max(r);
            }
        }
        max
    }

    /// `PFMERGE self self other...`: raises this sketch's registers to the others', in
    /// register order, in this sketch's encoding (converted to dense first if any source is
    /// dense), as Redis writes a `PFMERGE` destination.
    ///
    /// Computes in **O(n·m)** time for n sketches.
    pub fn merge(&mut self, others: &[&RedisHyperLogLog]) {
        let mut sources: Vec<&RedisHyperLogLog> = vec![self];
        sources.extend_from_slice(others);
        let max = Self::max_registers(&sources);
        let any_dense = sources.iter().any(|s| !s.is_sparse());
        self.write_merge(&max, any_dense);
    }

    /// Writes a `PFMERGE` result: dense first if any source was, then each nonzero register
    /// in index order (a sparse destination may be promoted on the way), then stale.
    fn write_merge(&mut self, max: &[u8], any_dense: bool) {
        if any_dense {
            self.promote();
        }
        for (i, &r) in max.iter().enumerate() {
            if r > 0 {
                if self.is_sparse() {
                    self.sparse_set(i, r);
                } else {
                    self.dense_set_max(i, r);
                }
            }
        }
        // Redis marks the destination stale whatever changed.
        self.bytes[15] |= STALE;
    }

    /// `PFMERGE dest sources...` into a `dest` that did not exist.
    ///
    /// Computes in **O(n·m)** time for n sketches.
    #[must_use]
    pub fn merged(sources: &[&RedisHyperLogLog]) -> RedisHyperLogLog {
        let mut dest = RedisHyperLogLog::new();
        let max = Self::max_registers(sources);
        dest.write_merge(&max, sources.iter().any(|s| !s.is_sparse()));
        dest
    }
}

impl<A: AsRef<[u8]>> Extend<A> for RedisHyperLogLog {
    /// `PFADD key element...`: adds every element, as Redis would. Computes as
    /// [`insert`](RedisHyperLogLog::insert), per element.
    fn extend<I: IntoIterator<Item = A>>(&mut self, elements: I) {
        for element in elements {
            self.insert(element.as_ref());
        }
    }
}

impl<A: AsRef<[u8]>> FromIterator<A> for RedisHyperLogLog {
    /// The value `PFADD key element...` creates from these elements (sparse, promoted to dense
    /// past Redis's default `hll-sparse-max-bytes`).
    fn from_iter<I: IntoIterator<Item = A>>(elements: I) -> Self {
        let mut hll = Self::new();
        hll.extend(elements);
        hll
    }
}
