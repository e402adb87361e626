//! loom models of `AtomicBloomFilter`: every interleaving of two threads.
//!
//! Run: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=2
//! cargo test --release -p brick-bloom --lib loom_tests`.
#![cfg(all(test, loom))]

use brick_bloom::{AtomicBloomFilter, BloomFilter};
use loom::sync::Arc;
use loom::thread;

/// 128 bits (two words), 3 hashes: small enough for loom, and the items below are chosen so
/// their bits share a word, where a lost update would show.
fn filter() -> AtomicBloomFilter {
    AtomicBloomFilter::with_params(128, 3).unwrap()
}

fn sequential(items: &[u64]) -> BloomFilter {
    let mut f = BloomFilter::with_params(128, 3).unwrap();
    for x in items {
        f.insert(x);
    }
    f
}

/// Two items whose bit sets overlap in some word but differ, so each insert must keep the
/// other's bits in that word.
fn colliding_items() -> (u64, u64) {
    let words = |x: u64| sequential(&[x]).as_words().to_vec();
    for a in 0..100u64 {
        for b in a + 1..100 {
            let (wa, wb) = (words(a), words(b));
            if wa
                .iter()
                .zip(&wb)
                .any(|(x, y)| x != y && x & y != *x && *x != 0 && *y != 0)
            {
                return (a, b);
            }
        }
    }
    unreachable!("two of 100 items share a word of 64 bits")
}

/// Two threads insert different items: both end up present and the bits equal a sequential
/// build. A load-then-store insert (instead of `fetch_or`) loses bits here.
#[test]
fn concurrent_inserts_lose_no_bit() {
    let (a, b) = colliding_items();
    let expected = sequential(&[a, b]);
    loom::model(move || {
        let f = Arc::new(filter());
        let g = Arc::clone(&f);
        let t = thread::spawn(move || {
            g.insert(&a);
        });
        f.insert(&b);
        t.join().unwrap();
        assert!(f.contains(&a) && f.contains(&b));
        assert_eq!(f.to_filter(), expected);
    });
}

/// A reader racing a writer sees each word between its value before and after the insert
/// (bits only appear, never vanish or come from elsewhere), and once it sees the item present
/// it keeps seeing it.
#[test]
fn reader_sees_whole_words() {
    let (a, b) = colliding_items();
    let before = sequential(&[b]);
    let after = sequential(&[a, b]);
    loom::model(move || {
        // Start from a filter holding b (built before the model's threads exist).
        let f = Arc::new(AtomicBloomFilter::from(sequential(&[b])));
        let g = Arc::clone(&f);
        let (lo, hi) = (before.clone(), after.clone());
        let reader = thread::spawn(move || {
            let seen = g.to_filter();
            for ((w, lo), hi) in seen.as_words().iter().zip(lo.as_words()).zip(hi.as_words()) {
                assert_eq!(w & lo, *lo, "a bit vanished");
                assert_eq!(w & !hi, 0, "a bit appeared from nowhere");
            }
            let first = g.contains(&a);
            let second = g.contains(&a);
            assert!(!first || second, "present, then absent");
            assert!(g.contains(&b));
        });
        f.insert(&a);
        reader.join().unwrap();
        assert!(f.contains(&a));
        assert_eq!(f.to_filter(), after);
    });
}

// The Redis client's back-off and pool: the same models in every brick that has the pool.
#[path = "../tests/pool_loom/mod.rs"]
mod pool_loom;
