//! TinyLFU's frequency sketch: a count-min sketch of 4-bit counters that ages by halving.
//!
//! Each key has four counters, one in each of four pairs of 64-bit words inside one 64-byte
//! block, so a lookup or an increment touches one cache line. A counter saturates at 15: the
//! admission test only asks "is the newcomer used more often than the victim?", and small
//! counts answer that. After `sample_size` increments every counter is halved, so the sketch
//! describes recent popularity rather than all of history (Einziger, Friedman, Manes 2017,
//! §3.3 "freshness").

use crate::alloc::Refused;

/// Four 4-bit counters per key in 16-counter words; halves itself every `sample_size` adds.
///
/// It starts at most [`INITIAL_WORDS`] words and doubles as its shard fills, up to one word per
/// expected key (as Caffeine sizes its sketch lazily): an empty cache of 2^29 entries holds
/// kilobytes of sketch, not 256 MiB. Doubling copies the table into both halves, and a key's
/// block in the doubled table is its old block or that block's copy, so every estimate is the
/// same just after growing.
#[derive(Debug, Clone)]
pub(crate) struct FrequencySketch {
    words: Vec<u64>,
    /// Number of 8-word blocks − 1 (a power of two minus one).
    block_mask: usize,
    /// Increments since the last halving (less what halving took back).
    size: u64,
    sample_size: u64,
    /// The words this sketch grows to: one per expected key.
    target_words: usize,
}

/// The low bit of every nibble.
const ONES: u64 = 0x1111_1111_1111_1111;
/// Every nibble without its low bit, after a shift right by one.
const HALF: u64 = 0x7777_7777_7777_7777;
/// Largest table (words per shard): 2^21 words is 16 MiB, room for 2^23 keys' worth.
const MAX_WORDS: usize = 1 << 21;
/// Words a sketch starts with at most (32 KiB): shards of up to 4,096 entries start full size.
pub(crate) const INITIAL_WORDS: usize = 1 << 12;

/// Words for about `entries` keys: a power of two in 8..=[`MAX_WORDS`].
fn words_for(entries: u64) -> usize {
    usize::try_from(entries.max(1))
        .unwrap_or(MAX_WORDS)
        .clamp(8, MAX_WORDS)
        .next_power_of_two()
}

impl FrequencySketch {
    /// A sketch for a cache of about `entries` keys: one word (16 counters, 4 keys' worth) per
    /// expected key, so collisions stay rare; halving after 10 increments per word. It starts
    /// at [`INITIAL_WORDS`] at most and grows with [`fit`](Self::fit).
    pub(crate) fn new(entries: u64) -> Result<Self, Refused> {
        let target_words = words_for(entries);
        let words = target_words.min(INITIAL_WORDS);
        let mut table = crate::alloc::vec_with_capacity(words as u64)?;
        table.resize(words, 0);
        Ok(Self {
            words: table,
            block_mask: words / 8 - 1,
            size: 0,
            sample_size: 10 * words as u64,
            target_words,
        })
    }

    /// Grows the table (doubling, up to its target) while `resident` keys exceed a word each.
    /// O(1) amortized per insert; a refused allocation keeps the current table, which still
    /// works, only with more collisions.
    #[inline]
    pub(crate) fn fit(&mut self, resident: usize) {
        if resident > self.words.len() && self.words.len() < self.target_words {
            self.grow(resident);
        }
    }

    #[cold]
    fn grow(&mut self, resident: usize) {
        while resident > self.words.len() && self.words.len() < self.target_words {
            let n = self.words.len();
            if crate::alloc::reserve(&mut self.words, n as u64).is_err() {
                return;
            }
            self.words.extend_from_within(..);
            self.block_mask = 2 * n / 8 - 1;
            self.sample_size *= 2;
        }
    }

    /// Increments since the last halving.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The increments between two halvings.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn sample_size(&self) -> u64 {
        self.sample_size
    }

    /// The key's block: its first word's index.
    #[inline(always)]
    fn block(&self, tag: u32) -> usize {
        // `tag` is 32 uniform bits of the key's hash. The block comes from a multiplicative
        // remix of all of them; the counters' places inside it are the tag's bytes.
        ((u64::from(tag).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize & self.block_mask) * 8
    }

    /// Word (inside the block) and bit shift of each of the key's four counters.
    #[inline(always)]
    fn places(tag: u32) -> [(usize, u32); 4] {
        std::array::from_fn(|row| {
            let byte = tag >> (8 * row);
            // Row r uses words 2r and 2r + 1 of the block: rows never share a counter.
            (2 * row + (byte & 1) as usize, ((byte >> 1) & 15) * 4)
        })
    }

    /// The key's estimated count in the current sample (0..=15): the smallest of its counters.
    #[inline]
    pub(crate) fn frequency(&self, tag: u32) -> u8 {
        // One bounds check for the block; the places inside it are below 8 by construction.
        let block = &self.words[self.block(tag)..][..8];
        Self::places(tag)
            .iter()
            .map(|&(w, s)| ((block[w] >> s) & 15) as u8)
            .min()
            .unwrap_or(0)
    }

    /// Counts `uses` uses of the key (each counter saturating at 15); halves every counter
    /// once the sample is full.
    #[inline]
    pub(crate) fn add(&mut self, tag: u32, uses: u8) {
        if uses == 0 {
            return;
        }
        let start = self.block(tag);
        let block = &mut self.words[start..][..8];
        // Branch-free: a saturated counter gets + 0.
        let mut grew = 0;
        for (w, s) in Self::places(tag) {
            let current = (block[w] >> s) & 15;
            let step = (current + u64::from(uses)).min(15) - current;
            block[w] += step << s;
            grew |= step;
        }
        if grew != 0 {
            self.size += u64::from(uses);
            if self.size >= self.sample_size {
                self.halve();
            }
        }
    }

    /// Halves every counter (rounding down), and the sample size with them.
    pub(crate) fn halve(&mut self) {
        let mut odd = 0u64;
        for w in &mut self.words {
            odd += u64::from((*w & ONES).count_ones());
            *w = (*w >> 1) & HALF;
        }
        // Each key's four counters lost up to four halves: take back a quarter of the odd ones.
        self.size = self.size.saturating_sub(odd / 4) / 2;
    }

    /// Forgets every count.
    pub(crate) fn clear(&mut self) {
        self.words.fill(0);
        self.size = 0;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn counts_saturate_and_halve() {
        let mut s = FrequencySketch::new(1024).unwrap();
        let h = 0x9abc_def0;
        for _ in 0..20 {
            s.add(h, 1);
        }
        assert_eq!(s.frequency(h), 15);
        assert_eq!(s.frequency(h ^ 0xffff_0000), 0);
        s.halve();
        assert_eq!(s.frequency(h), 7);
        s.add(h, 3);
        assert_eq!(s.frequency(h), 10);
    }

    #[test]
    fn halves_once_the_sample_is_full() {
        let mut s = FrequencySketch::new(1024).unwrap();
        assert_eq!(s.sample_size(), 10_240);
        let hot = 0xcafe_f00d;
        s.add(hot, 15);
        let mut x = 1u64;
        let mut adds = 15;
        loop {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let before = s.size();
            s.add((x >> 32) as u32, 1);
            adds += 1;
            if s.size() < before {
                break;
            }
            assert!(adds <= 10_240, "no halving after {adds} adds");
        }
        assert_eq!(s.frequency(hot), 7);
        assert!(s.size() <= s.sample_size() / 2);
    }

    /// A large sketch starts small, doubles as keys arrive up to its target, and every
    /// estimate is the same just after a doubling.
    #[test]
    fn grows_to_its_target_keeping_every_estimate() {
        let mut s = FrequencySketch::new(1 << 20).unwrap();
        assert_eq!(s.words.len(), INITIAL_WORDS);
        let tags: Vec<u32> = (0..5_000u32)
            .map(|i| i.wrapping_mul(0x9E37_79B9).rotate_left(7))
            .collect();
        for (i, &t) in tags.iter().enumerate() {
            s.add(t, (i % 5) as u8);
        }
        let before: Vec<u8> = tags.iter().map(|&t| s.frequency(t)).collect();
        s.fit(3 * INITIAL_WORDS);
        assert_eq!(s.words.len(), 4 * INITIAL_WORDS);
        assert_eq!(s.sample_size(), 40 * INITIAL_WORDS as u64);
        let after: Vec<u8> = tags.iter().map(|&t| s.frequency(t)).collect();
        assert_eq!(before, after);
        s.fit(usize::MAX);
        assert_eq!(s.words.len(), 1 << 20, "never past its target");
        // A sketch at or below the initial size starts at its target.
        assert_eq!(FrequencySketch::new(1000).unwrap().words.len(), 1024);
    }
}
