//! From one 64-bit hash to one column per row, and the zeroed allocation every sketch starts from.

use crate::{Error, MAX_DEPTH, MAX_WIDTH};

/// Maps `x` uniformly onto `0..m` with a multiply and a shift (Lemire 2019): no division, so the
/// width need not be a power of two and the sizing formula's width is used as it is.
#[inline(always)]
pub(crate) fn reduce(x: u64, m: u64) -> u64 {
    ((u128::from(x) * u128::from(m)) >> 64) as u64
}

/// MurmurHash3's 64-bit finaliser: a bijection with full avalanche, used to derive a second,
/// independent-looking hash from the first.
#[inline(always)]
pub(crate) fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// The column of each row, by enhanced double hashing (Kirsch and Mitzenmacher 2006):
/// gᵢ = h₁ + i·h₂ + (i³ − i)/6, one addition per row. Two keys that share a column in one row
/// share it in the next only if their h₂ also agree in the top bits, so rows collide about
/// independently, which is what the δ = e^(−depth) bound needs.
#[derive(Clone, Copy)]
pub(crate) struct Columns {
    x: u64,
    y: u64,
    i: u64,
}

impl Columns {
    #[inline(always)]
    pub(crate) fn new(hash: u64) -> Self {
        Self {
            x: hash,
            y: fmix64(hash),
            i: 0,
        }
    }

    /// The next row's column in `0..width`.
    #[inline(always)]
    pub(crate) fn next_in(&mut self, width: u64) -> usize {
        let column = reduce(self.x, width);
        self.x = self.x.wrapping_add(self.y);
        self.y = self.y.wrapping_add(self.i);
        self.i += 1;
        column as usize
    }
}

/// `len` values from `make`, with the allocator's refusal as [`Error::OutOfMemory`] and a length
/// beyond `usize` as [`Error::TooLarge`].
fn alloc_with<T>(len: u64, make: impl FnMut() -> T) -> Result<Vec<T>, Error> {
    let elem = size_of::<T>() as u64;
    let n = usize::try_from(len).map_err(|_| Error::TooLarge {
        counters: len as f64,
    })?;
    if len.checked_mul(elem).is_none_or(|b| b > isize::MAX as u64) {
        return Err(Error::TooLarge {
            counters: len as f64,
        });
    }
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::OutOfMemory {
        bytes: len.saturating_mul(elem),
    })?;
    v.extend(std::iter::repeat_with(make).take(n));
    Ok(v)
}

/// `width × depth` counters from `make`, after checking the shape.
pub(crate) fn alloc_counters<T>(
    width: u64,
    depth: u64,
    make: impl FnMut() -> T,
) -> Result<Vec<T>, Error> {
    if width == 0 || width > MAX_WIDTH {
        return Err(Error::InvalidWidth(width));
    }
    if depth == 0 || depth > MAX_DEPTH {
        return Err(Error::InvalidDepth(depth));
    }
    let len = width.checked_mul(depth).ok_or(Error::TooLarge {
        counters: width as f64 * depth as f64,
    })?;
    alloc_with(len, make)
}
