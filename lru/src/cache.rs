//! Why entries leave a cache, and the glue the single-threaded policies share.

/// Why an entry left a cache: what `insert_with` reports on the single-threaded caches and the
/// eviction listener hears on [`ConcurrentCache`](crate::ConcurrentCache).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RemovalCause {
    /// Pushed out by the policy to stay within the capacity.
    Size,
    /// Heavier than the capacity allows (the whole capacity, or a shard's): refused, never
    /// cached.
    Rejected,
    /// Its time to live or time to idle had passed.
    Expired,
    /// The key was inserted again; this is the old value.
    Replaced,
    /// Removed by `remove`, `retain` or `clear`.
    Removed,
}

/// Implements a short `Debug` and the crate-private `Policy` (whose hit method is
/// `$hit`) for a policy type by forwarding to its inherent methods.
macro_rules! forward_cache {
    ($ty:ident, $hit:ident) => {
        impl<K: Hash + Eq, V, S: BuildHasher, W: Weigher<K, V>, C: Clock>
            $crate::store::Policy<K, V, S, W, C> for $ty<K, V, S, W, C>
        {
            type Links = Links;
            #[inline(always)]
            fn store(&self) -> &$crate::store::Store<K, V, Links, S, W, C> {
                &self.store
            }
            #[inline(always)]
            fn store_mut(&mut self) -> &mut $crate::store::Store<K, V, Links, S, W, C> {
                &mut self.store
            }
            #[inline(always)]
            fn hit(&mut self, i: u32) {
                self.$hit(i);
            }
            #[inline(always)]
            fn remove_at(&mut self, i: u32) -> (K, V) {
                $ty::remove_at(self, i)
            }
        }

        impl<K, V, S, W, C> std::fmt::Debug for $ty<K, V, S, W, C> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("len", &self.store.len())
                    .field("weight", &self.store.weight)
                    .field("capacity", &self.store.capacity)
                    .finish_non_exhaustive()
            }
        }
    };
}
pub(crate) use forward_cache;
