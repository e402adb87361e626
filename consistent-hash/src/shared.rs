//! A ring shared by many reader threads and updated by a control thread.

use crate::sync::{Arc, RwLock};
use crate::{DefaultBuildHasher, HashRing};
use std::hash::{BuildHasher, Hash};
use std::ops::Deref;

/// A [`HashRing`] that request threads read while a control thread adds and removes nodes.
///
/// Readers take an immutable snapshot: an `Arc` clone under a read lock held for just that clone,
/// so readers never wait for each other and never see a half-built ring. A writer builds the
/// next ring from the current one outside any lock, then swaps it in; if another writer swapped
/// first, it rebuilds from the newer ring (so no update is lost, and no user code runs under a
/// lock). A snapshot stays valid, and unchanged, for as long as its holder keeps it.
#[derive(Debug)]
pub struct SharedRing<N, S = DefaultBuildHasher> {
    current: RwLock<Arc<HashRing<N, S>>>,
}

/// An immutable view of the ring as it was when taken; derefs to [`HashRing`].
#[derive(Debug)]
pub struct RingSnapshot<N, S = DefaultBuildHasher>(Arc<HashRing<N, S>>);

impl<N, S> Clone for RingSnapshot<N, S> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<N, S> Deref for RingSnapshot<N, S> {
    type Target = HashRing<N, S>;
    fn deref(&self) -> &HashRing<N, S> {
        &self.0
    }
}

impl<N: Hash + Eq + Clone, S: BuildHasher + Clone> SharedRing<N, S> {
    /// Shares `ring`.
    ///
    /// Computes in **O(1)** time.
    pub fn new(ring: HashRing<N, S>) -> Self {
        Self {
            current: RwLock::new(Arc::new(ring)),
        }
    }

    /// The current ring, as an immutable snapshot.
    ///
    /// Computes in **O(1)**: a read lock held for one `Arc` clone.
    pub fn snapshot(&self) -> RingSnapshot<N, S> {
        RingSnapshot(Arc::clone(&self.current.read()))
    }

    /// The node owning `key` in the current ring (a clone of it).
    ///
    /// Computes in **O(1)** expected: a read lock held for the ring's lookup, then a clone of the
    /// node.
    pub fn get<K: Hash + ?Sized>(&self, key: &K) -> Option<N> {
        self.snapshot().get(key).cloned()
    }

    /// Applies `change` to a copy of the current ring and publishes the result; returns what
    /// `change` returned. `change` may run more than once if other writers publish meanwhile,
    /// so it should only edit the ring it is given.
    ///
    /// Computes in **O(P)** to copy the ring, plus the change itself.
    ///
    /// # Panics
    /// Only if `change` panics; the panic reaches the caller and the published ring is unchanged
    /// (`change` edits a copy).
    pub fn update<R>(&self, mut change: impl FnMut(&mut HashRing<N, S>) -> R) -> R {
        loop {
            let base = Arc::clone(&self.current.read());
            let mut next = HashRing::clone(&base);
            let result = change(&mut next);
            let mut slot = self.current.write();
            if Arc::ptr_eq(&slot, &base) {
                *slot = Arc::new(next);
                return result;
            }
            // Another writer published first: redo the change on its ring.
        }
    }
}
