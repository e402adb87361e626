//! Counter widths: `u8`, `u16`, `u32` and `u64`, all saturating.

mod private {
    pub trait Sealed {}
}

/// An unsigned counter that saturates at its maximum instead of wrapping.
///
/// A counter is the sum of the counts of every key hashed to it; saturation stores
/// `min(sum, MAX)`. Because `min(MAX, ·)` commutes with the minimum over rows, a saturated sketch
/// still never underestimates below `MAX`: an estimate below `MAX` is exactly what an unbounded
/// sketch would say, and an estimate equal to `MAX` means "`MAX` or more". Halving leaves a
/// saturated counter at `MAX` for the same reason (its true sum is unknown, so it must stay an
/// upper bound).
///
/// Implemented for `u8`, `u16`, `u32` and `u64` only (sealed), because the wire format names the
/// width.
pub trait Counter:
    Copy + Ord + Default + std::fmt::Debug + Send + Sync + 'static + private::Sealed
{
    /// The saturation value.
    const MAX: Self;
    /// Bytes per counter, as stored in the wire format.
    const BYTES: u8;
    /// The value as a `u64`.
    fn to_u64(self) -> u64;
    /// `min(value, MAX)`.
    fn saturating_from(value: u64) -> Self;
    /// `min(self + n, MAX)`.
    fn saturating_add_u64(self, n: u64) -> Self;
    /// `self / 2`, except that `MAX` stays `MAX`.
    fn halve(self) -> Self;
    /// Appends the little-endian bytes.
    #[doc(hidden)]
    fn write_le(self, out: &mut Vec<u8>);
    /// Reads a counter from exactly `BYTES` little-endian bytes.
    #[doc(hidden)]
    fn read_le(bytes: &[u8]) -> Self;
}

macro_rules! counter {
    ($($t:ty),*) => {$(
        impl private::Sealed for $t {}

        impl Counter for $t {
            const MAX: Self = <$t>::MAX;
            const BYTES: u8 = size_of::<$t>() as u8;

            #[inline(always)]
            fn to_u64(self) -> u64 {
                self as u64
            }

            #[inline(always)]
            fn saturating_from(value: u64) -> Self {
                <$t>::try_from(value).unwrap_or(<$t>::MAX)
            }

            #[inline(always)]
            fn saturating_add_u64(self, n: u64) -> Self {
                self.saturating_add(Self::saturating_from(n))
            }

            #[inline(always)]
            fn halve(self) -> Self {
                if self == <$t>::MAX { self } else { self / 2 }
            }

            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }

            fn read_le(bytes: &[u8]) -> Self {
                let mut b = [0; size_of::<$t>()];
                b.copy_from_slice(bytes);
                <$t>::from_le_bytes(b)
            }
        }
    )*};
}

counter!(u8, u16, u32, u64);
