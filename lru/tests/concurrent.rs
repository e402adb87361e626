//! The concurrent cache: a model-based property test (every entry is either resident or was
//! reported to the listener, exactly once), single-flight loading, expiry, weights, errors,
//! and a two-thread stress run.
#![cfg(not(loom))]
// Test bookkeeping (event logs, load counters) uses std's locks and atomics directly; the
// crate's own code goes through its sync shim.
#![allow(clippy::disallowed_types)]

use brick_lru::{CacheStats, Compute, Computed, ConcurrentCache, Error, ManualClock, RemovalCause};
use proptest::prelude::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

type Events = Arc<Mutex<Vec<(u8, u32, RemovalCause)>>>;

#[derive(Debug, Clone)]
enum Op {
    Insert(u8, u8),
    InsertTtl(u8, u8, u8),
    Get(u8),
    Load(u8),
    Remove(u8),
    Advance(u8),
    Purge,
    RetainEven,
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0u8..24;
    prop_oneof![
        6 => (key.clone(), 1u8..4).prop_map(|(k, w)| Op::Insert(k, w)),
        2 => (key.clone(), 1u8..4, 1u8..8).prop_map(|(k, w, t)| Op::InsertTtl(k, w, t)),
        6 => key.clone().prop_map(Op::Get),
        2 => key.clone().prop_map(Op::Load),
        2 => key.prop_map(Op::Remove),
        1 => (1u8..6).prop_map(Op::Advance),
        1 => Just(Op::Purge),
        1 => Just(Op::RetainEven),
        1 => Just(Op::Clear),
    ]
}

/// The model: what each key holds (value, weight, expiry), updated by the operations and by
/// the listener's reports. The cache must hold exactly the model's entries.
struct Model {
    entries: HashMap<u8, (u32, u8, u64)>,
    now: u64,
}

fn check_stats_add_up(s: &CacheStats, len: usize) {
    assert_eq!(
        s.insertions - s.replacements - s.evictions - s.expirations - s.removals,
        len as u64,
        "{s:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every operation against a model: values are never stale or lost, each entry leaves
    /// through exactly one listener report with a truthful cause, expired entries are never
    /// returned, the weight never exceeds the capacity, and the counters add up.
    #[test]
    fn model(ops in prop::collection::vec(op(), 1..200), capacity in 1u64..16, shards in 0u32..3, ttl in prop::option::of(2u64..10), tti in prop::option::of(2u64..10)) {
        let shards = (1usize << shards).min(capacity.next_power_of_two() as usize / 2).max(1);
        let events: Events = Arc::default();
        let log = Arc::clone(&events);
        let clock = ManualClock::new();
        let mut builder = ConcurrentCache::builder(capacity)
            .shards(shards)
            .clock(clock.clone())
            .weigher(|_: &u8, v: &u32| v >> 24)
            .eviction_listener(move |k: &u8, v: &u32, c| log.lock().unwrap().push((*k, *v, c)));
        if let Some(t) = ttl {
            builder = builder.time_to_live(Duration::from_nanos(t));
        }
        if let Some(t) = tti {
            builder = builder.time_to_idle(Duration::from_nanos(t));
        }
        let cache = builder.build().unwrap();
        let mut model = Model { entries: HashMap::new(), now: 0 };
        let mut seq = 0u32;
        let live = |m: &Model, k: u8| m.entries.get(&k).is_some_and(|&(_, _, e)| e > m.now);
        for op in ops {
            seq += 1;
            match op {
                Op::Insert(k, w) | Op::InsertTtl(k, w, _) => {
                    let v = (u32::from(w) << 24) | seq;
                    let own_ttl = match op { Op::InsertTtl(_, _, t) => Some(u64::from(t)), _ => None };
                    let result = match own_ttl {
                        Some(t) => cache.insert_with_ttl(k, v, Duration::from_nanos(t)),
                        None => cache.insert(k, v),
                    };
                    match result {
                        Ok(()) => {
                            let expires = own_ttl.or(ttl).map_or(u64::MAX, |t| model.now + t);
                            let old = model.entries.insert(k, (v, w, expires));
                            // A key's old entry leaves through exactly one report: replaced if
                            // it was live, expired if not.
                            let mut ev = events.lock().unwrap();
                            let at = ev.iter().position(|&(ek, _, c)| {
                                ek == k && matches!(c, RemovalCause::Replaced | RemovalCause::Expired)
                            });
                            match (old, at) {
                                (None, None) => {}
                                (Some((old_v, _, old_expires)), Some(at)) => {
                                    let (_, reported, cause) = ev.remove(at);
                                    prop_assert_eq!(reported, old_v);
                                    if tti.is_none() {
                                        let expected = if old_expires > model.now {
                                            RemovalCause::Replaced
                                        } else {
                                            RemovalCause::Expired
                                        };
                                        prop_assert_eq!(cause, expected);
                                    }
                                }
                                (old, at) => prop_assert!(false, "old {:?}, report {:?}", old, at),
                            }
                        }
                        Err(e) => {
                            prop_assert!(u64::from(e.weight) > e.limit);
                            prop_assert_eq!(e.value, v);
                        }
                    }
                }
                Op::Get(k) => {
                    let got = cache.get(&k);
                    if tti.is_none() {
                        prop_assert_eq!(got, live(&model, k).then(|| model.entries[&k].0));
                    } else if let Some(v) = got {
                        prop_assert_eq!(Some(v), model.entries.get(&k).map(|e| e.0));
                    }
                }
                Op::Load(k) => {
                    let v = (1u32 << 24) | seq;
                    let got = cache.get_or_insert_with(k, || v);
                    if got == v {
                        // Loaded: now resident unless heavier than its shard.
                        let expires = ttl.map_or(u64::MAX, |t| model.now + t);
                        let old = model.entries.insert(k, (v, 1, expires));
                        if let Some((old_v, _, _)) = old {
                            // The old entry was there but expired (a live one would have been
                            // returned): it leaves as expired.
                            let mut ev = events.lock().unwrap();
                            let at = ev.iter().position(|&(ek, ov, _)| ek == k && ov == old_v);
                            prop_assert!(at.is_some(), "expired {} not reported", k);
                            let (_, _, c) = ev.remove(at.unwrap());
                            prop_assert_eq!(c, RemovalCause::Expired);
                        }
                    } else {
                        prop_assert_eq!(Some(got), model.entries.get(&k).map(|e| e.0));
                    }
                }
                Op::Remove(k) => {
                    let got = cache.remove(&k);
                    if tti.is_none() {
                        prop_assert_eq!(got, live(&model, k).then(|| model.entries[&k].0));
                    }
                }
                Op::Advance(d) => {
                    clock.advance_nanos(u64::from(d));
                    model.now += u64::from(d);
                }
                Op::Purge => {
                    cache.purge_expired();
                }
                Op::RetainEven => cache.retain(|k, _| k % 2 == 0),
                Op::Clear => cache.clear(),
            }
            // Every remaining report removes its entry from the model, with a truthful cause.
            for (k, v, c) in events.lock().unwrap().drain(..) {
                let entry = model.entries.remove(&k);
                prop_assert_eq!(entry.map(|e| e.0), Some(v), "{:?} of {} reported for an entry not held", c, k);
                let (_, _, expires) = entry.unwrap();
                match c {
                    RemovalCause::Expired => prop_assert!(expires <= model.now || tti.is_some()),
                    RemovalCause::Removed | RemovalCause::Size => {}
                    RemovalCause::Replaced => prop_assert!(false, "replacement of {} unmatched", k),
                    RemovalCause::Rejected => prop_assert!(false, "rejection of {}, which was held", k),
                }
            }
            cache.check_invariants();
            prop_assert_eq!(cache.len(), model.entries.len());
            let weight: u64 = model.entries.values().map(|e| u64::from(e.1)).sum();
            prop_assert_eq!(cache.weight(), weight);
            prop_assert!(weight <= capacity);
            for (&k, &(v, _, expires)) in &model.entries {
                if tti.is_none() {
                    prop_assert_eq!(cache.contains(&k), expires > model.now, "key {} value {}", k, v);
                }
            }
            check_stats_add_up(&cache.stats(), cache.len());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// An insert never pushes out the key it inserts: with unit weights and nothing expiring,
    /// the key is resident right after, whatever the reads before it did to the other entries
    /// (a CLOCK window whose every other entry was read once offered the newest key to
    /// admission, which refused it).
    #[test]
    fn an_inserted_key_is_resident_right_after(ops in prop::collection::vec((any::<bool>(), 0u16..400), 1..600), capacity in 1u64..80, shards in 0u32..3) {
        let shards = (1usize << shards).min(capacity.next_power_of_two() as usize / 2).max(1);
        let cache = ConcurrentCache::builder(capacity).shards(shards).build().unwrap();
        for (insert, k) in ops {
            if insert {
                cache.insert(k, k).unwrap();
                prop_assert!(cache.contains(&k), "{} gone right after its insert", k);
            } else if let Some(v) = cache.get(&k) {
                prop_assert_eq!(v, k);
            }
        }
    }

    /// The same when every key is read once right after its insert, the traffic that made the
    /// whole window used (a service that writes an object and reads it back).
    #[test]
    fn a_key_read_back_after_each_insert_is_there(first in 0u32..1000, n in 1u32..3000, capacity in 1u64..300) {
        let cache = ConcurrentCache::builder(capacity).build().unwrap();
        for k in first..first + n {
            cache.insert(k, k).unwrap();
            prop_assert_eq!(cache.get(&k), Some(k), "{} gone right after its insert", k);
        }
    }
}

#[test]
fn hits_and_misses_are_counted_when_recorded() {
    let quiet = ConcurrentCache::new(100).unwrap();
    quiet.insert(1u32, "one").unwrap();
    assert_eq!(quiet.get(&1), Some("one"));
    assert_eq!((quiet.stats().hits, quiet.stats().insertions), (0, 1));
    let cache = ConcurrentCache::builder(100)
        .record_stats()
        .build()
        .unwrap();
    cache.insert(1u32, "one").unwrap();
    assert_eq!(cache.get(&1), Some("one"));
    assert_eq!(cache.get(&2), None);
    assert!(cache.contains(&1) && !cache.contains(&2));
    let s = cache.stats();
    assert_eq!((s.hits, s.misses, s.insertions), (1, 1, 1));
    assert_eq!(s.hit_ratio(), 0.5);
}

#[test]
fn configuration_errors_are_typed() {
    assert_eq!(
        ConcurrentCache::<u32, u32>::new(0).unwrap_err(),
        Error::ZeroCapacity
    );
    for bad in [0, 3, 1 << 17] {
        let e = ConcurrentCache::<u32, u32>::builder(1 << 20)
            .shards(bad)
            .build()
            .unwrap_err();
        assert_eq!(e, Error::InvalidShards(bad));
    }
    let e = ConcurrentCache::<u32, u32>::builder(4)
        .shards(8)
        .build()
        .unwrap_err();
    assert_eq!(e, Error::InvalidShards(8));
    let e = ConcurrentCache::<u32, u32>::builder(4)
        .time_to_live(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(e, Error::ZeroDuration);
    assert!(e.to_string().contains("above zero"));
    let e = ConcurrentCache::<u32, u32>::builder(4)
        .time_to_idle(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(e, Error::ZeroDuration);
}

#[test]
fn too_heavy_entries_are_refused_and_returned() {
    let cache = ConcurrentCache::builder(100)
        .shards(4)
        .weigher(|_: &u32, v: &Vec<u8>| v.len() as u32)
        .build()
        .unwrap();
    cache.insert(1, vec![0; 25]).unwrap();
    let refused = cache.insert(2, vec![7; 26]).unwrap_err();
    assert_eq!(
        (refused.key, refused.value.len(), refused.limit),
        (2, 26, 25)
    );
    assert!(refused.to_string().contains("26"));
    assert!(!cache.contains(&2));
    assert_eq!(cache.stats().rejections, 1);
    // A loaded value that is too heavy is returned but not cached.
    let loaded = cache.get_or_insert_with(3, || vec![1; 30]);
    assert_eq!(loaded.len(), 30);
    assert!(!cache.contains(&3));
}

#[test]
fn time_to_live_and_idle() {
    let clock = ManualClock::new();
    let expired = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&expired);
    let cache = ConcurrentCache::builder(100)
        .clock(clock.clone())
        .time_to_live(Duration::from_secs(10))
        .time_to_idle(Duration::from_secs(4))
        .eviction_listener(move |_: &&str, _: &u32, cause| {
            assert_eq!(cause, RemovalCause::Expired);
            count.fetch_add(1, Ordering::Relaxed);
        })
        .build()
        .unwrap();
    cache.insert("a", 1).unwrap();
    cache.insert("b", 2).unwrap();
    for _ in 0..3 {
        clock.advance(Duration::from_secs(3));
        assert_eq!(cache.get("a"), Some(1)); // read every 3 s: never idle for 4
    }
    // "b" was idle for 9 s; "a" is 9 s old.
    assert_eq!(cache.get("b"), None);
    clock.advance(Duration::from_secs(1));
    assert_eq!(cache.get("a"), None, "10 s after insertion");
    assert_eq!(
        cache.len(),
        2,
        "expired entries wait for the policy or a purge"
    );
    assert_eq!(cache.purge_expired(), 2);
    assert_eq!(expired.load(Ordering::Relaxed), 2);
    assert!(cache.is_empty());
    // A per-entry TTL on a cache without one.
    let plain = ConcurrentCache::builder(10)
        .clock(clock.clone())
        .build()
        .unwrap();
    plain
        .insert_with_ttl(1u8, 1u8, Duration::from_secs(1))
        .unwrap();
    plain.insert(2, 2).unwrap();
    clock.advance(Duration::from_secs(1));
    assert_eq!((plain.get(&1), plain.get(&2)), (None, Some(2)));
}

#[test]
fn single_flight_runs_the_loader_once() {
    let cache = Arc::new(ConcurrentCache::new(100).unwrap());
    let loads = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (cache, loads, start) =
                (Arc::clone(&cache), Arc::clone(&loads), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                cache.get_or_insert_with(7u32, || {
                    loads.fetch_add(1, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(50));
                    "seven".to_string()
                })
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), "seven");
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    assert_eq!(cache.get(&7).as_deref(), Some("seven"));
}

/// A failing loader's error reaches its caller only; a waiter loads instead, once.
#[test]
fn a_failed_load_is_not_cached_and_a_waiter_retries() {
    let cache = Arc::new(ConcurrentCache::new(100).unwrap());
    let loads = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(6));
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let (cache, loads, start) =
                (Arc::clone(&cache), Arc::clone(&loads), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                cache.try_get_or_insert_with(1u32, || {
                    let n = loads.fetch_add(1, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(50));
                    if n == 0 { Err("backend down") } else { Ok(n) }
                })
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_err()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .all(|&v| v == 1)
    );
    assert_eq!(loads.load(Ordering::SeqCst), 2);
    assert_eq!(cache.get(&1), Some(1));
}

/// A panicking loader unwinds its own caller; the waiters are not wedged.
#[test]
fn a_panicking_load_does_not_wedge_waiters() {
    let cache = Arc::new(ConcurrentCache::new(100).unwrap());
    let loads = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (cache, loads, start) =
                (Arc::clone(&cache), Arc::clone(&loads), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                cache.get_or_insert_with(1u32, || {
                    let n = loads.fetch_add(1, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(50));
                    assert!(n > 0, "first load panics");
                    n
                })
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join()).collect();
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
    assert_eq!(loads.load(Ordering::SeqCst), 2);
    assert_eq!(cache.get(&1), Some(1));
}

/// Two threads × 1M mixed operations on a small weighted cache: the weight never exceeds the
/// capacity (checked by a third thread while they run), every value inserted is either
/// resident or was reported to the listener exactly once, reads return only values written
/// for their key, and the counters add up.
#[test]
fn stress_two_threads() {
    const OPS: u64 = 1_000_000;
    const CAPACITY: u64 = 256;
    let reported = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&reported);
    let cache = Arc::new(
        ConcurrentCache::builder(CAPACITY)
            .shards(4)
            .record_stats()
            .weigher(|_: &u64, v: &u64| (v & 3) as u32 + 1)
            .eviction_listener(move |_: &u64, v: &u64, c| log.lock().unwrap().push((*v, c)))
            .build()
            .unwrap(),
    );
    let done = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let (cache, done) = (Arc::clone(&cache), Arc::clone(&done));
        thread::spawn(move || {
            let mut looks = 0u64;
            while done.load(Ordering::Acquire) < 2 {
                assert!(cache.weight() <= CAPACITY);
                looks += 1;
            }
            looks
        })
    };
    let workers: Vec<_> = (0..2u64)
        .map(|t| {
            let (cache, done) = (Arc::clone(&cache), Arc::clone(&done));
            thread::spawn(move || {
                let mut inserted = Vec::new();
                let mut removed = Vec::new();
                let mut lookups = 0u64;
                let mut x = 0x2545_F491_4F6C_DD1D ^ t;
                for seq in 0..OPS {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let key = x % 1024;
                    // The value names its key, its writer and its place in the writer's run.
                    let value = (key << 40) | (t << 32) | (seq << 2) | (x >> 62);
                    match x % 10 {
                        0..=4 => {
                            lookups += 1;
                            if let Some(v) = cache.get(&key) {
                                assert_eq!(v >> 40, key);
                            }
                        }
                        5..=7 => {
                            cache.insert(key, value).unwrap();
                            inserted.push(value);
                        }
                        8 => {
                            if let Some(v) = cache.remove(&key) {
                                assert_eq!(v >> 40, key);
                                removed.push(v);
                            }
                        }
                        _ => {
                            lookups += 1;
                            let v = cache.get_or_insert_with(key, || {
                                inserted.push(value);
                                value
                            });
                            assert_eq!(v >> 40, key);
                        }
                    }
                }
                done.fetch_add(1, Ordering::Release);
                (inserted, removed, lookups)
            })
        })
        .collect();
    let mut inserted = Vec::new();
    let mut removed = Vec::new();
    let mut lookups = 0;
    for w in workers {
        let (i, r, l) = w.join().unwrap();
        inserted.extend(i);
        removed.extend(r);
        lookups += l;
    }
    assert!(watcher.join().unwrap() > 0);
    cache.check_invariants();
    let stats = cache.stats();
    check_stats_add_up(&stats, cache.len());
    assert_eq!(stats.insertions, inserted.len() as u64);
    assert_eq!(stats.hits + stats.misses, lookups);
    // Conservation: inserted = resident ∪ reported, with no value twice.
    let mut accounted: Vec<u64> = Vec::new();
    cache.retain(|_, v| {
        accounted.push(*v);
        true
    });
    let reported = reported.lock().unwrap();
    let mut by_cause = HashMap::new();
    for &(v, c) in reported.iter() {
        accounted.push(v);
        *by_cause.entry(c).or_insert(0u64) += 1;
    }
    assert_eq!(
        by_cause.get(&RemovalCause::Removed).copied().unwrap_or(0),
        removed.len() as u64
    );
    assert_eq!(
        by_cause.get(&RemovalCause::Removed).copied().unwrap_or(0),
        stats.removals
    );
    assert_eq!(
        by_cause.get(&RemovalCause::Size).copied().unwrap_or(0),
        stats.evictions
    );
    assert_eq!(
        by_cause.get(&RemovalCause::Replaced).copied().unwrap_or(0),
        stats.replacements
    );
    accounted.sort_unstable();
    inserted.sort_unstable();
    assert_eq!(
        accounted.len(),
        inserted.len(),
        "an entry was lost or reported twice"
    );
    assert!(accounted == inserted, "an entry was lost or reported twice");
}

#[test]
fn is_send_and_sync() {
    fn shareable<T: Send + Sync>() {}
    shareable::<ConcurrentCache<String, Vec<u8>>>();
}

/// A scan of one-time keys does not flush the resident set once the sketch has halved the
/// residents' counts towards zero: a newcomer's own insertion does not count towards beating a
/// victim. (Comparing counts as they are, a newcomer at 1 beats every decayed resident at 0,
/// and the scan churns the cache.)
#[test]
fn a_scan_of_one_time_keys_keeps_most_residents() {
    let cache = ConcurrentCache::builder(1_000).shards(1).build().unwrap();
    for k in 0..1_000u64 {
        cache.insert(k, k).unwrap();
    }
    // The sketch halves after 10 × capacity increments: 9,000 into the scan.
    for k in 1_000_000..1_012_000u64 {
        cache.insert(k, k).unwrap();
    }
    let kept = (0..1_000u64).filter(|k| cache.contains(k)).count();
    println!("{kept} of 1,000 residents kept");
    // "Most": more than half (an LRU keeps none). The exact share varies with the per-instance
    // hash key, which decides the sketch's collisions.
    assert!(
        kept > 500,
        "only {kept} of 1,000 residents survived the scan"
    );
}

/// The heaviest entry a default-built weighted cache takes depends on its capacity alone (not
/// on the machine's cores): exactly `max_entry_weight` is taken, more than any shard holds is
/// refused whole.
#[test]
fn the_largest_entry_weight_depends_on_the_capacity_only() {
    for capacity in [1_000u64, 100_000, 1 << 20, 1 << 26] {
        let cache = brick_lru::ConcurrentCache::builder(capacity)
            .weigher(|_: &u64, v: &u64| u32::try_from(*v).unwrap_or(u32::MAX))
            .build()
            .unwrap();
        // 64 shards, fewer when a shard would hold less than 1,024.
        let shards = (capacity / 1_024).clamp(1, 64);
        let shards = 1u64 << (63 - shards.leading_zeros());
        assert_eq!(cache.shards() as u64, shards);
        let max = cache.max_entry_weight();
        assert_eq!(max, capacity / shards);
        assert!(cache.insert(1, max).is_ok());
        assert_eq!(cache.get(&1), Some(max));
        // Shards of a capacity that does not divide evenly hold one unit more.
        let over = capacity.div_ceil(shards) + 1;
        assert!(
            cache.insert(2, over).is_err(),
            "heavier than any shard: refused"
        );
        assert_eq!(cache.get(&2), None);
    }
}

/// `and_compute_with` reports what it did, and does only that.
#[test]
fn compute_inserts_updates_removes_and_keeps() {
    use brick_lru::{Compute, Computed};
    let removed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&removed);
    let cache = brick_lru::ConcurrentCache::builder(100)
        .eviction_listener(move |k: &u32, v: &u32, cause| {
            seen.lock().unwrap().push((*k, *v, cause))
        })
        .build()
        .unwrap();
    let add = |by: u32| move |v: Option<&u32>| Compute::Put(v.copied().unwrap_or(0) + by);
    assert_eq!(cache.and_compute_with(1, add(5)), Ok(Computed::Inserted));
    assert_eq!(cache.get(&1), Some(5));
    assert_eq!(cache.and_compute_with(1, add(2)), Ok(Computed::Updated));
    assert_eq!(cache.get(&1), Some(7));
    assert_eq!(
        cache.and_compute_with(1, |_| Compute::Keep),
        Ok(Computed::Unchanged)
    );
    assert_eq!(
        cache.and_compute_with(2, |_| Compute::Remove),
        Ok(Computed::Unchanged)
    );
    assert_eq!(cache.get(&2), None);
    assert_eq!(
        cache.and_compute_with(1, |v| if v == Some(&7) {
            Compute::Remove
        } else {
            Compute::Keep
        }),
        Ok(Computed::Removed)
    );
    assert_eq!(cache.get(&1), None);
    let removed = removed.lock().unwrap();
    assert!(
        removed.contains(&(1, 7, brick_lru::RemovalCause::Removed)),
        "{removed:?}"
    );
}

/// A value heavier than a shard is refused whole and the current entry stays.
#[test]
fn compute_refuses_a_value_too_heavy_and_keeps_the_entry() {
    use brick_lru::Compute;
    let cache = brick_lru::ConcurrentCache::builder(1_000)
        .weigher(|_: &u32, v: &u64| u32::try_from(*v).unwrap_or(u32::MAX))
        .build()
        .unwrap();
    cache.insert(1, 10).unwrap();
    let too_heavy = cache.max_entry_weight() + 1;
    let refused = cache
        .and_compute_with(1, |_| Compute::Put(too_heavy))
        .unwrap_err();
    assert_eq!((refused.key, refused.value), (1, too_heavy));
    assert_eq!(cache.get(&1), Some(10));
}

/// Threads incrementing one key through `and_compute_with` lose no increment: the read and the
/// write are one critical section.
#[test]
fn concurrent_computes_of_one_key_lose_no_update() {
    use brick_lru::Compute;
    let cache = std::sync::Arc::new(brick_lru::ConcurrentCache::<u32, u64>::new(100).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let cache = std::sync::Arc::clone(&cache);
            std::thread::spawn(move || {
                for _ in 0..500 {
                    cache
                        .and_compute_with(7, |v| Compute::Put(v.copied().unwrap_or(0) + 1))
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(cache.get(&7), Some(2_000));
}

/// `iter` yields every live entry once, and no expired one.
#[test]
fn iter_yields_each_live_entry_once() {
    let clock = brick_lru::ManualClock::new();
    let cache = brick_lru::ConcurrentCache::builder(10_000)
        .clock(clock.clone())
        .build()
        .unwrap();
    for k in 0..3_000u32 {
        cache.insert(k, k * 2).unwrap();
    }
    for k in 3_000..3_100u32 {
        cache
            .insert_with_ttl(k, 0, std::time::Duration::from_secs(1))
            .unwrap();
    }
    clock.advance(std::time::Duration::from_secs(2));
    let mut seen: Vec<(u32, u32)> = cache.iter().collect();
    seen.sort_unstable();
    let expected: Vec<(u32, u32)> = (0..3_000).map(|k| (k, k * 2)).collect();
    assert_eq!(seen, expected);
}

/// With a TTL jitter, entries written together expire spread over [ttl − jitter, ttl], not at
/// one instant; explicit TTLs are not jittered; a jitter not shorter than the TTL is refused.
#[test]
fn ttl_jitter_spreads_the_expiries_of_entries_written_together() {
    let clock = ManualClock::new();
    let ttl = Duration::from_secs(100);
    let jitter = Duration::from_secs(20);
    let cache = ConcurrentCache::builder(10_000)
        .clock(clock.clone())
        .time_to_live(ttl)
        .ttl_jitter(jitter)
        .build()
        .unwrap();
    for k in 0..1_000u32 {
        cache.insert(k, k).unwrap();
    }
    cache.insert_with_ttl(5_000, 0, ttl).unwrap();
    let live = |cache: &ConcurrentCache<u32, u32, _, _, ManualClock>| {
        (0..1_000u32).filter(|k| cache.contains(k)).count()
    };
    clock.advance(ttl - jitter - Duration::from_millis(1));
    assert_eq!(live(&cache), 1_000, "none expires before ttl − jitter");
    clock.advance(Duration::from_secs(10));
    let halfway = live(&cache);
    // Uniform over the 20 s: about half left after 10 s (binomial, 1,000 draws).
    assert!(
        (350..=650).contains(&halfway),
        "{halfway} of 1,000 left halfway"
    );
    assert!(cache.contains(&5_000), "an explicit TTL is not jittered");
    clock.advance(Duration::from_secs(10) + Duration::from_millis(1));
    assert_eq!(live(&cache), 0, "all expired by ttl");
    assert!(!cache.contains(&5_000));

    for (ttl, jitter) in [
        (None, Duration::from_secs(1)),
        (Some(Duration::from_secs(1)), Duration::from_secs(1)),
    ] {
        let mut b = ConcurrentCache::<u32, u32>::builder(10).ttl_jitter(jitter);
        if let Some(ttl) = ttl {
            b = b.time_to_live(ttl);
        }
        assert!(matches!(b.build(), Err(Error::InvalidJitter { .. })));
    }
}

/// The entry API: `or_insert_with` and its forms say whether this call put the value there,
/// run their loader only on a miss, and an error caches nothing; `and_compute_with` through
/// an entry is the cache's.
#[test]
fn entries_say_whether_they_inserted() {
    let cache = ConcurrentCache::<u32, u32>::new(100).unwrap();
    let first = cache.entry(1).or_insert_with(|| 10);
    assert_eq!((first.value(), first.is_fresh()), (&10, true));
    let again = cache
        .entry(1)
        .or_insert_with(|| unreachable!("a hit runs no loader"));
    assert_eq!(
        (again.into_value(), cache.entry(1).or_insert(99).is_fresh()),
        (10, false)
    );
    assert_eq!(
        cache.entry(2).or_try_insert_with(|| Err::<u32, _>("down")),
        Err("down")
    );
    assert!(!cache.contains(&2), "an error caches nothing");
    assert!(
        cache
            .entry(2)
            .or_try_insert_with(|| Ok::<_, ()>(20))
            .unwrap()
            .is_fresh()
    );
    let zero = cache.entry(3).or_default();
    assert_eq!((zero.into_value(), cache.get(&3)), (0, Some(0)));
    assert_eq!(cache.entry(3).key(), &3);
    let bump = |v: Option<&u32>| Compute::Put(v.map_or(1, |v| v + 1));
    assert_eq!(cache.entry(3).and_compute_with(bump), Ok(Computed::Updated));
    assert_eq!(
        cache.entry(4).and_compute_with(bump),
        Ok(Computed::Inserted)
    );
    assert_eq!((cache.get(&3), cache.get(&4)), (Some(1), Some(1)));
    assert_eq!(
        cache.entry(4).and_compute_with(|_| Compute::Remove),
        Ok(Computed::Removed)
    );
    assert!(!cache.contains(&4));
}

/// Keys past what one shard reserves up front (4,096 entries), so the shard's table and its
/// per-entry arrays grow while the cache fills; every fifth key of the first half is removed
/// meanwhile, which moves entries within the shard. Each entry's times and weight must stay
/// its own through both.
const GROWN: u32 = 8000;

/// Whether `k` is one of the keys removed while the second half is written.
fn removed_during_growth(k: u32) -> bool {
    k < GROWN / 2 && k % 5 == 0
}

/// Writes the first half of the keys with `write`, then lets `between` run (advance a clock,
/// read some keys), then writes the second half, removing the first half's every fifth key
/// as it goes.
fn grow_with_removals(
    cache: &ConcurrentCache<
        u32,
        u32,
        brick_lru::DefaultBuildHasher,
        impl brick_lru::Weigher<u32, u32>,
        ManualClock,
    >,
    write: impl Fn(u32),
    between: impl FnOnce(),
) {
    (0..GROWN / 2).for_each(&write);
    between();
    for k in GROWN / 2..GROWN {
        write(k);
        let old = k - GROWN / 2;
        if removed_during_growth(old) {
            assert!(cache.remove(&old).is_some(), "key {old} was resident");
        }
    }
    cache.check_invariants();
}

#[test]
fn entries_keep_their_weights_and_expiry_times_while_a_shard_grows() {
    let clock = ManualClock::new();
    let cache = ConcurrentCache::builder(30_000)
        .shards(1)
        .clock(clock.clone())
        .weigher(|_: &u32, v: &u32| 1 + v % 3)
        .build()
        .unwrap();
    let ttl = |k: u32| Duration::from_secs(2 + u64::from(k % 7));
    let write = |k: u32| {
        if k % 2 == 0 {
            cache.insert_with_ttl(k, k, ttl(k)).unwrap();
        } else {
            cache.insert(k, k).unwrap();
        }
    };
    // The first half at 0 s, the second at 1 s (no time to live is under 2 s).
    grow_with_removals(&cache, write, || clock.advance(Duration::from_secs(1)));
    let kept = || (0..GROWN).filter(|&k| !removed_during_growth(k));
    assert_eq!(cache.len(), kept().count());
    let total: u64 = kept().map(|k| u64::from(1 + k % 3)).sum();
    assert_eq!(cache.weight(), total);

    clock.advance(Duration::from_secs(4));
    for k in 0..GROWN {
        let written = u64::from(k >= GROWN / 2);
        let live = !removed_during_growth(k) && (k % 2 == 1 || written + ttl(k).as_secs() > 5);
        assert_eq!(cache.get(&k).is_some(), live, "key {k} at 5 s");
    }
    // Removing entries takes off exactly their weights: each weight stayed with its entry.
    for k in kept().filter(|k| k % 3 == 0) {
        cache.remove(&k);
    }
    let left: u64 = kept()
        .filter(|k| k % 3 != 0)
        .map(|k| u64::from(1 + k % 3))
        .sum();
    assert_eq!(cache.weight(), left);
    cache.check_invariants();
}

#[test]
fn entries_keep_their_last_use_for_the_idle_timeout_while_a_shard_grows() {
    let clock = ManualClock::new();
    let cache = ConcurrentCache::builder(30_000)
        .shards(1)
        .clock(clock.clone())
        .time_to_idle(Duration::from_secs(5))
        .build()
        .unwrap();
    // The first half written at 0 s and every fourth of it read at 3 s; the second half
    // written at 3 s.
    let between = || {
        clock.advance(Duration::from_secs(3));
        for k in (0..GROWN / 2).filter(|k| k % 4 == 1) {
            assert_eq!(cache.get(&k), Some(k));
        }
    };
    grow_with_removals(&cache, |k| cache.insert(k, k).unwrap(), between);
    clock.advance(Duration::from_secs(3));
    for k in 0..GROWN {
        // Used or written at 3 s: idle for 3 s of 5. The rest: idle since 0 s.
        let live = !removed_during_growth(k) && (k >= GROWN / 2 || k % 4 == 1);
        assert_eq!(cache.contains(&k), live, "key {k} at 6 s");
    }
}
