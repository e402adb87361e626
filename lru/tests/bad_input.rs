//! Bad input over the whole public surface: arbitrary capacities, shard counts, durations and
//! call sequences answer with a value or a typed error, never an abort or a panic; and a user
//! callback that panics inside single flight never leaves another caller waiting.
#![cfg(not(loom))]
// Plain std atomics: these are threaded tests, not loom models.
#![allow(clippy::disallowed_types)]

use brick_lru::{ConcurrentCache, Error, LfuCache, LruCache, MAX_ENTRIES};
use proptest::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::Duration;

mod limit;

/// 2^16 shards of a 2^32-entry cache: built, or refused with a typed error, never an abort.
#[test]
fn the_most_shards_build_or_are_refused_with_a_typed_error() {
    if limit::ran_under_limit("the_most_shards_build_or_are_refused_with_a_typed_error") {
        return;
    }
    match ConcurrentCache::<u64, u64>::builder(1 << 32)
        .shards(1 << 16)
        .build()
    {
        Ok(cache) => {
            cache.insert(1, 2).unwrap();
            assert_eq!(cache.get(&1), Some(2));
        }
        Err(e) => assert!(matches!(e, Error::OutOfMemory { .. }), "{e}"),
    }
}

/// A capacity too large is reported as asked, not as a shard's share of it.
#[test]
fn a_capacity_too_large_reports_what_was_asked() {
    for asked in [u64::MAX, u64::from(MAX_ENTRIES) * (1 << 16) + (1 << 20)] {
        assert_eq!(
            ConcurrentCache::<u64, u64>::new(asked).map(drop),
            Err(Error::CapacityTooLarge(asked))
        );
    }
    assert_eq!(
        LruCache::<u64, u64>::new(u64::from(MAX_ENTRIES) + 1).map(drop),
        Err(Error::CapacityTooLarge(u64::from(MAX_ENTRIES) + 1))
    );
}

/// Thread A runs `a`, whose loader waits on the barrier, sleeps 100 ms and returns the value
/// a user callback panics on; thread B runs `b`, a load of the same key, while A loads.
/// Asserts that B returns (within 10 s) and that A's panic reached A.
fn waiter_returns_when_a_callback_panics(
    a: impl FnOnce(&Barrier) + Send + 'static,
    b: impl FnOnce() + Send + 'static,
) {
    let loading = Arc::new(Barrier::new(2));
    let first = {
        let loading = Arc::clone(&loading);
        thread::spawn(move || catch_unwind(AssertUnwindSafe(|| a(&loading))))
    };
    loading.wait();
    let (tx, rx) = mpsc::channel();
    let second = thread::spawn(move || {
        let _ = catch_unwind(AssertUnwindSafe(b));
        tx.send(()).unwrap();
    });
    assert!(
        rx.recv_timeout(Duration::from_secs(10)).is_ok(),
        "the waiter is wedged"
    );
    assert!(first.join().unwrap().is_err(), "A's callback panicked in A");
    second.join().unwrap();
}

/// A's and B's calls on `cache`: both load key 7, A's loader yields `value`.
fn both_load<
    V: Clone + Send + Sync + 'static,
    W: brick_lru::Weigher<u64, V> + Send + Sync + 'static,
>(
    cache: ConcurrentCache<u64, V, brick_lru::DefaultBuildHasher, W>,
    value: fn() -> V,
) {
    let cache = Arc::new(cache);
    let other = Arc::clone(&cache);
    waiter_returns_when_a_callback_panics(
        move |loading| {
            cache.get_or_insert_with(7, || {
                loading.wait();
                thread::sleep(Duration::from_millis(100));
                value()
            });
        },
        move || {
            other.get_or_insert_with(7, value);
        },
    );
}

#[test]
fn a_panicking_weigher_does_not_wedge_waiters() {
    let cache = ConcurrentCache::builder(100)
        .weigher(|_: &u64, v: &u64| {
            assert_ne!(*v, 666, "the weigher refuses 666");
            1
        })
        .build()
        .unwrap();
    both_load(cache, || 666);
}

/// A value whose clone panics (the flight hands clones to its waiters).
#[derive(Debug, PartialEq)]
struct Fragile(u64);

impl Clone for Fragile {
    fn clone(&self) -> Self {
        assert_ne!(self.0, 666, "666 cannot be cloned");
        Fragile(self.0)
    }
}

#[test]
fn a_value_whose_clone_panics_does_not_wedge_waiters() {
    both_load(ConcurrentCache::new(100).unwrap(), || Fragile(666));
}

#[test]
fn a_panicking_listener_does_not_wedge_waiters() {
    // Capacity 1 and a resident key: A's insert evicts it, and the listener panics on that.
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let cache = ConcurrentCache::builder(1)
        .eviction_listener(move |_: &u64, _: &u64, _| {
            seen.fetch_add(1, Ordering::SeqCst);
            panic!("the listener panics");
        })
        .build()
        .unwrap();
    cache.insert(1, 1).unwrap();
    both_load(cache, || 666);
    assert!(calls.load(Ordering::SeqCst) >= 1, "the listener ran");
}

fn weird_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(u64::MAX),
        Just(u64::from(MAX_ENTRIES)),
        Just(u64::from(MAX_ENTRIES) + 1),
        1u64..300,
        any::<u64>(),
    ]
}

fn weird_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::from_nanos(1)),
        Just(Duration::MAX),
        Just(Duration::from_secs(u64::MAX)),
        (0u64..1_000_000).prop_map(Duration::from_nanos),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u8, u64),
    InsertTtl(u8, u64, Duration),
    Get(u8),
    Remove(u8),
    Resize(u64),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            (any::<u8>(), any::<u64>()).prop_map(|(k, v)| Op::Insert(k, v)),
            (any::<u8>(), any::<u64>(), weird_duration())
                .prop_map(|(k, v, d)| Op::InsertTtl(k, v, d)),
            any::<u8>().prop_map(Op::Get),
            any::<u8>().prop_map(Op::Remove),
            prop_oneof![Just(0u64), 1u64..64, Just(u64::MAX)].prop_map(Op::Resize),
        ],
        0..64,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Constructors: an error exactly when the documented limits say so.
    #[test]
    fn constructors_with_arbitrary_parameters(capacity in weird_u64(), shards in prop_oneof![Just(0usize), Just(1), Just(3), Just(1 << 16), Just((1 << 16) + 1), Just(usize::MAX), 1usize..64], ttl in weird_duration()) {
        let in_range = capacity >= 1 && capacity <= u64::from(MAX_ENTRIES);
        prop_assert_eq!(LruCache::<u64, u64>::new(capacity).is_ok(), in_range);
        prop_assert_eq!(LfuCache::<u64, u64>::new(capacity).is_ok(), in_range);
        // Concurrent: only small caches are built (building is O(shards)).
        if capacity <= 1 << 20 && shards <= 1 << 10 {
            let built = ConcurrentCache::<u64, u64>::builder(capacity).shards(shards).time_to_live(ttl).build();
            let shards_ok = shards.is_power_of_two() && shards as u64 <= capacity;
            match built {
                Ok(c) => prop_assert!(capacity >= 1 && shards_ok && !ttl.is_zero() && c.capacity() == capacity),
                Err(Error::ZeroCapacity) => prop_assert_eq!(capacity, 0),
                Err(Error::InvalidShards(n)) => prop_assert!(n == shards && !shards_ok),
                Err(Error::ZeroDuration) => prop_assert!(ttl.is_zero()),
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
        }
    }

    /// Call sequences with extreme TTLs and resizes: no panic, the capacity always holds, and
    /// every answer is a value that was inserted for that key.
    #[test]
    fn call_sequences_with_extreme_values(capacity in 1u64..40, ops in ops()) {
        let mut lru = LruCache::<u8, u64>::new(capacity).unwrap();
        let mut lfu = LfuCache::<u8, u64>::new(capacity).unwrap();
        let concurrent = ConcurrentCache::<u8, u64>::new(capacity).unwrap();
        let mut written: std::collections::HashMap<u8, Vec<u64>> = Default::default();
        for op in ops {
            match op {
                Op::Insert(k, v) => {
                    written.entry(k).or_default().push(v);
                    lru.insert(k, v);
                    lfu.insert(k, v);
                    let _ = concurrent.insert(k, v);
                }
                Op::InsertTtl(k, v, d) => {
                    written.entry(k).or_default().push(v);
                    lru.insert_with_ttl(k, v, d);
                    lfu.insert_with_ttl(k, v, d);
                    let _ = concurrent.insert_with_ttl(k, v, d);
                }
                Op::Get(k) => {
                    let ok = |v: Option<u64>| v.is_none_or(|v| written.get(&k).is_some_and(|w| w.contains(&v)));
                    prop_assert!(ok(lru.get(&k).copied()));
                    prop_assert!(ok(lfu.get(&k).copied()));
                    prop_assert!(ok(concurrent.get(&k)));
                }
                Op::Remove(k) => {
                    lru.remove(&k);
                    lfu.remove(&k);
                    concurrent.remove(&k);
                }
                Op::Resize(c) => {
                    let resized = lru.resize(c);
                    prop_assert_eq!(resized.is_ok(), c >= 1 && c <= u64::from(MAX_ENTRIES));
                }
            }
            prop_assert!(lru.weight() <= lru.capacity());
            prop_assert!(lfu.weight() <= lfu.capacity());
            prop_assert!(concurrent.weight() <= concurrent.capacity());
        }
        lru.check_invariants();
        lfu.check_invariants();
        concurrent.check_invariants();
    }
}
