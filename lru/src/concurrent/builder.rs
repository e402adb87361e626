//! The concurrent cache's builder: capacity, shards, hasher, weigher, clock, expiry,
//! refresh, listener.

use super::refresh::{self, AsyncTask, BlockingTask, Reloader};
use super::removal::Listener;
use super::shard::Shard;
use super::{Cell, ConcurrentCache};
use crate::RemovalCause;
use crate::store::{NEVER, check_capacity, nanos};
use crate::sync::{AtomicU8, AtomicU64, RwLock};
use crate::{Clock, DefaultBuildHasher, Error, SystemClock, UnitWeigher, Weigher};
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
use std::time::Duration;

/// Shards hold at least this much capacity by default: sharding a small cache costs hit
/// ratio (each shard evicts on its own) and buys little.
const MIN_SHARD_CAPACITY: u64 = 1024;
/// At most this many shards.
const MAX_SHARDS: usize = 1 << 16;
/// The shard count a large cache gets by default.
const DEFAULT_SHARDS: usize = 64;

/// Configures a [`ConcurrentCache`](crate::ConcurrentCache); from [`ConcurrentCache::builder`].
pub struct Builder<K, V, S = DefaultBuildHasher, W = UnitWeigher, C = SystemClock> {
    capacity: u64,
    shards: Option<usize>,
    hasher: S,
    weigher: W,
    clock: C,
    ttl: Option<Duration>,
    jitter: Option<Duration>,
    tti: Option<Duration>,
    listener: Option<Listener<K, V>>,
    record_stats: bool,
    refresh: Option<(Duration, Reloader<K, V>)>,
    _entries: PhantomData<fn(K, V)>,
}

impl<K, V, S, W, C> fmt::Debug for Builder<K, V, S, W, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("capacity", &self.capacity)
            .field("shards", &self.shards)
            .field("ttl", &self.ttl)
            .field("tti", &self.tti)
            .field("listener", &self.listener.is_some())
            .field("record_stats", &self.record_stats)
            .field("refresh_after", &self.refresh.as_ref().map(|r| r.0))
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq, V: Clone> ConcurrentCache<K, V> {
    /// A cache of `capacity` entries with the default shard count, hasher and system clock.
    ///
    /// Computes in **O(capacity)** time: the shards' tables are allocated.
    ///
    /// # Errors
    /// As [`Builder::build`]: [`Error::ZeroCapacity`], or a capacity above
    /// [`MAX_ENTRIES`](crate::MAX_ENTRIES) per shard.
    pub fn new(capacity: u64) -> Result<Self, Error> {
        Self::builder(capacity).build()
    }

    /// Starts configuring a cache of capacity `capacity` (entries, or total weight with a
    /// [`Weigher`]).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn builder(capacity: u64) -> Builder<K, V> {
        Builder {
            capacity,
            shards: None,
            hasher: DefaultBuildHasher::default(),
            weigher: UnitWeigher,
            clock: SystemClock::default(),
            ttl: None,
            jitter: None,
            tti: None,
            listener: None,
            record_stats: false,
            refresh: None,
            _entries: PhantomData,
        }
    }
}

impl<K, V, S, W, C> Builder<K, V, S, W, C> {
    /// The shard count: a power of two, at most 65,536 and at most the capacity. The default
    /// is 64, reduced so each shard holds at least 1,024 units of capacity: it depends on the
    /// capacity only, so an entry's largest weight ([`ConcurrentCache::max_entry_weight`]) is
    /// the same on every machine. More threads than 8 may want more shards.
    ///
    /// Computes in **O(1)** time.
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = Some(shards);
        self
    }

    /// Hashes keys with `hasher` instead of the default (foldhash keyed per cache): for example
    /// [`Xxh3BuildHasher`](crate::Xxh3BuildHasher) for a replay that must repeat hit for hit.
    ///
    /// Computes in **O(1)** time.
    pub fn hasher<S2>(self, hasher: S2) -> Builder<K, V, S2, W, C> {
        Builder {
            capacity: self.capacity,
            shards: self.shards,
            hasher,
            weigher: self.weigher,
            clock: self.clock,
            ttl: self.ttl,
            jitter: self.jitter,
            tti: self.tti,
            listener: self.listener,
            record_stats: self.record_stats,
            refresh: self.refresh,
            _entries: PhantomData,
        }
    }

    /// Bounds the total weight instead of the entry count.
    ///
    /// Computes in **O(1)** time.
    pub fn weigher<W2: Weigher<K, V>>(self, weigher: W2) -> Builder<K, V, S, W2, C> {
        Builder {
            capacity: self.capacity,
            shards: self.shards,
            hasher: self.hasher,
            weigher,
            clock: self.clock,
            ttl: self.ttl,
            jitter: self.jitter,
            tti: self.tti,
            listener: self.listener,
            record_stats: self.record_stats,
            refresh: self.refresh,
            _entries: PhantomData,
        }
    }

    /// Reads time from `clock` (a [`ManualClock`](crate::ManualClock) in tests).
    ///
    /// Computes in **O(1)** time.
    pub fn clock<C2: Clock>(self, clock: C2) -> Builder<K, V, S, W, C2> {
        Builder {
            capacity: self.capacity,
            shards: self.shards,
            hasher: self.hasher,
            weigher: self.weigher,
            clock,
            ttl: self.ttl,
            jitter: self.jitter,
            tti: self.tti,
            listener: self.listener,
            record_stats: self.record_stats,
            refresh: self.refresh,
            _entries: PhantomData,
        }
    }

    /// Entries expire this long after they were inserted (or last replaced).
    ///
    /// Computes in **O(1)** time.
    pub fn time_to_live(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Shortens each entry's time to live by a random amount below `jitter`, so that entries
    /// written together (a deploy's warm-up, a batch load) do not all expire, and reload,
    /// together. Applies to the cache's [`time_to_live`](Self::time_to_live), not to
    /// `insert_with_ttl`'s explicit ones.
    ///
    /// Computes in **O(1)** time.
    pub fn ttl_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = Some(jitter);
        self
    }

    /// Entries expire after this long without a read or write.
    ///
    /// Computes in **O(1)** time.
    pub fn time_to_idle(mut self, tti: Duration) -> Self {
        self.tti = Some(tti);
        self
    }

    /// Counts hits and misses for [`stats`](ConcurrentCache::stats): one atomic add per
    /// lookup (the other counters are always kept).
    ///
    /// Computes in **O(1)** time.
    pub fn record_stats(mut self) -> Self {
        self.record_stats = true;
        self
    }

    /// Refresh-ahead (stale-while-revalidate) with a blocking loader: a read of an entry whose
    /// value was written at least `age` ago returns that value at once and starts one reload of
    /// the key, `reload(&key, &old)`, on a thread of its own; the first read after the reload
    /// lands sees the new value. One reload runs per key at a time; an error (or a panic) keeps
    /// the old value, and the next read of the still-stale entry tries again. A write of the
    /// key meanwhile wins over the reload. Combine with a longer
    /// [`time_to_live`](Self::time_to_live) so that a key nobody reads still expires. As
    /// Caffeine's `refreshAfterWrite`.
    ///
    /// Computes in **O(1)** time.
    pub fn refresh_after<E>(
        self,
        age: Duration,
        reload: impl Fn(&K, &V) -> Result<V, E> + Send + Sync + 'static,
    ) -> Self
    where
        K: Clone + Send + 'static,
        V: Send + 'static,
    {
        self.refresh_after_with(age, reload, |task| {
            // A thread that cannot be started drops the task, which lands as failed.
            let _ = std::thread::Builder::new()
                .name("brick-lru-refresh".into())
                .spawn(task);
        })
    }

    /// As [`refresh_after`](Self::refresh_after), running each reload through `spawn` instead
    /// of a new thread: a thread pool, or `tokio::task::spawn_blocking`. `spawn` may also run
    /// the task at once on the reading thread (it is called outside every lock).
    ///
    /// Computes in **O(1)** time.
    pub fn refresh_after_with<E>(
        mut self,
        age: Duration,
        reload: impl Fn(&K, &V) -> Result<V, E> + Send + Sync + 'static,
        spawn: impl Fn(BlockingTask) + Send + Sync + 'static,
    ) -> Self
    where
        K: Clone + Send + 'static,
        V: Send + 'static,
    {
        self.refresh = Some((age, refresh::blocking(reload, spawn)));
        self
    }

    /// As [`refresh_after`](Self::refresh_after) with an async loader: `reload(key, old)`'s
    /// future runs as a task handed to `spawn` (`|task| { tokio::spawn(task); }`), so the cache
    /// depends on no runtime. A task dropped before it finishes counts as a failed reload.
    ///
    /// Computes in **O(1)** time.
    pub fn refresh_after_async<E, F>(
        mut self,
        age: Duration,
        reload: impl Fn(K, V) -> F + Send + Sync + 'static,
        spawn: impl Fn(AsyncTask) + Send + Sync + 'static,
    ) -> Self
    where
        K: Clone + Send + 'static,
        V: Send + 'static,
        F: Future<Output = Result<V, E>> + Send + 'static,
    {
        self.refresh = Some((age, refresh::non_blocking(reload, spawn)));
        self
    }

    /// Calls `listener` with every entry that leaves the cache and why, after the shard's lock
    /// is released (so it may use the cache). It runs on the thread whose operation removed
    /// the entry.
    ///
    /// Computes in **O(1)** time.
    pub fn eviction_listener(
        mut self,
        listener: impl Fn(&K, &V, RemovalCause) + Send + Sync + 'static,
    ) -> Self {
        self.listener = Some(Box::new(listener));
        self
    }
}

impl<K: Hash + Eq, V: Clone, S: BuildHasher, W: Weigher<K, V>, C: Clock> Builder<K, V, S, W, C> {
    /// The cache, or why the configuration is invalid: zero capacity, a count capacity above
    /// [`MAX_ENTRIES`](crate::MAX_ENTRIES) per shard, an invalid shard count, or a zero TTL or
    /// TTI.
    ///
    /// Computes in **O(capacity)** time: the shards' tables are allocated.
    ///
    /// # Errors
    /// [`Error::ZeroCapacity`], [`Error::CapacityTooLarge`], [`Error::InvalidShards`],
    /// [`Error::ZeroDuration`] for a zero TTL or TTI, [`Error::InvalidJitter`], or
    /// [`Error::InvalidRefresh`] when the refresh age is not below the TTL.
    pub fn build(self) -> Result<ConcurrentCache<K, V, S, W, C>, Error> {
        check_capacity(self.capacity, false)?;
        let shards = match self.shards {
            Some(n) => {
                if n == 0 || !n.is_power_of_two() || n > MAX_SHARDS || n as u64 > self.capacity {
                    return Err(Error::InvalidShards(n));
                }
                n
            }
            None => default_shards(self.capacity),
        };
        let per_shard = self.capacity / shards as u64;
        if W::UNIT && check_capacity(per_shard + 1, true).is_err() {
            // Report what was asked for, not the shard's share of it.
            return Err(Error::CapacityTooLarge(self.capacity));
        }
        if self.ttl.is_some_and(|d| d.is_zero()) || self.tti.is_some_and(|d| d.is_zero()) {
            return Err(Error::ZeroDuration);
        }
        if let Some(jitter) = self.jitter {
            let ttl = self.ttl.unwrap_or(Duration::ZERO);
            if jitter >= ttl {
                return Err(Error::InvalidJitter { jitter, ttl });
            }
        }
        let (refresh_after, reloader) = match self.refresh {
            Some((age, reloader)) => {
                if age.is_zero() {
                    return Err(Error::ZeroDuration);
                }
                if let Some(ttl) = self.ttl.filter(|&ttl| age >= ttl) {
                    return Err(Error::InvalidRefresh { refresh: age, ttl });
                }
                (nanos(age), Some(reloader))
            }
            None => (NEVER, None),
        };
        let tti = self.tti.map(nanos);
        let extra = self.capacity % shards as u64;
        let mut cells = crate::alloc::vec_with_capacity(shards as u64)?;
        for s in 0..shards {
            cells.push({
                let capacity = per_shard + u64::from((s as u64) < extra);
                // A weighted shard's entry count is unknown: size its sketch for up to 2^16.
                let entries = if W::UNIT {
                    capacity
                } else {
                    capacity.min(1 << 16)
                };
                let seed = 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(s as u64 + 1);
                Cell {
                    hits: AtomicU64::new(0),
                    misses: AtomicU64::new(0),
                    shard: RwLock::new(Shard::new(
                        capacity,
                        entries,
                        tti,
                        W::UNIT,
                        reloader.is_some(),
                        seed,
                    )?),
                }
            });
        }
        Ok(ConcurrentCache {
            cells: cells.into_boxed_slice(),
            mask: shards - 1,
            hasher: self.hasher,
            weigher: self.weigher,
            clock: self.clock,
            capacity: self.capacity,
            ttl: self.ttl.map_or(NEVER, nanos),
            jitter: self.jitter.map_or(0, nanos),
            expiring: AtomicU8::new(u8::from(
                self.ttl.is_some() || self.tti.is_some() || reloader.is_some(),
            )),
            listener: self.listener,
            record_stats: self.record_stats,
            refresh_after,
            reloader,
            duel: super::duel::Duel::new(self.capacity, W::UNIT)?,
        })
    }
}

/// [`DEFAULT_SHARDS`], and no more shards than leave each one [`MIN_SHARD_CAPACITY`]: a
/// function of the capacity alone, so the heaviest entry a cache takes
/// ([`ConcurrentCache::max_entry_weight`]) is the same on every machine. 64 shards are 8 per
/// thread up to 8 threads (on Zipf(0.99) keys two threads' reads met on the hot shards' lock
/// words, and 16 shards instead of 8 made a 2-thread get about a third faster here); beyond
/// that, set [`Builder::shards`].
fn default_shards(capacity: u64) -> usize {
    let wanted = DEFAULT_SHARDS;
    let fit = (capacity / MIN_SHARD_CAPACITY).max(1);
    // The largest power of two ≤ fit.
    let fit = 1usize << (63 - fit.leading_zeros()).min(16);
    wanted.min(fit)
}
