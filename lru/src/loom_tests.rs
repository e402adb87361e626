//! loom models of the types brick-lru's threads share: `ManualClock`, and `ConcurrentCache`'s
//! single-flight loading, insert/remove accounting and listener calls. Run: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom
//! LOOM_MAX_PREEMPTIONS=2 cargo test --release -p brick-lru --lib loom_tests`.
#![cfg(all(test, loom))]

use brick_lru::{Clock, ManualClock};
use loom::thread;

/// Two threads advance clones of one clock at once: no advance is lost. A load-then-store
/// advance loses one here.
#[test]
fn concurrent_advances_all_count() {
    loom::model(|| {
        let clock = ManualClock::new();
        let other = clock.clone();
        let t = thread::spawn(move || other.advance_nanos(3));
        clock.advance_nanos(5);
        t.join().unwrap();
        assert_eq!(clock.now_nanos(), 8);
    });
}

/// Advancing saturates at the end of time instead of wrapping, even when two threads race.
#[test]
fn concurrent_advances_saturate() {
    loom::model(|| {
        let clock = ManualClock::new();
        clock.advance_nanos(u64::MAX - 1);
        let other = clock.clone();
        let t = thread::spawn(move || other.advance_nanos(5));
        clock.advance_nanos(5);
        t.join().unwrap();
        assert_eq!(clock.now_nanos(), u64::MAX);
    });
}

/// The race's miniatures are shared by every thread whose request is sampled (all of them in a
/// cache this small): a read and a write of two keys from two threads at once leave both
/// miniatures consistent, holding both keys, with both reads counted.
#[test]
fn the_race_keeps_its_miniatures_consistent() {
    use crate::concurrent::duel::Duel;
    loom::model(|| {
        let duel = loom::sync::Arc::new(Duel::new(4, true).unwrap());
        let other = loom::sync::Arc::clone(&duel);
        let t = thread::spawn(move || {
            other.read(7);
            other.write(7, 1);
        });
        duel.read(9);
        duel.write(9, 1);
        t.join().unwrap();
        assert_eq!(duel.check(&[7, 9]), 2);
    });
}

/// A read of the key the race marked saturated skips the lock, while a write from another
/// thread may be evicting that key (a write as heavy as the miniatures evicts everything):
/// in every interleaving the marker still names no key or a key saturated everywhere, and
/// the miniatures stay consistent.
#[test]
fn the_races_saturated_key_marker_stays_true_under_a_concurrent_write() {
    use crate::concurrent::duel::Duel;
    loom::model(|| {
        // Weighted miniatures (not unit), so a write can weigh them all.
        let duel = loom::sync::Arc::new(Duel::new(4, false).unwrap());
        duel.write(7, 1);
        // A load leaves the use byte at 0; fifteen hits saturate it.
        for _ in 0..15 {
            duel.read(7);
        }
        let other = loom::sync::Arc::clone(&duel);
        let t = thread::spawn(move || other.write(9, 4));
        duel.read(7);
        t.join().unwrap();
        assert!(duel.marker_holds());
        duel.check(&[]);
    });
}

mod concurrent {
    use brick_lru::{ConcurrentCache, RemovalCause};
    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::thread;

    /// Two threads `get_or_insert_with` one cold key: the loader runs once and both get its
    /// value. Without the in-flight registry both load.
    #[test]
    fn single_flight_loads_once() {
        loom::model(|| {
            let cache = Arc::new(ConcurrentCache::builder(4).shards(1).build().unwrap());
            let loads = Arc::new(AtomicUsize::new(0));
            let spawn = |cache: Arc<ConcurrentCache<u8, u32>>, loads: Arc<AtomicUsize>| {
                thread::spawn(move || {
                    cache.get_or_insert_with(1, || {
                        loads.fetch_add(1, Ordering::Relaxed);
                        42
                    })
                })
            };
            let t = spawn(Arc::clone(&cache), Arc::clone(&loads));
            let mine = cache.get_or_insert_with(1, || {
                loads.fetch_add(1, Ordering::Relaxed);
                42
            });
            assert_eq!(mine, 42);
            assert_eq!(t.join().unwrap(), 42);
            assert_eq!(loads.load(Ordering::Relaxed), 1);
            assert_eq!(cache.len(), 1);
        });
    }

    /// A failed load wakes the waiter, which loads itself: never wedged, and the error is not
    /// cached.
    #[test]
    fn failed_load_hands_over_to_a_waiter() {
        loom::model(|| {
            let cache: Arc<ConcurrentCache<u8, u32>> =
                Arc::new(ConcurrentCache::builder(4).shards(1).build().unwrap());
            let other = Arc::clone(&cache);
            let t = thread::spawn(move || other.try_get_or_insert_with(1, || Err::<u32, ()>(())));
            let mine = cache.try_get_or_insert_with(1, || Ok::<u32, ()>(7));
            let theirs = t.join().unwrap();
            // Either the failing loader ran first (then ours loaded 7), or ours did and theirs
            // found 7: the error never becomes a value.
            assert_eq!(mine, Ok(7));
            assert!(theirs == Err(()) || theirs == Ok(7));
            assert_eq!(cache.get(&1), Some(7));
        });
    }

    /// A thread loads a key while a task awaits it with `get_or_insert_with_async` (on loom's
    /// `block_on`, whose waker unparks the thread): in every interleaving the task is woken and
    /// gets the value, or loads it itself; one load runs. A waker registered after the landing,
    /// or a landing that woke nobody, would hang the model.
    #[test]
    fn an_async_waiter_is_woken_by_the_load() {
        loom::model(|| {
            let cache: Arc<ConcurrentCache<u8, u32>> =
                Arc::new(ConcurrentCache::builder(4).shards(1).build().unwrap());
            let loads = Arc::new(AtomicUsize::new(0));
            let (other, their_loads) = (Arc::clone(&cache), Arc::clone(&loads));
            let t = thread::spawn(move || {
                other.get_or_insert_with(1, || {
                    their_loads.fetch_add(1, Ordering::Relaxed);
                    42
                })
            });
            let mine = loom::future::block_on(cache.get_or_insert_with_async(1, async {
                loads.fetch_add(1, Ordering::Relaxed);
                42
            }));
            assert_eq!(mine, 42);
            assert_eq!(t.join().unwrap(), 42);
            assert_eq!(loads.load(Ordering::Relaxed), 1);
        });
    }

    /// Two threads increment one key with `and_compute_with` while it is cold: in every
    /// interleaving one inserts and the other updates, and the value counts both.
    #[test]
    fn computes_of_one_key_never_interleave() {
        use brick_lru::{Compute, Computed};
        loom::model(|| {
            let cache: Arc<ConcurrentCache<u8, u32>> =
                Arc::new(ConcurrentCache::builder(4).shards(1).build().unwrap());
            let add = |v: Option<&u32>| Compute::Put(v.copied().unwrap_or(0) + 1);
            let other = Arc::clone(&cache);
            let t = thread::spawn(move || other.and_compute_with(1, add).unwrap());
            let mine = cache.and_compute_with(1, add).unwrap();
            let theirs = t.join().unwrap();
            let mut outcomes = [mine, theirs];
            outcomes.sort_by_key(|c| *c as u8);
            assert_eq!(outcomes, [Computed::Inserted, Computed::Updated]);
            assert_eq!(cache.get(&1), Some(2));
        });
    }

    /// Inserts and removes of overlapping keys race, with weights: the entry count, the total
    /// weight and the counters agree with what is resident, whatever the interleaving.
    #[test]
    fn insert_remove_races_keep_accounting_exact() {
        loom::model(|| {
            let cache = Arc::new(
                ConcurrentCache::builder(16)
                    .shards(2)
                    .weigher(|_: &u8, v: &u8| u32::from(*v))
                    .build()
                    .unwrap(),
            );
            let other = Arc::clone(&cache);
            let t = thread::spawn(move || {
                other.insert(1, 3).unwrap();
                other.remove(&2);
            });
            cache.insert(2, 5).unwrap();
            let removed = cache.remove(&1);
            t.join().unwrap();
            let resident: Vec<(u8, u8)> = [1, 2]
                .into_iter()
                .filter_map(|k| cache.get(&k).map(|v| (k, v)))
                .collect();
            assert_eq!(cache.len(), resident.len());
            let weight: u64 = resident.iter().map(|&(_, v)| u64::from(v)).sum();
            assert_eq!(cache.weight(), weight);
            assert_eq!(removed.is_some(), !resident.iter().any(|&(k, _)| k == 1));
            let s = cache.stats();
            assert_eq!(
                s.insertions - s.removals - s.evictions,
                resident.len() as u64
            );
            cache.check_invariants();
        });
    }

    /// The listener runs after the shard's lock is released: here it reads the cache (every
    /// shard's lock) from inside the listener, which deadlocks, and fails the model, if any
    /// lock were still held.
    #[test]
    fn listener_runs_outside_the_lock() {
        loom::model(|| {
            let slot: Arc<std::sync::OnceLock<std::sync::Weak<ConcurrentCache<u8, u8>>>> =
                Arc::new(std::sync::OnceLock::new());
            let seen = Arc::new(AtomicUsize::new(0));
            let (inner, count) = (Arc::clone(&slot), Arc::clone(&seen));
            let cache = std::sync::Arc::new(
                ConcurrentCache::builder(1)
                    .shards(1)
                    .eviction_listener(move |_: &u8, _: &u8, cause| {
                        assert_eq!(cause, RemovalCause::Size);
                        let cache = inner.get().and_then(|w| w.upgrade()).unwrap();
                        let _ = cache.len() + usize::from(cache.contains(&0));
                        count.fetch_add(1, Ordering::Relaxed);
                    })
                    .build()
                    .unwrap(),
            );
            slot.set(std::sync::Arc::downgrade(&cache)).unwrap();
            let other = std::sync::Arc::clone(&cache);
            let t = thread::spawn(move || other.insert(1, 1).unwrap());
            cache.insert(2, 2).unwrap();
            t.join().unwrap();
            // Capacity 1: the second insert evicted one of the two.
            assert_eq!(seen.load(Ordering::Relaxed), 1);
            assert_eq!(cache.len(), 1);
        });
    }

    /// Two threads read one stale entry at once: exactly one reload starts. The reload then
    /// lands on a thread of its own while a third read runs: that read sees the old value or
    /// the new one, and the read after both sees the new one. Without the per-entry slot both
    /// first reads start a reload.
    #[test]
    fn a_stale_entry_is_reloaded_once() {
        use brick_lru::{BlockingTask, ManualClock};
        use loom::sync::Mutex;
        use std::time::Duration;
        loom::model(|| {
            let clock = ManualClock::new();
            let queue: Arc<Mutex<Vec<BlockingTask>>> = Arc::new(Mutex::new(Vec::new()));
            let spawned = Arc::clone(&queue);
            let cache = Arc::new(
                ConcurrentCache::builder(4)
                    .shards(1)
                    .clock(clock.clone())
                    .refresh_after_with(
                        Duration::from_secs(1),
                        |_: &u8, old: &u32| Ok::<_, ()>(old + 1),
                        move |task| spawned.lock().unwrap().push(task),
                    )
                    .build()
                    .unwrap(),
            );
            cache.insert(1u8, 10u32).unwrap();
            clock.advance(Duration::from_secs(1));
            let reader = {
                let cache = Arc::clone(&cache);
                thread::spawn(move || cache.get(&1))
            };
            assert_eq!(cache.get(&1), Some(10));
            assert_eq!(reader.join().unwrap(), Some(10));
            let task = {
                let mut tasks = queue.lock().unwrap();
                assert_eq!(tasks.len(), 1, "one reload per stale entry");
                tasks.pop().unwrap()
            };
            let reload = thread::spawn(task);
            let seen = cache.get(&1).unwrap();
            assert!(seen == 10 || seen == 11, "{seen}");
            reload.join().unwrap();
            assert_eq!(cache.get(&1), Some(11));
            assert!(queue.lock().unwrap().is_empty());
        });
    }
}
