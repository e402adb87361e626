//! Model-based test of `GeoIndex`: random operation sequences against a `HashMap` of key → point
//! scanned by brute force, compared after every step.

use brick_geohash::{GeoIndex, Point, haversine};
use proptest::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone)]
enum Op {
    Insert(u8, Point),
    Remove(u8),
    Get(u8),
    Within(Point, f64),
    Nearest(Point, usize),
}

/// Points in a small area (so queries find things) and a few near a pole and the antimeridian.
fn point() -> impl Strategy<Value = Point> {
    prop_oneof![
        3 => (51.4..51.6f64, -0.2..0.0f64),
        1 => (89.9..=90.0f64, -180.0..=180.0f64),
        1 => (-10.0..10.0f64, prop_oneof![179.99..=180.0f64, -180.0..-179.99f64]),
    ]
    .prop_map(|(a, o)| Point::new(a, o).unwrap())
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0u8..24;
    prop_oneof![
        4 => (key.clone(), point()).prop_map(|(k, p)| Op::Insert(k, p)),
        2 => key.clone().prop_map(Op::Remove),
        1 => key.prop_map(Op::Get),
        2 => (point(), 0.0..40_000.0f64).prop_map(|(c, r)| Op::Within(c, r)),
        1 => (point(), 0usize..8).prop_map(|(c, k)| Op::Nearest(c, k)),
    ]
}

fn ranked(model: &HashMap<u8, Point>, c: Point) -> Vec<(u8, f64)> {
    let mut v: Vec<(u8, f64)> = model.iter().map(|(k, p)| (*k, haversine(c, *p))).collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    v
}

fn sorted(mut v: Vec<(u8, f64)>) -> Vec<(u8, f64)> {
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn geo_index_behaves_like_a_map_scanned_by_brute_force(ops in prop::collection::vec(op(), 1..80)) {
        let mut index = GeoIndex::new();
        let mut model: HashMap<u8, Point> = HashMap::new();
        for op in ops {
            match op {
                Op::Insert(k, p) => prop_assert_eq!(index.insert(k, p), model.insert(k, p)),
                Op::Remove(k) => prop_assert_eq!(index.remove(&k), model.remove(&k)),
                Op::Get(k) => prop_assert_eq!(index.get(&k), model.get(&k).copied()),
                Op::Within(c, r) => {
                    let got: Vec<(u8, f64)> = index.within(c, r).unwrap().into_iter().map(|(k, _, d)| (*k, d)).collect();
                    let want: Vec<(u8, f64)> = ranked(&model, c).into_iter().filter(|(_, d)| *d <= r).collect();
                    prop_assert_eq!(sorted(got), want);
                }
                Op::Nearest(c, n) => {
                    let got: Vec<f64> = index.nearest(c, n).into_iter().map(|(_, _, d)| d).collect();
                    let want: Vec<f64> = ranked(&model, c).into_iter().take(n).map(|(_, d)| d).collect();
                    prop_assert_eq!(got, want);
                }
            }
            prop_assert_eq!(index.len(), model.len());
            let mut listed: Vec<u8> = index.iter().map(|(k, _)| *k).collect();
            listed.sort_unstable();
            let mut keys: Vec<u8> = model.keys().copied().collect();
            keys.sort_unstable();
            prop_assert_eq!(listed, keys);
        }
    }
}
