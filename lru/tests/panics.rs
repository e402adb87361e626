//! A panic in the caller's own code (a loader, a `retain` predicate, an `and_compute_with`
//! closure) reaches the caller and leaves every cache as the docs' `# Panics` sections say:
//! consistent, usable, and, where the closure decides before anything changes, unchanged. The
//! concurrent cache's locks are std's behind a shim that ignores poisoning, so a panic under a
//! shard's lock must not break later calls on that shard.

use brick_lru::{ConcurrentCache, LfuCache, LruCache};
use std::panic::{AssertUnwindSafe, catch_unwind};

fn panics(f: impl FnOnce()) -> bool {
    catch_unwind(AssertUnwindSafe(f)).is_err()
}

#[test]
fn concurrent_and_compute_with_panic_leaves_the_entry_and_the_shard_usable() {
    let cache = ConcurrentCache::<u64, u64>::builder(64)
        .shards(1)
        .build()
        .unwrap();
    cache.insert(1, 10).unwrap();
    assert!(panics(|| {
        let _ = cache.and_compute_with(1, |_| panic!("the caller's closure"));
    }));
    assert_eq!(cache.get(&1), Some(10));
    // The one shard's lock was held when the closure panicked: it must still be usable.
    cache.insert(2, 20).unwrap();
    assert_eq!(cache.get(&2), Some(20));
    assert_eq!(cache.remove(&1), Some(10));
    cache.check_invariants();
}

#[test]
fn concurrent_loader_panic_caches_nothing_and_the_next_caller_loads() {
    let cache = ConcurrentCache::<u64, u64>::new(64).unwrap();
    assert!(panics(|| {
        cache.get_or_insert_with(7, || panic!("the loader"));
    }));
    assert!(!cache.contains(&7));
    assert_eq!(cache.get_or_insert_with(7, || 70), 70);
    assert_eq!(cache.get(&7), Some(70));
}

#[test]
fn concurrent_retain_panic_keeps_the_cache_consistent() {
    let cache = ConcurrentCache::<u64, u64>::builder(256)
        .shards(1)
        .build()
        .unwrap();
    for k in 0..100 {
        cache.insert(k, k).unwrap();
    }
    let mut seen = 0;
    assert!(panics(|| {
        cache.retain(|_, _| {
            seen += 1;
            assert!(seen < 50, "the predicate");
            false
        })
    }));
    cache.check_invariants();
    let left = cache.len();
    assert!(left > 0 && left < 100, "{left} entries left");
    cache.insert(1_000, 1).unwrap();
    assert_eq!(cache.get(&1_000), Some(1));
}

#[test]
fn local_caches_are_unchanged_by_a_panicking_make_and_consistent_after_retain() {
    let mut lru = LruCache::<u64, u64>::new(16).unwrap();
    let mut lfu = LfuCache::<u64, u64>::new(16).unwrap();
    for k in 0..10 {
        lru.insert(k, k);
        lfu.insert(k, k);
    }
    assert!(panics(|| {
        let _ = lru.get_or_insert_with(99, || panic!("make"));
    }));
    assert!(panics(|| {
        let _ = lfu.get_or_insert_with(99, || panic!("make"));
    }));
    assert_eq!((lru.len(), lfu.len()), (10, 10));
    assert!(!lru.contains(&99) && !lfu.contains(&99));

    assert!(panics(|| {
        let _ = lru.entry(3).and_compute_with(|_| panic!("f"));
    }));
    assert_eq!(lru.peek(&3), Some(&3));

    let mut n = 0;
    assert!(panics(|| {
        lru.retain(|_, _| {
            n += 1;
            assert!(n < 5, "keep");
            false
        })
    }));
    lru.check_invariants();
    assert!(lru.len() < 10);
    let mut n = 0;
    assert!(panics(|| {
        lfu.retain(|_, _| {
            n += 1;
            assert!(n < 5, "keep");
            false
        })
    }));
    lfu.check_invariants();
    assert!(lfu.len() < 10);
}

/// A key whose `Hash` panics for the value `POISONED` holds, once armed.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
struct Touchy(u64);

thread_local! {
    static POISONED: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

impl std::hash::Hash for Touchy {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        if POISONED.with(|p| p.get()) == Some(self.0) {
            panic!("the caller's Hash");
        }
        self.0.hash(h);
    }
}

/// Inserts keys from 3 on until one insert panics (key 0 is poisoned, so that happens when
/// the table rehashes); checks that every earlier key kept its value and that the cache grows
/// again once the `Hash` behaves. `insert`, `peek`, `len` and `check` are the cache's own.
macro_rules! survives_a_panicking_rehash {
    ($cache:expr) => {{
        let mut cache = $cache;
        for k in 0..3 {
            cache.insert(Touchy(k), k);
        }
        POISONED.with(|p| p.set(Some(0)));
        let mut k = 3;
        while !panics(|| {
            cache.insert(Touchy(k), k);
        }) {
            k += 1;
            assert!(k < 100_000, "no rehash hashed the poisoned key");
        }
        POISONED.with(|p| p.set(None));
        cache.check_invariants();
        for j in 0..k {
            assert_eq!(cache.peek(&Touchy(j)), Some(&j), "lost key {j}");
        }
        assert_eq!(cache.len() as u64, k);
        for j in k..k + 100 {
            cache.insert(Touchy(j), j);
        }
        assert_eq!(cache.len() as u64, k + 100);
        cache.check_invariants();
    }};
}

#[test]
fn a_hash_that_panics_while_the_table_grows_leaves_every_entry_in_place() {
    // A weighted cache's table grows with use, rehashing every resident key each time.
    survives_a_panicking_rehash!(
        LruCache::builder(1 << 20)
            .weigher(|_: &Touchy, _: &u64| 1)
            .build()
            .unwrap()
    );
    survives_a_panicking_rehash!(
        LfuCache::builder(1 << 20)
            .weigher(|_: &Touchy, _: &u64| 1)
            .build()
            .unwrap()
    );
}
