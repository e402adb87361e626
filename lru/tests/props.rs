//! One property per promised invariant.
#![cfg(not(loom))]

use brick_lru::{Error, LfuCache, LruCache, ManualClock, RemovalCause};
use proptest::prelude::*;
use std::time::Duration;

proptest! {
    #[test]
    fn never_exceeds_capacity(cap in 1u64..50, keys in prop::collection::vec(0u32..200, 0..400)) {
        let mut lru = LruCache::new(cap).unwrap();
        let mut lfu = LfuCache::new(cap).unwrap();
        for k in keys {
            lru.insert(k, k);
            lfu.insert(k, k);
            prop_assert!(lru.len() as u64 <= cap && lfu.len() as u64 <= cap);
        }
    }

    #[test]
    fn the_newest_entry_is_always_present(cap in 1u64..20, keys in prop::collection::vec(0u32..100, 1..200)) {
        let mut lru = LruCache::new(cap).unwrap();
        let mut lfu = LfuCache::new(cap).unwrap();
        for k in keys {
            lru.insert(k, k + 1);
            lfu.insert(k, k + 1);
            prop_assert_eq!(lru.peek(&k), Some(&(k + 1)));
            prop_assert_eq!(lfu.peek(&k), Some(&(k + 1)));
        }
    }

    #[test]
    fn evicted_entries_are_handed_back(cap in 1u64..20, keys in prop::collection::vec(0u32..100, 0..200)) {
        // Every inserted key is either resident or was handed back exactly once per insert.
        let mut lru = LruCache::new(cap).unwrap();
        let mut out = 0usize;
        let mut inserted = 0usize;
        for k in &keys {
            if lru.peek(k).is_none() {
                inserted += 1;
                if lru.insert(*k, *k).is_some() { out += 1; }
            }
        }
        prop_assert_eq!(inserted, out + lru.len());
        prop_assert_eq!(lru.stats().evictions as usize, out);
    }

    #[test]
    fn every_lookup_is_a_hit_or_a_miss(cap in 1u64..20, keys in prop::collection::vec(0u32..50, 0..200)) {
        let mut lru = LruCache::new(cap).unwrap();
        for k in &keys {
            if lru.get(k).is_none() { lru.insert(*k, *k); }
        }
        let s = lru.stats();
        prop_assert_eq!(s.hits + s.misses, keys.len() as u64);
        prop_assert_eq!(s.insertions, s.misses);
    }

    #[test]
    fn expired_entries_are_invisible(ttl in 1u64..100, wait in 0u64..200) {
        let clock = ManualClock::new();
        let mut lru = LruCache::builder(10).clock(clock.clone()).build().unwrap();
        lru.insert_with_ttl(1u8, 1u8, Duration::from_nanos(ttl));
        lru.insert(2u8, 2u8);
        clock.advance_nanos(wait);
        let alive = wait < ttl;
        prop_assert_eq!(lru.peek(&1).is_some(), alive);
        prop_assert_eq!(lru.iter().count(), 1 + usize::from(alive));
        prop_assert_eq!(lru.purge_expired(), usize::from(!alive));
        prop_assert_eq!(lru.get(&2), Some(&2));
    }

    #[test]
    fn weight_never_exceeds_capacity(cap in 1u64..100, items in prop::collection::vec((0u32..50, 0u32..40), 0..200)) {
        let weigher = |_: &u32, v: &u32| *v;
        let mut lru = LruCache::builder(cap).weigher(weigher).build().unwrap();
        for (k, w) in items {
            let mut rejected = false;
            lru.insert_with(k, w, |_, _, why| rejected |= why == RemovalCause::Rejected);
            prop_assert!(lru.weight() <= cap);
            // Too heavy: handed back, not inserted; otherwise present.
            prop_assert_eq!(rejected, u64::from(w) > cap);
            prop_assert_eq!(lru.peek(&k) == Some(&w), !rejected);
        }
    }
}

#[test]
fn zero_and_oversized_capacities_are_typed_errors() {
    assert_eq!(LruCache::<u8, u8>::new(0).unwrap_err(), Error::ZeroCapacity);
    assert_eq!(LfuCache::<u8, u8>::new(0).unwrap_err(), Error::ZeroCapacity);
    assert_eq!(
        LruCache::<u8, u8>::new(1 << 40).unwrap_err(),
        Error::CapacityTooLarge(1 << 40)
    );
    // The largest count capacity is accepted (the table grows with use, not up front).
    let max = u64::from(brick_lru::MAX_ENTRIES);
    assert!(LruCache::<u8, u8>::new(max).is_ok());
    assert_eq!(
        LfuCache::<u8, u8>::new(max + 1).unwrap_err(),
        Error::CapacityTooLarge(max + 1)
    );
    let mut c = LruCache::<u8, u8>::new(3).unwrap();
    assert_eq!(c.resize(0).unwrap_err(), Error::ZeroCapacity);
    assert_eq!(c.capacity(), 3);
    assert_eq!(
        Error::ZeroCapacity.to_string(),
        "capacity must be at least 1"
    );
}

#[test]
fn decay_lets_new_popular_keys_in() {
    // "old" was hot long ago; after decays a newly hot key outlives it.
    let mut lfu = LfuCache::new(2).unwrap();
    lfu.insert("old", 0);
    for _ in 0..8 {
        lfu.get("old");
    }
    lfu.insert("new", 0);
    lfu.get("new");
    lfu.get("new");
    for _ in 0..3 {
        lfu.decay();
    }
    assert_eq!(lfu.count("old"), Some(1)); // 9 → 4 → 2 → 1
    assert_eq!(lfu.count("new"), Some(1)); // 3 → 1
    lfu.get("new");
    lfu.insert("third", 0);
    assert!(lfu.contains("new") && !lfu.contains("old"));
}

proptest! {
    #[test]
    fn the_cache_ttl_applies_to_later_inserts(ttl in 1u64..100, wait in 0u64..200) {
        let clock = ManualClock::new();
        let mut lru = LruCache::builder(10).clock(clock.clone()).build().unwrap();
        let mut lfu = LfuCache::builder(10).clock(clock.clone()).build().unwrap();
        lru.insert(0u8, 0u8); // before the TTL is set: lives forever
        lfu.insert(0u8, 0u8);
        lru.set_time_to_live(Some(Duration::from_nanos(ttl)));
        lfu.set_time_to_live(Some(Duration::from_nanos(ttl)));
        lru.insert(1, 1);
        lfu.insert(1, 1);
        clock.advance_nanos(wait);
        let alive = wait < ttl;
        prop_assert_eq!(lru.get(&1).is_some(), alive);
        prop_assert_eq!(lfu.get(&1).is_some(), alive);
        prop_assert!(lru.get(&0).is_some() && lfu.get(&0).is_some());
        prop_assert_eq!(lru.stats().expirations, u64::from(!alive));
        prop_assert_eq!(lfu.stats().expirations, u64::from(!alive));
    }

    #[test]
    fn get_mut_changes_what_get_returns(keys in prop::collection::vec(0u8..20, 1..50)) {
        let mut lru = LruCache::new(8).unwrap();
        let mut lfu = LfuCache::new(8).unwrap();
        for &k in &keys {
            lru.insert(k, 0u32);
            lfu.insert(k, 0u32);
            *lru.get_mut(&k).unwrap() += 1;
            *lfu.get_mut(&k).unwrap() += 1;
            prop_assert_eq!(lru.peek(&k), Some(&1));
            prop_assert_eq!(lfu.peek(&k), Some(&1));
        }
    }
}

/// A full cache at 7/8 of its table's buckets (the most hashbrown allows) turns removed buckets
/// into tombstones quickly, so the table rehashes every few hundred inserts and every entry
/// moves to another bucket. The recency order must survive each rehash, in the cache and in a
/// clone of it.
#[test]
fn recency_order_survives_rehashes() {
    const CAP: usize = 896; // 7/8 of 1,024 buckets
    let mut lru = LruCache::new(CAP as u64).unwrap();
    let mut lfu = LfuCache::new(CAP as u64).unwrap();
    // Most recent first.
    let mut model: std::collections::VecDeque<u32> = std::collections::VecDeque::new();
    let mut x = 0x9E37_79B9_u32;
    for step in 0..30_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let k = x % 4_000;
        let hit = lru.get(&k).is_some();
        let at = model.iter().position(|&m| m == k);
        assert_eq!(hit, at.is_some(), "step {step}: key {k}");
        match at {
            Some(p) => {
                model.remove(p);
            }
            None => {
                lru.insert(k, k);
                if model.len() == CAP {
                    model.pop_back();
                }
            }
        }
        model.push_front(k);
        if lfu.get(&k).is_none() {
            lfu.insert(k, k);
        }
        if step % 5_000 == 0 {
            lru.check_invariants();
            lfu.check_invariants();
        }
    }
    let order: Vec<u32> = lru.iter().map(|(&k, _)| k).collect();
    assert_eq!(order, Vec::from(model));
    let copy = lru.clone();
    copy.check_invariants();
    assert!(copy.iter().eq(lru.iter()));
    let lfu_copy = lfu.clone();
    lfu_copy.check_invariants();
    assert!(lfu_copy.iter().eq(lfu.iter()));
}

proptest! {
    /// `get_or_insert_with` is `get`, or `insert` then `get`, on both single-threaded caches:
    /// the same answers and the same contents as that sequence, and `make` runs only on a miss.
    #[test]
    fn get_or_insert_with_is_get_or_insert_then_get(ops in prop::collection::vec((0u8..20, any::<u16>()), 1..200)) {
        let mut lru = LruCache::new(8).unwrap();
        let mut lru_model = LruCache::new(8).unwrap();
        let mut lfu = LfuCache::new(8).unwrap();
        let mut lfu_model = LfuCache::new(8).unwrap();
        for (k, v) in ops {
            let mut made = false;
            let got = *lru.get_or_insert_with(k, || { made = true; v }).unwrap();
            let expected = match lru_model.get(&k) {
                Some(&old) => { prop_assert!(!made); old }
                None => { lru_model.insert(k, v); prop_assert!(made); v }
            };
            prop_assert_eq!(got, expected);
            let got = *lfu.get_or_insert(k, v).unwrap();
            let expected = match lfu_model.get(&k) {
                Some(&old) => old,
                None => { lfu_model.insert(k, v); v }
            };
            prop_assert_eq!(got, expected);
        }
        let mut a: Vec<_> = lru.iter().map(|(k, v)| (*k, *v)).collect();
        let mut b: Vec<_> = lru_model.iter().map(|(k, v)| (*k, *v)).collect();
        a.sort_unstable();
        b.sort_unstable();
        prop_assert_eq!(a, b);
    }
}

/// A value heavier than the whole capacity is handed back, and nothing is inserted.
#[test]
fn get_or_insert_with_hands_back_a_value_too_heavy() {
    let weigh = |_: &u8, v: &u64| u32::try_from(*v).unwrap_or(u32::MAX);
    let mut lru = LruCache::builder(10).weigher(weigh).build().unwrap();
    assert_eq!(lru.get_or_insert_with(1, || 11).unwrap_err(), (1, 11));
    assert!(lru.is_empty());
    assert_eq!(*lru.get_or_insert_with(1, || 4).unwrap(), 4);
    let mut lfu = LfuCache::builder(10).weigher(weigh).build().unwrap();
    assert_eq!(lfu.get_or_insert(2, 12).unwrap_err(), (2, 12));
    assert!(lfu.is_empty());
}

#[cfg(feature = "serde")]
proptest! {
    /// serde (feature `serde`): a snapshot of any cache reads back as a cache with the same
    /// capacity and the same entries in the same recency order, which then evicts as the
    /// original does.
    #[test]
    fn snapshots_restore_the_recency_order(cap in 1u64..40, ops in prop::collection::vec((any::<bool>(), 0u16..60), 0..200), more in prop::collection::vec(0u16..80, 0..40)) {
        let mut cache: LruCache<u16, u32> = LruCache::new(cap).unwrap();
        for (i, &(read, k)) in ops.iter().enumerate() {
            if read {
                let _ = cache.get(&k);
            } else {
                cache.insert(k, i as u32);
            }
        }
        let json = serde_json::to_string(&cache).unwrap();
        let mut back: LruCache<u16, u32> = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.capacity(), cap);
        let entries = |c: &LruCache<u16, u32>| c.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>();
        prop_assert_eq!(entries(&back), entries(&cache));
        for &k in &more {
            prop_assert_eq!(back.insert(k, 0), cache.insert(k, 0));
        }
        prop_assert_eq!(entries(&back), entries(&cache));
    }
}

/// serde: a snapshot no cache could have written is refused — more entries than its capacity,
/// a key twice, capacity 0, another version or unknown fields — never a panic.
#[cfg(feature = "serde")]
#[test]
fn impossible_snapshots_are_refused() {
    type Cache = LruCache<u16, u32>;
    let err = |json: &str| serde_json::from_str::<Cache>(json).unwrap_err().to_string();
    assert!(err(r#"{"version":1,"capacity":1,"entries":[[1,1],[2,2]]}"#).contains("does not fit"));
    assert!(err(r#"{"version":1,"capacity":4,"entries":[[1,1],[1,2]]}"#).contains("twice"));
    assert!(
        err(r#"{"version":1,"capacity":0,"entries":[]}"#)
            .contains(&Error::ZeroCapacity.to_string())
    );
    assert!(err(r#"{"version":2,"capacity":4,"entries":[]}"#).contains("version 2"));
    assert!(
        serde_json::from_str::<Cache>(r#"{"version":1,"capacity":4,"entries":[],"ttl":5}"#)
            .is_err()
    );
    for other in ["null", "[]", "{}", r#"{"version":1}"#] {
        assert!(serde_json::from_str::<Cache>(other).is_err());
    }
}

// `extend` is a loop of `insert`: the same entries in the same order afterwards.
proptest! {
    #[test]
    fn extend_equals_inserting_one_by_one(pairs in proptest::collection::vec((0u64..40, any::<u64>()), 0..200)) {
        let mut lru = LruCache::<u64, u64>::builder(16).hasher(brick_lru::Xxh3BuildHasher::default()).build().unwrap();
        let mut lfu = LfuCache::<u64, u64>::builder(16).hasher(brick_lru::Xxh3BuildHasher::default()).build().unwrap();
        for &(k, v) in &pairs {
            lru.insert(k, v);
            lfu.insert(k, v);
        }
        let mut lru_ext = LruCache::<u64, u64>::builder(16).hasher(brick_lru::Xxh3BuildHasher::default()).build().unwrap();
        lru_ext.extend(pairs.iter().copied());
        let mut lfu_ext = LfuCache::<u64, u64>::builder(16).hasher(brick_lru::Xxh3BuildHasher::default()).build().unwrap();
        lfu_ext.extend(pairs.iter().copied());
        prop_assert_eq!(lru_ext.iter().collect::<Vec<_>>(), lru.iter().collect::<Vec<_>>());
        prop_assert_eq!(lfu_ext.iter().collect::<Vec<_>>(), lfu.iter().collect::<Vec<_>>());
    }
}
