//! Single flight: when several callers miss one key at once, one loads it and the others
//! wait for its value — threads on a condition variable, tasks on their wakers — and a load
//! that fails, unwinds or is cancelled hands the key to a waiter.

use super::shard::Found;
use super::{Cell, ConcurrentCache, Removed};
use crate::RemovalCause;
use crate::sync::{Arc, Condvar, Mutex};
use crate::{Clock, Weigher};
use std::future::Future;
use std::hash::{BuildHasher, Hash};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// A key being loaded, and the flight its waiters wait on: created by the first waiter, so
/// a load nobody waits for allocates nothing.
pub(crate) struct Loading<K, V> {
    pub(super) hash: u64,
    pub(super) key: K,
    /// Tells this load's registration from a later one of the same key.
    pub(super) id: u64,
    flight: Option<Arc<Flight<V>>>,
}

/// One run of a loader, seen by the threads that missed the same key meanwhile.
struct Flight<V> {
    state: Mutex<FlightState<V>>,
    landed: Condvar,
}

enum FlightState<V> {
    /// Still loading; the wakers of the async waiters to wake when it lands.
    Loading(Vec<Waker>),
    Loaded(V),
    /// The loader returned an error or panicked: waiters try again, one of them loading.
    Failed,
}

impl<V> Flight<V> {
    fn land(&self, outcome: FlightState<V>) {
        let before = std::mem::replace(&mut *self.state.lock(), outcome);
        self.landed.notify_all();
        // Woken after the lock is released: a waker may poll its task at once, on this thread.
        if let FlightState::Loading(wakers) = before {
            wakers.into_iter().for_each(Waker::wake);
        }
    }
}

impl<V: Clone> Flight<V> {
    fn new() -> Self {
        Self {
            state: Mutex::new(FlightState::Loading(Vec::new())),
            landed: Condvar::new(),
        }
    }

    /// Blocks until the loader finishes: its value, or `None` if it failed.
    fn wait(&self) -> Option<V> {
        let mut state = self.state.lock();
        loop {
            match &*state {
                FlightState::Loading(_) => state = self.landed.wait(state),
                FlightState::Loaded(v) => return Some(v.clone()),
                FlightState::Failed => return None,
            }
        }
    }
}

/// An async waiter of a flight: ready with the loaded value, or `None` if the load failed (or
/// its future was dropped), when the flight lands. Runtime-neutral: it registers its task's
/// waker with the flight, which wakes it on landing.
struct FlightWait<V>(Arc<Flight<V>>);

impl<V: Clone> Future for FlightWait<V> {
    type Output = Option<V>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<V>> {
        let mut state = self.0.state.lock();
        match &mut *state {
            FlightState::Loading(wakers) => {
                // A task polled again keeps one entry, whatever its waker.
                if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
            FlightState::Loaded(v) => Poll::Ready(Some(v.clone())),
            FlightState::Failed => Poll::Ready(None),
        }
    }
}

/// What a miss finds when it takes the shard's lock: the value after all, a load of the key
/// already running (with the key given back), or a load of its own registered.
enum Begin<K, V> {
    Hit(V),
    Wait(K, Arc<Flight<V>>),
    Load(u64),
}

/// Clears a failed load's registration and wakes its waiters, when the loader returns an
/// error or unwinds.
struct LoadGuard<'a, K, V> {
    cell: &'a Cell<K, V>,
    id: u64,
}

impl<K, V> Drop for LoadGuard<'_, K, V> {
    fn drop(&mut self) {
        let loading = self.cell.shard.write().take_loading(self.id);
        // The key drops outside the lock; then the waiters wake and one of them loads.
        if let Some(flight) = loading.and_then(|l| l.flight) {
            flight.land(FlightState::Failed);
        }
    }
}

/// A taken flight that has not landed yet; dropped unlanded (by an unwind), it lands as failed
/// and its waiters try again.
struct Landing<V>(Option<Arc<Flight<V>>>);

impl<V> Drop for Landing<V> {
    fn drop(&mut self) {
        if let Some(flight) = self.0.take() {
            flight.land(FlightState::Failed);
        }
    }
}

impl<K: Hash + Eq, V: Clone, S: BuildHasher, W: Weigher<K, V>, C: Clock>
    ConcurrentCache<K, V, S, W, C>
{
    /// The value of `key`, loading it with `load` on a miss. When several threads miss the
    /// same key at once, `load` runs once and the others wait for its value (no stampede). A
    /// loaded value heavier than a shard holds is returned but not cached.
    ///
    /// Computes in **O(1)** expected time on a hit (as [`get`](Self::get)); a miss adds the insert,
    /// O(1) amortized, and the load itself.
    ///
    /// # Panics
    /// Only if `load` panics, and then as [`try_get_or_insert_with`](Self::try_get_or_insert_with)
    /// treats an error: the panic reaches this caller, nothing is cached, and a waiting caller runs
    /// its own `load`.
    pub fn get_or_insert_with(&self, key: K, load: impl FnOnce() -> V) -> V {
        match self.try_get_or_insert_with(key, || Ok::<V, std::convert::Infallible>(load())) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// As [`get_or_insert_with`](Self::get_or_insert_with) with a fallible loader. An error
    /// (or a panic) goes to the caller whose `load` ran; nothing is cached, and one of the
    /// waiting threads runs its own `load` instead. `load` must not load the same key from
    /// this cache: it would wait for itself.
    ///
    /// Computes in **O(1)** expected time, plus the load on a miss.
    ///
    /// # Errors
    /// The error of this caller's `load`, when it ran and failed; nothing is cached then.
    ///
    /// # Panics
    /// Only if `load` panics: the panic reaches this caller, nothing is cached, and a waiting
    /// caller runs its own `load`, as after an error.
    pub fn try_get_or_insert_with<E>(
        &self,
        key: K,
        load: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        let hash = self.hasher.hash_one(&key);
        let cell = self.cell(hash);
        if let Some(v) = self.get_hashed(cell, hash, &key) {
            return Ok(v);
        }
        let mut key = key;
        let id = loop {
            match self.begin_load(cell, hash, key) {
                Begin::Hit(v) => return Ok(v),
                Begin::Wait(k, running) => match running.wait() {
                    Some(v) => return Ok(v),
                    None => key = k, // that load failed: try again, perhaps loading
                },
                Begin::Load(id) => break id,
            }
        };
        let guard = LoadGuard { cell, id };
        let value = load()?; // on error or unwind the guard clears the registration
        std::mem::forget(guard);
        Ok(self.finish_load(cell, hash, id, value))
    }

    /// The value of `key`, loading it by awaiting `load` on a miss: the async form of
    /// [`get_or_insert_with`](Self::get_or_insert_with), for any runtime (the cache depends on
    /// none). When many tasks miss the same key at once, one of them awaits its `load` and the
    /// others await its value without blocking a thread. If the loading task's future is
    /// dropped (the request was cancelled, a timeout fired), one of the waiters takes over and
    /// awaits its own `load`: nobody waits for a load that will never finish.
    ///
    /// Computes in **O(1)** expected time on a hit (as [`get`](Self::get)); a miss adds the insert,
    /// O(1) amortized, and the load itself.
    ///
    /// # Panics
    /// Only if `load` panics: the panic reaches this task, nothing is cached, and a waiting task
    /// awaits its own `load`, as after an error or a cancellation.
    pub async fn get_or_insert_with_async(&self, key: K, load: impl Future<Output = V>) -> V {
        let load = async { Ok::<V, std::convert::Infallible>(load.await) };
        match self.try_get_or_insert_with_async(key, load).await {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// As [`get_or_insert_with_async`](Self::get_or_insert_with_async) with a fallible loader,
    /// with the error semantics of [`try_get_or_insert_with`](Self::try_get_or_insert_with): an
    /// error (or a panic) goes to the task whose `load` ran, nothing is cached, and a waiting
    /// task awaits its own `load` instead. `load` must not load the same key from this cache.
    ///
    /// Computes in **O(1)** expected time on a hit (as [`get`](Self::get)); a miss adds the insert,
    /// O(1) amortized, and the load itself.
    ///
    /// # Panics
    /// Only if `load` panics: the panic reaches this task, nothing is cached, and a waiting task
    /// awaits its own `load`.
    pub async fn try_get_or_insert_with_async<E>(
        &self,
        key: K,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        let hash = self.hasher.hash_one(&key);
        let cell = self.cell(hash);
        if let Some(v) = self.get_hashed(cell, hash, &key) {
            return Ok(v);
        }
        let mut key = key;
        let id = loop {
            match self.begin_load(cell, hash, key) {
                Begin::Hit(v) => return Ok(v),
                Begin::Wait(k, running) => match FlightWait(running).await {
                    Some(v) => return Ok(v),
                    // That load failed or its task was dropped: try again, perhaps loading.
                    None => key = k,
                },
                Begin::Load(id) => break id,
            }
        };
        // Dropped with this future (cancellation), by an error or by an unwind, the guard
        // clears the registration and lands the flight as failed: a waiter takes over.
        let guard = LoadGuard { cell, id };
        let value = load.await?;
        std::mem::forget(guard);
        Ok(self.finish_load(cell, hash, id, value))
    }

    /// Under the shard's write lock: the live value, the flight of a load of `key` already
    /// running (its flight created if it had none), or a registration of a new load.
    fn begin_load(&self, cell: &Cell<K, V>, hash: u64, key: K) -> Begin<K, V> {
        let mut shard = cell.shard.write();
        let now = self.now();
        if let Found::Live(i) = shard.lookup(hash, &key, now) {
            // Loaded by another thread since the read before.
            shard.touch(i, now);
            return Begin::Hit(shard.entries[i as usize].value.clone());
        }
        let running = shard
            .loading
            .iter_mut()
            .find(|l| l.hash == hash && l.key == key)
            .map(|l| Arc::clone(l.flight.get_or_insert_with(|| Arc::new(Flight::new()))));
        if let Some(running) = running {
            return Begin::Wait(key, running);
        }
        let id = shard.next_load;
        shard.next_load += 1;
        shard.loading.push(Loading {
            hash,
            key,
            id,
            flight: None,
        });
        Begin::Load(id)
    }

    /// Caches the value load `id` produced (unless too heavy for a shard) and hands it to the
    /// load's waiters.
    fn finish_load(&self, cell: &Cell<K, V>, hash: u64, id: u64, value: V) -> V {
        let mut out = Removed::None;
        // From here the flight is ours to land: if the weigher, a clone or anything else below
        // unwinds, this lands it as failed, so no waiter is left waiting for it.
        let mut landing = Landing(None);
        let mut sampled = None;
        {
            let mut shard = cell.shard.write();
            if let Some(Loading { key, flight: f, .. }) = shard.take_loading(id) {
                landing.0 = f;
                let weight = self.weigher.weigh(&key, &value);
                if u64::from(weight) > shard.capacity {
                    shard.counters.rejections += 1;
                    out.push(key, value.clone(), RemovalCause::Rejected);
                } else {
                    let now = self.now();
                    let expires = self.default_expiry(&mut shard, now);
                    sampled = self.put(
                        &mut shard,
                        hash,
                        key,
                        value.clone(),
                        weight,
                        expires,
                        now,
                        &mut out,
                    );
                }
            }
        }
        self.tell_duel(hash, sampled);
        if landing.0.is_some() {
            // Clone before taking the flight: a panicking clone still lands it as failed.
            let loaded = value.clone();
            if let Some(flight) = landing.0.take() {
                flight.land(FlightState::Loaded(loaded));
            }
        }
        // The listener runs after the waiters are released: its panic cannot wedge them.
        self.notify(out);
        value
    }
}
