//! From one 64-bit hash to one column per row, and the zeroed allocation every sketch starts from.

use crate::{Error, MAX_DEPTH, MAX_WIDTH};

/// The counter of each row, by double hashing (Kirsch and Mitzenmacher 2006): with the hash's
/// halves h₁ and h₂, row i uses gᵢ = h₁ + i·h₂ (mod 2^32), one addition per row, scaled onto the
/// width by multiply-shift (no division, any width up to 2^32). Two keys that share a column in
/// one row share it in the next only if their h₂ also agree in the top bits, so rows collide
/// about independently, which is what the δ = e^(−depth) bound needs (the accuracy tests check
/// the resulting errors against independent per-row hashes). The iterator yields indices into
/// the row-major table, so each access has one bounds check.
#[derive(Clone, Copy)]
pub(crate) struct Cells {
    g: u32,
    step: u32,
    base: usize,
    width: usize,
}

impl Cells {
    #[inline(always)]
    pub(crate) fn new(hash: u64, width: usize) -> Self {
        Self {
            g: hash as u32,
            step: (hash >> 32) as u32,
            base: 0,
            width,
        }
    }

    /// The next row's counter index.
    #[inline(always)]
    pub(crate) fn next_cell(&mut self) -> usize {
        let column = (u64::from(self.g) * self.width as u64) >> 32;
        let cell = self.base + column as usize;
        self.g = self.g.wrapping_add(self.step);
        self.base += self.width;
        cell
    }
}

/// `len` values from `make`, with the allocator's refusal as [`Error::OutOfMemory`] and a length
/// beyond `usize` as [`Error::TooLarge`].
fn alloc_with<T>(len: u64, make: impl FnMut() -> T) -> Result<Vec<T>, Error> {
    crate::alloc::filled_with(len, make).map_err(|refused| {
        if refused.bytes > isize::MAX as u64 {
            Error::TooLarge {
                counters: len as f64,
            }
        } else {
            Error::OutOfMemory {
                bytes: refused.bytes,
            }
        }
    })
}

/// Refuses a width or depth no sketch may have.
pub(crate) fn check_shape(width: u64, depth: u64) -> Result<(), Error> {
    if width == 0 || width > MAX_WIDTH {
        return Err(Error::InvalidWidth(width));
    }
    if depth == 0 || depth > MAX_DEPTH {
        return Err(Error::InvalidDepth(depth));
    }
    Ok(())
}

/// `width × depth` counters from `make`, after checking the shape.
pub(crate) fn alloc_counters<T>(
    width: u64,
    depth: u64,
    make: impl FnMut() -> T,
) -> Result<Vec<T>, Error> {
    check_shape(width, depth)?;
    let len = width.checked_mul(depth).ok_or(Error::TooLarge {
        counters: width as f64 * depth as f64,
    })?;
    alloc_with(len, make)
}
