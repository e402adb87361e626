//! loom models of `AtomicCountMinSketch`: every interleaving of two threads.
//!
//! Run: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=2
//! cargo test --release -p brick-count-min --lib loom_tests`.
#![cfg(all(test, loom))]

use brick_count_min::{AtomicConservativeCountMin, AtomicCountMinSketch, CountMinSketch};
use loom::sync::Arc;
use loom::thread;

/// Two rows of two counters: every key's counters are shared with other keys.
const WIDTH: u64 = 2;
const DEPTH: u64 = 2;

/// Two threads increment the same key: both increments land in every row (a load-then-store
/// increment loses one here).
#[test]
fn concurrent_increments_of_one_key_are_both_counted() {
    loom::model(|| {
        let s: Arc<AtomicCountMinSketch> =
            Arc::new(AtomicCountMinSketch::with_params(WIDTH, DEPTH).unwrap());
        let t = {
            let s = Arc::clone(&s);
            thread::spawn(move || s.increment(&7u64))
        };
        s.increment(&7u64);
        t.join().unwrap();
        let mut expected = CountMinSketch::<u64>::with_params(WIDTH, DEPTH).unwrap();
        expected.add(&7u64, 2);
        assert_eq!(s.to_sketch(), expected);
        assert_eq!(s.estimate(&7u64), 2);
    });
}

/// Weighted adds go through a saturating compare-and-swap loop: both weights land.
#[test]
fn concurrent_weighted_adds_are_both_counted() {
    loom::model(|| {
        let s: Arc<AtomicCountMinSketch> =
            Arc::new(AtomicCountMinSketch::with_params(WIDTH, DEPTH).unwrap());
        let t = {
            let s = Arc::clone(&s);
            thread::spawn(move || s.add(&7u64, 3))
        };
        s.add(&7u64, 5);
        t.join().unwrap();
        assert_eq!(s.estimate(&7u64), 8);
    });
}

/// Conservative update: two threads add to the same key at once. Each read the same minimum,
/// so raising counters to "max(counter, min + 1)" would count one add; the compare-and-swap
/// on the values read makes the loser start over, so the estimate is at least 2. The reader
/// runs in the spawned thread so its loads interleave with the main thread's adds.
#[test]
fn concurrent_conservative_adds_never_lose_an_increment() {
    loom::model(|| {
        let s: Arc<AtomicConservativeCountMin> =
            Arc::new(AtomicConservativeCountMin::with_params(WIDTH, DEPTH).unwrap());
        let t = {
            let s = Arc::clone(&s);
            thread::spawn(move || {
                s.add(&7u64, 1);
                s.estimate(&7u64)
            })
        };
        s.add(&7u64, 1);
        let seen = t.join().unwrap();
        assert!(seen >= 1, "a finished add is visible to its own thread");
        assert!(s.estimate(&7u64) >= 2);
        assert_eq!(s.total(), 2);
    });
}

// The Redis client's back-off and pool: the same models in every brick that has the pool.
#[path = "../tests/pool_loom/mod.rs"]
mod pool_loom;
