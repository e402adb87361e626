//! Capacity by weight: how much of the capacity each entry uses.

/// The weight of an entry: how much of the cache's capacity it uses (bytes, cost, 1 per
/// entry…). Must be deterministic: the cache weighs an entry once, at insertion, and
/// remembers the result.
pub trait Weigher<K, V> {
    /// True for the unit weigher (every entry weighs 1), which lets the cache skip storing
    /// weights.
    const UNIT: bool = false;
    /// The entry's weight.
    fn weigh(&self, key: &K, value: &V) -> u32;
}

/// Every entry weighs 1: capacity is an entry count.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnitWeigher;

impl<K, V> Weigher<K, V> for UnitWeigher {
    const UNIT: bool = true;
    #[inline(always)]
    fn weigh(&self, _: &K, _: &V) -> u32 {
        1
    }
}

impl<K, V, F: Fn(&K, &V) -> u32> Weigher<K, V> for F {
    fn weigh(&self, key: &K, value: &V) -> u32 {
        self(key, value)
    }
}
