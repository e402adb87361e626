//! What both policies share: the dense slab of entries, the key → slot table, weights,
//! expiry times and counters. The policies own the links that order the entries.

use crate::{Clock, Error, MAX_ENTRIES, Stats, Weigher};
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

/// One resident entry, with the policy's links (`L`) that place it in the eviction order. The
/// links sit beside the key: a hit compares the key and relinks the entry in one cache line.
#[derive(Clone)]
pub(crate) struct Slot<K, V, L> {
    pub(crate) key: K,
    pub(crate) value: V,
    pub(crate) links: L,
}

#[derive(Clone)]
pub(crate) struct Store<K, V, L, S, W, C> {
    /// Slab index of each entry, found by the entry's hash and compared through the slab, so
    /// each key is stored once.
    table: HashTable<u32>,
    /// The resident entries, dense: indices 0..len are all live.
    pub(crate) slots: Vec<Slot<K, V, L>>,
    /// Weight of each entry, parallel to `slots`; empty for the unit weigher.
    weights: Vec<u32>,
    /// Expiry time of each entry in clock nanoseconds, parallel to `slots`; empty until the
    /// first entry with a time to live.
    expires: Vec<u64>,
    /// Total weight (the entry count for the unit weigher).
    pub(crate) weight: u64,
    pub(crate) capacity: u64,
    /// Time to live of entries inserted without one, in nanoseconds (`None`: forever).
    pub(crate) ttl: Option<u64>,
    pub(crate) stats: Stats,
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

impl<K: Hash + Eq, V, L: Copy, S: BuildHasher, W: Weigher<K, V>, C: Clock> Store<K, V, L, S, W, C> {
    pub(crate) fn new(capacity: u64, hasher: S, weigher: W, clock: C) -> Result<Self, Error> {
        check_capacity(capacity, W::UNIT)?;
        // Count-bounded caches of modest size get all their memory at once: one allocation
        // each, no copies while filling. Larger ones grow by doubling, up to the capacity.
        let upfront = if W::UNIT && capacity <= PREALLOCATE {
            capacity as usize
        } else {
            0
        };
        Ok(Self {
            table: HashTable::with_capacity(upfront),
            slots: Vec::with_capacity(upfront),
            weights: Vec::new(),
            expires: Vec::new(),
            weight: 0,
            capacity,
            ttl: None,
            stats: Stats::default(),
            hasher,
            weigher,
            clock,
        })
    }

    #[inline(always)]
    pub(crate) fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.hasher.hash_one(key)
    }

    #[inline]
    pub(crate) fn find<Q>(&self, hash: u64, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let slots = &self.slots;
        self.table
            .find(hash, |&i| slots[i as usize].key.borrow() == key)
            .copied()
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
    #[inline]
    pub(crate) fn lookup<Q>(&mut self, key: &Q) -> Result<u32, Option<u32>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let Some(i) = self.find(self.hash(key), key) else {
            self.stats.misses += 1;
            return Err(None);
        };
        if self.is_expired(i, self.now_if_ttl()) {
            self.stats.expirations += 1;
            self.stats.misses += 1;
            return Err(Some(i));
        }
        self.stats.hits += 1;
        Ok(i)
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

    /// Sets entry `i`'s weight and expiry.
    #[inline]
    pub(crate) fn set_meta(&mut self, i: u32, w: u32, expires: u64) {
        if !W::UNIT {
            let old = std::mem::replace(&mut self.weights[i as usize], w);
            self.weight = self.weight - u64::from(old) + u64::from(w);
        }
        if expires != NEVER && self.expires.is_empty() {
            self.expires.resize(self.slots.len(), NEVER);
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
        removed: &mut impl FnMut(K, V, crate::Removal),
    ) -> Option<Placement<K, V>> {
        let weight = self.weigher.weigh(&key, &value);
        if u64::from(weight) > self.capacity {
            self.stats.evictions += 1;
            removed(key, value, crate::Removal::Rejected);
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
        // Replace in place, before any eviction (which may move entries between slots).
        let slot = &mut self.slots[i as usize];
        let old_key = std::mem::replace(&mut slot.key, key);
        let old_value = std::mem::replace(&mut slot.value, value);
        self.set_meta(i, weight, expires);
        removed(old_key, old_value, crate::Removal::Replaced);
        Some(Placement::Replaced(i))
    }

    /// Whether a count-bounded cache is full, so a new entry must take a victim's slot.
    #[inline]
    pub(crate) fn full_by_count(&self) -> bool {
        W::UNIT && self.weight >= self.capacity
    }

    /// Whether `incoming` more weight needs an eviction first (or the slab is out of indices).
    #[inline]
    pub(crate) fn must_evict(&self, incoming: u64) -> bool {
        self.weight + incoming > self.capacity || self.slots.len() >= MAX_ENTRIES as usize
    }

    /// Puts a new entry into victim `i`'s slot: the slot, weight and expiry are reused, the
    /// table is updated. Returns the victim. The policy relinks the slot.
    #[inline]
    pub(crate) fn replace_slot(
        &mut self,
        i: u32,
        hash: u64,
        key: K,
        value: V,
        expires: u64,
    ) -> (K, V) {
        let victim_hash = self.hash(&self.slots[i as usize].key);
        self.table_remove(victim_hash, i);
        let slot = &mut self.slots[i as usize];
        let old_key = std::mem::replace(&mut slot.key, key);
        let old_value = std::mem::replace(&mut slot.value, value);
        self.set_meta(i, 1, expires);
        self.table_insert(hash, i);
        (old_key, old_value)
    }

    /// Appends a new entry and returns its index; the policy links it.
    #[inline]
    pub(crate) fn push(
        &mut self,
        hash: u64,
        key: K,
        value: V,
        links: L,
        w: u32,
        expires: u64,
    ) -> u32 {
        let i = self.slots.len() as u32;
        let len = self.slots.len();
        if len == self.slots.capacity() {
            // Double, but never past an entry-count capacity: a full cache has no spare slots.
            let cap = if W::UNIT {
                self.capacity as usize
            } else {
                usize::MAX
            };
            let target = (len * 2).max(16).min(cap.max(len + 1));
            self.slots.reserve_exact(target - len);
        }
        self.slots.push(Slot { key, value, links });
        if !W::UNIT {
            self.weights.push(w);
        }
        if !self.expires.is_empty() || expires != NEVER {
            self.expires.resize(len, NEVER);
            self.expires.push(expires);
        }
        self.weight += u64::from(w);
        self.table_insert(hash, i);
        i
    }

    #[inline]
    fn table_insert(&mut self, hash: u64, i: u32) {
        let Self {
            table,
            slots,
            hasher,
            ..
        } = self;
        table.insert_unique(hash, i, |&j| hasher.hash_one(&slots[j as usize].key));
    }

    #[inline]
    fn table_remove(&mut self, hash: u64, i: u32) {
        if let Ok(entry) = self.table.find_entry(hash, |&j| j == i) {
            entry.remove();
        }
    }

    /// Removes the (already unlinked) entry `i`. The last entry moves into slot `i`, so the
    /// slab stays dense; if one moved, returns its old index so the policy can repoint its
    /// neighbours at `i`.
    #[inline]
    pub(crate) fn swap_remove(&mut self, i: u32) -> (K, V, Option<u32>) {
        let hash = self.hash(&self.slots[i as usize].key);
        self.table_remove(hash, i);
        let last = self.slots.len() as u32 - 1;
        let moved = (i != last).then_some(last);
        if moved.is_some() {
            let moved_hash = self.hash(&self.slots[last as usize].key);
            if let Ok(mut entry) = self.table.find_entry(moved_hash, |&j| j == last) {
                *entry.get_mut() = i;
            }
        }
        let w = if W::UNIT {
            1
        } else {
            self.weights.swap_remove(i as usize)
        };
        self.weight -= u64::from(w);
        if !self.expires.is_empty() {
            self.expires.swap_remove(i as usize);
        }
        let slot = self.slots.swap_remove(i as usize);
        (slot.key, slot.value, moved)
    }

    pub(crate) fn clear(&mut self) {
        self.table.clear();
        self.slots.clear();
        self.weights.clear();
        self.expires.clear();
        self.weight = 0;
    }

    pub(crate) fn shrink_to_capacity(&mut self) {
        if W::UNIT {
            self.slots.shrink_to(self.capacity as usize);
        }
    }

    /// Table and weight invariants (tests only).
    pub(crate) fn check(&self) {
        let n = self.slots.len();
        assert_eq!(self.table.len(), n);
        for (i, s) in self.slots.iter().enumerate() {
            assert_eq!(self.find(self.hash(&s.key), &s.key), Some(i as u32));
        }
        let w: u64 = if W::UNIT {
            n as u64
        } else {
            self.weights.iter().map(|&w| u64::from(w)).sum()
        };
        assert_eq!(w, self.weight);
        assert!(self.weight <= self.capacity);
        assert!(self.expires.is_empty() || self.expires.len() == n);
    }
}

/// What the shared lookup and removal paths need from a policy: its store, how to count a hit
/// (LRU: move to the front; LFU: one bucket up), and how to take entry `i` out of its eviction
/// order and the slab.
pub(crate) trait Policy<K, V, S, W, C> {
    type Links: Copy;
    fn store(&self) -> &Store<K, V, Self::Links, S, W, C>;
    fn store_mut(&mut self) -> &mut Store<K, V, Self::Links, S, W, C>;
    fn hit(&mut self, i: u32);
    fn remove_at(&mut self, i: u32) -> (K, V);
}

/// A live entry's index, counting the hit; an expired entry is reclaimed and reads as a miss.
#[inline]
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
        Err(expired) => {
            if let Some(i) = expired {
                p.remove_at(i);
            }
            None
        }
    }
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
    let mut i = 0;
    while (i as usize) < p.store().slots.len() {
        let store = p.store_mut();
        let expired = store.is_expired(i, now);
        let slot = &mut store.slots[i as usize];
        if expired || !keep(&slot.key, &mut slot.value) {
            store.stats.expirations += u64::from(expired);
            // The last entry moves into slot i: look at slot i again.
            p.remove_at(i);
        } else {
            i += 1;
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
