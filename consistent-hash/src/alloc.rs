//! Fallible allocation. A size that comes from a caller's parameter is reserved with
//! `try_reserve_exact`, so an allocator's refusal becomes a typed error instead of aborting
//! the process. (One of the workspace's deliberate copies, listed in `.ci/shared-files`.)

/// An allocation the allocator refused, or one larger than the address space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused {
    /// The bytes that were asked for (saturating at `u64::MAX`).
    pub(crate) bytes: u64,
}

/// An empty vector with room for `len` elements.
#[allow(dead_code)]
pub(crate) fn vec_with_capacity<T>(len: u64) -> Result<Vec<T>, Refused> {
    let bytes = len.saturating_mul(size_of::<T>() as u64);
    let refused = Refused { bytes };
    if bytes > isize::MAX as u64 {
        return Err(refused);
    }
    let len = usize::try_from(len).map_err(|_| refused)?;
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| refused)?;
    Ok(v)
}

/// Room for `additional` more elements in `v`.
// Identical in every brick, and not every brick grows a vector fallibly.
#[allow(dead_code)]
pub(crate) fn reserve<T>(v: &mut Vec<T>, additional: u64) -> Result<(), Refused> {
    let bytes = additional.saturating_mul(size_of::<T>() as u64);
    let refused = Refused { bytes };
    let additional = usize::try_from(additional).map_err(|_| refused)?;
    v.try_reserve_exact(additional).map_err(|_| refused)
}

/// `len` values from `make`, in a vector reserved fallibly.
#[allow(dead_code)]
pub(crate) fn filled_with<T>(len: u64, make: impl FnMut() -> T) -> Result<Vec<T>, Refused> {
    let mut v = vec_with_capacity(len)?;
    // The reservation succeeded, so `len` fits in `usize`.
    v.extend(std::iter::repeat_with(make).take(len as usize));
    Ok(v)
}
