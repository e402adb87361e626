//! The dense registers: 4 bits each above a shared base (DataSketches' HLL_4), and the 6-bit
//! packing Redis uses.

/// Register `i` of 6-bit registers packed little-endian, as Redis packs them: register i at
/// bit 6i, least significant bit first, spilling into the next byte. The last register fits
/// in the last byte, which has no successor.
#[inline(always)]
pub(crate) fn get6(bytes: &[u8], i: usize) -> u8 {
    let bit = 6 * i;
    let (byte, shift) = (bit / 8, bit % 8);
    // One bounds check for both bytes on the hot path; only the last register reads one.
    let word = match bytes.get(byte..byte + 2) {
        Some(&[lo, hi]) => u16::from_le_bytes([lo, hi]),
        _ => u16::from(bytes[byte]),
    };
    ((word >> shift) & 63) as u8
}

/// Sets register `i` (see [`get6`]) to `value`.
#[inline(always)]
pub(crate) fn set6(bytes: &mut [u8], i: usize, value: u8) {
    let bit = 6 * i;
    let (byte, shift) = (bit / 8, bit % 8);
    let v = u16::from(value) << shift;
    let mask = 63u16 << shift;
    bytes[byte] = (bytes[byte] & !(mask as u8)) | v as u8;
    if let Some(next) = bytes.get_mut(byte + 1) {
        *next = (*next & !((mask >> 8) as u8)) | (v >> 8) as u8;
    }
}

/// The number of registers one overflow entry adds to the nibble's 15.
const NIBBLE_MAX: u8 = 15;

/// Dense registers, 4 bits each, as DataSketches' HLL_4 keeps them: a nibble holds a register's
/// value above `base`, the smallest value of any register, and 15 means "15 or more above": the
/// exact value is then in `overflow`. Ranks cluster within a few of log2(n/m), so almost every
/// register fits in its nibble (a handful of the 16,384 overflow at p = 14 for any n), and
/// `base` rises with n so that stays true.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Dense {
    /// Register i's value minus `base`, capped at 15: byte i/2, low nibble for even i.
    nibbles: Box<[u8]>,
    /// The registers whose nibble is 15, exactly: `index << 8 | value`, sorted by index.
    overflow: Box<[u32]>,
    /// Σ 2^(64 − register) over all registers, exactly (two limbs, not `u128`, whose 16-byte
    /// alignment would pad the sketch): 2^64 × m × the chance that a new item changes one.
    kxq: [u64; 2],
    /// Registers holding exactly `base`; when none is left, `base` rises.
    at_base: u32,
    base: u8,
}

impl Dense {
    /// Registers with these values (`values.len()` = m, a power of two ≥ 16).
    pub(crate) fn from_registers(values: &[u8]) -> Self {
        let base = values.iter().copied().min().unwrap_or(0);
        let mut nibbles = vec![0u8; values.len() / 2];
        let mut overflow = Vec::new();
        let mut kxq: u128 = 0;
        let mut at_base = 0;
        for (i, &v) in values.iter().enumerate() {
            let above = v - base;
            if above >= NIBBLE_MAX {
                overflow.push(((i as u32) << 8) | u32::from(v));
            }
            nibbles[i / 2] |= above.min(NIBBLE_MAX) << (4 * (i & 1));
            kxq += inv_pow2(v);
            at_base += u32::from(above == 0);
        }
        let mut dense = Self {
            nibbles: nibbles.into_boxed_slice(),
            overflow: overflow.into_boxed_slice(),
            kxq: [0; 2],
            at_base,
            base,
        };
        dense.set_kxq(kxq);
        dense
    }

    pub(crate) fn kxq(&self) -> u128 {
        (u128::from(self.kxq[1]) << 64) | u128::from(self.kxq[0])
    }

    fn set_kxq(&mut self, kxq: u128) {
        self.kxq = [kxq as u64, (kxq >> 64) as u64];
    }

    /// The parts the byte format writes: the base, the nibbles, the overflow entries.
    pub(crate) fn parts(&self) -> (u8, &[u8], &[u32]) {
        (self.base, &self.nibbles, &self.overflow)
    }

    /// Number of registers.
    fn m(&self) -> usize {
        2 * self.nibbles.len()
    }

    /// Bytes of register data: half a byte a register, four per overflowing one.
    pub(crate) fn len_bytes(&self) -> usize {
        self.nibbles.len() + 4 * self.overflow.len()
    }

    #[inline(always)]
    fn nibble(&self, i: usize) -> u8 {
        (self.nibbles[i / 2] >> (4 * (i & 1))) & 15
    }

    fn set_nibble(&mut self, i: usize, value: u8) {
        let shift = 4 * (i & 1);
        let byte = &mut self.nibbles[i / 2];
        *byte = (*byte & !(15 << shift)) | (value << shift);
    }

    fn overflow_at(&self, i: usize) -> Result<usize, usize> {
        self.overflow.binary_search_by_key(&(i as u32), |e| e >> 8)
    }

    /// Register `i`'s value.
    pub(crate) fn get(&self, i: usize) -> u8 {
        match self.nibble(i) {
            NIBBLE_MAX => match self.overflow_at(i) {
                Ok(at) => self.overflow[at] as u8,
                Err(_) => self.base + NIBBLE_MAX,
            },
            nibble => self.base + nibble,
        }
    }

    /// Whether raising register `i` to `rank` certainly changes nothing: the one check on the
    /// hot path (an overflowing register's nibble says "at least base + 15").
    #[inline(always)]
    pub(crate) fn holds(&self, i: usize, rank: u8) -> bool {
        rank <= self.base + self.nibble(i)
    }

    /// Raises register `i` to `rank`; returns its old value if it rose.
    pub(crate) fn raise(&mut self, i: usize, rank: u8) -> Option<u8> {
        if self.holds(i, rank) {
            return None;
        }
        let old = self.get(i);
        if rank <= old {
            return None;
        }
        let above = rank - self.base;
        if above >= NIBBLE_MAX {
            let entry = ((i as u32) << 8) | u32::from(rank);
            match self.overflow_at(i) {
                Ok(at) => self.overflow[at] = entry,
                Err(at) => {
                    let mut grown = Vec::with_capacity(self.overflow.len() + 1);
                    grown.extend_from_slice(&self.overflow[..at]);
                    grown.push(entry);
                    grown.extend_from_slice(&self.overflow[at..]);
                    self.overflow = grown.into_boxed_slice();
                }
            }
        }
        self.set_nibble(i, above.min(NIBBLE_MAX));
        self.set_kxq(self.kxq() - inv_pow2(old) + inv_pow2(rank));
        if old == self.base {
            self.at_base -= 1;
            if self.at_base == 0 {
                self.rebase();
            }
        }
        Some(old)
    }

    /// Every register is above `base`: raise it by one (again while none is at the new base),
    /// lowering each nibble below 15 in place, and bring back the overflowing registers that now
    /// fit. The registers, and so `kxq`, do not change.
    #[cold]
    fn rebase(&mut self) {
        while self.at_base == 0 {
            self.base += 1;
            // No nibble is 0 (no register was at the old base): subtract one from each nibble
            // that is not 15, two per byte, without a branch.
            for byte in self.nibbles.iter_mut() {
                let (lo, hi) = (*byte & 15, *byte >> 4);
                *byte = (lo - u8::from(lo != 15)) | ((hi - u8::from(hi != 15)) << 4);
            }
            let base = self.base;
            let (back, stay): (Vec<u32>, Vec<u32>) = self
                .overflow
                .iter()
                .partition(|&&e| (e as u8) - base < NIBBLE_MAX);
            self.overflow = stay.into_boxed_slice();
            for e in back {
                self.set_nibble((e >> 8) as usize, (e as u8) - base);
            }
            self.at_base = self
                .nibbles
                .iter()
                .map(|&b| u32::from(b & 15 == 0) + u32::from(b >> 4 == 0))
                .sum();
        }
    }

    /// Every register's value.
    pub(crate) fn registers(&self) -> Vec<u8> {
        let mut values: Vec<u8> = (0..self.m()).map(|i| self.base + self.nibble(i)).collect();
        for &e in self.overflow.iter() {
            values[(e >> 8) as usize] = e as u8;
        }
        values
    }

    /// Registers still at 0.
    pub(crate) fn zeros(&self) -> u32 {
        if self.base == 0 { self.at_base } else { 0 }
    }

    /// Registers holding `max`, the largest rank (almost always none).
    pub(crate) fn saturated(&self, max: u8) -> u32 {
        if self.base + NIBBLE_MAX <= max {
            self.overflow.iter().filter(|&&e| e as u8 == max).count() as u32
        } else {
            (0..self.m()).filter(|&i| self.get(i) == max).count() as u32
        }
    }
}

/// 2^(64 − k), the share of one register at value k in `kxq`.
#[inline]
pub(crate) fn inv_pow2(k: u8) -> u128 {
    1u128 << (64 - u32::from(k))
}
