//! Why entries leave a concurrent cache, and how they reach the eviction listener.

use crate::RemovalCause;
use std::fmt;

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

/// Entries that left the cache under a lock, handed to the listener (and dropped) after it.
/// One entry inline: an insert evicts at most one entry of equal weight, so the common case
/// does not allocate.
pub(crate) enum Removed<K, V> {
    None,
    One(K, V, RemovalCause),
    Many(Vec<(K, V, RemovalCause)>),
}

impl<K, V> Removed<K, V> {
    #[inline]
    pub(crate) fn push(&mut self, key: K, value: V, cause: RemovalCause) {
        match self {
            // The common case writes the entry in place, without moving the enum out and back.
            Removed::None => *self = Removed::One(key, value, cause),
            Removed::Many(all) => all.push((key, value, cause)),
            Removed::One(..) => {
                if let Removed::One(k, v, c) = std::mem::replace(self, Removed::None) {
                    *self = Removed::Many(vec![(k, v, c), (key, value, cause)]);
                }
            }
        }
    }
}

/// The eviction listener: called with each entry that leaves, after the shard's lock is
/// released.
pub(super) type Listener<K, V> = Box<dyn Fn(&K, &V, RemovalCause) + Send + Sync>;
