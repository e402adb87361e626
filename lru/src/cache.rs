//! The interface both caches share, for benches, examples and trace replays.

use crate::Stats;

/// Why an entry left the cache (reported by `insert_with`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Removal {
    /// The same key was inserted again; this is its old entry.
    Replaced,
    /// Pushed out to make room.
    Evicted,
    /// Heavier than the whole capacity: refused, never inserted.
    Rejected,
}

/// What a bounded key-value cache offers, whatever its policy.
pub trait Cache<K, V> {
    /// The value of `key`, counting the use as the policy does.
    fn get(&mut self, key: &K) -> Option<&V>;
    /// Inserts or replaces `key`; returns the entry pushed out, if any.
    fn insert(&mut self, key: K, value: V) -> Option<(K, V)>;
    /// Removes `key` and returns its value.
    fn remove(&mut self, key: &K) -> Option<V>;
    /// Whether `key` holds a live entry, without counting a use.
    fn contains(&self, key: &K) -> bool;
    /// Entries resident.
    fn len(&self) -> usize;
    /// Whether no entry is resident.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The counters.
    fn stats(&self) -> Stats;
}

/// Implements [`Cache`], a short `Debug` and the crate-private `Policy` (whose hit method is
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

        impl<K: Hash + Eq, V, S: BuildHasher, W: Weigher<K, V>, C: Clock> $crate::Cache<K, V>
            for $ty<K, V, S, W, C>
        {
            fn get(&mut self, key: &K) -> Option<&V> {
                $ty::get(self, key)
            }
            fn insert(&mut self, key: K, value: V) -> Option<(K, V)> {
                $ty::insert(self, key, value)
            }
            fn remove(&mut self, key: &K) -> Option<V> {
                $ty::remove(self, key)
            }
            fn contains(&self, key: &K) -> bool {
                $ty::contains(self, key)
            }
            fn len(&self) -> usize {
                $ty::len(self)
            }
            fn stats(&self) -> $crate::Stats {
                $ty::stats(self)
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
