//! One limiter per key (user, IP, API key), sharing one configuration and one clock.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;

use crate::sync::RwLock;
use crate::{Algorithm, Clock, Decision, ExceedsCapacity, RateLimiter, SystemClock};

/// Shards: a power of two, enough that two threads rarely want the same shard's write lock.
const SHARDS: usize = 64;

/// One shard: the keys whose hash picks it, with their states, and the size at which the next
/// new key sweeps it. A `HashTable` rather than a `HashMap`, so the key is hashed once for both
/// the shard and the slot.
type Shard<K, St> = RwLock<ShardData<K, St>>;

struct ShardData<K, St> {
    table: HashTable<(K, St)>,
    /// When a new key finds the shard this full, idle keys are dropped first.
    sweep_at: usize,
}

/// A shard sweeps no earlier than at this many keys: sweeping tiny shards would cost more than
/// the memory it saves.
const MIN_SWEEP: usize = 64;

/// Limits per key: each key gets its own state of algorithm `A`, created on first use; the
/// configuration and the clock are stored once.
///
/// The map is sharded: 64 `RwLock`ed hash maps, chosen by the key's hash. A check of a known
/// key takes its shard's read lock and updates the key's state in place (an atomic for GCRA), so
/// threads checking different keys, or the same key, do not wait on each other. Creating a key
/// takes the write lock once, and a racing second creator finds the first's state. The shards
/// are this crate's own locks rather than `dashmap`'s, so the loom model covers key creation too.
///
/// **Idle keys leave by themselves.** A key whose state is as good as fresh again (GCRA's
/// timestamp has passed, the bucket is full, the window is over) decides exactly as a missing
/// one, so it can be dropped. When a new key finds its shard at twice the size it had after its
/// last sweep (at least 64 keys), the shard drops its idle keys first: an incremental sweep, one
/// shard at a time, O(1) amortised per new key, that keeps memory within about twice the keys
/// active in the last window, however many one-shot keys a client sprays (`tests/memory.rs`
/// measures 10^6 of them). [`with_idle_horizon`](Self::with_idle_horizon) keeps keys for a
/// while longer; [`retain_recent`](Self::retain_recent) sweeps every shard now.
///
/// ```
/// use brick_rate_limit::{Gcra, KeyedLimiter, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let per_ip = KeyedLimiter::new(Gcra::new(1, Duration::from_secs(1))?, clock.clone());
/// assert!(per_ip.check(&"10.0.0.1").allowed);
/// assert!(!per_ip.check(&"10.0.0.1").allowed); // that IP's quota is used up
/// assert!(per_ip.check(&"10.0.0.2").allowed); // another IP has its own
/// clock.advance(Duration::from_secs(1));
/// per_ip.retain_recent();
/// assert_eq!(per_ip.len(), 0); // both keys were idle again, so they were dropped
/// # Ok::<(), brick_rate_limit::Error>(())
/// ```
pub struct KeyedLimiter<K, A: Algorithm, C = SystemClock, S = foldhash::fast::RandomState> {
    shards: Box<[Shard<K, A::State>]>,
    algorithm: A,
    clock: C,
    hasher: S,
    /// How long a key must have been idle before a sweep drops it (ns).
    idle_horizon: u64,
}

impl<K: Hash + Eq, A: Algorithm, C: Clock> KeyedLimiter<K, A, C> {
    /// An empty keyed limiter; each new key starts with the full quota.
    ///
    /// Computes in **O(shards)** time: the empty shards are allocated.
    pub fn new(algorithm: A, clock: C) -> Self {
        Self::with_hasher(algorithm, clock, foldhash::fast::RandomState::default())
    }
}

impl<K: Hash + Eq, A: Algorithm, C: Clock, S: BuildHasher + Clone> KeyedLimiter<K, A, C, S> {
    /// As [`new`](KeyedLimiter::new), with a given hasher. Keys an attacker chooses need a
    /// hasher keyed per instance, such as the default (foldhash's `RandomState`, seeded at
    /// random for each limiter) or std's `RandomState` (SipHash-1-3: stronger, slower).
    ///
    /// Computes in **O(shards)** time: the empty shards are allocated.
    pub fn with_hasher(algorithm: A, clock: C, hasher: S) -> Self {
        let shards = (0..SHARDS)
            .map(|_| {
                RwLock::new(ShardData {
                    table: HashTable::new(),
                    sweep_at: MIN_SWEEP,
                })
            })
            .collect();
        Self {
            shards,
            algorithm,
            clock,
            hasher,
            idle_horizon: 0,
        }
    }

    /// Keeps idle keys for `horizon` after their state became as good as fresh before a sweep
    /// drops them (default zero: dropped at the first sweep after). A dropped key decides
    /// exactly as a kept one, so this only trades memory for fewer re-creations of keys that
    /// come back soon.
    ///
    /// Computes in **O(1)** time.
    pub fn with_idle_horizon(mut self, horizon: std::time::Duration) -> Self {
        self.idle_horizon = u64::try_from(horizon.as_nanos()).unwrap_or(u64::MAX);
        self
    }

    /// Whether `state` has been as good as fresh for the idle horizon at `now`.
    fn idle(&self, state: &A::State, now: u64) -> bool {
        self.algorithm
            .is_idle(state, now.saturating_sub(self.idle_horizon))
    }

    /// The key's hash and its shard. The shard comes from bits 40..46, which the table inside
    /// uses for neither its slot (low bits) nor its tag (top 7 bits).
    #[inline]
    fn shard<Q: Hash + ?Sized>(&self, key: &Q) -> (u64, &Shard<K, A::State>) {
        let h = self.hasher.hash_one(key);
        (h, &self.shards[(h >> 40) as usize % SHARDS])
    }

    /// Checks, and if allowed consumes, one unit for `key` (a `&K`, or anything `K` borrows
    /// as, such as a `&str` for `String` keys: a known key is then found without a copy).
    ///
    /// Computes in **O(1)** expected time: one hash, a shard read lock, the algorithm's check; the
    /// first check of a key takes the shard's write lock to insert it.
    pub fn check<Q>(&self, key: &Q) -> Decision
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        self.check_n(key, 1).unwrap_or_else(|e| e.denial)
    }

    /// Checks, and if allowed consumes, `n` units for `key`.
    ///
    /// Cost: one hash, a shard read lock, the algorithm's check; the first check of a key also
    /// takes the shard's write lock and allocates its state.
    ///
    /// # Errors
    /// [`ExceedsCapacity`] when `n` exceeds what one check can ever get.
    pub fn check_n<Q>(&self, key: &Q, n: u32) -> Result<Decision, ExceedsCapacity>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let (h, shard) = self.shard(key);
        let now = self.clock.now_nanos();
        if let Some((_, state)) = shard.read().table.find(h, |(k, _)| k.borrow() == key) {
            return self.algorithm.check_n(state, now, n);
        }
        // First sight of the key: create it under the write lock. A racing creator that got
        // there first left its state, which the entry finds.
        let mut data = shard.write();
        if data.table.len() >= data.sweep_at {
            // Before the new key is in: its fresh state would count as idle.
            data.table.retain(|(_, s)| !self.idle(s, now));
            data.sweep_at = (2 * data.table.len()).max(MIN_SWEEP);
        }
        let entry = data
            .table
            .entry(
                h,
                |(k, _)| k.borrow() == key,
                |(k, _)| self.hasher.hash_one(k),
            )
            .or_insert_with(|| (key.to_owned(), self.algorithm.new_state(now)));
        self.algorithm.check_n(&entry.get().1, now, n)
    }

    /// A denial in this limiter's terms (limit, window; retry after a window), for a request
    /// that names no key it can hold.
    #[cfg(feature = "tower")]
    pub(crate) fn denial(&self) -> Decision {
        let now = self.clock.now_nanos();
        match self
            .algorithm
            .check_n(&self.algorithm.new_state(now), now, u32::MAX)
        {
            Err(e) => e.denial,
            Ok(d) => Decision {
                allowed: false,
                remaining: 0,
                retry_after: d.window,
                reset_after: d.window,
                ..d
            },
        }
    }

    /// Gives back `n` units of `key` (see [`RateLimiter::release`]).
    ///
    /// Computes in **O(1)** expected time: one hash, a shard read lock.
    pub fn release<Q>(&self, key: &Q, n: u32)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (h, shard) = self.shard(key);
        if let Some((_, state)) = shard.read().table.find(h, |(k, _)| k.borrow() == key) {
            self.algorithm.release(state, self.clock.now_nanos(), n);
        }
    }

    /// `key`'s limit as a [`RateLimiter`], to combine in a [`Hierarchy`](crate::Hierarchy).
    /// Each of its checks is a check of `key` here.
    ///
    /// Computes in **O(1)** time.
    pub fn limiter(&self, key: K) -> KeyLimiter<'_, K, A, C, S> {
        KeyLimiter { keyed: self, key }
    }

    /// Drops every key whose state is as good as fresh (a key that has not been seen for a
    /// window), so memory follows the active keys. Returns how many were dropped.
    ///
    /// Cost: O(keys), one shard write-locked at a time.
    pub fn retain_recent(&self) -> usize {
        let now = self.clock.now_nanos();
        let mut dropped = 0;
        for shard in self.shards.iter() {
            let mut data = shard.write();
            let before = data.table.len();
            data.table.retain(|(_, s)| !self.idle(s, now));
            dropped += before - data.table.len();
            data.sweep_at = (2 * data.table.len()).max(MIN_SWEEP);
        }
        dropped
    }

    /// Releases the maps' spare capacity (after [`retain_recent`](Self::retain_recent)).
    ///
    /// Computes in **O(keys)** time, one shard write-locked at a time.
    pub fn shrink(&self) {
        for shard in self.shards.iter() {
            shard
                .write()
                .table
                .shrink_to_fit(|(k, _)| self.hasher.hash_one(k));
        }
    }

    /// Keys held.
    ///
    /// Computes in **O(shards)** time, each shard read-locked in turn.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read().table.len()).sum()
    }

    /// Whether no key is held.
    ///
    /// Computes in **O(shards)** time, each shard read-locked in turn.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K, A: Algorithm + std::fmt::Debug, C, S> std::fmt::Debug for KeyedLimiter<K, A, C, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedLimiter")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// One key's limit, from [`KeyedLimiter::limiter`].
pub struct KeyLimiter<'a, K, A: Algorithm, C, S> {
    keyed: &'a KeyedLimiter<K, A, C, S>,
    key: K,
}

impl<K, A, C, S> RateLimiter for KeyLimiter<'_, K, A, C, S>
where
    K: Hash + Eq + Clone + Send + Sync,
    A: Algorithm,
    C: Clock,
    S: BuildHasher + Clone + Send + Sync,
{
    fn check_n(&self, n: u32) -> Result<Decision, ExceedsCapacity> {
        self.keyed.check_n(&self.key, n)
    }

    fn release(&self, n: u32) {
        self.keyed.release(&self.key, n);
    }
}

impl<K: std::fmt::Debug, A: Algorithm, C, S> std::fmt::Debug for KeyLimiter<'_, K, A, C, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyLimiter")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}
