//! The interface both caches share, for benches, examples and trace replays.

use crate::Stats;

/// Why an entry left the cache (reported by `insert_with`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Removal {
    /// The same key was inserted again; this is its old entry.
    Replaced,
    /// Pushed out to make room.
    Evicted,
    /// Heavier than the whole capacity: refused, never inserted.
    Rejected,
}

/// What a bounded key-value cache offers, whatever its policy.
pub trait Cache<K, V> {
    /// The value of `key`, counting the use as the policy does.
    fn get(&mut self, key: &K) -> Option<&V>;
    /// Inserts or replaces `key`; returns the entry pushed out, if any.
    fn insert(&mut self, key: K, value: V) -> Option<(K, V)>;
    /// Removes `key` and returns its value.
    fn remove(&mut self, key: &K) -> Option<V>;
    /// Whether `key` holds a live entry, without counting a use.
    fn contains(&self, key: &K) -> bool;
    /// Entries resident.
    fn len(&self) -> usize;
    /// Whether no entry is resident.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The counters.
    fn stats(&self) -> Stats;
}
