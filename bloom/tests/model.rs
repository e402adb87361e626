//! Model-based tests: random operation sequences against exact sets.
//!
//! A Bloom filter may answer "present" wrongly, so the model checks what it promises: every
//! item the model holds is present, `insert` reports a repeat as present, and a counting filter
//! accepts the removal of every item it holds and refuses items it certainly lacks. The filters
//! are large for the few keys used, so false positives are rare but still allowed.
#![cfg(not(loom))]

use brick_bloom::{CountingBloomFilter, Error, ScalableBloomFilter};
use proptest::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone)]
enum Op {
    Insert(u16),
    Remove(u16),
    Contains(u16),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u16..200).prop_map(Op::Insert),
        4 => (0u16..200).prop_map(Op::Remove),
        4 => (0u16..200).prop_map(Op::Contains),
        1 => Just(Op::Clear),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn counting_filter_matches_a_multiset(ops in prop::collection::vec(op(), 0..300)) {
        let mut filter = CountingBloomFilter::with_params(8_192, 5).unwrap();
        let mut model: HashMap<u16, u32> = HashMap::new();
        for op in ops {
            match op {
                Op::Insert(k) => {
                    let was = model.get(&k).copied().unwrap_or(0) > 0;
                    let reported = filter.insert(&k);
                    // A repeat is always reported; a new item may be a false positive.
                    prop_assert!(!was || reported);
                    *model.entry(k).or_default() += 1;
                }
                Op::Remove(k) => {
                    let held = model.get(&k).copied().unwrap_or(0);
                    if held > 0 {
                        prop_assert!(filter.remove(&k).is_ok());
                        model.insert(k, held - 1);
                    } else if !filter.contains(&k) {
                        prop_assert_eq!(filter.remove(&k), Err(Error::NotPresent));
                    }
                    // Held nowhere but reported present: a false positive, which `remove`
                    // cannot tell apart; removing it would corrupt others (documented).
                }
                Op::Contains(k) => {
                    if model.get(&k).copied().unwrap_or(0) > 0 {
                        prop_assert!(filter.contains(&k));
                    }
                }
                Op::Clear => {
                    filter.clear();
                    model.clear();
                }
            }
            for (k, &n) in &model {
                if n > 0 {
                    prop_assert!(filter.contains(k), "lost {}", k);
                    prop_assert!(u32::from(filter.count(k)) >= n.min(15));
                }
            }
        }
        // Remove everything the model holds: the counters return to zero.
        for (k, n) in model {
            for _ in 0..n {
                prop_assert!(filter.remove(&k).is_ok());
            }
        }
        prop_assert_eq!(filter.estimated_len(), 0.0);
    }

    #[test]
    fn scalable_filter_matches_a_set(ops in prop::collection::vec(op(), 0..400)) {
        let mut filter = ScalableBloomFilter::new(4, 0.001).unwrap();
        let mut model = std::collections::HashSet::new();
        for op in ops {
            match op {
                Op::Insert(k) => {
                    let reported = filter.insert(&k).unwrap();
                    prop_assert!(!model.contains(&k) || reported);
                    model.insert(k);
                }
                Op::Contains(k) | Op::Remove(k) => {
                    if model.contains(&k) {
                        prop_assert!(filter.contains(&k));
                    }
                }
                Op::Clear => {
                    filter.clear();
                    model.clear();
                    prop_assert_eq!(filter.filter_count(), 1);
                }
            }
            // Added items never exceed the distinct inserts; the bound stays below p.
            prop_assert!(filter.len() <= model.len() as u64);
            prop_assert!(filter.false_positive_bound() < 0.001);
            prop_assert!(filter.capacity() >= filter.len());
        }
    }
}
