//! Refresh-ahead (stale-while-revalidate): a read of an entry older than `refresh_after`
//! returns the value it finds and starts one reload of the key in the background; the first
//! read after the reload lands installs the new value. The slot a reload fills lives beside
//! its entry, so it leaves with the entry (evicted, removed or overwritten by a newer write)
//! and a late reload can never resurrect or overwrite anything.

use super::shard::Found;
use super::{Cell, ConcurrentCache, Removed};
use crate::sync::{Arc, Mutex};
use crate::{Clock, Weigher};
use std::borrow::Borrow;
use std::future::Future;
use std::hash::{BuildHasher, Hash};
use std::pin::Pin;

/// What a reload has left for the next read of its key.
pub(crate) enum Outcome<K, V> {
    Pending,
    /// The reload's key (a clone of the entry's) and its new value.
    Landed(K, V),
    /// The loader returned an error, panicked, or its task was dropped: the old value stays
    /// and the next stale read tries again.
    Failed,
}

/// One reload's result, shared by the task running it and the entry it refreshes.
pub(crate) struct Slot<K, V>(Mutex<Outcome<K, V>>);

impl<K, V> Slot<K, V> {
    pub(crate) fn new() -> Self {
        Self(Mutex::new(Outcome::Pending))
    }

    pub(crate) fn is_pending(&self) -> bool {
        matches!(*self.0.lock(), Outcome::Pending)
    }

    /// The outcome so far, leaving `Pending` in place of a landed or failed one.
    pub(crate) fn take(&self) -> Outcome<K, V> {
        let mut outcome = self.0.lock();
        match *outcome {
            Outcome::Pending => Outcome::Pending,
            _ => std::mem::replace(&mut *outcome, Outcome::Pending),
        }
    }
}

/// The handle a reload task fills. Dropped without landing (the loader panicked, an executor
/// dropped the task), it lands as failed, so the key is reloaded again later.
pub(crate) struct Reload<K, V>(Option<Arc<Slot<K, V>>>);

impl<K, V> Reload<K, V> {
    pub(crate) fn new(slot: Arc<Slot<K, V>>) -> Self {
        Self(Some(slot))
    }

    /// Lands the reload: its value, or `None` for a failed one.
    pub(crate) fn land(mut self, loaded: Option<(K, V)>) {
        if let Some(slot) = self.0.take() {
            *slot.0.lock() = match loaded {
                Some((k, v)) => Outcome::Landed(k, v),
                None => Outcome::Failed,
            };
        }
    }
}

impl<K, V> Drop for Reload<K, V> {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            *slot.0.lock() = Outcome::Failed;
        }
    }
}

/// An entry's refresh state, parallel to the shard's entries when the cache refreshes.
pub(crate) struct Refresh<K, V> {
    /// When the entry's value was written (clock nanoseconds).
    pub(crate) written: u64,
    /// The reload started for this value, if any.
    pub(crate) slot: Option<Arc<Slot<K, V>>>,
}

/// Hands a reload to the executor: called outside the shard's lock, so an executor that runs
/// the task at once on the calling thread may use the cache.
pub(crate) type Start = Box<dyn FnOnce()>;

/// Prepares the reload of an entry (its key, its current value and the handle to fill) under
/// the shard's lock, running no user code but the key's and value's clones.
pub(crate) type Reloader<K, V> = Box<dyn Fn(&K, V, Reload<K, V>) -> Start + Send + Sync>;

/// A blocking reload, as handed to the executor of [`Builder::refresh_after_with`](crate::Builder::refresh_after_with).
pub type BlockingTask = Box<dyn FnOnce() + Send + 'static>;

/// An async reload, as handed to the spawner of [`Builder::refresh_after_async`](crate::Builder::refresh_after_async).
pub type AsyncTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The reloader of a blocking loader run by `spawn`.
pub(crate) fn blocking<K, V, E>(
    load: impl Fn(&K, &V) -> Result<V, E> + Send + Sync + 'static,
    spawn: impl Fn(BlockingTask) + Send + Sync + 'static,
) -> Reloader<K, V>
where
    K: Clone + Send + 'static,
    V: Send + 'static,
{
    let load = Arc::new(load);
    let spawn = Arc::new(spawn);
    Box::new(move |key: &K, old: V, reload: Reload<K, V>| {
        let (key, load, spawn) = (key.clone(), Arc::clone(&load), Arc::clone(&spawn));
        Box::new(move || {
            spawn(Box::new(move || {
                // A panic unwinds past `reload`, whose drop lands the reload as failed.
                let loaded = load(&key, &old).ok();
                reload.land(loaded.map(|v| (key, v)));
            }))
        })
    })
}

/// The reloader of an async loader whose futures `spawn` runs.
pub(crate) fn non_blocking<K, V, E, F>(
    load: impl Fn(K, V) -> F + Send + Sync + 'static,
    spawn: impl Fn(AsyncTask) + Send + Sync + 'static,
) -> Reloader<K, V>
where
    K: Clone + Send + 'static,
    V: Send + 'static,
    F: Future<Output = Result<V, E>> + Send + 'static,
{
    let load = Arc::new(load);
    let spawn = Arc::new(spawn);
    Box::new(move |key: &K, old: V, reload: Reload<K, V>| {
        let (key, load, spawn) = (key.clone(), Arc::clone(&load), Arc::clone(&spawn));
        Box::new(move || {
            spawn(Box::pin(async move {
                // The loader is called inside the task, never under the shard's lock.
                let loaded = load(key.clone(), old).await.ok();
                reload.land(loaded.map(|v| (key, v)));
            }))
        })
    })
}

impl<K: Hash + Eq, V: Clone, S: BuildHasher, W: Weigher<K, V>, C: Clock>
    ConcurrentCache<K, V, S, W, C>
{
    /// A read found `key`'s entry (holding `stale`) due for a refresh: installs the reload that
    /// landed for it, or starts one. Returns the value the read sees.
    #[cold]
    #[inline(never)]
    pub(super) fn refresh<Q>(&self, cell: &Cell<K, V>, hash: u64, key: &Q, stale: V) -> V
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let Some(reloader) = &self.reloader else {
            return stale;
        };
        let mut out = Removed::None;
        let mut start: Option<Start> = None;
        let seen = {
            let mut shard = cell.shard.write();
            let now = self.now();
            let Found::Live(i) = shard.lookup(hash, key, now) else {
                return stale; // removed meanwhile: the read still saw it
            };
            if !shard.wants_refresh(i, now, self.refresh_after) {
                // Another reader got here first, or a write made it fresh.
                return shard.entries[i as usize].value.clone();
            }
            let landed = shard.refresh[i as usize].slot.as_ref().map(|s| s.take());
            match landed {
                Some(Outcome::Landed(k, v)) => {
                    let weight = self.weigher.weigh(&k, &v);
                    if u64::from(weight) > shard.capacity {
                        // Too heavy to cache: the old value stays, and a later read retries.
                        shard.counters.rejections += 1;
                        shard.refresh[i as usize].slot = None;
                        stale
                    } else {
                        let expires = self.default_expiry(&mut shard, now);
                        shard.insert(hash, k, v.clone(), weight, expires, now, &mut out);
                        v
                    }
                }
                // In flight (`wants_refresh` said not, but a pending slot only ever lands).
                Some(Outcome::Pending) => stale,
                _ => {
                    // None started yet, or the last one failed: start one.
                    let slot = Arc::new(Slot::new());
                    shard.refresh[i as usize].slot = Some(Arc::clone(&slot));
                    let e = &shard.entries[i as usize];
                    start = Some(reloader(&e.key, e.value.clone(), Reload::new(slot)));
                    stale
                }
            }
        };
        self.notify(out);
        if let Some(start) = start {
            start();
        }
        seen
    }
}
