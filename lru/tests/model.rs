//! Model-based tests: random operation sequences against naive references —
//! a recency-ordered `Vec` for LRU, a counted list for LFU — with weights and TTLs under a
//! `ManualClock`. After every step: same answers, same evicted entries in the same order, same
//! live contents in the same order, same weight.
#![cfg(not(loom))]

use brick_lru::{
    Compute, Computed, DefaultBuildHasher, LfuCache, LruCache, ManualClock, RemovalCause,
};
use proptest::prelude::*;
use std::time::Duration;

#[derive(Debug, Clone)]
enum Op {
    Get(u8),
    Peek(u8),
    Insert(u8, u8, Option<u8>),
    Remove(u8),
    Pop,
    Advance(u8),
    Resize(u8),
    Retain(u8),
    Purge,
    Decay,
    Clear,
    /// `entry(k).and_compute_with`: keep, remove, put the value, or increment (0 if absent).
    Compute(u8, u8),
    /// `entry(k).or_insert(v)`.
    OrInsert(u8, u8),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0u8..12;
    prop_oneof![
        8 => key.clone().prop_map(Op::Get),
        2 => key.clone().prop_map(Op::Peek),
        8 => (key.clone(), any::<u8>(), prop::option::weighted(0.3, 1u8..20)).prop_map(|(k, v, t)| Op::Insert(k, v, t)),
        2 => key.clone().prop_map(Op::Remove),
        1 => Just(Op::Pop),
        2 => (1u8..10).prop_map(Op::Advance),
        1 => (1u8..30).prop_map(Op::Resize),
        1 => (2u8..5).prop_map(Op::Retain),
        1 => Just(Op::Purge),
        1 => Just(Op::Decay),
        1 => Just(Op::Clear),
        3 => (key.clone(), any::<u8>()).prop_map(|(k, a)| Op::Compute(k, a)),
        2 => (key.clone(), any::<u8>()).prop_map(|(k, v)| Op::OrInsert(k, v)),
    ]
}

/// Weight of an entry in the weighted runs: 1..=4 from the value.
fn weigh(_: &u8, v: &u8) -> u32 {
    u32::from(v % 4) + 1
}

#[derive(Debug, Clone)]
struct Item {
    key: u8,
    value: u8,
    weight: u64,
    expires: u64,
    count: u64,
    stamp: u64,
}

/// The naive reference: LRU keeps `items` most recent first; LFU picks victims by the smallest
/// (count, stamp).
struct Model {
    lfu: bool,
    items: Vec<Item>,
    capacity: u64,
    now: u64,
    tick: u64,
}

impl Model {
    fn live(&self, i: &Item) -> bool {
        i.expires > self.now
    }
    fn pos(&self, k: u8) -> Option<usize> {
        self.items.iter().position(|i| i.key == k)
    }
    fn weight(&self) -> u64 {
        self.items.iter().map(|i| i.weight).sum()
    }
    fn stamp(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }
    /// Records a use of item `p`.
    fn touch(&mut self, p: usize) {
        let s = self.stamp();
        if self.lfu {
            self.items[p].count += 1;
            self.items[p].stamp = s;
        } else {
            let it = self.items.remove(p);
            self.items.insert(0, it);
        }
    }
    fn victim(&self, keep: Option<u8>) -> Option<usize> {
        let mut candidates = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, i)| Some(i.key) != keep);
        if self.lfu {
            candidates
                .min_by_key(|(_, i)| (i.count, i.stamp))
                .map(|(p, _)| p)
        } else {
            candidates.next_back().map(|(p, _)| p)
        }
    }
    fn evict(&mut self, incoming: u64, keep: Option<u8>, out: &mut Vec<(u8, u8, RemovalCause)>) {
        while self.weight() + incoming > self.capacity {
            let Some(p) = self.victim(keep) else { break };
            let it = self.items.remove(p);
            out.push((it.key, it.value, RemovalCause::Size));
        }
    }
    fn get(&mut self, k: u8) -> Option<u8> {
        let p = self.pos(k)?;
        if !self.live(&self.items[p]) {
            self.items.remove(p);
            return None;
        }
        self.touch(p);
        let p = self.pos(k).unwrap();
        Some(self.items[p].value)
    }
    fn insert(&mut self, k: u8, v: u8, w: u64, ttl: Option<u64>) -> Vec<(u8, u8, RemovalCause)> {
        let mut out = Vec::new();
        if w > self.capacity {
            return vec![(k, v, RemovalCause::Rejected)];
        }
        let expires = ttl.map_or(u64::MAX, |t| self.now + t);
        if let Some(p) = self.pos(k) {
            let old = self.items[p].value;
            self.items[p].value = v;
            self.items[p].weight = w;
            self.items[p].expires = expires;
            self.touch(p);
            out.push((k, old, RemovalCause::Replaced));
            self.evict(0, Some(k), &mut out);
            return out;
        }
        self.evict(w, None, &mut out);
        let stamp = self.stamp();
        self.items.insert(
            0,
            Item {
                key: k,
                value: v,
                weight: w,
                expires,
                count: 1,
                stamp,
            },
        );
        out
    }
    fn order(&self) -> Vec<(u8, u8)> {
        let mut live: Vec<&Item> = self.items.iter().filter(|i| self.live(i)).collect();
        if self.lfu {
            live.sort_by_key(|i| (i.count, i.stamp));
        }
        live.iter().map(|i| (i.key, i.value)).collect()
    }
    fn decay(&mut self) {
        // Halve; equal new counts keep (old count, old stamp) order.
        self.items.sort_by_key(|i| (i.count, i.stamp));
        for it in &mut self.items {
            it.count = (it.count / 2).max(1);
        }
        for p in 0..self.items.len() {
            let s = self.stamp();
            self.items[p].stamp = s;
        }
    }
}

macro_rules! run_model {
    ($cache:expr, $lfu:expr, $weighted:expr, $ops:expr, $clock:expr, $cap:expr) => {{
        let mut cache = $cache;
        let clock: ManualClock = $clock;
        let mut model = Model {
            lfu: $lfu,
            items: Vec::new(),
            capacity: $cap,
            now: 0,
            tick: 0,
        };
        for op in $ops {
            let w = |v: u8| {
                if $weighted {
                    u64::from(weigh(&0, &v))
                } else {
                    1
                }
            };
            match op {
                Op::Get(k) => prop_assert_eq!(cache.get(&k).copied(), model.get(k)),
                Op::Peek(k) => {
                    let expected = model
                        .pos(k)
                        .filter(|&p| model.live(&model.items[p]))
                        .map(|p| model.items[p].value);
                    prop_assert_eq!(cache.peek(&k).copied(), expected);
                    prop_assert_eq!(cache.contains(&k), expected.is_some());
                }
                Op::Insert(k, v, None) => {
                    let mut got = Vec::new();
                    cache.insert_with(k, v, |k, v, why| got.push((k, v, why)));
                    prop_assert_eq!(got, model.insert(k, v, w(v), None));
                }
                Op::Insert(k, v, Some(t)) => {
                    let got = cache.insert_with_ttl(k, v, Duration::from_nanos(u64::from(t)));
                    let expected = model.insert(k, v, w(v), Some(u64::from(t)));
                    prop_assert_eq!(got, expected.last().map(|&(k, v, _)| (k, v)));
                }
                Op::Remove(k) => {
                    let expected = model.pos(k).and_then(|p| {
                        let it = model.items.remove(p);
                        model.live(&it).then_some(it.value)
                    });
                    prop_assert_eq!(cache.remove(&k), expected);
                }
                Op::Pop => {
                    let expected = model
                        .victim(None)
                        .map(|p| model.items.remove(p))
                        .map(|i| (i.key, i.value));
                    prop_assert_eq!(pop(&mut cache), expected);
                }
                Op::Advance(d) => {
                    clock.advance_nanos(u64::from(d));
                    model.now += u64::from(d);
                }
                Op::Resize(c) => {
                    let c = u64::from(c);
                    model.capacity = c;
                    let mut expected = Vec::new();
                    model.evict(0, None, &mut expected);
                    let expected: Vec<(u8, u8)> =
                        expected.into_iter().map(|(k, v, _)| (k, v)).collect();
                    prop_assert_eq!(cache.resize(c).unwrap(), expected);
                }
                Op::Retain(m) => {
                    cache.retain(|k, _| k % m != 0);
                    let now = model.now;
                    model.items.retain(|i| i.key % m != 0 && i.expires > now);
                }
                Op::Purge => {
                    let before = model.items.len();
                    let now = model.now;
                    model.items.retain(|i| i.expires > now);
                    prop_assert_eq!(cache.purge_expired(), before - model.items.len());
                }
                Op::Decay => {
                    if model.lfu {
                        decay(&mut cache);
                        model.decay();
                    }
                }
                Op::Clear => {
                    cache.clear();
                    model.items.clear();
                }
                Op::Compute(k, a) => {
                    let decide = |old: Option<u8>| match a % 4 {
                        0 => Compute::Keep,
                        1 => Compute::Remove,
                        2 => Compute::Put(a),
                        _ => Compute::Put(old.map_or(0, |v| v.wrapping_add(1))),
                    };
                    let got = cache.entry(k).and_compute_with(|old| decide(old.copied()));
                    let old = model.get(k);
                    let expected = match (decide(old), old) {
                        (Compute::Keep, _) | (Compute::Remove, None) => Ok(Computed::Unchanged),
                        (Compute::Remove, Some(_)) => {
                            let p = model.pos(k).unwrap();
                            model.items.remove(p);
                            Ok(Computed::Removed)
                        }
                        (Compute::Put(v), old) => match model.insert(k, v, w(v), None).first() {
                            Some(&(k, v, RemovalCause::Rejected)) => Err((k, v)),
                            _ if old.is_some() => Ok(Computed::Updated),
                            _ => Ok(Computed::Inserted),
                        },
                    };
                    prop_assert_eq!(got, expected);
                }
                Op::OrInsert(k, v) => {
                    let got = cache.entry(k).or_insert(v).map(|v| *v);
                    let expected = match model.get(k) {
                        Some(old) => Ok(old),
                        None => match model.insert(k, v, w(v), None).first() {
                            Some(&(k, v, RemovalCause::Rejected)) => Err((k, v)),
                            _ => Ok(v),
                        },
                    };
                    prop_assert_eq!(got, expected);
                }
            }
            cache.check_invariants();
            prop_assert_eq!(contents(&cache), model.order());
            prop_assert_eq!(cache.len(), model.items.len());
            prop_assert_eq!(cache.weight(), model.weight());
            // The counters add up to what is resident.
            let s = cache.stats();
            prop_assert_eq!(
                s.insertions - s.replacements - s.evictions - s.expirations - s.removals,
                cache.len() as u64,
                "{:?}",
                s
            );
        }
    }};
}

type WeighFn = fn(&u8, &u8) -> u32;

trait Probe {
    fn contents(&self) -> Vec<(u8, u8)>;
    fn pop(&mut self) -> Option<(u8, u8)>;
    fn decay(&mut self) {}
}

impl<W: brick_lru::Weigher<u8, u8>> Probe for LruCache<u8, u8, DefaultBuildHasher, W, ManualClock> {
    fn contents(&self) -> Vec<(u8, u8)> {
        self.iter().map(|(k, v)| (*k, *v)).collect()
    }
    fn pop(&mut self) -> Option<(u8, u8)> {
        self.pop_lru()
    }
}

impl<W: brick_lru::Weigher<u8, u8>> Probe for LfuCache<u8, u8, DefaultBuildHasher, W, ManualClock> {
    fn contents(&self) -> Vec<(u8, u8)> {
        self.iter().map(|(k, v, _)| (*k, *v)).collect()
    }
    fn pop(&mut self) -> Option<(u8, u8)> {
        self.pop_lfu()
    }
    fn decay(&mut self) {
        LfuCache::decay(self)
    }
}

fn contents(c: &impl Probe) -> Vec<(u8, u8)> {
    c.contents()
}
fn pop(c: &mut impl Probe) -> Option<(u8, u8)> {
    c.pop()
}
fn decay(c: &mut impl Probe) {
    c.decay()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn lru_by_count_matches_a_recency_list(ops in prop::collection::vec(op(), 0..120), cap in 1u64..8) {
        let clock = ManualClock::new();
        let cache = LruCache::builder(cap).clock(clock.clone()).build().unwrap();
        run_model!(cache, false, false, ops, clock, cap);
    }

    #[test]
    fn lru_by_weight_matches_a_recency_list(ops in prop::collection::vec(op(), 0..120), cap in 1u64..16) {
        let clock = ManualClock::new();
        let cache = LruCache::builder(cap).weigher(weigh as WeighFn).clock(clock.clone()).build().unwrap();
        run_model!(cache, false, true, ops, clock, cap);
    }

    #[test]
    fn lfu_by_count_matches_a_counted_list(ops in prop::collection::vec(op(), 0..120), cap in 1u64..8) {
        let clock = ManualClock::new();
        let cache = LfuCache::builder(cap).clock(clock.clone()).build().unwrap();
        run_model!(cache, true, false, ops, clock, cap);
    }

    #[test]
    fn lfu_by_weight_matches_a_counted_list(ops in prop::collection::vec(op(), 0..120), cap in 1u64..16) {
        let clock = ManualClock::new();
        let cache = LfuCache::builder(cap).weigher(weigh as WeighFn).clock(clock.clone()).build().unwrap();
        run_model!(cache, true, true, ops, clock, cap);
    }
}
