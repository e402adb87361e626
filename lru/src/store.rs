//! What both policies share: the hash table that holds the entries, weights, expiry times and
//! counters. The policies own the links that order the entries.

use crate::{CacheStats, Clock, Error, MAX_ENTRIES, Weigher};
use hashbrown::HashTable;
use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::time::Duration;

/// "No entry": the end of a list.
pub(crate) const NIL: u32 = u32::MAX;

/// An insert that passed the weight check: what the policy needs to place it.
pub(crate) struct Pending<K, V> {
    pub(crate) key: K,
    pub(crate) value: V,
    pub(crate) weight: u32,
    pub(crate) expires: u64,
    pub(crate) hash: u64,
}

/// Where a pending insert goes.
pub(crate) enum Placement<K, V> {
    /// The key was present at this index: its value, weight and expiry were replaced, and
    /// `removed` has seen the old entry. The policy counts a use.
    Replaced(u32),
    /// A new key; the policy evicts if needed and links it.
    New(Pending<K, V>),
}

/// Count capacities up to this many entries are allocated at construction.
const PREALLOCATE: u64 = 1 << 20;

/// "Never expires".
pub(crate) const NEVER: u64 = u64::MAX;

/// One resident entry: its key and value sit in the hash-table bucket its hash chose, so a
/// hit finds the key and reads the value in one cache line.
#[derive(Clone)]
pub(crate) struct Slot<K, V> {
    pub(crate) key: K,
    pub(crate) value: V,
}

/// A policy's links: bucket indices of other entries, which the store renumbers when the
/// table rehashes (every entry may then move to another bucket). They live beside the table,
/// one per bucket, not inside the buckets: hashbrown's safe bucket access checks the bucket's
/// control byte on every call, and a relink touches three entries' links.
pub(crate) trait Links: Copy {
    /// Links to no entry.
    const NONE: Self;
    /// The entry indices held: the neighbours towards either end of the entry's list.
    fn neighbours(&mut self) -> [&mut u32; 2];

    /// Rewrites every entry index `i` held here as `map[i]`.
    #[inline]
    fn remap(&mut self, map: &[u32]) {
        for i in self.neighbours() {
            *i = remapped(*i, map);
        }
    }
}

/// An index through a rehash's map; `NIL` stays `NIL`.
#[inline]
pub(crate) fn remapped(i: u32, map: &[u32]) -> u32 {
    if i == NIL { NIL } else { map[i as usize] }
}

#[derive(Clone)]
pub(crate) struct Store<K, V, L, S, W, C> {
    /// The entries, each in the bucket its hash chose. A bucket index names an entry until
    /// the table rehashes, which [`rebuild`](Self::rebuild) makes visible.
    table: HashTable<Slot<K, V>>,
    /// The policy's links of the entry in each bucket (stale in empty buckets).
    links: Vec<L>,
    /// Weight of the entry in each bucket; empty for the unit weigher.
    weights: Vec<u32>,
    /// Expiry time of the entry in each bucket, in clock nanoseconds; empty until the first
    /// entry with a time to live.
    expires: Vec<u64>,
    /// Total weight (the entry count for the unit weigher).
    pub(crate) weight: u64,
    pub(crate) capacity: u64,
    /// Time to live of entries inserted without one, in nanoseconds (`None`: forever).
    pub(crate) ttl: Option<u64>,
    pub(crate) stats: CacheStats,
    hasher: S,
    pub(crate) weigher: W,
    clock: C,
}

pub(crate) fn check_capacity(capacity: u64, unit: bool) -> Result<(), Error> {
    if capacity == 0 {
        return Err(Error::ZeroCapacity);
    }
    if unit && capacity > u64::from(MAX_ENTRIES) {
        return Err(Error::CapacityTooLarge(capacity));
    }
    Ok(())
}

/// Nanoseconds of a duration, saturating.
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl<K, V, L, S, W, C> Store<K, V, L, S, W, C> {
    /// Entries resident, expired ones included.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }
}

impl<K: Hash + Eq, V, L: Links, S: BuildHasher, W: Weigher<K, V>, C: Clock>
    Store<K, V, L, S, W, C>
{
    pub(crate) fn new(capacity: u64, hasher: S, weigher: W, clock: C) -> Result<Self, Error> {
        check_capacity(capacity, W::UNIT)?;
        // Count-bounded caches of modest size get their table at once: no rehash while
        // filling. Larger ones grow by doubling.
        let upfront = if W::UNIT && capacity <= PREALLOCATE {
            capacity as usize
        } else {
            0
        };
        let table = HashTable::with_capacity(upfront);
        let links = vec![L::NONE; table.num_buckets()];
        let weights = if W::UNIT {
            Vec::new()
        } else {
            vec![0; table.num_buckets()]
        };
        Ok(Self {
            table,
            links,
            weights,
            expires: Vec::new(),
            weight: 0,
            capacity,
            ttl: None,
            stats: CacheStats::default(),
            hasher,
            weigher,
            clock,
        })
    }

    #[inline(always)]
    pub(crate) fn hasher(&self) -> &S {
        &self.hasher
    }

    pub(crate) fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The entry in bucket `i`, which a policy holds linked.
    #[inline(always)]
    pub(crate) fn slot(&self, i: u32) -> &Slot<K, V> {
        self.table
            .get_bucket(i as usize)
            .expect("linked indices name resident entries")
    }

    #[inline(always)]
    pub(crate) fn slot_mut(&mut self, i: u32) -> &mut Slot<K, V> {
        self.table
            .get_bucket_mut(i as usize)
            .expect("linked indices name resident entries")
    }

    /// The links of the entry in bucket `i`.
    #[inline(always)]
    pub(crate) fn links(&self, i: u32) -> &L {
        &self.links[i as usize]
    }

    #[inline(always)]
    pub(crate) fn links_mut(&mut self, i: u32) -> &mut L {
        &mut self.links[i as usize]
    }

    /// Every entry's index, in bucket order.
    pub(crate) fn indices(&self) -> Vec<u32> {
        self.table.iter_buckets().map(|i| i as u32).collect()
    }

    #[inline(always)]
    pub(crate) fn find<Q>(&self, hash: u64, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.table
            .find_bucket_index(hash, |s| s.key.borrow() == key)
            .map(|i| i as u32)
    }

    #[inline]
    pub(crate) fn is_expired(&self, i: u32, now: u64) -> bool {
        self.expires.get(i as usize).is_some_and(|&t| t <= now)
    }

    /// Whether some entry was ever given a time to live.
    #[inline]
    pub(crate) fn tracks_expiry(&self) -> bool {
        !self.expires.is_empty()
    }

    /// The clock's time, read only once some entry can expire.
    #[inline]
    pub(crate) fn now_if_ttl(&self) -> u64 {
        if self.expires.is_empty() {
            0
        } else {
            self.clock.now_nanos()
        }
    }

    /// The expiry time for a time to live in nanoseconds.
    #[inline]
    pub(crate) fn expiry(&self, ttl: Option<u64>) -> u64 {
        match ttl {
            Some(t) => self.clock.now_nanos().saturating_add(t),
            None => NEVER,
        }
    }

    /// Finds a live entry; an expired one is reported with `Err` so the policy can unlink and
    /// reclaim it. Counts the hit or miss.
    #[inline(always)]
    pub(crate) fn lookup<Q>(&mut self, key: &Q) -> Result<u32, Option<u32>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let Some(i) = self.find(self.hash(key), key) else {
            self.stats.misses += 1;
            return Err(None);
        };
        // Reading the clock is out of line: caches without expiry keep a small hit path.
        if self.tracks_expiry() && self.expired_now(i) {
            self.stats.expirations += 1;
            self.stats.misses += 1;
            return Err(Some(i));
        }
        self.stats.hits += 1;
        Ok(i)
    }

    #[inline(never)]
    fn expired_now(&self, i: u32) -> bool {
        self.is_expired(i, self.clock.now_nanos())
    }

    /// A live entry's index, without counting.
    #[inline]
    pub(crate) fn peek_index<Q>(&self, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = self.find(self.hash(key), key)?;
        (!self.is_expired(i, self.now_if_ttl())).then_some(i)
    }

    /// The weight of the entry in bucket `i` (1 for the unit weigher, which keeps no weights).
    #[inline]
    fn weight_of(&self, i: u32) -> u32 {
        self.weights.get(i as usize).copied().unwrap_or(1)
    }

    /// Sets the weight and expiry of the entry in bucket `i` (its old weight is `old`: 0 for a
    /// new entry).
    #[inline]
    fn set_meta(&mut self, i: u32, old: u32, w: u32, expires: u64) {
        if !W::UNIT {
            self.weights[i as usize] = w;
        }
        self.weight = self.weight - u64::from(old) + u64::from(w);
        if expires != NEVER && self.expires.is_empty() {
            self.expires.resize(self.table.num_buckets(), NEVER);
        }
        if let Some(t) = self.expires.get_mut(i as usize) {
            *t = expires;
        }
    }

    /// The part of an insert both policies share: weigh (refusing an entry heavier than the
    /// capacity), count it, and replace the value in place if the key is present. `None` when
    /// the entry was refused.
    #[inline]
    pub(crate) fn begin_insert(
        &mut self,
        key: K,
        value: V,
        ttl: Option<u64>,
        removed: &mut impl FnMut(K, V, crate::RemovalCause),
    ) -> Option<Placement<K, V>> {
        let weight = self.weigher.weigh(&key, &value);
        if u64::from(weight) > self.capacity {
            self.stats.rejections += 1;
            removed(key, value, crate::RemovalCause::Rejected);
            return None;
        }
        self.stats.insertions += 1;
        let expires = self.expiry(ttl);
        let hash = self.hash(&key);
        let Some(i) = self.find(hash, &key) else {
            return Some(Placement::New(Pending {
                key,
                value,
                weight,
                expires,
                hash,
            }));
        };
        // Replace in place, before any eviction.
        let slot = self.slot_mut(i);
        let old_key = std::mem::replace(&mut slot.key, key);
        let old_value = std::mem::replace(&mut slot.value, value);
        self.set_meta(i, self.weight_of(i), weight, expires);
        self.stats.replacements += 1;
        removed(old_key, old_value, crate::RemovalCause::Replaced);
        Some(Placement::Replaced(i))
    }

    /// Whether `incoming` more weight needs an eviction first (or the table is out of indices).
    #[inline]
    pub(crate) fn must_evict(&self, incoming: u64) -> bool {
        self.weight + incoming > self.capacity || self.table.len() >= MAX_ENTRIES as usize
    }

    /// Inserts a new entry and returns its index, and — when the table had to rehash first —
    /// the map from every old index to the new one: the store has renumbered the links it
    /// holds, and the policy must renumber the ones it holds outside. The new entry's `links`
    /// are placed as given; the policy links it after renumbering.
    #[inline]
    pub(crate) fn push(
        &mut self,
        hash: u64,
        key: K,
        value: V,
        links: L,
        w: u32,
        expires: u64,
    ) -> (u32, Option<Vec<u32>>) {
        // hashbrown rehashes inside an insert only when no growth is left; rebuilding here
        // first lets the store see every entry move.
        let moved = (self.table.len() == self.table.capacity()).then(|| self.grow());
        let Self { table, hasher, .. } = self;
        let i = table
            .insert_unique(hash, Slot { key, value }, |s| hasher.hash_one(&s.key))
            .bucket_index() as u32;
        self.links[i as usize] = links;
        self.set_meta(i, 0, w, expires);
        (i, moved)
    }

    /// Makes room for one more entry as hashbrown's `reserve(1)` would: the same number of
    /// buckets when at most half of them hold entries (the rest are tombstones), else twice
    /// as many.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) -> Vec<u32> {
        let buckets = self.table.num_buckets();
        let full = if buckets < 8 {
            buckets - 1
        } else {
            buckets / 8 * 7
        };
        let needed = self.table.len() + 1;
        self.rebuild(if needed <= full / 2 {
            full
        } else {
            needed.max(full + 1)
        })
    }

    /// Moves every entry into a new table with room for `capacity` entries, and renumbers the
    /// links, weights and expiry times to follow. Returns the map from each old bucket index
    /// to the new one (`NIL` for empty buckets).
    ///
    /// The keys are hashed before anything moves, so a panicking `Hash` leaves the store as
    /// it was; the new table is reserved in full, so no insert into it rehashes.
    fn rebuild(&mut self, capacity: usize) -> Vec<u32> {
        let old = self.indices();
        let hashes: Vec<u64> = old
            .iter()
            .map(|&i| self.hasher.hash_one(&self.slot(i).key))
            .collect();
        let mut table = HashTable::with_capacity(capacity.max(old.len()));
        let buckets = table.num_buckets();
        let mut map = vec![NIL; self.table.num_buckets()];
        let mut links = vec![L::NONE; buckets];
        let mut weights = if W::UNIT {
            Vec::new()
        } else {
            vec![0; buckets]
        };
        let mut expires = if self.expires.is_empty() {
            Vec::new()
        } else {
            vec![NEVER; buckets]
        };
        for (&i, &hash) in old.iter().zip(&hashes) {
            let (slot, _) = self
                .table
                .get_bucket_entry(i as usize)
                .ok()
                .expect("indices name resident entries")
                .remove();
            let hasher = &self.hasher;
            let j = table
                .insert_unique(hash, slot, |s| hasher.hash_one(&s.key))
                .bucket_index();
            map[i as usize] = j as u32;
            links[j] = self.links[i as usize];
            if let Some(w) = weights.get_mut(j) {
                *w = self.weights[i as usize];
            }
            if let Some(t) = expires.get_mut(j) {
                *t = self.expires[i as usize];
            }
        }
        for &i in &old {
            links[map[i as usize] as usize].remap(&map);
        }
        self.table = table;
        self.links = links;
        self.weights = weights;
        self.expires = expires;
        map
    }

    /// Removes the (already unlinked) entry `i`. No other entry moves.
    #[inline]
    pub(crate) fn remove(&mut self, i: u32) -> (K, V) {
        let (slot, _) = self
            .table
            .get_bucket_entry(i as usize)
            .ok()
            .expect("linked indices name resident entries")
            .remove();
        self.weight -= u64::from(self.weight_of(i));
        (slot.key, slot.value)
    }

    pub(crate) fn clear(&mut self) {
        self.table.clear();
        self.expires.clear();
        self.weight = 0;
    }

    /// Gives back table memory beyond an entry-count capacity (after `resize` lowered it).
    /// Returns the renumbering map if entries moved.
    pub(crate) fn shrink_to_capacity(&mut self) -> Option<Vec<u32>> {
        let cap = self.capacity as usize;
        if !W::UNIT || self.table.capacity() <= cap.saturating_mul(2) {
            return None;
        }
        Some(self.rebuild(cap))
    }

    /// Table and weight invariants (tests only).
    pub(crate) fn check(&self) {
        let mut w = 0u64;
        for i in self.indices() {
            let s = self.slot(i);
            assert_eq!(self.find(self.hash(&s.key), &s.key), Some(i));
            w += u64::from(self.weight_of(i));
        }
        assert_eq!(w, self.weight);
        assert!(self.weight <= self.capacity);
        let buckets = self.table.num_buckets();
        assert_eq!(self.links.len(), buckets);
        assert!(W::UNIT || self.weights.len() == buckets);
        assert!(self.expires.is_empty() || self.expires.len() == buckets);
    }
}

/// What the shared lookup and removal paths need from a policy: its store, how to count a hit
/// (LRU: move to the front; LFU: one bucket up), and how to take entry `i` out of its eviction
/// order and the table.
pub(crate) trait Policy<K, V, S, W, C> {
    type Links: Links;
    fn store(&self) -> &Store<K, V, Self::Links, S, W, C>;
    fn store_mut(&mut self) -> &mut Store<K, V, Self::Links, S, W, C>;
    fn hit(&mut self, i: u32);
    fn remove_at(&mut self, i: u32) -> (K, V);
}

/// A live entry's index, counting the hit; an expired entry is reclaimed and reads as a miss.
#[inline(always)]
pub(crate) fn lookup<P, K, V, S, W, C, Q>(p: &mut P, key: &Q) -> Option<u32>
where
    P: Policy<K, V, S, W, C>,
    K: Hash + Eq + Borrow<Q>,
    Q: Hash + Eq + ?Sized,
    S: BuildHasher,
    W: Weigher<K, V>,
    C: Clock,
{
    match p.store_mut().lookup(key) {
        Ok(i) => {
            p.hit(i);
            Some(i)
        }
        Err(None) => None,
        Err(Some(expired)) => {
            reclaim(p, expired);
            None
        }
    }
}

/// Takes an expired entry out, off the hit path.
#[cold]
#[inline(never)]
fn reclaim<P, K, V, S, W, C>(p: &mut P, i: u32)
where
    P: Policy<K, V, S, W, C>,
{
    p.remove_at(i);
}

/// Removes `key`'s entry and returns it; an expired entry is removed (and counted) but reads
/// as absent.
#[inline]
pub(crate) fn remove_entry<P, K, V, S, W, C, Q>(p: &mut P, key: &Q) -> Option<(K, V)>
where
    P: Policy<K, V, S, W, C>,
    K: Hash + Eq + Borrow<Q>,
    Q: Hash + Eq + ?Sized,
    S: BuildHasher,
    W: Weigher<K, V>,
    C: Clock,
{
    let store = p.store();
    let i = store.find(store.hash(key), key)?;
    let expired = store.is_expired(i, store.now_if_ttl());
    let entry = p.remove_at(i);
    if expired {
        p.store_mut().stats.expirations += 1;
        return None;
    }
    p.store_mut().stats.removals += 1;
    Some(entry)
}

/// Keeps the entries for which `keep` returns true; expired entries go too (and are counted).
pub(crate) fn retain<P, K, V, S, W, C>(p: &mut P, mut keep: impl FnMut(&K, &mut V) -> bool)
where
    P: Policy<K, V, S, W, C>,
    K: Hash + Eq,
    S: BuildHasher,
    W: Weigher<K, V>,
    C: Clock,
{
    let now = p.store().now_if_ttl();
    // Removing an entry moves no other, so the indices stay valid throughout.
    for i in p.store().indices() {
        let store = p.store_mut();
        let expired = store.is_expired(i, now);
        let slot = store.slot_mut(i);
        if expired || !keep(&slot.key, &mut slot.value) {
            store.stats.expirations += u64::from(expired);
            store.stats.removals += u64::from(!expired);
            p.remove_at(i);
        }
    }
}

/// Drops every expired entry and returns how many.
pub(crate) fn purge_expired<P, K, V, S, W, C>(p: &mut P) -> usize
where
    P: Policy<K, V, S, W, C>,
    K: Hash + Eq,
    S: BuildHasher,
    W: Weigher<K, V>,
    C: Clock,
{
    let before = p.store().stats.expirations;
    if p.store().tracks_expiry() {
        retain(p, |_, _| true);
    }
    (p.store().stats.expirations - before) as usize
}
