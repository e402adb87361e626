//! The methods [`LruCache`](crate::LruCache) and [`LfuCache`](crate::LfuCache) share word for
//! word: both are a [`Store`](crate::store::Store) (the table, weights, TTLs and counters) plus
//! an eviction order, so everything that does not touch the order is written once here. Each
//! cache supplies the private `lookup` (find and mark used), `insert_full` (place and evict) and
//! `remove_at` its order needs.

use crate::{Clock, Weigher};
use std::hash::{BuildHasher, Hash};

/// Expands, inside a cache's `impl` block, to its order-independent public methods. `$used`
/// and `$unused` say in words what a read does, or does not do, to the entry's place in the
/// order, and the doc comment before `insert` is that method's (the docs differ only there).
macro_rules! local_cache_methods {
    (used: $used:literal, unused: $unused:literal, $(#[$insert_doc:meta])* insert) => {
        /// Gives entries inserted without their own time to live this one (`None`: forever).
        /// Entries already resident keep their deadlines.
        ///
        /// Computes in **O(1)** time.
        pub fn set_time_to_live(&mut self, ttl: Option<Duration>) {
            self.store.ttl = ttl.map(nanos);
        }

        #[doc = concat!("The value of `key`, ", $used, ". An expired entry is removed and counts as a miss.")]
        ///
        /// Computes in **O(1)** expected time.
        #[inline(always)]
        pub fn get<Q>(&mut self, key: &Q) -> Option<&V>
        where
            K: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            let i = self.lookup(key)?;
            Some(&self.store.slot(i).value)
        }

        /// [`get`](Self::get), mutably. The entry keeps the weight it was inserted with.
        ///
        /// Computes in **O(1)** expected time.
        #[inline]
        pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
        where
            K: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            let i = self.lookup(key)?;
            Some(&mut self.store.slot_mut(i).value)
        }

        #[doc = concat!("The value of `key` ", $unused, " (an expired entry reads as absent).")]
        ///
        /// Computes in **O(1)** expected time.
        #[inline]
        pub fn peek<Q>(&self, key: &Q) -> Option<&V>
        where
            K: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            let i = self.store.peek_index(key)?;
            Some(&self.store.slot(i).value)
        }

        #[doc = concat!("Whether `key` holds a live entry (", $unused, ").")]
        ///
        /// Computes in **O(1)** expected time.
        #[inline]
        pub fn contains<Q>(&self, key: &Q) -> bool
        where
            K: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            self.store.peek_index(key).is_some()
        }

        $(#[$insert_doc])*
        #[inline]
        pub fn insert(&mut self, key: K, value: V) -> Option<(K, V)> {
            let mut out = None;
            let ttl = self.store.ttl;
            self.insert_full(key, value, ttl, &mut |k, v, _| out = Some((k, v)));
            out
        }

        /// [`insert`](Self::insert) with a time to live for this entry.
        ///
        /// Computes in **O(1)** expected time (amortized; O(evicted) for a weighted insert).
        #[inline]
        pub fn insert_with_ttl(&mut self, key: K, value: V, ttl: Duration) -> Option<(K, V)> {
            let mut out = None;
            self.insert_full(key, value, Some(nanos(ttl)), &mut |k, v, _| {
                out = Some((k, v))
            });
            out
        }

        /// Inserts or replaces `key`, calling `removed` with every entry pushed out and why.
        ///
        /// Computes in **O(1)** expected time (amortized; O(evicted) for a weighted insert).
        #[inline]
        pub fn insert_with(
            &mut self,
            key: K,
            value: V,
            mut removed: impl FnMut(K, V, RemovalCause),
        ) {
            let ttl = self.store.ttl;
            self.insert_full(key, value, ttl, &mut removed);
        }

        /// The value of `key`, inserting `make()` first on a miss (one lookup on a hit, and
        /// `make` runs only on a miss). Entries the insert pushes out are dropped; use
        /// [`insert_with`](Self::insert_with) to see them.
        ///
        /// Computes in **O(1)** expected time (amortized).
        ///
        /// # Errors
        /// The key and the made value, if it is heavier than the whole capacity (nothing was
        /// inserted).
        ///
        /// # Panics
        /// Only if `make` panics; the panic reaches the caller and the cache is unchanged (`make`
        /// runs before anything is placed).
        pub fn get_or_insert_with(
            &mut self,
            key: K,
            make: impl FnOnce() -> V,
        ) -> Result<&mut V, (K, V)> {
            if let Some(i) = self.lookup(&key) {
                return Ok(&mut self.store.slot_mut(i).value);
            }
            let mut rejected = None;
            let ttl = self.store.ttl;
            let placed = self.insert_full(key, make(), ttl, &mut |k, v, why| {
                if why == RemovalCause::Rejected {
                    rejected = Some((k, v));
                }
            });
            match (placed, rejected) {
                (Some(i), _) => Ok(&mut self.store.slot_mut(i).value),
                (None, Some(kv)) => Err(kv),
                // insert_full rejects only through the callback.
                (None, None) => unreachable!("a rejected insert hands its entry back"),
            }
        }

        /// [`get_or_insert_with`](Self::get_or_insert_with) with the value at hand.
        ///
        /// Computes in **O(1)** expected time (amortized).
        ///
        /// # Errors
        /// As [`get_or_insert_with`](Self::get_or_insert_with).
        pub fn get_or_insert(&mut self, key: K, value: V) -> Result<&mut V, (K, V)> {
            self.get_or_insert_with(key, || value)
        }

        /// Removes `key` and returns its value (an expired entry is removed but reads as
        /// absent).
        ///
        /// Computes in **O(1)** expected time.
        #[inline]
        pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
        where
            K: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            self.remove_entry(key).map(|(_, v)| v)
        }

        /// Removes `key` and returns its entry.
        ///
        /// Computes in **O(1)** expected time.
        #[inline]
        pub fn remove_entry<Q>(&mut self, key: &Q) -> Option<(K, V)>
        where
            K: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            store::remove_entry(self, key)
        }

        /// Entries resident, including expired ones not yet reclaimed.
        ///
        /// Computes in **O(1)** time.
        #[inline]
        pub fn len(&self) -> usize {
            self.store.len()
        }

        /// Whether no entry is resident.
        ///
        /// Computes in **O(1)** time.
        #[inline]
        pub fn is_empty(&self) -> bool {
            self.store.len() == 0
        }

        /// The hasher keys are hashed with (for a default-built cache, its own random key).
        ///
        /// Computes in **O(1)** time.
        pub fn hasher(&self) -> &S {
            self.store.hasher()
        }

        /// The capacity: entries, or total weight with a weigher.
        ///
        /// Computes in **O(1)** time.
        #[inline]
        pub fn capacity(&self) -> u64 {
            self.store.capacity
        }

        /// Total weight of the resident entries (their count for the unit weigher).
        ///
        /// Computes in **O(1)** time.
        #[inline]
        pub fn weight(&self) -> u64 {
            self.store.weight
        }

        /// The counters.
        ///
        /// Computes in **O(1)** time.
        #[inline]
        pub fn stats(&self) -> CacheStats {
            self.store.stats
        }

        /// Zeroes the counters.
        ///
        /// Computes in **O(1)** time.
        pub fn reset_stats(&mut self) {
            self.store.stats.reset();
        }

        /// Keeps only the entries for which `keep` returns true; expired entries go too.
        ///
        /// Computes in **O(n)** time.
        ///
        /// # Panics
        /// Only if `keep` panics; the panic reaches the caller, the entries already judged stay
        /// removed or kept, and the cache stays consistent.
        pub fn retain(&mut self, keep: impl FnMut(&K, &mut V) -> bool) {
            store::retain(self, keep)
        }

        /// Drops every expired entry now and returns how many.
        ///
        /// Computes in **O(n)** time.
        pub fn purge_expired(&mut self) -> usize {
            store::purge_expired(self)
        }
    };
}

pub(crate) use local_cache_methods;

/// `Extend` for both caches: `cache.extend(pairs)` inserts every pair, as a loop of `insert`
/// would, the entries it pushes out dropped (use `insert_with` to see them). No `FromIterator`:
/// a cache needs its capacity first.
macro_rules! local_cache_extend {
    ($cache:ident) => {
        impl<K: Hash + Eq, V, S: BuildHasher, W: Weigher<K, V>, C: Clock> Extend<(K, V)>
            for crate::$cache<K, V, S, W, C>
        {
            /// Computes in **O(1)** expected time per pair (amortized).
            fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
                for (key, value) in pairs {
                    self.insert(key, value);
                }
            }
        }
    };
}

local_cache_extend!(LruCache);
local_cache_extend!(LfuCache);
