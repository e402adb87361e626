//! loom model of `ManualClock`, the one type in brick-lru that threads share (the caches
//! themselves are single-threaded). Run: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom
//! LOOM_MAX_PREEMPTIONS=2 cargo test --release -p brick-lru --test loom`.
#![cfg(loom)]

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
