//! `Extend` for the filters whose insert cannot fail: `filter.extend(items)` inserts each item,
//! as a loop of `insert` would. A filter has no `FromIterator`: it must be sized (n, p) before
//! the first item, and an iterator does not say how many items it holds. The scalable filter
//! has no `Extend` either, because its insert can fail (the growth limit), and `extend` could
//! only drop the item or panic.

use crate::{AtomicBloomFilter, BlockedBloomFilter, BloomFilter, CountingBloomFilter};
use std::hash::{BuildHasher, Hash};

impl<T: Hash, S: BuildHasher> Extend<T> for BloomFilter<S> {
    /// Inserts every item. Computes in **O(k)** time per item.
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for item in items {
            self.insert(&item);
        }
    }
}

impl<T: Hash, S: BuildHasher> Extend<T> for BlockedBloomFilter<S> {
    /// Inserts every item. Computes in **O(k)** time per item, in one cache line.
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for item in items {
            self.insert(&item);
        }
    }
}

impl<T: Hash, S: BuildHasher> Extend<T> for CountingBloomFilter<S> {
    /// Inserts every item (counters saturate, as `insert`'s do). Computes in **O(k)** time per
    /// item.
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for item in items {
            self.insert(&item);
        }
    }
}

impl<T: Hash, S: BuildHasher> Extend<T> for AtomicBloomFilter<S> {
    /// Inserts every item (through `&mut`; share the filter by `&` to insert from several
    /// threads). Computes in **O(k)** time per item.
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for item in items {
            self.insert(&item);
        }
    }
}
