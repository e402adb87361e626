//! The cache-blocked Bloom filter: all k bits of an item inside one 512-bit block.

use crate::probe::{self, reduce};
use crate::wire::{self, Header, Kind};
use crate::{BLOCK_BITS, DefaultBuildHasher, Error, Params, StableHasher};
use std::hash::{BuildHasher, Hash};

/// One 64-byte cache line of bits. The alignment makes every block exactly one line, so an
/// operation touches one line, never two.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(align(64))]
struct Block([u64; 8]);

/// Odd multipliers. Bits 0..8 of an item come two per product: word 2i from bits 58..64 and
/// word 2i + 1 from bits 52..58 of h · SALTS[i], i < 4 (multiply-shift hashing, as in Parquet's
/// split-block filter; two fields per product halve the multiplications). Bit j ≥ 8 sits in
/// word j mod 8 at the top 6 bits of h · SALTS[j].
const SALTS: [u64; crate::MAX_HASHES as usize] = salts();

const FIRST_SALTS: [u64; 4] = [SALTS[0], SALTS[1], SALTS[2], SALTS[3]];

/// Bits 8..k (k > 8): more rounds of one bit per word. Out of line, so the common k ≤ 8 path
/// stays a straight run of four multiplications.
#[inline(never)]
fn more_rounds(mix: u64, hashes: u32, mask: &mut [u64; 8]) {
    for j in 8..hashes.min(crate::MAX_HASHES) as usize {
        mask[j % 8] |= 1u64 << (mix.wrapping_mul(SALTS[j]) >> 58);
    }
}

/// Which of round 0's eight bits are used: all ones for words below k.
fn first_keep(hashes: u32) -> [u64; 8] {
    std::array::from_fn(|w| u64::from((w as u32) < hashes).wrapping_neg())
}

const fn salts() -> [u64; crate::MAX_HASHES as usize] {
    // splitmix64 of 1, 2, 3, …, forced odd so that each multiplication is a bijection.
    let mut out = [0; crate::MAX_HASHES as usize];
    let mut i = 0;
    while i < out.len() {
        let mut z = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out[i] = (z ^ (z >> 31)) | 1;
        i += 1;
    }
    out
}

/// A blocked Bloom filter (Putze, Sanders, Singler 2007) in the split-block layout (Apache
/// Parquet, Impala): the hash picks one 512-bit block (one cache line), and the item's k bits
/// are set inside it, spread round-robin over the block's eight 64-bit words. A query costs one cache miss
/// instead of k, at the price of a higher false-positive rate for the same bits, because
/// blocks fill unevenly. [`Params::blocked`] sizes it with the blocked formula, so it still
/// delivers the requested rate; it needs a few percent more bits than a standard filter.
#[derive(Clone)]
pub struct BlockedBloomFilter<S = DefaultBuildHasher> {
    blocks: Box<[Block]>,
    locator: Locator,
    hasher: S,
}

/// Where an item's bits go: which block, and which bits in it. Shared by the in-process filter
/// and the Redis-backed one (feature `redis`), so both set the same bits for the same hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Locator {
    blocks: u64,
    hashes: u32,
    /// ⌈k/8⌉: rounds of eight bits, one per word.
    rounds: usize,
    /// Round 0's used words (`first_keep(hashes)`).
    first_keep: [u64; 8],
}

impl Locator {
    /// For `blocks` blocks (at least 1) and `hashes` bits per item (1..=MAX_HASHES).
    pub(crate) fn new(blocks: u64, hashes: u32) -> Self {
        Self {
            blocks,
            hashes,
            rounds: hashes.div_ceil(8) as usize,
            first_keep: first_keep(hashes),
        }
    }

    /// The block and the in-block mask of a hash: the block from the hash's high bits
    /// (multiply-shift onto the block count), one bit per word from 6-bit fields of the
    /// products with [`SALTS`]. Straight-line code for k ≤ 8: four multiplications, eight
    /// shifts, no loop.
    #[inline(always)]
    pub(crate) fn locate(&self, hash: u64) -> (u64, [u64; 8]) {
        let block = reduce(hash, self.blocks);
        // The block takes the hash's high bits; the multiply-shifts below read all 64 (a
        // product's top bits depend on every bit of the factor), so no second mix is needed.
        let mix = hash;
        // Bits 0..8, two per product; with k = 8 (what the sizing picks from 10 % down to
        // 0.1 %) every one is used and none is masked.
        let mut mask = [0u64; 8];
        for pair in 0..4 {
            let product = mix.wrapping_mul(FIRST_SALTS[pair]);
            mask[2 * pair] = 1u64 << (product >> 58);
            mask[2 * pair + 1] = 1u64 << ((product >> 52) & 63);
        }
        if self.hashes < 8 {
            for (m, keep) in mask.iter_mut().zip(self.first_keep) {
                *m &= keep;
            }
        }
        if self.rounds > 1 {
            more_rounds(mix, self.hashes, &mut mask);
        }
        (block, mask)
    }
}

impl BlockedBloomFilter<DefaultBuildHasher> {
    /// A blocked filter for `n` items at rate `p` ([`Params::blocked`]), default hasher.
    ///
    /// Computes in **O(m/64)** time (zeroing) plus microseconds of sizing.
    ///
    /// # Errors
    /// - [`Error::InvalidRate`], [`Error::ZeroItems`], [`Error::TooLarge`] from sizing;
    ///   [`Error::OutOfMemory`].
    pub fn new(n: u64, p: f64) -> Result<Self, Error> {
        Self::with_hasher(Params::blocked(n, p)?, DefaultBuildHasher::default())
    }

    /// A blocked filter of `bits` bits (rounded up to whole 512-bit blocks) and `hashes` bits
    /// per item, default hasher.
    ///
    /// Computes in **O(m)** time: the m bits are allocated zeroed.
    ///
    /// # Errors
    /// - Shape errors as [`Params::new`]; [`Error::OutOfMemory`].
    pub fn with_params(bits: u64, hashes: u32) -> Result<Self, Error> {
        Self::with_hasher(Params::new(bits, hashes)?, DefaultBuildHasher::default())
    }
}

impl<S: BuildHasher> BlockedBloomFilter<S> {
    /// A blocked filter of the given shape (bits rounded up to whole blocks) and hasher.
    ///
    /// Computes in **O(m)** time: the m bits are allocated zeroed.
    ///
    /// # Errors
    /// - Shape errors as [`Params::new`]; [`Error::OutOfMemory`].
    pub fn with_hasher(params: Params, hasher: S) -> Result<Self, Error> {
        let params = Params::new(params.bits.div_ceil(BLOCK_BITS) * BLOCK_BITS, params.hashes)?;
        let v = probe::alloc_with(params.bits / BLOCK_BITS, || Block([0; 8]))?;
        Ok(Self {
            locator: Locator::new(v.len() as u64, params.hashes),
            blocks: v.into_boxed_slice(),
            hasher,
        })
    }

    #[inline(always)]
    fn locate(&self, hash: u64) -> (usize, [u64; 8]) {
        let (block, mask) = self.locator.locate(hash);
        // The block is below the block count, a `usize`.
        (block as usize, mask)
    }

    /// Adds an item; `true` if it was possibly present already.
    ///
    /// Computes in **O(k)** time, touching one cache line.
    #[inline]
    pub fn insert<T: Hash + ?Sized>(&mut self, item: &T) -> bool {
        self.insert_hash(self.hasher.hash_one(item))
    }

    /// Whether the item is possibly present (`false` is certain).
    ///
    /// Computes in **O(k)** time, touching one cache line.
    #[inline]
    #[must_use]
    pub fn contains<T: Hash + ?Sized>(&self, item: &T) -> bool {
        self.contains_hash(self.hasher.hash_one(item))
    }

    /// Adds an item by its well-mixed 64-bit hash.
    ///
    /// Computes in **O(k)** time, within one 64-byte block (one cache line), no hashing.
    #[inline(always)]
    pub fn insert_hash(&mut self, hash: u64) -> bool {
        let (block, mask) = self.locate(hash);
        let words = &mut self.blocks[block].0;
        let mut missing = 0;
        for (w, m) in words.iter_mut().zip(mask) {
            missing |= m & !*w;
            *w |= m;
        }
        missing == 0
    }

    /// Whether an item with this 64-bit hash is possibly present.
    ///
    /// Computes in **O(k)** time, within one 64-byte block (one cache line), no hashing.
    #[inline(always)]
    #[must_use]
    pub fn contains_hash(&self, hash: u64) -> bool {
        let (block, mask) = self.locate(hash);
        let words = &self.blocks[block].0;
        // Branch-free: one OR-reduction over the line instead of k early exits.
        words
            .iter()
            .zip(mask)
            .fold(0, |missing, (w, m)| missing | (m & !w))
            == 0
    }

    /// The 64-bit hash this filter computes for `item`.
    ///
    /// Computes in **O(len)** time for an item of `len` bytes: one hash.
    pub fn hash<T: Hash + ?Sized>(&self, item: &T) -> u64 {
        self.hasher.hash_one(item)
    }

    /// Swamidass–Baldi estimate of the distinct items inserted (as for the standard filter;
    /// exact in expectation when blocks fill evenly, within a percent at usual loads).
    ///
    /// Computes in **O(m/64)** time.
    pub fn estimated_len(&self) -> f64 {
        probe::estimate_items(self.count_ones(), self.bits(), self.locator.hashes)
    }

    /// Bits set.
    ///
    /// Computes in **O(m)** time: a population count of every word.
    pub fn count_ones(&self) -> u64 {
        self.words().map(|w| u64::from(w.count_ones())).sum()
    }

    fn words(&self) -> impl Iterator<Item = u64> + '_ {
        self.blocks.iter().flat_map(|b| b.0)
    }

    /// Expected false-positive rate after `n` inserts, by the blocked formula.
    ///
    /// Computes in **O(min(√λ, 2^16))** time, λ = n / blocks (a Poisson sum over block loads).
    pub fn expected_false_positive_rate(&self, n: u64) -> f64 {
        self.params().blocked_false_positive_rate(n)
    }

    /// m: bits, a multiple of 512.
    ///
    /// Computes in **O(1)** time.
    pub fn bits(&self) -> u64 {
        self.blocks.len() as u64 * BLOCK_BITS
    }

    /// k: bits set per item.
    ///
    /// Computes in **O(1)** time.
    pub fn hashes(&self) -> u32 {
        self.locator.hashes
    }

    /// The filter's shape.
    ///
    /// Computes in **O(1)** time.
    pub fn params(&self) -> Params {
        Params {
            bits: self.bits(),
            hashes: self.locator.hashes,
        }
    }

    /// Heap bytes held.
    ///
    /// Computes in **O(1)** time.
    pub fn memory_bytes(&self) -> usize {
        self.blocks.len() * 64
    }

    /// The hasher.
    ///
    /// Computes in **O(1)** time.
    pub fn hasher(&self) -> &S {
        &self.hasher
    }

    /// Removes every item.
    ///
    /// Computes in **O(m)** time.
    pub fn clear(&mut self) {
        self.blocks.fill(Block([0; 8]));
    }
}

impl<S: StableHasher> BlockedBloomFilter<S> {
    fn combine(&mut self, other: &Self, op: fn(u64, u64) -> u64) -> Result<(), Error> {
        let ours = (self.bits(), self.locator.hashes, self.hasher.tag());
        let theirs = (other.bits(), other.locator.hashes, other.hasher.tag());
        if ours != theirs {
            return Err(Error::ShapeMismatch { ours, theirs });
        }
        for (a, b) in self.blocks.iter_mut().zip(other.blocks.iter()) {
            for (x, y) in a.0.iter_mut().zip(b.0) {
                *x = op(*x, y);
            }
        }
        Ok(())
    }

    /// Adds every item of `other` (bitwise OR).
    ///
    /// Computes in **O(m/64)** time.
    ///
    /// # Errors
    /// - [`Error::ShapeMismatch`] if `other` differs in bits, hashes or hasher.
    pub fn union(&mut self, other: &Self) -> Result<(), Error> {
        self.combine(other, |a, b| a | b)
    }

    /// Keeps bits set in both (bitwise AND).
    ///
    /// Computes in **O(m)** time.
    ///
    /// # Errors
    /// - [`Error::ShapeMismatch`] if `other` differs in bits, hashes or hasher.
    pub fn intersect(&mut self, other: &Self) -> Result<(), Error> {
        self.combine(other, |a, b| a & b)
    }

    /// The filter in the versioned wire format (kind 2).
    ///
    /// Computes in **O(m)** time.
    pub fn to_bytes(&self) -> Vec<u8> {
        let words: Vec<u64> = self.words().collect();
        let header = Header {
            bits: self.bits(),
            hashes: self.locator.hashes,
        };
        wire::encode(Kind::Blocked, &self.hasher, header, &words)
    }

    /// Decodes [`to_bytes`](Self::to_bytes) output, rebuilding the hasher from its tag.
    ///
    /// Computes in **O(m)** time.
    ///
    /// # Errors
    /// - [`Error::Decode`] with the reason (as [`BloomFilter::from_bytes`](crate::BloomFilter::from_bytes);
    ///   bits that are not whole blocks are `BadParams`).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        Self::decode(bytes, None)
    }

    /// Decodes with a given hasher, which must match the one that wrote the bytes.
    ///
    /// Computes in **O(m)** time.
    ///
    /// # Errors
    /// As [`from_bytes`](Self::from_bytes).
    pub fn from_bytes_with_hasher(bytes: &[u8], hasher: S) -> Result<Self, Error> {
        Self::decode(bytes, Some(hasher))
    }

    fn decode(bytes: &[u8], hasher: Option<S>) -> Result<Self, Error> {
        // Bits that are not whole blocks get an impossible word count, so decode refuses them.
        let words_for = |bits: u64| {
            if bits % BLOCK_BITS == 0 {
                bits / 64
            } else {
                u64::MAX
            }
        };
        let (header, hasher, words) = wire::decode(bytes, Kind::Blocked, hasher, words_for)?;
        let blocks = words
            .chunks_exact(8)
            .map(|c| {
                let mut b = [0; 8];
                b.copy_from_slice(c);
                Block(b)
            })
            .collect();
        Ok(Self::from_blocks(blocks, header.hashes, hasher))
    }

    /// A filter of these blocks (at least one), `hashes` (in range) and hasher.
    fn from_blocks(blocks: Box<[Block]>, hashes: u32, hasher: S) -> Self {
        Self {
            locator: Locator::new(blocks.len() as u64, hashes),
            blocks,
            hasher,
        }
    }
}

/// The bits as the wire format lays them out (each word little-endian), which is also how the
/// Redis-backed filter stores them.
#[cfg(feature = "redis")]
impl<S> BlockedBloomFilter<S> {
    /// The bytes of blocks `range`.
    pub(crate) fn block_bytes(&self, range: std::ops::Range<usize>) -> Vec<u8> {
        self.blocks[range]
            .iter()
            .flat_map(|b| b.0)
            .flat_map(u64::to_le_bytes)
            .collect()
    }

    /// The block made of 64 bytes in that layout.
    pub(crate) fn block_of(bytes: &[u8; 64]) -> [u64; 8] {
        std::array::from_fn(|w| {
            let mut word = [0; 8];
            word.copy_from_slice(&bytes[8 * w..8 * w + 8]);
            u64::from_le_bytes(word)
        })
    }

    /// Overwrites the blocks from `first` on with `bytes` (whole 64-byte blocks, in range).
    pub(crate) fn fill_blocks(&mut self, first: usize, bytes: &[u8]) {
        for (block, chunk) in self.blocks[first..].iter_mut().zip(bytes.chunks_exact(64)) {
            let mut line = [0; 64];
            line.copy_from_slice(chunk);
            block.0 = Self::block_of(&line);
        }
    }
}

impl<S> PartialEq for BlockedBloomFilter<S> {
    /// Same shape and same bits.
    fn eq(&self, other: &Self) -> bool {
        self.locator.hashes == other.locator.hashes && self.blocks == other.blocks
    }
}

impl<S> std::fmt::Debug for BlockedBloomFilter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockedBloomFilter")
            .field("bits", &(self.blocks.len() as u64 * BLOCK_BITS))
            .field("hashes", &self.locator.hashes)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "serde")]
crate::serde_wire::serde_via_bytes!("BlockedBloomFilter", impl[S: StableHasher] BlockedBloomFilter<S>);

crate::bytes::byte_methods!(BlockedBloomFilter, mut);
