//! Refresh-ahead (`refresh_after`): under a `ManualClock`, with executors that queue the
//! reloads so the test decides when each one runs. A stale read returns the old value and
//! starts exactly one reload; the next read after it lands sees the new value; a failed,
//! panicking or dropped reload keeps the old value and is retried; a write or a removal
//! meanwhile wins over the reload. A model-based property test runs random interleavings.
#![cfg(not(loom))]
// The tests' own shared state: loom models the crate's primitives, not these.
#![allow(clippy::disallowed_types)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use brick_lru::{
    AsyncTask, BlockingTask, ConcurrentCache, Error, ManualClock, RemovalCause, Xxh3BuildHasher,
};
use proptest::prelude::*;

const AGE: Duration = Duration::from_secs(10);

/// Reloads handed to the executor, run when the test says.
#[derive(Clone, Default)]
struct Queue(Arc<Mutex<Vec<BlockingTask>>>);

impl Queue {
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Runs the queued reloads (a panicking one is caught, as a pool's worker would).
    fn run_all(&self) {
        let tasks: Vec<BlockingTask> = std::mem::take(&mut *self.0.lock().unwrap());
        for task in tasks {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(task));
        }
    }

    fn spawner(&self) -> impl Fn(BlockingTask) + Send + Sync + 'static {
        let queue = self.clone();
        move |task| queue.0.lock().unwrap().push(task)
    }
}

type Cache = ConcurrentCache<u32, String, Xxh3BuildHasher, brick_lru::UnitWeigher, ManualClock>;

/// A cache whose loader answers `"{key}@{n}"` for the nth reload, failing the reloads `fail`
/// says; with the number of reloads run.
fn cache(
    queue: &Queue,
    clock: &ManualClock,
    fail: impl Fn(usize) -> bool + Send + Sync + 'static,
) -> (Cache, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let cache = queued(queue, clock, move |k, _old| {
        let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
        if fail(n) {
            Err(format!("reload {n} failed"))
        } else {
            Ok(format!("{k}@{n}"))
        }
    });
    (cache, runs)
}

/// A cache (deterministic hashing, `clock`) whose reloads by `reload` wait in `queue`.
fn queued(
    queue: &Queue,
    clock: &ManualClock,
    reload: impl Fn(&u32, &String) -> Result<String, String> + Send + Sync + 'static,
) -> Cache {
    ConcurrentCache::builder(64)
        .hasher(Xxh3BuildHasher::default())
        .clock(clock.clone())
        .refresh_after_with(AGE, reload, queue.spawner())
        .build()
        .unwrap()
}

#[test]
fn a_stale_read_returns_the_old_value_and_starts_one_reload() {
    let (queue, clock) = (Queue::default(), ManualClock::new());
    let replaced = Arc::new(Mutex::new(Vec::new()));
    let heard = Arc::clone(&replaced);
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let cache = ConcurrentCache::builder(64)
        .clock(clock.clone())
        .eviction_listener(move |k: &u32, v: &String, cause| {
            heard.lock().unwrap().push((*k, v.clone(), cause));
        })
        .refresh_after_with(
            AGE,
            move |k: &u32, old: &String| {
                counted.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(format!("{old}+{k}"))
            },
            queue.spawner(),
        )
        .build()
        .unwrap();
    cache.insert(1, "v".into()).unwrap();
    clock.advance(AGE - Duration::from_nanos(1));
    assert_eq!(cache.get(&1).as_deref(), Some("v"));
    assert_eq!(queue.len(), 0, "fresh entries are not reloaded");

    clock.advance(Duration::from_nanos(1));
    for _ in 0..5 {
        assert_eq!(
            cache.get(&1).as_deref(),
            Some("v"),
            "stale reads see the old value"
        );
    }
    assert_eq!(queue.len(), 1, "one reload per key in flight");
    assert_eq!(cache.get_or_insert_with(1, || unreachable!()), "v");
    assert_eq!(queue.len(), 1);

    queue.run_all();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(
        cache.get(&1).as_deref(),
        Some("v+1"),
        "the next read sees the reload"
    );
    assert_eq!(
        replaced.lock().unwrap().as_slice(),
        &[(1, "v".to_string(), RemovalCause::Replaced)]
    );
    // The reloaded value is fresh again: nothing more until it ages.
    assert_eq!(cache.get(&1).as_deref(), Some("v+1"));
    assert_eq!(queue.len(), 0);
    clock.advance(AGE);
    assert_eq!(cache.get(&1).as_deref(), Some("v+1"));
    assert_eq!(queue.len(), 1);
    cache.check_invariants();
}

/// The first reload fails (by an error, or by a panic its worker catches), then the executor
/// drops the second unrun: each time the old value stays and the next stale read retries.
fn failed_reloads_keep_the_old_value_and_are_retried(panics: bool) {
    let (queue, clock) = (Queue::default(), ManualClock::new());
    let (cache, runs) = cache(&queue, &clock, move |n| {
        assert!(!(panics && n == 1), "the first reload panics");
        n == 1
    });
    cache.insert(7, "old".into()).unwrap();
    clock.advance(AGE);
    assert_eq!(cache.get(&7).as_deref(), Some("old"));
    queue.run_all(); // fails
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(
        cache.get(&7).as_deref(),
        Some("old"),
        "a failure keeps the old value"
    );
    assert_eq!(queue.len(), 1, "the still-stale entry is reloaded again");
    // An executor that drops the task (shut down, queue full) fails the reload too.
    queue.0.lock().unwrap().clear();
    assert_eq!(cache.get(&7).as_deref(), Some("old"));
    assert_eq!(queue.len(), 1, "a dropped reload is retried");
    queue.run_all();
    assert_eq!(cache.get(&7).as_deref(), Some("7@2"));
}

#[test]
fn a_failed_reload_keeps_the_old_value_and_is_retried() {
    failed_reloads_keep_the_old_value_and_are_retried(false);
}

#[test]
fn a_panicking_reload_keeps_the_old_value_and_is_retried() {
    failed_reloads_keep_the_old_value_and_are_retried(true);
}

#[test]
fn a_write_or_removal_meanwhile_wins_over_the_reload() {
    let (queue, clock) = (Queue::default(), ManualClock::new());
    let (cache, _) = cache(&queue, &clock, |_| false);
    cache.insert(1, "a".into()).unwrap();
    cache.insert(2, "b".into()).unwrap();
    clock.advance(AGE);
    assert_eq!(cache.get(&1).as_deref(), Some("a"));
    assert_eq!(cache.get(&2).as_deref(), Some("b"));
    assert_eq!(queue.len(), 2);
    cache.insert(1, "written".into()).unwrap();
    assert!(cache.remove(&2).is_some());
    queue.run_all();
    assert_eq!(cache.get(&1).as_deref(), Some("written"));
    assert_eq!(
        cache.get(&2),
        None,
        "a reload never resurrects a removed key"
    );
    // The written value is fresh: it is not reloaded until it ages in turn.
    assert_eq!(queue.len(), 0);
    cache.check_invariants();
}

#[test]
fn an_executor_that_runs_the_reload_at_once_may_use_the_cache() {
    let clock = ManualClock::new();
    let cache: Arc<Mutex<Option<Arc<Cache>>>> = Arc::default();
    let inner = Arc::clone(&cache);
    let built = Arc::new(
        ConcurrentCache::builder(64)
            .hasher(Xxh3BuildHasher::default())
            .clock(clock.clone())
            .refresh_after_with(
                AGE,
                |k: &u32, _: &String| Ok::<_, ()>(format!("{k}!")),
                move |task: BlockingTask| {
                    // Runs on the reading thread, which must hold no shard lock now.
                    let c = inner.lock().unwrap().clone().unwrap();
                    let _ = c.get(&2);
                    c.insert(3, "from the executor".into()).unwrap();
                    task();
                },
            )
            .build()
            .unwrap(),
    );
    *cache.lock().unwrap() = Some(Arc::clone(&built));
    built.insert(1, "old".into()).unwrap();
    clock.advance(AGE);
    assert_eq!(built.get(&1).as_deref(), Some("old"));
    assert_eq!(built.get(&1).as_deref(), Some("1!"));
    assert_eq!(built.get(&3).as_deref(), Some("from the executor"));
}

#[test]
fn the_default_executor_reloads_on_a_thread_of_its_own() {
    let clock = ManualClock::new();
    let cache = ConcurrentCache::builder(64)
        .clock(clock.clone())
        .refresh_after(AGE, |k: &u32, _: &String| {
            Ok::<_, ()>(format!("{k} reloaded"))
        })
        .build()
        .unwrap();
    cache.insert(5, "old".into()).unwrap();
    clock.advance(AGE);
    assert_eq!(cache.get(&5).as_deref(), Some("old"));
    let mut seen = cache.get(&5);
    for _ in 0..500 {
        if seen.as_deref() == Some("5 reloaded") {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
        seen = cache.get(&5);
    }
    assert_eq!(seen.as_deref(), Some("5 reloaded"));
}

#[test]
fn async_reloads_run_as_tasks_of_any_spawner() {
    let clock = ManualClock::new();
    let tasks: Arc<Mutex<Vec<AsyncTask>>> = Arc::default();
    let spawned = Arc::clone(&tasks);
    let cache = ConcurrentCache::builder(64)
        .clock(clock.clone())
        .refresh_after_async(
            AGE,
            |k: u32, old: String| async move {
                if old == "fail" {
                    Err("refused")
                } else {
                    Ok(format!("{old}/{k}"))
                }
            },
            move |task| spawned.lock().unwrap().push(task),
        )
        .build()
        .unwrap();
    let drive = |tasks: &Mutex<Vec<AsyncTask>>| {
        let mut cx = Context::from_waker(Waker::noop());
        for mut task in std::mem::take(&mut *tasks.lock().unwrap()) {
            assert_eq!(task.as_mut().poll(&mut cx), Poll::Ready(()));
        }
    };
    cache.insert(1, "a".into()).unwrap();
    cache.insert(2, "fail".into()).unwrap();
    clock.advance(AGE);
    assert_eq!(cache.get(&1).as_deref(), Some("a"));
    assert_eq!(cache.get(&1).as_deref(), Some("a"));
    assert_eq!(cache.get(&2).as_deref(), Some("fail"));
    assert_eq!(tasks.lock().unwrap().len(), 2);
    drive(&tasks);
    assert_eq!(cache.get(&1).as_deref(), Some("a/1"));
    assert_eq!(
        cache.get(&2).as_deref(),
        Some("fail"),
        "an error keeps the old value"
    );
    // A task dropped unpolled (its runtime shut down) fails the reload, which is retried.
    assert_eq!(tasks.lock().unwrap().len(), 1);
    tasks.lock().unwrap().clear();
    cache.insert(2, "b".into()).unwrap();
    clock.advance(AGE);
    assert_eq!(cache.get(&2).as_deref(), Some("b"));
    drive(&tasks);
    assert_eq!(cache.get(&2).as_deref(), Some("b/2"));
}

#[test]
fn refresh_configuration_errors_are_typed() {
    let reload = |_: &u32, v: &u32| Ok::<_, ()>(*v);
    let zero = ConcurrentCache::<u32, u32>::builder(8).refresh_after(Duration::ZERO, reload);
    assert_eq!(zero.build().unwrap_err(), Error::ZeroDuration);
    let late = ConcurrentCache::<u32, u32>::builder(8)
        .time_to_live(AGE)
        .refresh_after(AGE, reload)
        .build()
        .unwrap_err();
    assert_eq!(
        late,
        Error::InvalidRefresh {
            refresh: AGE,
            ttl: AGE
        }
    );
    assert!(late.to_string().contains("shorter than the time to live"));
    assert!(
        ConcurrentCache::<u32, u32>::builder(8)
            .time_to_live(AGE * 2)
            .refresh_after(AGE, reload)
            .build()
            .is_ok()
    );
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u32),
    Get(u32),
    Remove(u32),
    Advance(u8),
    /// Runs the queued reload at this position (modulo the queue's length), if any.
    Run(u8),
    /// Drops the queued reload at this position.
    Drop(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..6u32).prop_map(Op::Insert),
        8 => (0..6u32).prop_map(Op::Get),
        1 => (0..6u32).prop_map(Op::Remove),
        3 => any::<u8>().prop_map(Op::Advance),
        3 => any::<u8>().prop_map(Op::Run),
        1 => any::<u8>().prop_map(Op::Drop),
    ]
}

/// The model's view of one key.
struct Model {
    value: String,
    written_at: Duration,
    /// Which write (or installed reload) `value` came from: unique across keys and time.
    generation: u64,
    /// A reload of this generation ran and waits for a read to install it.
    landed: bool,
}

proptest! {
    /// Against a model of each key's value, its age and the reloads queued: a fresh read sees
    /// the value; a stale read sees the value and starts exactly one reload unless one is in
    /// flight (or installs the one that landed); a reload of a superseded or removed value is
    /// never seen.
    #[test]
    fn refresh_matches_its_model(ops in prop::collection::vec(op(), 1..150)) {
        let queue = Queue::default();
        let clock = ManualClock::new();
        let next = Arc::new(AtomicUsize::new(0));
        // Capacity above the key count: nothing is evicted, so the model is exact.
        let cache = queued(&queue, &clock, move |_, old| {
            Ok(format!("{old}>{}", next.fetch_add(1, Ordering::SeqCst)))
        });
        let mut model: HashMap<u32, Model> = HashMap::new();
        // Reloads started and neither run nor dropped: the key and generation they reload.
        let mut tasks: Vec<(u32, u64, BlockingTask)> = Vec::new();
        let (mut now, mut generations) = (Duration::ZERO, 0u64);
        for op in ops {
            match op {
                Op::Insert(k) => {
                    generations += 1;
                    let value = format!("w{generations}");
                    cache.insert(k, value.clone()).unwrap();
                    model.insert(k, Model { value, written_at: now, generation: generations, landed: false });
                }
                Op::Get(k) => {
                    let got = cache.get(&k);
                    let started: Vec<BlockingTask> = std::mem::take(&mut *queue.0.lock().unwrap());
                    let Some(m) = model.get_mut(&k) else {
                        prop_assert_eq!(got, None);
                        prop_assert!(started.is_empty());
                        continue;
                    };
                    let got = got.unwrap();
                    let stale = now - m.written_at >= AGE;
                    let flying = tasks.iter().any(|t| t.0 == k && t.1 == m.generation);
                    if stale && m.landed {
                        prop_assert!(got.starts_with(&format!("{}>", m.value)), "{} after {}", got, m.value);
                        prop_assert!(started.is_empty());
                        generations += 1;
                        *m = Model { value: got, written_at: now, generation: generations, landed: false };
                    } else {
                        prop_assert_eq!(&got, &m.value);
                        let expected = usize::from(stale && !flying);
                        prop_assert_eq!(started.len(), expected, "reloads started (stale {}, in flight {})", stale, flying);
                        for task in started {
                            tasks.push((k, m.generation, task));
                        }
                    }
                }
                Op::Remove(k) => {
                    prop_assert_eq!(cache.remove(&k).is_some(), model.remove(&k).is_some());
                }
                Op::Advance(s) => {
                    let step = Duration::from_secs(u64::from(s % 16));
                    clock.advance(step);
                    now += step;
                }
                Op::Run(at) | Op::Drop(at) => {
                    if tasks.is_empty() {
                        continue;
                    }
                    let at = usize::from(at) % tasks.len();
                    let (k, generation, task) = tasks.remove(at);
                    if matches!(op, Op::Run(_)) {
                        task();
                        if let Some(m) = model.get_mut(&k).filter(|m| m.generation == generation) {
                            m.landed = true;
                        }
                    }
                }
            }
            cache.check_invariants();
        }
    }
}

#[test]
fn write_times_stay_with_their_entries_while_a_shard_grows() {
    // Past what one shard reserves up front (4,096 entries), so the shard grows while it
    // fills; every fifth key of the first half is removed meanwhile, moving entries within it.
    const KEYS: u32 = 8000;
    let removed = |k: u32| k < KEYS / 2 && k % 5 == 0;
    let (queue, clock) = (Queue::default(), ManualClock::new());
    let cache: Cache = ConcurrentCache::builder(30_000)
        .shards(1)
        .hasher(Xxh3BuildHasher::default())
        .clock(clock.clone())
        .refresh_after_with(
            AGE,
            |k: &u32, _: &String| Ok::<_, ()>(format!("{k}!")),
            queue.spawner(),
        )
        .build()
        .unwrap();
    (0..KEYS / 2).for_each(|k| cache.insert(k, k.to_string()).unwrap());
    clock.advance(AGE / 2 + Duration::from_secs(1));
    for k in KEYS / 2..KEYS {
        cache.insert(k, k.to_string()).unwrap();
        if removed(k - KEYS / 2) {
            cache.remove(&(k - KEYS / 2));
        }
    }
    cache.check_invariants();
    clock.advance(AGE / 2);
    // Now the first half is older than AGE, the second half younger: a read of each key of
    // the first half starts one reload, a read of the second half none.
    let mut expected = 0;
    for k in 0..KEYS {
        if removed(k) {
            assert_eq!(cache.get(&k), None);
            continue;
        }
        assert_eq!(cache.get(&k), Some(k.to_string()));
        expected += usize::from(k < KEYS / 2);
        assert_eq!(queue.len(), expected, "after reading key {k}");
    }
    queue.run_all();
    assert_eq!(cache.get(&1).as_deref(), Some("1!"));
    assert_eq!(cache.get(&(KEYS - 1)), Some((KEYS - 1).to_string()));
}
