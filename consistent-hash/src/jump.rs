//! Jump consistent hash (Lamping & Veach 2014).

use crate::Error;

/// The bucket in `0..buckets` for `key`: Lamping & Veach's jump consistent hash.
///
/// A key's bucket only ever changes to the new bucket when `buckets` grows by one, so growing
/// from n to n + 1 moves 1/(n + 1) of the keys, all of them to bucket n. No memory, O(ln n) time,
/// perfectly even shares; but buckets can only be added or removed at the end.
///
/// # Errors
/// - [`Error::NoBuckets`] for 0 buckets (there is no bucket to return).
#[inline]
pub fn jump(key: u64, buckets: u32) -> Result<u32, Error> {
    if buckets == 0 {
        return Err(Error::NoBuckets);
    }
    let (mut b, mut j): (i64, i64) = (-1, 0);
    let mut key = key;
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        // The next jump: j = (b + 1) · 2^31 / (top 31 bits of key + 1), in f64 as the paper does.
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    Ok(b as u32)
}
