//! A bounded min-heap of counted keys with a key → position index: the smallest count is at the
//! root, a key's count can be raised in O(log k), and the root can be replaced in O(log k).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

/// One monitored key: its count and how much of that count may be overestimate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Slot<K> {
    pub(crate) count: u64,
    pub(crate) error: u64,
    pub(crate) key: K,
}

#[derive(Clone)]
pub(crate) struct IndexedHeap<K, S> {
    slots: Vec<Slot<K>>,
    index: HashMap<K, usize, S>,
}

impl<K: Hash + Eq + Clone, S: BuildHasher> IndexedHeap<K, S> {
    pub(crate) fn with_capacity_and_hasher(k: usize, hasher: S) -> Self {
        Self {
            slots: Vec::with_capacity(k),
            index: HashMap::with_capacity_and_hasher(k, hasher),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn position(&self, key: &K) -> Option<usize> {
        self.index.get(key).copied()
    }

    pub(crate) fn min(&self) -> Option<&Slot<K>> {
        self.slots.first()
    }

    pub(crate) fn slots(&self) -> &[Slot<K>] {
        &self.slots
    }

    pub(crate) fn push(&mut self, slot: Slot<K>) {
        let at = self.slots.len();
        self.index.insert(slot.key.clone(), at);
        self.slots.push(slot);
        self.sift_up(at);
    }

    /// Raises the count at `at` (never lowers it) and restores the heap order.
    pub(crate) fn raise(&mut self, at: usize, count: u64) {
        debug_assert!(count >= self.slots[at].count);
        self.slots[at].count = count;
        self.sift_down(at);
    }

    /// Adds to the count at `at` and returns the new count.
    pub(crate) fn add(&mut self, at: usize, count: u64) -> u64 {
        let slot = &mut self.slots[at];
        slot.count = slot.count.saturating_add(count);
        let new = slot.count;
        self.sift_down(at);
        new
    }

    /// Puts `slot` in place of the smallest entry and returns that entry's key.
    pub(crate) fn replace_min(&mut self, slot: Slot<K>) -> Option<K> {
        if self.slots.is_empty() {
            self.push(slot);
            return None;
        }
        self.index.insert(slot.key.clone(), 0);
        let old = std::mem::replace(&mut self.slots[0], slot);
        self.index.remove(&old.key);
        self.sift_down(0);
        Some(old.key)
    }

    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        self.index.clear();
    }

    /// The entries, largest count first (ties by smaller error, then insertion-independent).
    pub(crate) fn sorted(&self) -> Vec<Slot<K>> {
        let mut out = self.slots.clone();
        out.sort_by(|a, b| b.count.cmp(&a.count).then(a.error.cmp(&b.error)));
        out
    }

    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.slots[parent].count <= self.slots[at].count {
                break;
            }
            self.swap(at, parent);
            at = parent;
        }
    }

    fn sift_down(&mut self, mut at: usize) {
        loop {
            let (l, r) = (2 * at + 1, 2 * at + 2);
            let mut least = at;
            if l < self.slots.len() && self.slots[l].count < self.slots[least].count {
                least = l;
            }
            if r < self.slots.len() && self.slots[r].count < self.slots[least].count {
                least = r;
            }
            if least == at {
                return;
            }
            self.swap(at, least);
            at = least;
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.slots.swap(a, b);
        for i in [a, b] {
            if let Some(p) = self.index.get_mut(&self.slots[i].key) {
                *p = i;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::RandomState;

    fn check<K: Hash + Eq + Clone + std::fmt::Debug>(h: &IndexedHeap<K, RandomState>) {
        for (i, s) in h.slots.iter().enumerate() {
            assert_eq!(h.index[&s.key], i);
            if i > 0 {
                assert!(h.slots[(i - 1) / 2].count <= s.count);
            }
        }
        assert_eq!(h.index.len(), h.slots.len());
    }

    #[test]
    fn heap_keeps_order_and_index_through_raises_and_replacements() {
        let mut h = IndexedHeap::with_capacity_and_hasher(8, RandomState::new());
        for (i, c) in [5u64, 3, 9, 1, 7, 2].into_iter().enumerate() {
            h.push(Slot {
                count: c,
                error: 0,
                key: i,
            });
            check(&h);
        }
        assert_eq!(h.min().unwrap().count, 1);
        h.raise(h.position(&3).unwrap(), 10);
        check(&h);
        assert_eq!(h.min().unwrap().count, 2);
        assert_eq!(
            h.replace_min(Slot {
                count: 4,
                error: 2,
                key: 99
            }),
            Some(5)
        );
        check(&h);
        assert_eq!(h.position(&5), None);
        let counts: Vec<u64> = h.sorted().iter().map(|s| s.count).collect();
        assert_eq!(counts, [10, 9, 7, 5, 4, 3]);
    }
}
