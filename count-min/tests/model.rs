//! Model-based tests: random sequences of every operation against exact counts in a `HashMap`.
#![cfg(not(loom))]

use std::collections::HashMap;

use brick_count_min::{
    Conservative, CountMinSketch, DefaultBuildHasher, Plain, SpaceSaving, UpdateRule,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Add(u8, u64),
    Halve,
    Clear,
    /// Merge a sketch holding these adds.
    Merge(Vec<(u8, u64)>),
    RoundTrip,
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        20 => (0u8..60, 1u64..90).prop_map(|(k, n)| Op::Add(k, n)),
        2 => Just(Op::Halve),
        1 => Just(Op::Clear),
        2 => prop::collection::vec((0u8..60, 1u64..90), 0..20).prop_map(Op::Merge),
        2 => Just(Op::RoundTrip),
    ];
    prop::collection::vec(op, 0..120)
}

/// Runs `ops` on a sketch with `u8` counters (so saturation happens) and checks after each step
/// that every key's estimate bounds its exact (halved) count from above, up to the counter's
/// maximum, and that the total follows the model.
fn run<U: UpdateRule>(ops: Vec<Op>, width: u64, depth: u64) -> Result<(), TestCaseError> {
    let mut sketch =
        CountMinSketch::<u8, DefaultBuildHasher, U>::with_hasher(width, depth, Default::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut model: HashMap<u8, u64> = HashMap::new();
    let mut total = 0u64;
    for op in ops {
        match op {
            Op::Add(k, n) => {
                let est = sketch.add(&k, n);
                *model.entry(k).or_default() += n;
                total += n;
                prop_assert_eq!(est, sketch.estimate(&k));
            }
            Op::Halve => {
                sketch.halve();
                model.values_mut().for_each(|v| *v /= 2);
                total /= 2;
            }
            Op::Clear => {
                sketch.clear();
                model.clear();
                total = 0;
            }
            Op::Merge(adds) => {
                let mut other = CountMinSketch::<u8, DefaultBuildHasher, U>::with_hasher(
                    width,
                    depth,
                    Default::default(),
                )
                .unwrap();
                for (k, n) in adds {
                    other.add(&k, n);
                    *model.entry(k).or_default() += n;
                    total += n;
                }
                sketch.merge(&other).unwrap();
            }
            Op::RoundTrip => {
                sketch = CountMinSketch::from_bytes(&sketch.to_bytes()).unwrap();
            }
        }
        prop_assert_eq!(sketch.total(), total);
        for (k, &t) in &model {
            prop_assert!(
                sketch.estimate(k) >= t.min(255),
                "key {} estimate {} truth {}",
                k,
                sketch.estimate(k),
                t
            );
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn plain_sketch_follows_the_model(ops in ops(), width in 1u64..40, depth in 1u64..12) {
        run::<Plain>(ops, width, depth)?;
    }

    #[test]
    fn conservative_sketch_follows_the_model(ops in ops(), width in 1u64..40, depth in 1u64..12) {
        run::<Conservative>(ops, width, depth)?;
    }

    /// Space-Saving against exact counts, checking its deterministic bounds after every step.
    #[test]
    fn space_saving_follows_the_model(
        ops in prop::collection::vec(prop_oneof![
            30 => (0u8..50, 1u64..20).prop_map(|(k, n)| Some((k, n))),
            1 => Just(None),
        ], 0..300),
        k in 1u64..16,
    ) {
        let mut ss = SpaceSaving::new(k).unwrap();
        let mut model: HashMap<u8, u64> = HashMap::new();
        for op in ops {
            match op {
                Some((key, n)) => {
                    let count = ss.add(&key, n);
                    *model.entry(key).or_default() += n;
                    prop_assert_eq!(count, ss.estimate(&key));
                }
                None => {
                    ss.clear();
                    model.clear();
                }
            }
            let n: u64 = model.values().sum();
            prop_assert_eq!(ss.total(), n);
            prop_assert!(ss.error_bound() * k <= n);
            let top = ss.top();
            for h in &top {
                prop_assert!(h.lower_bound() <= model[&h.key] && model[&h.key] <= h.count);
            }
            for (key, &t) in &model {
                prop_assert!(ss.estimate(key) >= t);
                if t * k > n {
                    prop_assert!(top.iter().any(|h| h.key == *key));
                }
            }
        }
    }
}
