//! Counters every cache keeps.

/// What a cache has done since it was built (or since [`reset`](Stats::reset)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Lookups (`get`, `get_mut`) that found a live entry.
    pub hits: u64,
    /// Lookups that found nothing, or an expired entry.
    pub misses: u64,
    /// Entries added (replacing a key's value counts too).
    pub insertions: u64,
    /// Entries pushed out to make room (or refused: heavier than the capacity).
    pub evictions: u64,
    /// Entries dropped because their time to live had passed.
    pub expirations: u64,
}

impl Stats {
    /// hits / (hits + misses), or 0 before any lookup.
    pub fn hit_ratio(&self) -> f64 {
        hit_ratio(self.hits, self.misses)
    }

    /// Zeroes every counter.
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
