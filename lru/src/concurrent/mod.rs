//! The concurrent cache: sharded W-TinyLFU with single-flight loading, TTL, TTI and weights.

mod refresh;
mod shard;
mod sketch;

pub use refresh::{AsyncTask, BlockingTask};

use crate::store::{NEVER, check_capacity, nanos};
use crate::sync::{Arc, AtomicU8, AtomicU64, Condvar, Mutex, Ordering, RwLock};
use crate::{
    Clock, Compute, Computed, DefaultBuildHasher, Error, SystemClock, UnitWeigher, Weigher,
};
use refresh::{Outcome, Reload, Reloader, Slot, Start};
use shard::{Found, Shard};
use std::borrow::Borrow;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Why an entry left a [`ConcurrentCache`], as told to the eviction listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RemovalCause {
    /// Pushed out by the policy to stay within the capacity, or (a loaded value) heavier
    /// than a shard's capacity and never cached.
    Size,
    /// Its time to live or time to idle had passed.
    Expired,
    /// The key was inserted again; this is the old value.
    Replaced,
    /// Removed by `remove`, `retain` or `clear`.
    Removed,
}

/// An insert refused because the entry is heavier than a shard's capacity; it holds the
/// entry, which was not inserted.
#[derive(Clone, PartialEq, Eq)]
pub struct TooHeavy<K, V> {
    /// The refused key.
    pub key: K,
    /// The refused value.
    pub value: V,
    /// Its weight.
    pub weight: u32,
    /// The most one entry may weigh: the capacity of the shard the key belongs to.
    pub limit: u64,
}

impl<K, V> fmt::Debug for TooHeavy<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TooHeavy")
            .field("weight", &self.weight)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl<K, V> fmt::Display for TooHeavy<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an entry of weight {} exceeds its shard's capacity of {}",
            self.weight, self.limit
        )
    }
}

impl<K, V> std::error::Error for TooHeavy<K, V> {}

/// What a [`ConcurrentCache`] has done since it was built. The counters add up: `len` =
/// `insertions − replacements − evictions − expirations − removals` once no operation is
/// in flight. Those are counted under the shards' write locks, always; hits and misses cost
/// every lookup an atomic add on a shared cache line (a measurable share of a hit), so, as in
/// Caffeine, they are counted only when the cache was built with
/// [`record_stats`](Builder::record_stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found a live entry (counted only with [`Builder::record_stats`]).
    pub hits: u64,
    /// Lookups that found nothing live (counted only with [`Builder::record_stats`]).
    pub misses: u64,
    /// Entries stored (a replaced value counts too).
    pub insertions: u64,
    /// Stored values that replaced a live value of the same key.
    pub replacements: u64,
    /// Entries the policy pushed out to stay within the capacity.
    pub evictions: u64,
    /// Entries dropped because their time to live or to idle had passed.
    pub expirations: u64,
    /// Entries dropped by `remove`, `retain` or `clear`.
    pub removals: u64,
    /// Entries refused because they weigh more than a shard holds.
    pub rejections: u64,
}

impl CacheStats {
    /// hits / (hits + misses), or 0 before any lookup.
    pub fn hit_ratio(&self) -> f64 {
        crate::stats::hit_ratio(self.hits, self.misses)
    }
}

/// Entries that left the cache under a lock, handed to the listener (and dropped) after it.
/// One entry inline: an insert evicts at most one entry of equal weight, so the common case
/// does not allocate.
pub(crate) enum Removed<K, V> {
    None,
    One(K, V, RemovalCause),
    Many(Vec<(K, V, RemovalCause)>),
}

impl<K, V> Removed<K, V> {
    pub(crate) fn push(&mut self, key: K, value: V, cause: RemovalCause) {
        *self = match std::mem::replace(self, Removed::None) {
            Removed::None => Removed::One(key, value, cause),
            Removed::One(k, v, c) => Removed::Many(vec![(k, v, c), (key, value, cause)]),
            Removed::Many(mut all) => {
                all.push((key, value, cause));
                Removed::Many(all)
            }
        }
    }
}

/// A key being loaded, and the flight its waiters wait on: created by the first waiter, so
/// a load nobody waits for allocates nothing.
pub(crate) struct Loading<K, V> {
    hash: u64,
    key: K,
    /// Tells this load's registration from a later one of the same key.
    id: u64,
    flight: Option<Arc<Flight<V>>>,
}

/// One run of a loader, seen by the threads that missed the same key meanwhile.
struct Flight<V> {
    state: Mutex<FlightState<V>>,
    landed: Condvar,
}

enum FlightState<V> {
    /// Still loading; the wakers of the async waiters to wake when it lands.
    Loading(Vec<Waker>),
    Loaded(V),
    /// The loader returned an error or panicked: waiters try again, one of them loading.
    Failed,
}

impl<V> Flight<V> {
    fn land(&self, outcome: FlightState<V>) {
        let before = std::mem::replace(&mut *self.state.lock(), outcome);
        self.landed.notify_all();
        // Woken after the lock is released: a waker may poll its task at once, on this thread.
        if let FlightState::Loading(wakers) = before {
            wakers.into_iter().for_each(Waker::wake);
        }
    }
}

impl<V: Clone> Flight<V> {
    fn new() -> Self {
        Self {
            state: Mutex::new(FlightState::Loading(Vec::new())),
            landed: Condvar::new(),
        }
    }

    /// Blocks until the loader finishes: its value, or `None` if it failed.
    fn wait(&self) -> Option<V> {
        let mut state = self.state.lock();
        loop {
            match &*state {
                FlightState::Loading(_) => state = self.landed.wait(state),
                FlightState::Loaded(v) => return Some(v.clone()),
                FlightState::Failed => return None,
            }
        }
    }
}

/// An async waiter of a flight: ready with the loaded value, or `None` if the load failed (or
/// its future was dropped), when the flight lands. Runtime-neutral: it registers its task's
/// waker with the flight, which wakes it on landing.
struct FlightWait<V>(Arc<Flight<V>>);

impl<V: Clone> Future for FlightWait<V> {
    type Output = Option<V>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<V>> {
        let mut state = self.0.state.lock();
        match &mut *state {
            FlightState::Loading(wakers) => {
                // A task polled again keeps one entry, whatever its waker.
                if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
            FlightState::Loaded(v) => Poll::Ready(Some(v.clone())),
            FlightState::Failed => Poll::Ready(None),
        }
    }
}

/// What a miss finds when it takes the shard's lock: the value after all, a load of the key
/// already running (with the key given back), or a load of its own registered.
enum Begin<K, V> {
    Hit(V),
    Wait(K, Arc<Flight<V>>),
    Load(u64),
}

/// The eviction listener: called with each entry that leaves, after the shard's lock is
/// released.
type Listener<K, V> = Box<dyn Fn(&K, &V, RemovalCause) + Send + Sync>;

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

/// Shards hold at least this much capacity by default: sharding a small cache costs hit
/// ratio (each shard evicts on its own) and buys little.
const MIN_SHARD_CAPACITY: u64 = 1024;
/// At most this many shards.
const MAX_SHARDS: usize = 1 << 16;
/// The shard count a large cache gets by default.
const DEFAULT_SHARDS: usize = 64;

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

/// Configures a [`ConcurrentCache`]; from [`ConcurrentCache::builder`].
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
    pub fn new(capacity: u64) -> Result<Self, Error> {
        Self::builder(capacity).build()
    }

    /// Starts configuring a cache of capacity `capacity` (entries, or total weight with a
    /// [`Weigher`]).
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
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = Some(shards);
        self
    }

    /// Hashes keys with `hasher` instead of the default (foldhash keyed per cache): for example
    /// [`Xxh3BuildHasher`](crate::Xxh3BuildHasher) for a replay that must repeat hit for hit.
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
    pub fn time_to_live(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Shortens each entry's time to live by a random amount below `jitter`, so that entries
    /// written together (a deploy's warm-up, a batch load) do not all expire, and reload,
    /// together. Applies to the cache's [`time_to_live`](Self::time_to_live), not to
    /// `insert_with_ttl`'s explicit ones.
    pub fn ttl_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = Some(jitter);
        self
    }

    /// Entries expire after this long without a read or write.
    pub fn time_to_idle(mut self, tti: Duration) -> Self {
        self.tti = Some(tti);
        self
    }

    /// Counts hits and misses for [`stats`](ConcurrentCache::stats): one atomic add per
    /// lookup (the other counters are always kept).
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

impl<K, V, S, W, C> fmt::Debug for ConcurrentCache<K, V, S, W, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConcurrentCache")
            .field("capacity", &self.capacity)
            .field("shards", &self.cells.len())
            .finish_non_exhaustive()
    }
}

/// Clears a failed load's registration and wakes its waiters, when the loader returns an
/// error or unwinds.
struct LoadGuard<'a, K, V> {
    cell: &'a Cell<K, V>,
    id: u64,
}

impl<K, V> Drop for LoadGuard<'_, K, V> {
    fn drop(&mut self) {
        let loading = self.cell.shard.write().take_loading(self.id);
        // The key drops outside the lock; then the waiters wake and one of them loads.
        if let Some(flight) = loading.and_then(|l| l.flight) {
            flight.land(FlightState::Failed);
        }
    }
}

/// A taken flight that has not landed yet; dropped unlanded (by an unwind), it lands as failed
/// and its waiters try again.
struct Landing<V>(Option<Arc<Flight<V>>>);

impl<V> Drop for Landing<V> {
    fn drop(&mut self) {
        if let Some(flight) = self.0.take() {
            flight.land(FlightState::Failed);
        }
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
        let now = self.now();
        if let Found::Live(i) = shard.lookup(hash, key, now) {
            // Counted under the lock: its cache line, which holds the counters, is ours now.
            cell.count(true, self.record_stats);
            shard.touch(i, now);
            let value = shard.entries[i as usize].value.clone();
            if self.refresh_after != NEVER && shard.wants_refresh(i, now, self.refresh_after) {
                drop(shard);
                return Some(self.refresh(cell, hash, key, value));
            }
            Some(value)
        } else {
            cell.count(false, self.record_stats);
            None
        }
    }

    /// Whether `key` holds a live entry, without counting a lookup or a use.
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        let shard = self.cell(hash).shard.read();
        matches!(shard.lookup(hash, key, self.now()), Found::Live(_))
    }

    /// A read found `key`'s entry (holding `stale`) due for a refresh: installs the reload that
    /// landed for it, or starts one. Returns the value the read sees.
    #[cold]
    #[inline(never)]
    fn refresh<Q>(&self, cell: &Cell<K, V>, hash: u64, key: &Q, stale: V) -> V
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let Some(reloader) = &self.reloader else {
            return stale;
        };
        let mut out = Removed::None;
        let mut start: Option<Start> = None;
        let seen = {
            let mut shard = cell.shard.write();
            let now = self.now();
            let Found::Live(i) = shard.lookup(hash, key, now) else {
                return stale; // removed meanwhile: the read still saw it
            };
            if !shard.wants_refresh(i, now, self.refresh_after) {
                // Another reader got here first, or a write made it fresh.
                return shard.entries[i as usize].value.clone();
            }
            let landed = shard.refresh[i as usize].slot.as_ref().map(|s| s.take());
            match landed {
                Some(Outcome::Landed(k, v)) => {
                    let weight = self.weigher.weigh(&k, &v);
                    if u64::from(weight) > shard.capacity {
                        // Too heavy to cache: the old value stays, and a later read retries.
                        shard.counters.rejections += 1;
                        shard.refresh[i as usize].slot = None;
                        stale
                    } else {
                        let expires = self.default_expiry(&mut shard, now);
                        shard.insert(hash, k, v.clone(), weight, expires, now, &mut out);
                        v
                    }
                }
                // In flight (`wants_refresh` said not, but a pending slot only ever lands).
                Some(Outcome::Pending) => stale,
                _ => {
                    // None started yet, or the last one failed: start one.
                    let slot = Arc::new(Slot::new());
                    shard.refresh[i as usize].slot = Some(Arc::clone(&slot));
                    let e = &shard.entries[i as usize];
                    start = Some(reloader(&e.key, e.value.clone(), Reload::new(slot)));
                    stale
                }
            }
        };
        self.notify(out);
        if let Some(start) = start {
            start();
        }
        seen
    }

    /// Inserts or replaces `key`'s value with the cache's time to live; entries pushed out are
    /// reported to the listener. Refused (and handed back) if heavier than a shard holds.
    pub fn insert(&self, key: K, value: V) -> Result<(), TooHeavy<K, V>> {
        self.insert_for(key, value, None)
    }

    /// Inserts or replaces `key`'s value, expiring `ttl` from now whatever the cache's default.
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

    /// `ttl`: `None` for the cache's default (jittered, if configured).
    fn insert_for(&self, key: K, value: V, ttl: Option<u64>) -> Result<(), TooHeavy<K, V>> {
        let hash = self.hasher.hash_one(&key);
        let weight = self.weigher.weigh(&key, &value);
        let cell = self.cell(hash);
        let mut out = Removed::None;
        {
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
            shard.insert(hash, key, value, weight, expires, now, &mut out);
        }
        self.notify(out);
        Ok(())
    }

    /// The value of `key`, loading it with `load` on a miss. When several threads miss the
    /// same key at once, `load` runs once and the others wait for its value (no stampede). A
    /// loaded value heavier than a shard holds is returned but not cached.
    pub fn get_or_insert_with(&self, key: K, load: impl FnOnce() -> V) -> V {
        match self.try_get_or_insert_with(key, || Ok::<V, std::convert::Infallible>(load())) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// As [`get_or_insert_with`](Self::get_or_insert_with) with a fallible loader. An error
    /// (or a panic) goes to the caller whose `load` ran; nothing is cached, and one of the
    /// waiting threads runs its own `load` instead. `load` must not load the same key from
    /// this cache: it would wait for itself.
    pub fn try_get_or_insert_with<E>(
        &self,
        key: K,
        load: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        let hash = self.hasher.hash_one(&key);
        let cell = self.cell(hash);
        if let Some(v) = self.get_hashed(cell, hash, &key) {
            return Ok(v);
        }
        let mut key = key;
        let id = loop {
            match self.begin_load(cell, hash, key) {
                Begin::Hit(v) => return Ok(v),
                Begin::Wait(k, running) => match running.wait() {
                    Some(v) => return Ok(v),
                    None => key = k, // that load failed: try again, perhaps loading
                },
                Begin::Load(id) => break id,
            }
        };
        let guard = LoadGuard { cell, id };
        let value = load()?; // on error or unwind the guard clears the registration
        std::mem::forget(guard);
        Ok(self.finish_load(cell, hash, id, value))
    }

    /// The value of `key`, loading it by awaiting `load` on a miss: the async form of
    /// [`get_or_insert_with`](Self::get_or_insert_with), for any runtime (the cache depends on
    /// none). When many tasks miss the same key at once, one of them awaits its `load` and the
    /// others await its value without blocking a thread. If the loading task's future is
    /// dropped (the request was cancelled, a timeout fired), one of the waiters takes over and
    /// awaits its own `load`: nobody waits for a load that will never finish.
    pub async fn get_or_insert_with_async(&self, key: K, load: impl Future<Output = V>) -> V {
        let load = async { Ok::<V, std::convert::Infallible>(load.await) };
        match self.try_get_or_insert_with_async(key, load).await {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// As [`get_or_insert_with_async`](Self::get_or_insert_with_async) with a fallible loader,
    /// with the error semantics of [`try_get_or_insert_with`](Self::try_get_or_insert_with): an
    /// error (or a panic) goes to the task whose `load` ran, nothing is cached, and a waiting
    /// task awaits its own `load` instead. `load` must not load the same key from this cache.
    pub async fn try_get_or_insert_with_async<E>(
        &self,
        key: K,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        let hash = self.hasher.hash_one(&key);
        let cell = self.cell(hash);
        if let Some(v) = self.get_hashed(cell, hash, &key) {
            return Ok(v);
        }
        let mut key = key;
        let id = loop {
            match self.begin_load(cell, hash, key) {
                Begin::Hit(v) => return Ok(v),
                Begin::Wait(k, running) => match FlightWait(running).await {
                    Some(v) => return Ok(v),
                    // That load failed or its task was dropped: try again, perhaps loading.
                    None => key = k,
                },
                Begin::Load(id) => break id,
            }
        };
        // Dropped with this future (cancellation), by an error or by an unwind, the guard
        // clears the registration and lands the flight as failed: a waiter takes over.
        let guard = LoadGuard { cell, id };
        let value = load.await?;
        std::mem::forget(guard);
        Ok(self.finish_load(cell, hash, id, value))
    }

    /// Under the shard's write lock: the live value, the flight of a load of `key` already
    /// running (its flight created if it had none), or a registration of a new load.
    fn begin_load(&self, cell: &Cell<K, V>, hash: u64, key: K) -> Begin<K, V> {
        let mut shard = cell.shard.write();
        let now = self.now();
        if let Found::Live(i) = shard.lookup(hash, &key, now) {
            // Loaded by another thread since the read before.
            shard.touch(i, now);
            return Begin::Hit(shard.entries[i as usize].value.clone());
        }
        let running = shard
            .loading
            .iter_mut()
            .find(|l| l.hash == hash && l.key == key)
            .map(|l| Arc::clone(l.flight.get_or_insert_with(|| Arc::new(Flight::new()))));
        if let Some(running) = running {
            return Begin::Wait(key, running);
        }
        let id = shard.next_load;
        shard.next_load += 1;
        shard.loading.push(Loading {
            hash,
            key,
            id,
            flight: None,
        });
        Begin::Load(id)
    }

    /// Caches the value load `id` produced (unless too heavy for a shard) and hands it to the
    /// load's waiters.
    fn finish_load(&self, cell: &Cell<K, V>, hash: u64, id: u64, value: V) -> V {
        let mut out = Removed::None;
        // From here the flight is ours to land: if the weigher, a clone or anything else below
        // unwinds, this lands it as failed, so no waiter is left waiting for it.
        let mut landing = Landing(None);
        {
            let mut shard = cell.shard.write();
            if let Some(Loading { key, flight: f, .. }) = shard.take_loading(id) {
                landing.0 = f;
                let weight = self.weigher.weigh(&key, &value);
                if u64::from(weight) > shard.capacity {
                    shard.counters.rejections += 1;
                    out.push(key, value.clone(), RemovalCause::Size);
                } else {
                    let now = self.now();
                    let expires = self.default_expiry(&mut shard, now);
                    shard.insert(hash, key, value.clone(), weight, expires, now, &mut out);
                }
            }
        }
        if landing.0.is_some() {
            // Clone before taking the flight: a panicking clone still lands it as failed.
            let loaded = value.clone();
            if let Some(flight) = landing.0.take() {
                flight.land(FlightState::Loaded(loaded));
            }
        }
        // The listener runs after the waiters are released: its panic cannot wedge them.
        self.notify(out);
        value
    }

    /// Reads `key`'s live value (or `None`) and, in the same critical section, inserts,
    /// replaces or removes it as `f` decides: an atomic read-modify-write of one key (a counter,
    /// a merge, a conditional delete) that no other writer of the key interleaves with. Entries
    /// it pushes out, replaces or removes go to the listener. `f` runs under the shard's write
    /// lock: keep it short, and never touch this cache from it.
    ///
    /// # Errors
    /// [`TooHeavy`] if `f` puts a value heavier than a shard holds; the current entry, if any,
    /// stays.
    pub fn and_compute_with(
        &self,
        key: K,
        f: impl FnOnce(Option<&V>) -> Compute<V>,
    ) -> Result<Computed, TooHeavy<K, V>> {
        let hash = self.hasher.hash_one(&key);
        let cell = self.cell(hash);
        let mut out = Removed::None;
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
                    shard.insert(hash, key, value, weight, expires, now, &mut out);
                    if live.is_some() {
                        Computed::Updated
                    } else {
                        Computed::Inserted
                    }
                }
            }
        };
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
    pub fn len(&self) -> usize {
        self.cells.iter().map(|c| c.shard.read().len()).sum()
    }

    /// Whether no entry is resident.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total weight resident (the entry count for the unit weigher); never above the capacity.
    pub fn weight(&self) -> u64 {
        self.cells.iter().map(|c| c.shard.read().weight).sum()
    }

    /// The hasher keys are hashed with (for a default-built cache, its own random key).
    pub fn hasher(&self) -> &S {
        &self.hasher
    }

    /// The heaviest entry the cache takes whatever its key: the smallest shard's capacity
    /// (capacity ÷ shards, rounded down; when they do not divide evenly some shards hold one
    /// unit more). With the default shard count it depends on the capacity only, never on the
    /// machine.
    pub fn max_entry_weight(&self) -> u64 {
        self.capacity / self.cells.len() as u64
    }

    /// The capacity (entries, or weight with a weigher).
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// The number of shards.
    pub fn shards(&self) -> usize {
        self.cells.len()
    }

    /// The counters, summed over the shards.
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

    /// Checks every shard's invariants (links, queue weights, table, capacity); panics on a
    /// broken one. For tests.
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
