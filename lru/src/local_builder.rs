//! The builder of the single-threaded caches, in the style of [`ConcurrentCache::builder`]
//! (crate::ConcurrentCache::builder).

use crate::{
    Clock, DefaultBuildHasher, Error, LfuCache, LruCache, SystemClock, UnitWeigher, Weigher,
};
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
use std::time::Duration;

/// Configures an [`LruCache`] ([`LruCache::builder`]) or an [`LfuCache`]
/// ([`LfuCache::builder`]): the capacity, then any of a hasher, a weigher, a clock and a
/// default time to live, then [`build`](Self::build). The same method names as
/// [`Builder`](crate::Builder), the concurrent cache's.
///
/// ```
/// use brick_lru::{LruCache, ManualClock, Xxh3BuildHasher};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let mut cache = LruCache::builder(1_000)
///     .hasher(Xxh3BuildHasher::with_seed(7)) // a replay that repeats hit for hit
///     .weigher(|_: &u64, page: &String| page.len() as u32)
///     .clock(clock.clone())
///     .time_to_live(Duration::from_secs(60))
///     .build()?;
/// cache.insert(1, "page one".to_string());
/// clock.advance(Duration::from_secs(61));
/// assert_eq!(cache.get(&1), None);
/// # Ok::<(), brick_lru::Error>(())
/// ```
#[must_use = "a builder does nothing until `build`"]
pub struct CacheBuilder<T, S = DefaultBuildHasher, W = UnitWeigher, C = SystemClock> {
    capacity: u64,
    hasher: S,
    weigher: W,
    clock: C,
    ttl: Option<Duration>,
    cache: PhantomData<fn() -> T>,
}

impl<T, S, W, C> std::fmt::Debug for CacheBuilder<T, S, W, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheBuilder")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl<T> CacheBuilder<T> {
    pub(crate) fn new(capacity: u64) -> Self {
        Self {
            capacity,
            hasher: DefaultBuildHasher::default(),
            weigher: UnitWeigher,
            clock: SystemClock::default(),
            ttl: None,
            cache: PhantomData,
        }
    }
}

impl<T, S, W, C> CacheBuilder<T, S, W, C> {
    /// Hashes keys with `hasher` (the default is keyed per instance from a random source; pass
    /// [`Xxh3BuildHasher`](crate::Xxh3BuildHasher) for replays that must repeat).
    ///
    /// Computes in **O(1)** time.
    pub fn hasher<S2>(self, hasher: S2) -> CacheBuilder<T, S2, W, C> {
        CacheBuilder {
            capacity: self.capacity,
            hasher,
            weigher: self.weigher,
            clock: self.clock,
            ttl: self.ttl,
            cache: PhantomData,
        }
    }

    /// Weighs entries with `weigher`: the capacity is then a total weight, not a count.
    ///
    /// Computes in **O(1)** time.
    pub fn weigher<W2>(self, weigher: W2) -> CacheBuilder<T, S, W2, C> {
        CacheBuilder {
            capacity: self.capacity,
            hasher: self.hasher,
            weigher,
            clock: self.clock,
            ttl: self.ttl,
            cache: PhantomData,
        }
    }

    /// Reads the time for TTLs from `clock` (the default is the system's monotonic clock).
    ///
    /// Computes in **O(1)** time.
    pub fn clock<C2>(self, clock: C2) -> CacheBuilder<T, S, W, C2> {
        CacheBuilder {
            capacity: self.capacity,
            hasher: self.hasher,
            weigher: self.weigher,
            clock,
            ttl: self.ttl,
            cache: PhantomData,
        }
    }

    /// Gives entries inserted without their own time to live this one (the default: forever).
    ///
    /// Computes in **O(1)** time.
    pub fn time_to_live(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }
}

impl<K: Hash + Eq, V, S: BuildHasher, W: Weigher<K, V>, C: Clock>
    CacheBuilder<LruCache<K, V>, S, W, C>
{
    /// The cache.
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// - [`Error::ZeroCapacity`] for 0; [`Error::CapacityTooLarge`] above
    ///   [`MAX_ENTRIES`](crate::MAX_ENTRIES) for the unit weigher.
    pub fn build(self) -> Result<LruCache<K, V, S, W, C>, Error> {
        let mut cache = LruCache::from_parts(self.capacity, self.hasher, self.weigher, self.clock)?;
        cache.set_time_to_live(self.ttl);
        Ok(cache)
    }
}

impl<K: Hash + Eq, V, S: BuildHasher, W: Weigher<K, V>, C: Clock>
    CacheBuilder<LfuCache<K, V>, S, W, C>
{
    /// The cache.
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// - [`Error::ZeroCapacity`] for 0; [`Error::CapacityTooLarge`] above
    ///   [`MAX_ENTRIES`](crate::MAX_ENTRIES) for the unit weigher.
    pub fn build(self) -> Result<LfuCache<K, V, S, W, C>, Error> {
        let mut cache = LfuCache::from_parts(self.capacity, self.hasher, self.weigher, self.clock)?;
        cache.set_time_to_live(self.ttl);
        Ok(cache)
    }
}
