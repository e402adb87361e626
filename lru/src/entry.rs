//! The entry API of every cache: `cache.entry(key)` selects one key, then says what to do with
//! it — insert it if absent, modify it if present, or compute its next state from its current
//! one in one step (moka's `entry` and `and_compute_with`, std's `Entry::or_insert_with`).

use crate::store::{self, Policy};
use crate::{Clock, ConcurrentCache, LfuCache, LruCache, RemovalCause, TooHeavy, Weigher};
use std::future::Future;
use std::hash::{BuildHasher, Hash};

/// What a compute function wants done with the entry it was shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compute<V> {
    /// Insert this value, or replace the current one with it.
    Put(V),
    /// Remove the entry (nothing happens if there is none).
    Remove,
    /// Leave the entry as it is.
    Keep,
}

/// What an `and_compute_with` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Computed {
    /// There was no live entry; the value was inserted.
    Inserted,
    /// The live entry's value was replaced.
    Updated,
    /// The live entry was removed.
    Removed,
    /// Nothing changed.
    Unchanged,
}

/// One key of a cache, selected by `entry(key)`: `C` is the cache, borrowed (`&mut` for the
/// single-threaded caches, `&` for [`ConcurrentCache`]).
#[derive(Debug)]
pub struct EntryRef<C, K> {
    cache: C,
    key: K,
}

impl<C, K> EntryRef<C, K> {
    pub(crate) fn new(cache: C, key: K) -> Self {
        Self { cache, key }
    }

    /// The selected key.
    ///
    /// Computes in **O(1)** time.
    pub fn key(&self) -> &K {
        &self.key
    }
}

/// A value a [`ConcurrentCache`] entry call returned, and whether this call put it there.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Entry<V> {
    value: V,
    fresh: bool,
}

impl<V> Entry<V> {
    /// The value.
    ///
    /// Computes in **O(1)** time.
    pub fn value(&self) -> &V {
        &self.value
    }

    /// The value, by value.
    ///
    /// Computes in **O(1)** time.
    pub fn into_value(self) -> V {
        self.value
    }

    /// Whether this call inserted it (its loader ran), rather than finding it cached.
    ///
    /// Computes in **O(1)** time.
    pub fn is_fresh(&self) -> bool {
        self.fresh
    }
}

/// The entry API of a single-threaded cache, the same for each policy.
macro_rules! single_threaded_entry {
    ($ty:ident) => {
        impl<K: Hash + Eq, V, S: BuildHasher, W: Weigher<K, V>, C: Clock> $ty<K, V, S, W, C> {
            /// Selects `key`, to insert it if absent, modify it if present or compute its
            /// next state: see [`EntryRef`].
            ///
            /// Computes in **O(1)** time (the lookup happens in the call that follows).
            pub fn entry(&mut self, key: K) -> EntryRef<&mut Self, K> {
                EntryRef::new(self, key)
            }
        }

        impl<'a, K: Hash + Eq, V, S: BuildHasher, W: Weigher<K, V>, C: Clock>
            EntryRef<&'a mut $ty<K, V, S, W, C>, K>
        {
            /// The key's value, inserting `value` first if it holds none (counted as a use
            /// either way).
            ///
            /// Computes in **O(1)** expected time (amortized).
            ///
            /// # Errors
            /// The key and value, if the value is heavier than the whole capacity.
            pub fn or_insert(self, value: V) -> Result<&'a mut V, (K, V)> {
                self.cache.get_or_insert(self.key, value)
            }

            /// The key's value, inserting `make()` first if it holds none; `make` runs only
            /// then.
            ///
            /// Computes in **O(1)** expected time (amortized).
            ///
            /// # Errors
            /// As [`or_insert`](Self::or_insert).
            ///
            /// # Panics
            /// Only if `make` panics; the panic reaches the caller and the cache is unchanged.
            pub fn or_insert_with(self, make: impl FnOnce() -> V) -> Result<&'a mut V, (K, V)> {
                self.cache.get_or_insert_with(self.key, make)
            }

            /// The key's value, inserting `V::default()` first if it holds none.
            ///
            /// Computes in **O(1)** expected time (amortized).
            ///
            /// # Errors
            /// As [`or_insert`](Self::or_insert).
            pub fn or_default(self) -> Result<&'a mut V, (K, V)>
            where
                V: Default,
            {
                self.cache.get_or_insert_with(self.key, V::default)
            }

            /// Calls `f` on the key's live value, if any (a use of it), and keeps the
            /// selection for an `or_insert` to follow.
            ///
            /// Computes in **O(1)** expected time.
            pub fn and_modify(self, f: impl FnOnce(&mut V)) -> Self {
                if let Some(v) = self.cache.get_mut(&self.key) {
                    f(v);
                }
                self
            }

            /// Shows `f` the key's live value (or `None`) and inserts, replaces or removes it
            /// as `f` decides, saying which it did. Reading the value counts as a use.
            ///
            /// Computes in **O(1)** expected time (amortized).
            ///
            /// # Errors
            /// The key and value of a [`Compute::Put`] heavier than the whole capacity; the
            /// current entry, if any, stays.
            ///
            /// # Panics
            /// Only if `f` panics; the panic reaches the caller and the key's entry is as it was
            /// (`f` decides before anything changes).
            pub fn and_compute_with(
                self,
                f: impl FnOnce(Option<&V>) -> Compute<V>,
            ) -> Result<Computed, (K, V)> {
                let EntryRef { cache, key } = self;
                let live = store::lookup(cache, &key);
                let decision = f(live.map(|i| &Policy::store(cache).slot(i).value));
                match (decision, live) {
                    (Compute::Keep, _) | (Compute::Remove, None) => Ok(Computed::Unchanged),
                    (Compute::Remove, Some(i)) => {
                        Policy::store_mut(cache).stats.removals += 1;
                        <$ty<K, V, S, W, C> as Policy<K, V, S, W, C>>::remove_at(cache, i);
                        Ok(Computed::Removed)
                    }
                    (Compute::Put(value), live) => {
                        let mut rejected = None;
                        cache.insert_with(key, value, |k, v, why| {
                            if why == RemovalCause::Rejected {
                                rejected = Some((k, v));
                            }
                        });
                        match (rejected, live) {
                            (Some(kv), _) => Err(kv),
                            (None, Some(_)) => Ok(Computed::Updated),
                            (None, None) => Ok(Computed::Inserted),
                        }
                    }
                }
            }
        }
    };
}

single_threaded_entry!(LruCache);
single_threaded_entry!(LfuCache);

impl<K: Hash + Eq, V: Clone, S: BuildHasher, W: Weigher<K, V>, C: Clock>
    EntryRef<&ConcurrentCache<K, V, S, W, C>, K>
{
    /// The key's value, loading it with `load` if absent, once however many threads miss it
    /// together ([`get_or_insert_with`](ConcurrentCache::get_or_insert_with)); the
    /// [`Entry`] says whether this call's `load` ran.
    ///
    /// Computes in **O(1)** expected time, plus `load` on a miss.
    ///
    /// # Panics
    /// Only if `load` panics, as [`get_or_insert_with`](ConcurrentCache::get_or_insert_with):
    /// nothing is cached and a waiting caller loads instead.
    pub fn or_insert_with(self, load: impl FnOnce() -> V) -> Entry<V> {
        let mut fresh = false;
        let value = self.cache.get_or_insert_with(self.key, || {
            fresh = true;
            load()
        });
        Entry { value, fresh }
    }

    /// [`or_insert_with`](Self::or_insert_with) with the value at hand.
    ///
    /// Computes in **O(1)** expected time (amortized).
    pub fn or_insert(self, value: V) -> Entry<V> {
        self.or_insert_with(|| value)
    }

    /// [`or_insert_with`](Self::or_insert_with) with `V::default()`.
    ///
    /// Computes in **O(1)** expected time (amortized).
    pub fn or_default(self) -> Entry<V>
    where
        V: Default,
    {
        let mut fresh = false;
        let value = self.cache.get_or_insert_with(self.key, || {
            fresh = true;
            V::default()
        });
        Entry { value, fresh }
    }

    /// [`or_insert_with`](Self::or_insert_with) with a fallible loader.
    ///
    /// Computes in **O(1)** expected time, plus `load` on a miss.
    ///
    /// # Errors
    /// `load`'s error, as [`try_get_or_insert_with`](ConcurrentCache::try_get_or_insert_with)
    /// gives it: nothing is cached.
    pub fn or_try_insert_with<E>(self, load: impl FnOnce() -> Result<V, E>) -> Result<Entry<V>, E> {
        let mut fresh = false;
        let value = self.cache.try_get_or_insert_with(self.key, || {
            fresh = true;
            load()
        })?;
        Ok(Entry { value, fresh })
    }

    /// The async form of [`or_insert_with`](Self::or_insert_with)
    /// ([`get_or_insert_with_async`](ConcurrentCache::get_or_insert_with_async)).
    ///
    /// Computes in **O(1)** expected time, plus awaiting `load` on a miss.
    pub async fn or_insert_with_async(self, load: impl Future<Output = V>) -> Entry<V> {
        let mut fresh = false;
        let fresh_ref = &mut fresh;
        let value = self
            .cache
            .get_or_insert_with_async(self.key, async move {
                *fresh_ref = true;
                load.await
            })
            .await;
        Entry { value, fresh }
    }

    /// [`ConcurrentCache::and_compute_with`] on the selected key.
    ///
    /// Computes in **O(1)** expected time (amortized); `f` runs under the shard's write lock.
    ///
    /// # Errors
    /// [`TooHeavy`] if `f` puts a value heavier than a shard holds; the current entry stays.
    pub fn and_compute_with(
        self,
        f: impl FnOnce(Option<&V>) -> Compute<V>,
    ) -> Result<Computed, TooHeavy<K, V>> {
        self.cache.and_compute_with(self.key, f)
    }
}
