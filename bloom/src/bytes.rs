//! The byte-level methods every filter has, written once: `insert_bytes`, `contains_bytes` and
//! `hash_bytes`, which hash exactly the bytes given (XXH3-64 of them with the default hasher, the
//! same on every machine and release, unlike a value hashed through std's `Hash`).

/// Implements the byte-level methods for a filter with `insert_hash` and `contains_hash`;
/// `mut` when inserting takes `&mut self`, `shared` when it takes `&self` (the atomic filter).
macro_rules! byte_methods {
    ($ty:ident, mut) => {
        impl<S: std::hash::BuildHasher> $ty<S> {
            /// [`insert`](Self::insert) of a byte string, hashed as exactly these bytes.
            ///
            /// Portable: with the default hasher the hash is XXH3-64 of exactly these bytes,
            /// the same on every machine and release, unlike a value hashed through std's
            /// `Hash`.
            ///
            /// Computes in **O(k + len)** time.
            #[inline]
            pub fn insert_bytes(&mut self, bytes: &[u8]) -> bool {
                self.insert_hash($crate::xxh3::hash_bytes(&self.hasher, bytes))
            }
        }
        $crate::bytes::byte_methods!(@read $ty);
    };
    ($ty:ident, shared) => {
        impl<S: std::hash::BuildHasher> $ty<S> {
            /// [`insert`](Self::insert) of a byte string, hashed as exactly these bytes.
            ///
            /// Portable: with the default hasher the hash is XXH3-64 of exactly these bytes,
            /// the same on every machine and release, unlike a value hashed through std's
            /// `Hash`.
            ///
            /// Computes in **O(k + len)** time.
            #[inline]
            pub fn insert_bytes(&self, bytes: &[u8]) -> bool {
                self.insert_hash($crate::xxh3::hash_bytes(&self.hasher, bytes))
            }
        }
        $crate::bytes::byte_methods!(@read $ty);
    };
    (@read $ty:ident) => {
        impl<S: std::hash::BuildHasher> $ty<S> {
            /// [`contains`](Self::contains) of a byte string, hashed as
            /// [`insert_bytes`](Self::insert_bytes) hashes it.
            ///
            /// Computes in **O(k + len)** time.
            #[inline]
            #[must_use]
            pub fn contains_bytes(&self, bytes: &[u8]) -> bool {
                self.contains_hash($crate::xxh3::hash_bytes(&self.hasher, bytes))
            }

            /// The 64-bit hash this filter computes for a byte string (XXH3-64 of the bytes
            /// with the default hasher).
            ///
            /// Computes in **O(len)** time: one XXH3 pass over the bytes.
            #[must_use]
            pub fn hash_bytes(&self, bytes: &[u8]) -> u64 {
                $crate::xxh3::hash_bytes(&self.hasher, bytes)
            }
        }
    };
}
pub(crate) use byte_methods;
