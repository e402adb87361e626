//! One property per promise of the crate docs.

use brick_geohash::{
    Direction, EARTH_RADIUS_M, Error, GeoHash, GeoIndex, MAX_PRECISION, Point, cover, encode,
    haversine, precision_for_radius, redis,
};
use proptest::prelude::*;

/// Latitudes and longitudes with extra weight on the places that break geohash code: the poles,
/// the antimeridian, the equator and the prime meridian.
fn lat() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -90.0..=90.0f64,
        1 => 89.0..=90.0f64,
        1 => -90.0..=-89.0f64,
        1 => -1e-6..=1e-6f64,
        1 => Just(90.0),
        1 => Just(-90.0),
        1 => Just(0.0),
    ]
}

fn lon() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -180.0..=180.0f64,
        1 => 179.0..=180.0f64,
        1 => -180.0..=-179.0f64,
        1 => -1e-6..=1e-6f64,
        1 => Just(180.0),
        1 => Just(-180.0),
    ]
}

fn point() -> impl Strategy<Value = Point> {
    (lat(), lon()).prop_map(|(a, o)| Point::new(a, o).unwrap())
}

fn precision() -> impl Strategy<Value = u8> {
    1..=MAX_PRECISION
}

/// The point `d` metres from `c` along initial bearing `theta` (great-circle destination formula).
fn destination(c: Point, theta: f64, d: f64) -> Point {
    let (phi1, l1) = (c.lat().to_radians(), c.lon().to_radians());
    let a = d / EARTH_RADIUS_M;
    let phi2 = (phi1.sin() * a.cos() + phi1.cos() * a.sin() * theta.cos())
        .clamp(-1.0, 1.0)
        .asin();
    let l2 = l1 + (theta.sin() * a.sin() * phi1.cos()).atan2(a.cos() - phi1.sin() * phi2.sin());
    let lon = (l2.to_degrees() + 180.0).rem_euclid(360.0) - 180.0;
    Point::new(phi2.to_degrees().clamp(-90.0, 90.0), lon).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decoded_bbox_contains_the_encoded_point(p in point(), n in precision()) {
        let h = GeoHash::from_point(p, n).unwrap();
        let b = h.bbox();
        // Every valid point, the outer edges and corners included, is in its cell's box.
        prop_assert!(b.contains(p), "{h}: {b:?} vs {p:?}");
        let (dlat, dlon) = h.error();
        prop_assert!((b.north - b.south - 2.0 * dlat).abs() < 1e-12 && (b.east - b.west - 2.0 * dlon).abs() < 1e-12);
    }

    /// `decode` (one table entry per character) is `parse` then `center`, bit for bit, and
    /// refuses what `parse` refuses with the same error: on geohash text, on near-misses (a
    /// letter outside the alphabet, upper case, non-ASCII, too long) and on any text.
    #[test]
    fn decode_is_parse_then_center(
        p in point(),
        n in precision(),
        damage in prop::option::of((any::<prop::sample::Index>(), prop_oneof![Just('a'), Just('i'), Just('B'), Just('é'), Just('\u{7f}'), Just('0')])),
        longer in any::<bool>(),
        any_text in ".{0,14}",
    ) {
        let mut text = GeoHash::from_point(p, n).unwrap().to_string();
        if let Some((at, ch)) = damage {
            let i = at.index(text.len());
            text.replace_range(i..i + 1, &ch.to_string());
        }
        if longer {
            text.push_str("0123456789bcd");
        }
        for t in [text.as_str(), any_text.as_str()] {
            let via_parse = t.parse::<GeoHash>().map(|g| g.center());
            match (brick_geohash::decode(t), via_parse) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(a.lat().to_bits(), b.lat().to_bits(), "{}", t);
                    prop_assert_eq!(a.lon().to_bits(), b.lon().to_bits(), "{}", t);
                }
                (a, b) => prop_assert_eq!(a, b, "{}", t),
            }
        }
    }

    #[test]
    fn encoding_the_center_gives_the_same_cell(p in point(), n in precision()) {
        let h = GeoHash::from_point(p, n).unwrap();
        let c = h.center();
        prop_assert_eq!(encode(c.lat(), c.lon(), n).unwrap(), h);
    }

    #[test]
    fn a_cells_prefix_is_its_parent(p in point(), n in 2..=MAX_PRECISION) {
        let h = GeoHash::from_point(p, n).unwrap();
        let parent = GeoHash::from_point(p, n - 1).unwrap();
        prop_assert_eq!(h.parent(), Some(parent));
        prop_assert!(h.to_string().starts_with(&parent.to_string()));
        prop_assert!(parent.contains(h));
        let children = parent.children().unwrap();
        prop_assert!(children.contains(&h));
        prop_assert!(children.windows(2).all(|w| w[0] < w[1]), "children in string order");
    }

    #[test]
    fn text_and_integer_forms_round_trip(p in point(), n in precision()) {
        let h = GeoHash::from_point(p, n).unwrap();
        let s = h.to_string();
        prop_assert_eq!(s.len(), usize::from(n));
        prop_assert_eq!(s.parse::<GeoHash>().unwrap(), h);
        prop_assert_eq!(GeoHash::from_u64(h.as_u64(), n).unwrap(), h);
    }

    #[test]
    fn order_is_string_order(a in point(), b in point(), n in precision(), m in precision()) {
        let (x, y) = (GeoHash::from_point(a, n).unwrap(), GeoHash::from_point(b, m).unwrap());
        prop_assert_eq!(x.cmp(&y), x.to_string().cmp(&y.to_string()));
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(s in "\\PC{0,16}") {
        match s.parse::<GeoHash>() {
            Ok(h) => prop_assert_eq!(h.to_string(), s),
            Err(Error::Empty | Error::TooLong(_) | Error::InvalidChar { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn neighbours_touch_and_are_symmetric(p in point(), n in precision()) {
        let h = GeoHash::from_point(p, n).unwrap();
        let hb = h.bbox();
        let (dlat, dlon) = h.error();
        for dir in Direction::ALL {
            let Some(nb) = h.neighbor(dir) else {
                // Only past a pole.
                prop_assert!(hb.north == 90.0 || hb.south == -90.0, "{h} has no {dir:?} neighbour");
                continue;
            };
            prop_assert_eq!(nb.len(), h.len());
            prop_assert_eq!(nb.neighbor(dir.opposite()), Some(h), "{:?} of {} is {}", dir, h, nb);
            // Share an edge or a corner: centres one cell apart per axis, longitude wrapping at ±180.
            let (c, d) = (h.center(), nb.center());
            let dy = ((d.lat() - c.lat()) / (2.0 * dlat)).round();
            let wrapped = (d.lon() - c.lon() + 540.0).rem_euclid(360.0) - 180.0;
            let dx = (wrapped / (2.0 * dlon)).round();
            let cols = (360.0 / (2.0 * dlon)).round();
            prop_assert!(dy.abs() <= 1.0 && (dx.abs() <= 1.0 || cols <= 2.0), "{h} {dir:?} {nb}: {dy} {dx}");
            prop_assert!(dy != 0.0 || dx != 0.0 || cols <= 2.0);
        }
    }

    #[test]
    fn every_point_in_the_circle_is_in_a_cover_cell(
        c in point(),
        log_r in 0.0..6.7f64,
        theta in 0.0..std::f64::consts::TAU,
        frac in 0.0..=1.0f64,
    ) {
        let r = 10f64.powf(log_r);
        let cells = cover(c, r).unwrap();
        prop_assert!(!cells.is_empty() && cells.len() <= 32);
        prop_assert!(cells.iter().all(|x| x.len() == cells[0].len()));
        let q = destination(c, theta, r * frac);
        if haversine(c, q) <= r {
            let n = cells[0].len();
            let qh = GeoHash::from_point(q, n).unwrap();
            prop_assert!(cells.contains(&qh), "{q:?} ({qh}) at {} m of {c:?} not in cover({r}) = {cells:?}", haversine(c, q));
        }
    }

    #[test]
    fn precision_for_radius_cells_are_big_enough(r in 0.0..1e7f64) {
        let p = precision_for_radius(r).unwrap();
        let (h, w) = brick_geohash::cell_size_m(p).unwrap();
        prop_assert!(p == 1 || (h >= r && w >= r));
        if p < MAX_PRECISION {
            let (h2, w2) = brick_geohash::cell_size_m(p + 1).unwrap();
            prop_assert!(h2 < r || w2 < r, "a finer precision would do");
        }
    }

    #[test]
    fn redis_score_round_trips_through_its_cell_center(
        lon in -180.0..180.0f64,
        lat in redis::LAT_MIN..redis::LAT_MAX,
    ) {
        let s = redis::score(lat, lon).unwrap();
        prop_assert!(s < 1 << 52);
        let (plat, plon) = redis::position(s).unwrap();
        prop_assert_eq!(redis::score(plat, plon).unwrap(), s);
        // Redis's cells are at most 0.6 m across: GEOPOS is within a metre of the input.
        prop_assert!(redis::distance(lat, lon, plat, plon) < 1.0);
    }
}

fn brute_force(points: &[(u32, Point)], c: Point, r: f64) -> Vec<(u32, f64)> {
    let mut v: Vec<(u32, f64)> = points
        .iter()
        .map(|(k, p)| (*k, haversine(c, *p)))
        .filter(|(_, d)| *d <= r)
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    v
}

/// Points scattered around a centre at up to `spread` metres, plus some anywhere.
fn scattered(c: Point, spread: f64, n: usize, seed: u64) -> Vec<(u32, Point)> {
    let mut x = seed | 1;
    let mut next = move || {
        // xorshift64*: fixed-seed test data without a dependency.
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n as u32)
        .map(|k| {
            let p = if k % 10 == 0 {
                Point::new(next() * 180.0 - 90.0, next() * 360.0 - 180.0).unwrap()
            } else {
                destination(c, next() * std::f64::consts::TAU, next() * spread)
            };
            (k, p)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn index_within_equals_a_brute_force_scan(c in point(), log_r in 0.5..6.5f64, seed in any::<u64>()) {
        let r = 10f64.powf(log_r);
        let points = scattered(c, r * 2.0, 300, seed);
        let mut index = GeoIndex::new();
        for (k, p) in &points {
            index.insert(*k, *p);
        }
        let got: Vec<(u32, f64)> = index.within(c, r).unwrap().into_iter().map(|(k, _, d)| (*k, d)).collect();
        let mut got_sorted = got.clone();
        got_sorted.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        prop_assert_eq!(got_sorted, brute_force(&points, c, r));
        prop_assert!(got.windows(2).all(|w| w[0].1 <= w[1].1), "nearest first");
    }

    #[test]
    fn index_nearest_equals_a_brute_force_ranking(c in point(), k in 0usize..40, seed in any::<u64>()) {
        let points = scattered(c, 50_000.0, 200, seed);
        let mut index = GeoIndex::new();
        for (key, p) in &points {
            index.insert(*key, *p);
        }
        let got: Vec<f64> = index.nearest(c, k).into_iter().map(|(_, _, d)| d).collect();
        let want: Vec<f64> = brute_force(&points, c, f64::INFINITY).into_iter().take(k).map(|(_, d)| d).collect();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    assert!(matches!(encode(f64::NAN, 0.0, 5), Err(Error::InvalidLatitude(v)) if v.is_nan()));
    assert!(matches!(
        encode(0.0, f64::INFINITY, 5),
        Err(Error::InvalidLongitude(_))
    ));
    assert_eq!(encode(90.5, 0.0, 5), Err(Error::InvalidLatitude(90.5)));
    assert_eq!(encode(0.0, -180.5, 5), Err(Error::InvalidLongitude(-180.5)));
    assert_eq!(encode(0.0, 0.0, 0), Err(Error::InvalidPrecision(0)));
    assert_eq!(encode(0.0, 0.0, 13), Err(Error::InvalidPrecision(13)));
    assert_eq!("".parse::<GeoHash>(), Err(Error::Empty));
    assert_eq!("0123456789bcd".parse::<GeoHash>(), Err(Error::TooLong(13)));
    assert_eq!(
        "u4pa".parse::<GeoHash>(),
        Err(Error::InvalidChar {
            ch: 'a',
            position: 3
        })
    );
    assert_eq!(
        "U4P".parse::<GeoHash>(),
        Err(Error::InvalidChar {
            ch: 'U',
            position: 0
        })
    );
    assert_eq!(
        "u4é".parse::<GeoHash>(),
        Err(Error::InvalidChar {
            ch: 'é',
            position: 2
        })
    );
    assert_eq!(
        GeoHash::from_u64(32, 1),
        Err(Error::BitsOutOfRange { bits: 32, len: 1 })
    );
    assert_eq!(GeoHash::from_u64(0, 13), Err(Error::InvalidPrecision(13)));
    let c = Point::new(0.0, 0.0).unwrap();
    assert_eq!(cover(c, -1.0), Err(Error::InvalidRadius(-1.0)));
    assert!(matches!(cover(c, f64::NAN), Err(Error::InvalidRadius(_))));
    assert_eq!(
        precision_for_radius(f64::INFINITY),
        Err(Error::InvalidRadius(f64::INFINITY))
    );
    assert!(GeoIndex::<u8>::new().within(c, -5.0).is_err());
    assert_eq!(redis::position(1 << 54), Err(Error::InvalidScore(1 << 54)));
    assert_eq!(
        redis::score(85.06, 0.0).unwrap_err().to_string(),
        "invalid longitude,latitude pair 0.000000,85.060000"
    );
    assert!("furlong".parse::<redis::Unit>().is_err());
    // Messages say what was wrong and what is allowed.
    assert_eq!(
        Error::InvalidPrecision(13).to_string(),
        "precision must be 1 to 12 characters, got 13"
    );
}

#[test]
fn poles_and_antimeridian_conventions() {
    // Latitude 90 is the top row and longitude 180 the last column: a cell's box contains the
    // point it encodes, the four outer corners included.
    assert_eq!(encode(90.0, 0.0, 12).unwrap().to_string(), "upbpbpbpbpbp");
    assert_eq!(encode(90.0, 180.0, 12).unwrap().to_string(), "zzzzzzzzzzzz");
    assert_eq!(
        encode(-90.0, -180.0, 12).unwrap().to_string(),
        "000000000000"
    );
    let east = encode(45.0, 180.0, 6).unwrap();
    assert_eq!(east.bbox().east, 180.0);
    assert_eq!(encode(45.0, -180.0, 6).unwrap().bbox().west, -180.0);
    for (lat, lon) in [
        (90.0, 180.0),
        (90.0, -180.0),
        (-90.0, 180.0),
        (-90.0, -180.0),
    ] {
        for n in 1..=12 {
            let cell = encode(lat, lon, n).unwrap();
            assert!(
                cell.bbox().contains(Point::new(lat, lon).unwrap()),
                "{cell} ({lat}, {lon})"
            );
        }
    }
    let top = encode(90.0, 10.0, 4).unwrap();
    assert_eq!(top.neighbor(Direction::N), None);
    assert_eq!(top.neighbor(Direction::NE), None);
    assert!(top.neighbor(Direction::S).is_some());
    let east = encode(0.0, 179.99, 5).unwrap();
    let wrapped = east.neighbor(Direction::E).unwrap();
    assert_eq!(wrapped.bbox().west, -180.0);
}

#[cfg(feature = "serde")]
proptest! {
    /// serde (feature `serde`): a geohash serializes as its text and reads back equal; any
    /// string reads back exactly as `FromStr` parses it (the same value or the same error).
    #[test]
    fn serde_is_the_text_form(p in point(), precision in precision(), text in "\\PC{0,14}") {
        let hash = GeoHash::from_point(p, precision).unwrap();
        let json = serde_json::to_string(&hash).unwrap();
        prop_assert_eq!(&json, &format!("\"{hash}\""));
        prop_assert_eq!(serde_json::from_str::<GeoHash>(&json).unwrap(), hash);
        let quoted = serde_json::to_string(&text).unwrap();
        match (text.parse::<GeoHash>(), serde_json::from_str::<GeoHash>(&quoted)) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert!(b.to_string().contains(&a.to_string()), "{} vs {}", b, a),
            (a, b) => prop_assert!(false, "FromStr {:?} but serde {:?}", a, b),
        }
        prop_assert!(serde_json::from_str::<GeoHash>("42").is_err());
    }
}

// `collect` and `extend` are loops of `insert`: a key given twice ends at its last point.
proptest! {
    #[test]
    fn collect_and_extend_equal_inserting_one_by_one(
        entries in proptest::collection::vec((0u8..20, -80.0f64..80.0, -179.0f64..179.0), 0..60),
    ) {
        let entries: Vec<(u8, Point)> = entries
            .into_iter()
            .map(|(k, lat, lon)| (k, Point::new(lat, lon).unwrap()))
            .collect();
        let mut inserted = GeoIndex::new();
        for &(k, p) in &entries {
            inserted.insert(k, p);
        }
        let collected: GeoIndex<u8> = entries.iter().copied().collect();
        let mut extended = GeoIndex::new();
        extended.extend(entries.iter().copied());
        prop_assert_eq!(collected.len(), inserted.len());
        for k in 0u8..20 {
            prop_assert_eq!(collected.get(&k), inserted.get(&k));
            prop_assert_eq!(extended.get(&k), inserted.get(&k));
        }
    }
}
