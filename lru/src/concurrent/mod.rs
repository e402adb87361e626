//! The concurrent cache: sharded W-TinyLFU with single-flight loading, TTL, TTI and weights.

mod builder;
pub(crate) mod duel;
mod flight;
mod refresh;
mod removal;
mod shard;
mod sketch;

pub use builder::Builder;
pub use refresh::{AsyncTask, BlockingTask};
pub use removal::TooHeavy;

use crate::store::{NEVER, nanos};
use crate::sync::{AtomicU8, AtomicU64, Ordering, RwLock};
use crate::{CacheStats, RemovalCause};
use crate::{Clock, Compute, Computed, DefaultBuildHasher, SystemClock, UnitWeigher, Weigher};
pub(crate) use flight::Loading;
use refresh::Reloader;
use removal::{Listener, Removed};
use shard::{Found, Shard};
use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::time::Duration;

/// One shard and its lookup counters. The counters share the lock's cache line: a reader
/// writes that line to take the read lock anyway, so they cost no extra line transfer.
#[repr(C, align(128))]
struct Cell<K, V> {
    /// Every lookup, with `record_stats`.
    hits: AtomicU64,
    misses: AtomicU64,
    shard: RwLock<Shard<K, V>>,
}

impl<K, V> Cell<K, V> {
    /// Counts one lookup, if the cache records stats.
    #[inline(always)]
    fn count(&self, hit: bool, record_stats: bool) {
        if record_stats {
            let counter = if hit { &self.hits } else { &self.misses };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A thread-safe cache shared by `&self`: sharded by key hash, each shard a W-TinyLFU policy
/// (admission window, segmented main space, 4-bit frequency sketch with aging, a window sized by
/// ghost evictions) behind its own reader-writer lock, with single-flight loading, time to live,
/// time to idle, weights and an eviction listener. See the [crate docs](crate#concurrent-cache).
///
/// `get` returns a clone of the value: the lock is released before the caller sees it, so no
/// guard can block a writer. Store `Arc<T>` for values that are costly to clone.
pub struct ConcurrentCache<K, V, S = DefaultBuildHasher, W = UnitWeigher, C = SystemClock> {
    cells: Box<[Cell<K, V>]>,
    mask: usize,
    /// The sampled race between the frequency and recency rules the shards follow.
    duel: duel::Duel,
    hasher: S,
    weigher: W,
    clock: C,
    capacity: u64,
    /// Default time to live in nanoseconds (`NEVER`: none).
    ttl: u64,
    /// The most the default TTL is shortened for an entry, at random (ns; 0: no jitter).
    jitter: u64,
    /// Whether lookups must read the clock: set by a TTL or TTI, or by the first entry given
    /// its own time to live.
    expiring: AtomicU8,
    listener: Option<Listener<K, V>>,
    /// Whether lookups are counted for `stats`.
    record_stats: bool,
    /// Age in nanoseconds after which a read reloads an entry (`NEVER`: no refresh).
    refresh_after: u64,
    reloader: Option<Reloader<K, V>>,
}

impl<K, V, S, W, C> fmt::Debug for ConcurrentCache<K, V, S, W, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConcurrentCache")
            .field("capacity", &self.capacity)
            .field("shards", &self.cells.len())
            .finish_non_exhaustive()
    }
}

impl<K, V> Shard<K, V> {
    /// Counts the refusal of an entry heavier than this shard holds, and hands it back.
    fn refuse(&mut self, key: K, value: V, weight: u32) -> TooHeavy<K, V> {
        self.counters.rejections += 1;
        TooHeavy {
            key,
            value,
            weight,
            limit: self.capacity,
        }
    }

    /// Removes and returns the registration of load `id`.
    fn take_loading(&mut self, id: u64) -> Option<Loading<K, V>> {
        let at = self.loading.iter().position(|l| l.id == id)?;
        Some(self.loading.swap_remove(at))
    }
}

impl<K, V, S, W, C> ConcurrentCache<K, V, S, W, C>
where
    K: Hash + Eq,
    V: Clone,
    S: BuildHasher,
    W: Weigher<K, V>,
    C: Clock,
{
    #[inline(always)]
    fn cell(&self, hash: u64) -> &Cell<K, V> {
        // Bits 40.. pick the shard: hashbrown uses the low bits and the top 7 within it.
        &self.cells[(hash >> 40) as usize & self.mask]
    }

    /// The clock's time if anything can expire, else 0 (and no clock read).
    #[inline(always)]
    fn now(&self) -> u64 {
        if self.expiring.load(Ordering::Relaxed) != 0 {
            self.clock.now_nanos()
        } else {
            0
        }
    }

    /// The value of `key`, cloned, if it holds a live entry; records the use for the policy.
    ///
    /// Computes in **O(1)** expected time: one hash, a shard read lock, one probe, the value's
    /// clone.
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        self.get_hashed(self.cell(hash), hash, key)
    }

    #[inline]
    fn get_hashed<Q>(&self, cell: &Cell<K, V>, hash: u64, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let shard = cell.shard.read();
        if self.expiring.load(Ordering::Relaxed) == 0 && !self.record_stats {
            // Nothing can expire or refresh and nothing is counted: the hit path is the
            // probe, the use byte and the clone.
            let value = shard.find(hash, key).map(|i| {
                shard.count_use(i);
                shard.entries[i as usize].value.clone()
            });
            drop(shard);
            if self.duel.sampled(hash) {
                self.duel.read(hash);
            }
            return value;
        }
        let now = self.now();
        if let Found::Live(i) = shard.lookup(hash, key, now) {
            // Counted under the lock: its cache line, which holds the counters, is ours now.
            cell.count(true, self.record_stats);
            shard.touch(i, now);
            let value = shard.entries[i as usize].value.clone();
            let stale =
                self.refresh_after != NEVER && shard.wants_refresh(i, now, self.refresh_after);
            drop(shard);
            if self.duel.sampled(hash) {
                self.duel.read(hash);
            }
            if stale {
                return Some(self.refresh(cell, hash, key, value));
            }
            Some(value)
        } else {
            cell.count(false, self.record_stats);
            drop(shard);
            if self.duel.sampled(hash) {
                self.duel.read(hash);
            }
            None
        }
    }

    /// Whether `key` holds a live entry, without counting a lookup or a use.
    ///
    /// Computes in **O(1)** expected time: one hash, a shard read lock, one probe.
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        let shard = self.cell(hash).shard.read();
        matches!(shard.lookup(hash, key, self.now()), Found::Live(_))
    }

    /// Inserts or replaces `key`'s value with the cache's time to live; entries pushed out are
    /// reported to the listener. Refused (and handed back) if heavier than a shard holds.
    ///
    /// Computes in **O(1)** amortized time, under the key's shard lock.
    ///
    /// # Errors
    /// [`TooHeavy`], holding the entry, when it weighs more than a shard holds; the cache is
    /// then unchanged.
    pub fn insert(&self, key: K, value: V) -> Result<(), TooHeavy<K, V>> {
        self.insert_for(key, value, None)
    }

    /// Inserts or replaces `key`'s value, expiring `ttl` from now whatever the cache's default.
    ///
    /// Computes in **O(1)** amortized time, under the key's shard lock.
    ///
    /// # Errors
    /// As [`insert`](Self::insert).
    pub fn insert_with_ttl(&self, key: K, value: V, ttl: Duration) -> Result<(), TooHeavy<K, V>> {
        if self.expiring.load(Ordering::Relaxed) == 0 {
            // Published before the entry: a reader that finds the entry (through the shard
            // lock) then reads the clock.
            self.expiring.store(1, Ordering::Relaxed);
        }
        self.insert_for(key, value, Some(nanos(ttl)))
    }

    /// When an entry written at `now` with the cache's default TTL expires: the TTL less a
    /// random part of the jitter, if there is one.
    fn default_expiry(&self, shard: &mut Shard<K, V>, now: u64) -> u64 {
        if self.jitter == 0 {
            return now.saturating_add(self.ttl);
        }
        let cut = ((u128::from(shard.next_random()) * u128::from(self.jitter)) >> 64) as u64;
        now.saturating_add(self.ttl - cut)
    }

    /// Inserts into `shard` (write-locked) under the rule the duel chose. Returns the weight to
    /// tell the duel once the shard's lock is released (`Some` only for a sampled key), so the
    /// duel's lock is never taken under a shard's.
    #[allow(clippy::too_many_arguments)] // Shard::insert's arguments, passed through
    #[inline]
    fn put(
        &self,
        shard: &mut Shard<K, V>,
        hash: u64,
        key: K,
        value: V,
        weight: u32,
        expires: u64,
        now: u64,
        out: &mut Removed<K, V>,
    ) -> Option<u32> {
        shard.set_recency(self.duel.recency());
        shard.insert(hash, key, value, weight, expires, now, out);
        self.duel.sampled(hash).then_some(weight)
    }

    /// Tells the duel of a sampled write that [`put`](Self::put) returned, with no lock held.
    #[inline]
    fn tell_duel(&self, hash: u64, sampled: Option<u32>) {
        if let Some(weight) = sampled {
            self.duel.write(hash, weight);
        }
    }

    /// `ttl`: `None` for the cache's default (jittered, if configured).
    fn insert_for(&self, key: K, value: V, ttl: Option<u64>) -> Result<(), TooHeavy<K, V>> {
        let hash = self.hasher.hash_one(&key);
        let weight = self.weigher.weigh(&key, &value);
        let cell = self.cell(hash);
        let mut out = Removed::None;
        let sampled = {
            let mut shard = cell.shard.write();
            if u64::from(weight) > shard.capacity {
                return Err(shard.refuse(key, value, weight));
            }
            let now = self.now();
            // A TTL of NEVER saturates to NEVER; the default one may be jittered.
            let expires = match ttl {
                None => self.default_expiry(&mut shard, now),
                Some(ttl) => now.saturating_add(ttl),
            };
            self.put(&mut shard, hash, key, value, weight, expires, now, &mut out)
        };
        self.tell_duel(hash, sampled);
        self.notify(out);
        Ok(())
    }

    /// Reads `key`'s live value (or `None`) and, in the same critical section, inserts,
    /// replaces or removes it as `f` decides: an atomic read-modify-write of one key (a counter,
    /// a merge, a conditional delete) that no other writer of the key interleaves with. Entries
    /// it pushes out, replaces or removes go to the listener. `f` runs under the shard's write
    /// lock: keep it short, and never touch this cache from it.
    ///
    /// Computes in **O(1)** expected time (amortized), plus `f`: the shard's write lock is held
    /// while `f` runs.
    ///
    /// # Errors
    /// [`TooHeavy`] if `f` puts a value heavier than a shard holds; the current entry, if any,
    /// stays.
    ///
    /// # Panics
    /// Only if `f` panics; the panic reaches the caller and the key's entry is as it was (`f`
    /// decides before anything changes; the shard's lock is released and not poisoned).
    pub fn and_compute_with(
        &self,
        key: K,
        f: impl FnOnce(Option<&V>) -> Compute<V>,
    ) -> Result<Computed, TooHeavy<K, V>> {
        let hash = self.hasher.hash_one(&key);
        let cell = self.cell(hash);
        let mut out = Removed::None;
        let mut sampled = None;
        let done = {
            let mut shard = cell.shard.write();
            let now = self.now();
            let live = match shard.lookup(hash, &key, now) {
                Found::Live(i) => Some(i),
                _ => None,
            };
            match (f(live.map(|i| &shard.entries[i as usize].value)), live) {
                (Compute::Keep, _) | (Compute::Remove, None) => Computed::Unchanged,
                (Compute::Remove, Some(i)) => {
                    shard.counters.removals += 1;
                    let (k, v) = shard.remove_at(i);
                    out.push(k, v, RemovalCause::Removed);
                    Computed::Removed
                }
                (Compute::Put(value), live) => {
                    let weight = self.weigher.weigh(&key, &value);
                    if u64::from(weight) > shard.capacity {
                        return Err(shard.refuse(key, value, weight));
                    }
                    let expires = self.default_expiry(&mut shard, now);
                    sampled =
                        self.put(&mut shard, hash, key, value, weight, expires, now, &mut out);
                    if live.is_some() {
                        Computed::Updated
                    } else {
                        Computed::Inserted
                    }
                }
            }
        };
        self.tell_duel(hash, sampled);
        self.notify(out);
        Ok(done)
    }

    /// Selects `key`, to load it if absent or compute its next state: see
    /// [`EntryRef`](crate::EntryRef).
    ///
    /// Computes in **O(1)** time (the lookup happens in the call that follows).
    pub fn entry(&self, key: K) -> crate::EntryRef<&Self, K> {
        crate::EntryRef::new(self, key)
    }

    /// A snapshot of the live entries, one shard at a time: each shard's entries are cloned
    /// under its read lock, so the iterator holds no lock while the caller uses it. Entries
    /// inserted or removed meanwhile may or may not appear; none appears twice.
    ///
    /// Computes in **O(n)** time for the whole walk, each shard's entries cloned under its read
    /// lock.
    pub fn iter(&self) -> impl Iterator<Item = (K, V)> + '_
    where
        K: Clone,
    {
        self.cells.iter().flat_map(move |cell| {
            let shard = cell.shard.read();
            let now = self.now();
            let live: Vec<(K, V)> = shard
                .iter_live(now)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            live
        })
    }

    /// Removes `key` and returns its value, if live (an expired entry is dropped as expired).
    ///
    /// Computes in **O(1)** expected time: one hash, a shard write lock.
    pub fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        let cell = self.cell(hash);
        let (k, v, cause) = {
            let mut shard = cell.shard.write();
            let now = self.now();
            let (i, cause) = match shard.lookup(hash, key, now) {
                Found::Live(i) => {
                    shard.counters.removals += 1;
                    (i, RemovalCause::Removed)
                }
                Found::Expired(i) => {
                    shard.counters.expirations += 1;
                    (i, RemovalCause::Expired)
                }
                Found::Absent => return None,
            };
            let (k, v) = shard.remove_at(i);
            (k, v, cause)
        };
        if let Some(listener) = &self.listener {
            listener(&k, &v, cause);
        }
        (cause == RemovalCause::Removed).then_some(v)
    }

    /// Keeps only the entries for which `keep` returns true (the others go to the listener as
    /// removed). Each shard is locked in turn, so concurrent inserts may survive unseen.
    ///
    /// Computes in **O(n)** time, one shard write-locked at a time.
    ///
    /// # Panics
    /// Only if `keep` panics; the panic reaches the caller, the entries already judged stay removed
    /// (those of the shard being walked without reaching the eviction listener), and the cache
    /// stays consistent and usable.
    pub fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        for cell in self.cells.iter() {
            let mut out = Removed::None;
            {
                let mut shard = cell.shard.write();
                let now = self.now();
                shard.retain(now, &mut keep, &mut out);
            }
            self.notify(out);
        }
    }

    /// Removes every entry (reported as removed) and forgets the frequency counts.
    ///
    /// Computes in **O(n)** time, one shard write-locked at a time.
    pub fn clear(&self) {
        for cell in self.cells.iter() {
            let mut out = Removed::None;
            cell.shard.write().clear(&mut out);
            self.notify(out);
        }
    }

    /// Drops every expired entry now (they are otherwise reclaimed when the policy meets them);
    /// returns how many. O(entries).
    pub fn purge_expired(&self) -> usize {
        let mut purged = 0;
        for cell in self.cells.iter() {
            let mut out = Removed::None;
            {
                let mut shard = cell.shard.write();
                let now = self.now();
                purged += shard.purge_expired(now, &mut out);
            }
            self.notify(out);
        }
        purged
    }

    fn notify(&self, out: Removed<K, V>) {
        let Some(listener) = &self.listener else {
            return; // the entries drop here, outside the lock
        };
        match out {
            Removed::None => {}
            Removed::One(k, v, c) => listener(&k, &v, c),
            Removed::Many(all) => {
                for (k, v, c) in &all {
                    listener(k, v, *c);
                }
            }
        }
    }
}

impl<K, V, S, W, C> ConcurrentCache<K, V, S, W, C> {
    /// Entries resident, expired ones not yet reclaimed included. Locks each shard in turn
    /// for reading.
    ///
    /// Computes in **O(shards)** time.
    pub fn len(&self) -> usize {
        self.cells.iter().map(|c| c.shard.read().len()).sum()
    }

    /// Whether no entry is resident.
    ///
    /// Computes in **O(shards)** time.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total weight resident (the entry count for the unit weigher); never above the capacity.
    ///
    /// Computes in **O(shards)** time.
    pub fn weight(&self) -> u64 {
        self.cells.iter().map(|c| c.shard.read().weight).sum()
    }

    /// The hasher keys are hashed with (for a default-built cache, its own random key).
    ///
    /// Computes in **O(1)** time.
    pub fn hasher(&self) -> &S {
        &self.hasher
    }

    /// The heaviest entry the cache takes whatever its key: the smallest shard's capacity
    /// (capacity ÷ shards, rounded down; when they do not divide evenly some shards hold one
    /// unit more). With the default shard count it depends on the capacity only, never on the
    /// machine.
    ///
    /// Computes in **O(1)** time.
    pub fn max_entry_weight(&self) -> u64 {
        self.capacity / self.cells.len() as u64
    }

    /// The capacity (entries, or weight with a weigher).
    ///
    /// Computes in **O(1)** time.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// The number of shards.
    ///
    /// Computes in **O(1)** time.
    pub fn shards(&self) -> usize {
        self.cells.len()
    }

    /// The counters, summed over the shards.
    ///
    /// Computes in **O(shards)** time.
    pub fn stats(&self) -> CacheStats {
        let mut s = CacheStats::default();
        for cell in self.cells.iter() {
            let shard = cell.shard.read();
            let c = shard.counters;
            s.hits += cell.hits.load(Ordering::Relaxed);
            s.misses += cell.misses.load(Ordering::Relaxed);
            s.insertions += c.insertions;
            s.replacements += c.replacements;
            s.evictions += c.evictions;
            s.expirations += c.expirations;
            s.removals += c.removals;
            s.rejections += c.rejections;
        }
        s
    }

    /// Whether `key` is in the spatial sample the race between the eviction rules replays
    /// (a property of its hash under this cache's hasher). For benchmarks that place a key
    /// in the sample or outside it.
    ///
    /// Computes in **O(1)** time.
    #[doc(hidden)]
    pub fn in_race_sample<Q: Hash + ?Sized>(&self, key: &Q) -> bool
    where
        S: BuildHasher,
    {
        self.duel.sampled(self.hasher.hash_one(key))
    }

    /// Checks every shard's invariants (links, queue weights, table, capacity); panics on a
    /// broken one. For tests.
    ///
    /// Computes in **O(n)** time.
    #[doc(hidden)]
    pub fn check_invariants(&self)
    where
        K: Eq,
    {
        for cell in self.cells.iter() {
            cell.shard.read().check();
        }
    }
}
