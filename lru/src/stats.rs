//! Counters every cache keeps.

/// What a cache has done since it was built (or since [`reset`](CacheStats::reset)). The
/// counters add up: `len` = `insertions − replacements − evictions − expirations − removals`
/// (once no operation is in flight, on a [`ConcurrentCache`](crate::ConcurrentCache)).
///
/// On a `ConcurrentCache`, hits and misses cost every lookup an atomic add on a shared cache
/// line (a measurable share of a hit), so, as in Caffeine, they are counted only when the cache
/// was built with [`record_stats`](crate::Builder::record_stats); the other counters are kept
/// under the shards' write locks, always.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found a live entry.
    pub hits: u64,
    /// Lookups that found nothing live (nothing, or an expired entry).
    pub misses: u64,
    /// Entries stored (a replaced value counts too).
    pub insertions: u64,
    /// Stored values that replaced a live value of the same key.
    pub replacements: u64,
    /// Entries the policy pushed out to stay within the capacity.
    pub evictions: u64,
    /// Entries dropped because their time to live or to idle had passed.
    pub expirations: u64,
    /// Entries dropped by `remove`, `retain`, `clear` (or `pop_lru`/`pop_lfu`).
    pub removals: u64,
    /// Entries refused because they weigh more than the capacity (or a shard) holds.
    pub rejections: u64,
}

impl CacheStats {
    /// hits / (hits + misses), or 0 before any lookup.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn hit_ratio(&self) -> f64 {
        hit_ratio(self.hits, self.misses)
    }

    /// Zeroes every counter.
    ///
    /// Computes in **O(1)** time.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// hits / (hits + misses), or 0 before any lookup.
pub(crate) fn hit_ratio(hits: u64, misses: u64) -> f64 {
    let lookups = hits + misses;
    if lookups == 0 {
        0.0
    } else {
        hits as f64 / lookups as f64
    }
}
