//! Bit interleaving: a point's 30-bit axis indices, exact and fast, woven into a geohash's
//! bits and back, and the tables of the text decoding.

use crate::hash::{ALPHABET, MAX_PRECISION};

/// Bits per axis at full precision.
pub(crate) const AXIS_BITS: u32 = 30;

// Character → 5-bit value, 0xff for characters outside the alphabet.
pub(crate) const DECODE: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 32 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Character `c` at position `k` of a geohash, as its share of the cell's corner on the grid of
/// 2^31 × 2^31: latitude bits in the high 32, longitude bits in the low 32, each already at its
/// place; bit 63 marks a character outside the alphabet. OR-ing one entry per character gives
/// both axes' indices at once, with no interleaving to undo afterwards: `decode` reads one row
/// entry per character. Rows cover all 256 byte values (12 rows of 2 KiB, of which valid text
/// touches the 7 cache lines holding the alphabet), so bytes of multi-byte UTF-8 need no
/// separate test: they hit the error bit like any other character outside the alphabet.
pub(crate) static DECODE_AT: [[u64; 256]; MAX_PRECISION as usize] = {
    let mut t = [[1u64 << 63; 256]; MAX_PRECISION as usize];
    let mut k = 0;
    while k < MAX_PRECISION as usize {
        let mut c = 0;
        while c < 256 {
            let v = DECODE[c];
            if v != 0xff {
                let mut x = 0u64;
                let mut i = 0;
                while i < 5 {
                    if (v >> (4 - i)) & 1 == 1 {
                        // Bit j of the 60 (from the top): even j is longitude, odd latitude.
                        let j = 5 * k + i;
                        let lane = if j % 2 == 0 { 0 } else { 32 };
                        x |= 1 << (lane + AXIS_BITS as usize - j / 2);
                    }
                    i += 1;
                }
                t[k][c] = x;
            }
            c += 1;
        }
        k += 1;
    }
    t
};

/// Half a cell of each axis for `len` characters, on the same 2^31 grid: added to the corner,
/// it gives the centre.
pub(crate) const HALF_CELL: [u64; MAX_PRECISION as usize + 1] = {
    let mut t = [0u64; MAX_PRECISION as usize + 1];
    let mut len = 1;
    while len <= MAX_PRECISION as usize {
        let (lat_bits, lon_bits) = axis_bits(len as u8);
        t[len] = (1 << (32 + AXIS_BITS - lat_bits)) | (1 << (AXIS_BITS - lon_bits));
        len += 1;
    }
    t
};

/// Degrees per unit of the 2^31 grid: latitude, longitude.
pub(crate) const GRID_LAT: f64 = 180.0 / (1u64 << 31) as f64;
pub(crate) const GRID_LON: f64 = 360.0 / (1u64 << 31) as f64;

/// Spreads the low 32 bits of `x` to the even bit positions of a u64 ("Morton" interleaving):
/// five shift-and-mask rounds instead of a loop over bits.
#[inline]
pub(crate) fn spread(x: u32) -> u64 {
    let mut x = u64::from(x);
    x = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
    x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Inverse of [`spread`]: gathers the even bit positions of `x` into a u32.
#[inline]
pub(crate) fn squash(x: u64) -> u32 {
    let mut x = x & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x >> 4)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x >> 8)) & 0x0000_ffff_0000_ffff;
    ((x | (x >> 16)) & 0x0000_0000_ffff_ffff) as u32
}

/// 2^-n for n in 0..=30: multiplying by an exact power of two instead of dividing.
pub(crate) const POW2_NEG: [f64; 31] = {
    let mut t = [1.0f64; 31];
    let mut i = 1;
    while i < 31 {
        t[i] = t[i - 1] / 2.0;
        i += 1;
    }
    t
};

/// ⌊x⌋ for |x| < 2^62: truncate, then step down for negative non-integers. `f64::floor` is a
/// libm call on baseline x86-64 (no SSE4.1 `roundsd`); this is two instructions and a compare.
#[inline]
pub(crate) fn floor_to_i64(x: f64) -> i64 {
    let t = x as i64;
    t - i64::from((t as f64) > x)
}

/// 2^29, the offset that makes cell indices non-negative.
pub(crate) const HALF: f64 = (1u64 << 29) as f64;

/// 30-bit cell index of `v` on an axis of half-range `half_range` (90 or 180), exactly as
/// python-geohash computes it: 2^29 + ⌊fl(v / half_range) · 2^29⌋ (it reads the bits off the
/// mantissa of lat/90 and lon/180; scaling by 2^29 only moves the exponent, so the floor is exact).
#[inline]
pub(crate) fn exact_index(v: f64, half_range: f64) -> i64 {
    (1 << 29) + floor_to_i64((v / half_range) * HALF)
}

pub(crate) const LAT_SCALE: f64 = HALF / 90.0;
pub(crate) const LON_SCALE: f64 = HALF / 180.0;

/// Both indices without a division, or `None` when it cannot be sure (then use
/// [`exact_index`]). y = v · (2^29 / half_range) + 2^29 is within 2.4e-7 of the exact scaled
/// value (product and sum each round by under 2^-24, the reciprocal by 2^-53 relative), so its
/// floor is exact unless an integer lies within 1e-6 of y: about 2 inputs in a million per axis,
/// plus exact cell edges. Adding 1.5·2^52 rounds y − ½ ± 1e-6 to integers in the low mantissa
/// bits (no saturating float → int conversion); equal results mean no integer is near. The
/// range check also rejects NaN, infinities and anything outside the axis, so a `Some` implies
/// valid coordinates. The checks combine with `&` rather than `&&`, so nothing branches until
/// the end and the compiler runs the two axes side by side in SIMD lanes.
#[inline]
pub(crate) fn fast_indices(lat: f64, lon: f64) -> Option<(u32, u32)> {
    const ROUND: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52
    const TOP: f64 = ((1u64 << 30) - 1) as f64;
    let y = [lat * LAT_SCALE + HALF, lon * LON_SCALE + HALF];
    let lo = [
        ((y[0] - 0.5 - 1e-6) + ROUND).to_bits() as u32,
        ((y[1] - 0.5 - 1e-6) + ROUND).to_bits() as u32,
    ];
    let hi = [
        ((y[0] - 0.5 + 1e-6) + ROUND).to_bits() as u32,
        ((y[1] - 0.5 + 1e-6) + ROUND).to_bits() as u32,
    ];
    let in_range = (y[0] >= 1.0) & (y[0] < TOP) & (y[1] >= 1.0) & (y[1] < TOP);
    let sure = (lo[0] == hi[0]) & (lo[1] == hi[1]);
    (in_range & sure).then_some((lo[0], lo[1]))
}

/// 30-bit latitude and longitude indices of a valid point at full precision. Latitude 90 falls in
/// the top row and longitude 180 in the last column, so every valid point, the corners
/// included, lies in the box of the cell it encodes to.
#[inline]
pub(crate) fn full_indices(lat: f64, lon: f64) -> (u32, u32) {
    fast_indices(lat, lon).unwrap_or_else(|| exact_indices(lat, lon))
}

#[cold]
pub(crate) fn exact_indices(lat: f64, lon: f64) -> (u32, u32) {
    let max = (1i64 << AXIS_BITS) - 1;
    (
        exact_index(lat, 90.0).clamp(0, max) as u32,
        // 180 is the east edge: the last column, whose box ends there (-180 starts the first).
        exact_index(lon, 180.0).clamp(0, max) as u32,
    )
}

/// Interleaved 60-bit form (longitude on the odd positions) of the full-precision indices.
#[inline]
pub(crate) fn interleave60(lat_i: u32, lon_i: u32) -> u64 {
    (spread(lon_i) << 1) | spread(lat_i)
}

/// The top 32 bits of [`interleave60`], enough for 6 characters: the top 16 bits of each axis
/// share one u64 (latitude in the low half, longitude in the high), so four shift-and-mask
/// rounds spread both at once where `interleave60` needs five rounds per axis.
#[inline]
pub(crate) fn interleave_top32(lat_i: u32, lon_i: u32) -> u64 {
    let mut x = u64::from(lat_i >> 14) | (u64::from(lon_i >> 14) << 32);
    x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    x = (x | (x << 1)) & 0x5555_5555_5555_5555;
    ((x >> 32) << 1) | (x & 0xffff_ffff)
}

/// Bits of each axis in a `len`-character hash: longitude takes the odd bit when 5·len is odd.
#[inline]
pub(crate) const fn axis_bits(len: u8) -> (u32, u32) {
    let total = 5 * len as u32;
    (total / 2, total.div_ceil(2))
}
