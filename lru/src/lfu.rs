//! The LFU cache: O(1) frequency buckets (Shah, Mitra, Matani 2010) over the shared table.

use crate::local_methods::local_cache_methods;
use crate::store::{self, Links as _, NIL, Placement, Store, check_capacity, nanos, remapped};
use crate::{
    CacheStats, Clock, DefaultBuildHasher, Error, RemovalCause, SystemClock, UnitWeigher, Weigher,
};
use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::time::Duration;

/// An entry's place in its frequency bucket.
#[derive(Clone, Copy)]
pub(crate) struct Links {
    /// Towards the bucket's oldest entry (`NIL` at its head).
    prev: u32,
    /// Towards the bucket's newest entry (`NIL` at its tail).
    next: u32,
    /// The bucket holding the entry's count.
    bucket: u32,
}

impl store::Links for Links {
    const NONE: Self = Links {
        prev: NIL,
        next: NIL,
        bucket: NIL,
    };
    /// `bucket` indexes the frequency buckets, which do not move.
    #[inline]
    fn neighbours(&mut self) -> [&mut u32; 2] {
        [&mut self.prev, &mut self.next]
    }
}

/// All entries with one use count, oldest first; buckets form a list by increasing count.
#[derive(Clone, Copy)]
struct Bucket {
    count: u64,
    /// Oldest entry: the first to go among this count.
    head: u32,
    /// Newest entry.
    tail: u32,
    /// Bucket with the next smaller count (`NIL` for the lowest).
    lower: u32,
    /// Bucket with the next larger count.
    higher: u32,
}

/// A least-frequently-used cache with O(1) `get`, `insert` and `remove`, in safe Rust.
///
/// A key's count is 1 when inserted and grows by 1 on every hit (or replacement). The victim
/// has the smallest count, and among those the one whose count was set longest ago — the rule
/// of Python's cachetools, which this cache reproduces hit for hit. Entries with equal counts
/// share a bucket, a list ordered by when they got that count; buckets form a list by count,
/// so a hit moves an entry one bucket up and eviction takes the lowest bucket's oldest entry,
/// both in O(1) (Shah, Mitra and Matani 2010).
///
/// Counts never fall on their own, so yesterday's hot keys would stay forever;
/// [`decay`](Self::decay) halves every count, by hand or every n lookups
/// ([`set_decay_every`](Self::set_decay_every)).
#[derive(Clone)]
pub struct LfuCache<K, V, S = DefaultBuildHasher, W = UnitWeigher, C = SystemClock> {
    store: Store<K, V, Links, S, W, C>,
    /// Buckets by index; free ones are listed in `free`.
    buckets: Vec<Bucket>,
    free: Vec<u32>,
    /// The bucket with the smallest count (`NIL` when empty).
    lowest: u32,
    /// Halve the counts every this many lookups (`None`: only by hand).
    decay_every: Option<u64>,
    lookups_since_decay: u64,
}

impl<K: Hash + Eq, V> LfuCache<K, V> {
    /// A cache of at most `capacity` entries, default hasher, no TTL, no decay.
    ///
    /// Computes in **O(1)** time.
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

impl<K: Hash + Eq, V, S: BuildHasher, W: Weigher<K, V>, C: Clock> LfuCache<K, V, S, W, C> {
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
            buckets: Vec::new(),
            free: Vec::new(),
            lowest: NIL,
            decay_every: None,
            lookups_since_decay: 0,
        })
    }

    local_cache_methods! {
        used: "counting a use",
        unused: "without counting a use",
        /// Inserts `key` with count 1, or replaces its value and counts a use; returns the entry
        /// pushed out (the key's previous entry, the least frequently used entry, or `(key, value)`
        /// itself if it alone weighs more than the capacity), as
        /// [`LruCache::insert`](crate::LruCache::insert).
        ///
        /// Computes in **O(1)** expected time (amortized; O(evicted) for a weighted insert).
        insert
    }

    /// Halves every count automatically after each `lookups` lookups (`None` or 0: never).
    ///
    /// Computes in **O(1)** time.
    pub fn set_decay_every(&mut self, lookups: Option<u64>) {
        self.decay_every = lookups.filter(|&n| n > 0);
        self.lookups_since_decay = 0;
    }

    #[inline(always)]
    fn lookup<Q>(&mut self, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(n) = self.decay_every {
            self.lookups_since_decay += 1;
            if self.lookups_since_decay >= n {
                self.decay();
            }
        }
        store::lookup(self, key)
    }

    /// The use count of `key`.
    ///
    /// Computes in **O(1)** expected time.
    #[inline]
    pub fn count<Q>(&self, key: &Q) -> Option<u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = self.store.peek_index(key)?;
        Some(self.buckets[self.store.links(i).bucket as usize].count)
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
                self.increment(i);
                self.evict_to_fit(0, Some(i), removed);
                return Some(i);
            }
            Some(Placement::New(p)) => p,
        };
        // A new key is never its own victim: evict first, then insert.
        self.evict_to_fit(u64::from(p.weight), None, removed);
        let (i, moved) = self
            .store
            .push(p.hash, p.key, p.value, Links::NONE, p.weight, p.expires);
        if let Some(map) = moved {
            self.remap_ends(&map);
        }
        self.link_new(i);
        Some(i)
    }

    /// Evicts until `incoming` more weight fits, never evicting `keep`.
    #[inline(always)]
    fn evict_to_fit(
        &mut self,
        incoming: u64,
        keep: Option<u32>,
        removed: &mut impl FnMut(K, V, RemovalCause),
    ) {
        while self.store.must_evict(incoming) {
            let Some(victim) = self.victim(keep) else {
                break;
            };
            let (k, v) = self.remove_at(victim);
            self.store.stats.evictions += 1;
            removed(k, v, RemovalCause::Size);
        }
    }

    /// The next entry to evict, skipping `keep`.
    #[inline]
    fn victim(&self, keep: Option<u32>) -> Option<u32> {
        let mut b = self.lowest;
        while b != NIL {
            let mut at = self.buckets[b as usize].head;
            while at != NIL {
                if Some(at) != keep {
                    return Some(at);
                }
                at = self.store.links(at).next;
            }
            b = self.buckets[b as usize].higher;
        }
        None
    }

    /// Removes and returns the entry that would be evicted next.
    ///
    /// Computes in **O(1)** time.
    #[inline]
    pub fn pop_lfu(&mut self) -> Option<(K, V)> {
        let i = self.victim(None)?;
        self.store.stats.removals += 1;
        Some(self.remove_at(i))
    }

    /// Live entries with their counts, in eviction order: smallest count first, and within a
    /// count, oldest first.
    ///
    /// Computes in **O(1)** time; the whole walk is O(n + buckets).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V, u64)> + '_ {
        let now = self.store.now_if_ttl();
        let mut b = self.lowest;
        let mut at = if b == NIL {
            NIL
        } else {
            self.buckets[b as usize].head
        };
        std::iter::from_fn(move || {
            loop {
                while at == NIL {
                    if b == NIL {
                        return None;
                    }
                    b = self.buckets[b as usize].higher;
                    if b == NIL {
                        return None;
                    }
                    at = self.buckets[b as usize].head;
                }
                let i = at;
                let s = self.store.slot(i);
                at = self.store.links(i).next;
                if !self.store.is_expired(i, now) {
                    return Some((&s.key, &s.value, self.buckets[b as usize].count));
                }
            }
        })
    }

    /// Halves every count (rounding down, at least 1), so past popularity fades. Buckets whose
    /// counts meet are merged: the formerly smaller count's entries go first.
    ///
    /// Computes in **O(buckets + moved entries)** time.
    pub fn decay(&mut self) {
        self.lookups_since_decay = 0;
        let mut b = self.lowest;
        while b != NIL {
            let next = self.buckets[b as usize].higher;
            let halved = (self.buckets[b as usize].count / 2).max(1);
            self.buckets[b as usize].count = halved;
            let lower = self.buckets[b as usize].lower;
            if lower != NIL && self.buckets[lower as usize].count == halved {
                // Append b's entries after the lower bucket's newest, then drop b.
                let Bucket { head, tail, .. } = self.buckets[b as usize];
                let mut at = head;
                while at != NIL {
                    let links = self.store.links_mut(at);
                    links.bucket = lower;
                    at = links.next;
                }
                let lower_tail = self.buckets[lower as usize].tail;
                self.store.links_mut(lower_tail).next = head;
                self.store.links_mut(head).prev = lower_tail;
                self.buckets[lower as usize].tail = tail;
                self.bucket_unlink(b);
            }
            b = next;
        }
    }

    /// Changes the capacity, evicting until the cache fits, and returns the evicted entries.
    ///
    /// Computes in **O(evicted)** time, or O(n) when a smaller capacity gives table memory back.
    ///
    /// # Errors
    /// - [`Error::ZeroCapacity`] for 0; [`Error::CapacityTooLarge`] above
    ///   [`MAX_ENTRIES`](crate::MAX_ENTRIES) for the unit weigher; the cache is then unchanged.
    pub fn resize(&mut self, capacity: u64) -> Result<Vec<(K, V)>, Error> {
        check_capacity(capacity, W::UNIT)?;
        self.store.capacity = capacity;
        let mut out = Vec::new();
        self.evict_to_fit(0, None, &mut |k, v, _| out.push((k, v)));
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
        self.buckets.clear();
        self.free.clear();
        self.lowest = NIL;
    }

    // ---- buckets ----

    #[inline]
    fn bucket_new(&mut self, count: u64, lower: u32, higher: u32) -> u32 {
        let bucket = Bucket {
            count,
            head: NIL,
            tail: NIL,
            lower,
            higher,
        };
        let b = match self.free.pop() {
            Some(b) => {
                self.buckets[b as usize] = bucket;
                b
            }
            None => {
                self.buckets.push(bucket);
                self.buckets.len() as u32 - 1
            }
        };
        match lower {
            NIL => self.lowest = b,
            l => self.buckets[l as usize].higher = b,
        }
        if higher != NIL {
            self.buckets[higher as usize].lower = b;
        }
        b
    }

    #[inline]
    fn bucket_unlink(&mut self, b: u32) {
        let Bucket { lower, higher, .. } = self.buckets[b as usize];
        match lower {
            NIL => self.lowest = higher,
            l => self.buckets[l as usize].higher = higher,
        }
        if higher != NIL {
            self.buckets[higher as usize].lower = lower;
        }
        self.free.push(b);
    }

    /// Appends entry `i` as the newest of bucket `b`.
    #[inline]
    fn append(&mut self, b: u32, i: u32) {
        let tail = self.buckets[b as usize].tail;
        *self.store.links_mut(i) = Links {
            prev: tail,
            next: NIL,
            bucket: b,
        };
        match tail {
            NIL => self.buckets[b as usize].head = i,
            t => self.store.links_mut(t).next = i,
        }
        self.buckets[b as usize].tail = i;
    }

    /// Takes entry `i` out of its bucket, dropping the bucket if it empties.
    #[inline]
    fn unlink(&mut self, i: u32) {
        let Links { prev, next, bucket } = *self.store.links(i);
        match prev {
            NIL => self.buckets[bucket as usize].head = next,
            p => self.store.links_mut(p).next = next,
        }
        match next {
            NIL => self.buckets[bucket as usize].tail = prev,
            n => self.store.links_mut(n).prev = prev,
        }
        if self.buckets[bucket as usize].head == NIL {
            self.bucket_unlink(bucket);
        }
    }

    /// Links a new entry with count 1.
    #[inline]
    fn link_new(&mut self, i: u32) {
        let b = match self.lowest {
            l if l != NIL && self.buckets[l as usize].count == 1 => l,
            l => self.bucket_new(1, NIL, l),
        };
        self.append(b, i);
    }

    /// Counts a use of entry `i`: it moves to the newest place of the next count's bucket.
    #[inline(always)]
    fn increment(&mut self, i: u32) {
        let b = self.store.links(i).bucket;
        let Bucket { count, higher, .. } = self.buckets[b as usize];
        let count = count.saturating_add(1);
        let target = if higher != NIL && self.buckets[higher as usize].count == count {
            higher
        } else if count == self.buckets[b as usize].count {
            // Saturated at 2^64 − 1: it stays in its bucket, as the newest.
            if self.buckets[b as usize].tail == i {
                return;
            }
            b
        } else {
            self.bucket_new(count, b, higher)
        };
        // Unlinking may drop bucket b; the target is already linked beside it.
        self.unlink(i);
        self.append(target, i);
    }

    /// Unlinks and removes entry `i`.
    #[inline(always)]
    fn remove_at(&mut self, i: u32) -> (K, V) {
        self.unlink(i);
        self.store.remove(i)
    }

    /// Follows a rehash: each linked bucket's ends are entry indices too.
    #[cold]
    fn remap_ends(&mut self, map: &[u32]) {
        let mut b = self.lowest;
        while b != NIL {
            let bucket = &mut self.buckets[b as usize];
            bucket.head = remapped(bucket.head, map);
            bucket.tail = remapped(bucket.tail, map);
            b = bucket.higher;
        }
    }

    /// Checks every structural invariant; for tests.
    ///
    /// Computes in **O(n)** time.
    #[doc(hidden)]
    pub fn check_invariants(&self) {
        self.store.check();
        let (mut seen, mut b, mut lower, mut last_count) = (0, self.lowest, NIL, 0);
        while b != NIL {
            let bucket = self.buckets[b as usize];
            assert_eq!(bucket.lower, lower);
            assert!(bucket.count > last_count, "bucket counts must increase");
            assert_ne!(bucket.head, NIL, "no empty bucket stays linked");
            let (mut at, mut prev) = (bucket.head, NIL);
            while at != NIL {
                let l = *self.store.links(at);
                assert_eq!((l.prev, l.bucket), (prev, b));
                prev = at;
                at = l.next;
                seen += 1;
            }
            assert_eq!(bucket.tail, prev);
            last_count = bucket.count;
            lower = b;
            b = bucket.higher;
        }
        assert_eq!(seen, self.store.len());
    }
}

crate::cache::forward_cache!(LfuCache, increment);
