//! The LRU cache: a recency list threaded through the hash table's buckets by `u32` indices.

use crate::local_methods::local_cache_methods;
use crate::store::{self, Links as _, NIL, Placement, Store, check_capacity, nanos, remapped};
use crate::{
    CacheStats, Clock, DefaultBuildHasher, Error, RemovalCause, SystemClock, UnitWeigher, Weigher,
};
use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::time::Duration;

/// An entry's place in the recency list.
#[derive(Clone, Copy)]
pub(crate) struct Links {
    /// Towards the most recently used end (`NIL` at the head).
    prev: u32,
    /// Towards the least recently used end (`NIL` at the tail).
    next: u32,
}

impl store::Links for Links {
    const NONE: Self = Links {
        prev: NIL,
        next: NIL,
    };
    #[inline]
    fn neighbours(&mut self) -> [&mut u32; 2] {
        [&mut self.prev, &mut self.next]
    }
}

/// A least-recently-used cache with O(1) `get`, `insert` and `remove`, in safe Rust.
///
/// Keys and values live in the buckets of one `hashbrown` table. A doubly linked recency list
/// runs through the buckets as `u32` bucket indices, held in an array beside the table; when
/// the table rehashes, every link is renumbered (O(n), as often as the rehash itself).
///
/// Capacity is an entry count by default, or a total weight with a [`Weigher`]. Entries may
/// have a time to live, measured on the injected [`Clock`].
#[derive(Clone)]
pub struct LruCache<K, V, S = DefaultBuildHasher, W = UnitWeigher, C = SystemClock> {
    store: Store<K, V, Links, S, W, C>,
    /// Most recently used entry.
    head: u32,
    /// Least recently used entry: the next victim.
    tail: u32,
}

impl<K: Hash + Eq, V> LruCache<K, V> {
    /// A cache of at most `capacity` entries, default hasher, no TTL.
    ///
    /// Computes in **O(1)** time; memory grows with use, up to the capacity.
    ///
    /// # Errors
    /// - [`Error::ZeroCapacity`] for 0; [`Error::CapacityTooLarge`] above
    ///   [`MAX_ENTRIES`](crate::MAX_ENTRIES).
    pub fn new(capacity: u64) -> Result<Self, Error> {
        Self::from_parts(
            capacity,
            DefaultBuildHasher::default(),
            UnitWeigher,
            SystemClock::default(),
        )
    }

    /// Configures a cache: capacity first, then any of a hasher, a weigher, a clock and a
    /// default time to live (see [`CacheBuilder`](crate::CacheBuilder)).
    ///
    /// Computes in **O(1)** time.
    pub fn builder(capacity: u64) -> crate::CacheBuilder<Self> {
        crate::CacheBuilder::new(capacity)
    }
}

impl<K: Hash + Eq, V, S: BuildHasher, W: Weigher<K, V>, C: Clock> LruCache<K, V, S, W, C> {
    /// A cache from all its parts: capacity (entries, or total weight with a weigher), hasher,
    /// weigher and clock ([`builder`](Self::builder) names them).
    pub(crate) fn from_parts(
        capacity: u64,
        hasher: S,
        weigher: W,
        clock: C,
    ) -> Result<Self, Error> {
        Ok(Self {
            store: Store::new(capacity, hasher, weigher, clock)?,
            head: NIL,
            tail: NIL,
        })
    }

    local_cache_methods! {
        used: "marking it most recently used",
        unused: "without marking it used",
        /// Inserts or replaces `key` as the most recently used entry, and returns the entry pushed
        /// out: the key's previous entry, the least recently used entry, or — if the entry alone
        /// weighs more than the capacity — `(key, value)` itself, not inserted. A weighted insert
        /// that pushes out several entries returns the last; [`insert_with`](Self::insert_with)
        /// reports each.
        ///
        /// Computes in **O(1)** expected time (amortized; O(evicted) for a weighted insert).
        insert
    }

    #[inline(always)]
    fn lookup<Q>(&mut self, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        store::lookup(self, key)
    }

    #[inline]
    /// Returns the entry's index, or `None` if it was rejected (heavier than the capacity).
    fn insert_full(
        &mut self,
        key: K,
        value: V,
        ttl: Option<u64>,
        removed: &mut impl FnMut(K, V, RemovalCause),
    ) -> Option<u32> {
        let p = match self.store.begin_insert(key, value, ttl, removed) {
            None => return None,
            Some(Placement::Replaced(i)) => {
                self.touch(i);
                // A heavier value may push others out; this entry is the most recent and fits
                // alone, so it stays.
                self.evict_to_fit(0, removed);
                return Some(i);
            }
            Some(Placement::New(p)) => p,
        };
        self.evict_to_fit(u64::from(p.weight), removed);
        let (i, moved) = self
            .store
            .push(p.hash, p.key, p.value, Links::NONE, p.weight, p.expires);
        if let Some(map) = moved {
            self.remap_ends(&map);
        }
        self.link_front(i);
        Some(i)
    }

    #[inline(always)]
    fn evict_to_fit(&mut self, incoming: u64, removed: &mut impl FnMut(K, V, RemovalCause)) {
        while self.tail != NIL && self.store.must_evict(incoming) {
            let (k, v) = self.remove_at(self.tail);
            self.store.stats.evictions += 1;
            removed(k, v, RemovalCause::Size);
        }
    }

    /// Removes and returns the least recently used entry (expired or not).
    ///
    /// Computes in **O(1)** expected time.
    #[inline]
    pub fn pop_lru(&mut self) -> Option<(K, V)> {
        (self.tail != NIL).then(|| {
            self.store.stats.removals += 1;
            self.remove_at(self.tail)
        })
    }

    /// The least recently used entry, the next to be evicted, without marking it used.
    ///
    /// Computes in **O(1)** time.
    #[inline]
    pub fn peek_lru(&self) -> Option<(&K, &V)> {
        (self.tail != NIL).then(|| {
            let s = self.store.slot(self.tail);
            (&s.key, &s.value)
        })
    }

    /// Live entries from most to least recently used.
    ///
    /// Computes in **O(n)** time for the whole walk.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        let now = self.store.now_if_ttl();
        let mut at = self.head;
        std::iter::from_fn(move || {
            while at != NIL {
                let i = at;
                let s = self.store.slot(i);
                at = self.store.links(i).next;
                if !self.store.is_expired(i, now) {
                    return Some((&s.key, &s.value));
                }
            }
            None
        })
    }

    /// Changes the capacity, evicting least recently used entries until the cache fits, and
    /// returns them (least recently used first).
    ///
    /// Computes in **O(evicted)** time, or O(n) when a smaller capacity gives table memory
    /// back.
    ///
    /// # Errors
    /// - [`Error::ZeroCapacity`] for 0; [`Error::CapacityTooLarge`] above
    ///   [`MAX_ENTRIES`](crate::MAX_ENTRIES) for the unit weigher; the cache is then unchanged.
    pub fn resize(&mut self, capacity: u64) -> Result<Vec<(K, V)>, Error> {
        check_capacity(capacity, W::UNIT)?;
        self.store.capacity = capacity;
        let mut out = Vec::new();
        self.evict_to_fit(0, &mut |k, v, _| out.push((k, v)));
        if let Some(map) = self.store.shrink_to_capacity() {
            self.remap_ends(&map);
        }
        Ok(out)
    }

    /// Removes every entry (the counters stay).
    ///
    /// Computes in **O(n)** time: every entry is dropped.
    pub fn clear(&mut self) {
        self.store.stats.removals += self.len() as u64;
        self.store.clear();
        self.head = NIL;
        self.tail = NIL;
    }

    // ---- the recency list ----

    #[inline]
    fn links(&mut self, i: u32) -> &mut Links {
        self.store.links_mut(i)
    }

    /// Follows a rehash: the ends of the list are indices too.
    #[cold]
    fn remap_ends(&mut self, map: &[u32]) {
        self.head = remapped(self.head, map);
        self.tail = remapped(self.tail, map);
    }

    /// Takes entry `i` out of the list: its neighbours (or the list's ends) point at each other.
    #[inline]
    fn unlink(&mut self, i: u32) {
        let Links { prev, next } = *self.links(i);
        match prev {
            NIL => self.head = next,
            p => self.links(p).next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.links(n).prev = prev,
        }
    }

    #[inline]
    fn link_front(&mut self, i: u32) {
        let old = self.head;
        *self.links(i) = Links {
            prev: NIL,
            next: old,
        };
        match old {
            NIL => self.tail = i,
            h => self.links(h).prev = i,
        }
        self.head = i;
    }

    /// Marks entry `i` most recently used.
    #[inline(always)]
    fn touch(&mut self, i: u32) {
        let head = self.head;
        if head == i {
            return;
        }
        // `i` is not the head, so it has a more recent neighbour and the head is another entry.
        let me = self.links(i);
        let Links { prev, next } = *me;
        *me = Links {
            prev: NIL,
            next: head,
        };
        self.links(prev).next = next;
        match next {
            NIL => self.tail = prev,
            n => self.links(n).prev = prev,
        }
        self.links(head).prev = i;
        self.head = i;
    }

    /// Unlinks and removes entry `i`.
    #[inline(always)]
    fn remove_at(&mut self, i: u32) -> (K, V) {
        self.unlink(i);
        self.store.remove(i)
    }

    /// Checks every structural invariant; for tests.
    ///
    /// Computes in **O(n)** time.
    #[doc(hidden)]
    pub fn check_invariants(&self) {
        self.store.check();
        let (mut seen, mut at, mut prev) = (0, self.head, NIL);
        while at != NIL {
            let l = *self.store.links(at);
            assert_eq!(l.prev, prev);
            prev = at;
            at = l.next;
            seen += 1;
        }
        assert_eq!(self.tail, prev);
        assert_eq!(seen, self.store.len());
    }
}

crate::cache::forward_cache!(LruCache, touch);
