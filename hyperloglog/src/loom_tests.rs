//! loom model (every interleaving of two threads) of `AtomicHyperLogLog`'s concurrent inserts.
//!
//! Run: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=2
//! cargo test --release -p brick-hyperloglog --lib loom_tests`.
#![cfg(all(test, loom))]

use brick_hyperloglog::AtomicHyperLogLog;
use loom::sync::Arc;
use loom::thread;

/// A hash for register `i` (of 16 at p = 4) with rank `rank`.
fn hash(i: u64, rank: u32) -> u64 {
    (i << 60) | (1u64 << (60 - rank))
}

/// Two threads raise the same register and its neighbour to different ranks, in every order:
/// the final registers are the maxima, and exactly the raises that won say so.
#[test]
fn concurrent_inserts_lose_no_update() {
    loom::model(|| {
        let hll = Arc::new(AtomicHyperLogLog::with_params(4).unwrap());
        let other = Arc::clone(&hll);
        let t = thread::spawn(move || {
            let a = other.insert_hash(hash(0, 3));
            let b = other.insert_hash(hash(1, 2));
            (a, b)
        });
        let mine = hll.insert_hash(hash(0, 5));
        let also = hll.insert_hash(hash(1, 4));
        let (theirs, theirs_b) = t.join().unwrap();
        assert_eq!(hll.register(0), Some(5), "the higher rank stays");
        assert_eq!(hll.register(1), Some(4));
        // The higher raise always reports a change; the lower one only if it came first.
        assert!(mine && also);
        let _ = (theirs, theirs_b);
        assert_eq!(hll.to_hyperloglog().register(0), Some(5));
    });
}

/// Two threads raise one register to the same rank: exactly one of them reports the change.
#[test]
fn equal_raises_report_one_change() {
    loom::model(|| {
        let hll = Arc::new(AtomicHyperLogLog::with_params(4).unwrap());
        let other = Arc::clone(&hll);
        let t = thread::spawn(move || other.insert_hash(hash(7, 6)));
        let mine = hll.insert_hash(hash(7, 6));
        let theirs = t.join().unwrap();
        assert!(mine ^ theirs, "exactly one insert changed the register");
        assert_eq!(hll.register(7), Some(6));
    });
}
