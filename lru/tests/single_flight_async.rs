//! Async single flight: `get_or_insert_with_async` and its `try_` form. A hand-driven executor
//! checks the take-over when the loading future is dropped and the error semantics, step by
//! step; a tokio multi-thread runtime checks that 1,000 tasks missing one key run one load.
#![cfg(not(loom))]
// The tests' own counters: loom models the crate's atomics, not these.
#![allow(clippy::disallowed_types)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use brick_lru::ConcurrentCache;

/// A waker that counts its wakes.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn waker() -> (Arc<Counter>, Waker) {
    let counter = Arc::new(Counter::default());
    (Arc::clone(&counter), Waker::from(counter))
}

/// Pending until its flag is set (polled by hand, so it needs no waker of its own).
async fn gate(open: Arc<AtomicBool>) {
    std::future::poll_fn(|_| {
        if open.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

fn poll<F: Future>(f: std::pin::Pin<&mut F>, w: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(w))
}

#[test]
fn a_waiter_takes_over_when_the_loading_future_is_dropped() {
    let cache = ConcurrentCache::<u32, u32>::new(100).unwrap();
    let (_, wa) = waker();
    let (woken_b, wb) = waker();
    let mut a = Box::pin(cache.get_or_insert_with_async(1, std::future::pending()));
    assert!(poll(a.as_mut(), &wa).is_pending(), "A loads, forever");
    let mut b = pin!(cache.get_or_insert_with_async(1, async { 7 }));
    assert!(poll(b.as_mut(), &wb).is_pending(), "B waits for A's load");
    assert_eq!(woken_b.0.load(Ordering::SeqCst), 0);
    drop(a); // the request that was loading is cancelled
    assert!(woken_b.0.load(Ordering::SeqCst) >= 1, "B is woken");
    assert_eq!(
        poll(b.as_mut(), &wb),
        Poll::Ready(7),
        "B loads with its own future"
    );
    assert_eq!(cache.get(&1), Some(7));
}

#[test]
fn an_error_goes_to_the_loader_and_a_waiter_loads_instead() {
    let cache = ConcurrentCache::<u32, u32>::new(100).unwrap();
    let open = Arc::new(AtomicBool::new(false));
    let (_, wa) = waker();
    let (woken_b, wb) = waker();
    let b_ran = Arc::new(AtomicBool::new(false));
    let mut a = pin!(cache.try_get_or_insert_with_async(5, {
        let open = Arc::clone(&open);
        async move {
            gate(open).await;
            Err::<u32, &str>("backend down")
        }
    }));
    assert!(poll(a.as_mut(), &wa).is_pending());
    let mut b = pin!(cache.try_get_or_insert_with_async(5, {
        let b_ran = Arc::clone(&b_ran);
        async move {
            b_ran.store(true, Ordering::SeqCst);
            Ok::<u32, &str>(50)
        }
    }));
    assert!(poll(b.as_mut(), &wb).is_pending());
    assert!(
        !b_ran.load(Ordering::SeqCst),
        "B does not load while A does"
    );
    open.store(true, Ordering::SeqCst);
    assert_eq!(poll(a.as_mut(), &wa), Poll::Ready(Err("backend down")));
    assert!(woken_b.0.load(Ordering::SeqCst) >= 1);
    assert_eq!(poll(b.as_mut(), &wb), Poll::Ready(Ok(50)));
    assert!(b_ran.load(Ordering::SeqCst));
    assert_eq!(cache.get(&5), Some(50));
}

#[test]
fn a_waiter_gets_the_loaded_value_without_loading() {
    let cache = ConcurrentCache::<u32, u32>::new(100).unwrap();
    let open = Arc::new(AtomicBool::new(false));
    let (_, wa) = waker();
    let (_, wb) = waker();
    let mut a = pin!(cache.get_or_insert_with_async(9, {
        let open = Arc::clone(&open);
        async move {
            gate(open).await;
            90
        }
    }));
    assert!(poll(a.as_mut(), &wa).is_pending());
    let mut b = pin!(cache.get_or_insert_with_async(9, async { panic!("B must not load") }));
    assert!(poll(b.as_mut(), &wb).is_pending());
    open.store(true, Ordering::SeqCst);
    assert_eq!(poll(a.as_mut(), &wa), Poll::Ready(90));
    assert_eq!(poll(b.as_mut(), &wb), Poll::Ready(90));
    // A hit answers at once.
    let (_, wc) = waker();
    let c = pin!(cache.get_or_insert_with_async(9, async { panic!("a hit loads nothing") }));
    assert_eq!(poll(c, &wc), Poll::Ready(90));
}

/// 1,000 tasks on a multi-thread runtime miss one key at once, half through
/// `get_or_insert_with_async` and half through `entry(key).or_insert_with_async`: the loader
/// runs once, every task gets its value, and an entry is fresh exactly when its own loader ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_tasks_missing_one_key_run_one_load() {
    let cache = Arc::new(ConcurrentCache::<&'static str, u64>::new(1_000).unwrap());
    // Loads run by the plain calls, and by the entry calls.
    let loads = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let tasks: Vec<_> = (0..1_000)
        .map(|i| {
            let (cache, loads) = (Arc::clone(&cache), Arc::clone(&loads));
            tokio::spawn(async move {
                let by_entry = i % 2 == 1;
                let load = async {
                    loads[usize::from(by_entry)].fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    42
                };
                if by_entry {
                    let entry = cache.entry("config").or_insert_with_async(load).await;
                    (*entry.value(), entry.is_fresh())
                } else {
                    (cache.get_or_insert_with_async("config", load).await, false)
                }
            })
        })
        .collect();
    let mut fresh = 0;
    for t in tasks {
        let (value, was_fresh) = t.await.unwrap();
        assert_eq!(value, 42);
        fresh += usize::from(was_fresh);
    }
    let [plain, by_entry] = &*loads;
    let (plain, by_entry) = (
        plain.load(Ordering::SeqCst),
        by_entry.load(Ordering::SeqCst),
    );
    assert_eq!(plain + by_entry, 1, "one load in all");
    assert_eq!(
        fresh, by_entry,
        "an entry is fresh exactly when its own loader ran"
    );
}

/// A loader that panics (its task dies) leaves no task waiting: another loads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_loader_hands_the_load_to_a_waiter() {
    let cache = Arc::new(ConcurrentCache::<u32, u32>::new(100).unwrap());
    let first = {
        let cache = Arc::clone(&cache);
        tokio::spawn(async move {
            cache
                .get_or_insert_with_async(3, async {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    panic!("loader bug")
                })
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = {
        let cache = Arc::clone(&cache);
        tokio::spawn(async move { cache.get_or_insert_with_async(3, async { 30 }).await })
    };
    assert!(first.await.is_err(), "the panic reaches the loading task");
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .unwrap()
            .unwrap(),
        30
    );
}
