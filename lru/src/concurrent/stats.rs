//! The concurrent cache's counters.

/// What a [`ConcurrentCache`](crate::ConcurrentCache) has done since it was built. The counters add up: `len` =
/// `insertions − replacements − evictions − expirations − removals` once no operation is
/// in flight. Those are counted under the shards' write locks, always; hits and misses cost
/// every lookup an atomic add on a shared cache line (a measurable share of a hit), so, as in
/// Caffeine, they are counted only when the cache was built with
/// [`record_stats`](crate::Builder::record_stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found a live entry (counted only with [`Builder::record_stats`](crate::Builder::record_stats)).
    pub hits: u64,
    /// Lookups that found nothing live (counted only with [`Builder::record_stats`](crate::Builder::record_stats)).
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
