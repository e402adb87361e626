//! Bad input over the public surface: arbitrary coordinates (NaN, ±∞, ±0, the exact edges),
//! precisions, radii, cell budgets and text answer with a value or a typed error, quickly, and
//! every answer keeps its promise (a cell contains the point it encodes; a cover covers).

use brick_geohash::{
    Error, GeoHash, GeoIndex, MAX_COVER_CELLS, Point, cover_with, decode, encode, haversine,
};
use proptest::prelude::*;
use std::time::{Duration, Instant};

/// Far above any answer's time, far below a hang.
const BOUND: Duration = Duration::from_secs(5);

/// 12 non-ASCII characters were reported as too long (bytes counted, characters promised).
#[test]
fn length_errors_count_characters() {
    let twelve = "é".repeat(12);
    assert!(matches!(
        decode(&twelve),
        Err(Error::InvalidChar {
            ch: 'é',
            position: 0
        })
    ));
    assert!(matches!(
        twelve.parse::<GeoHash>(),
        Err(Error::InvalidChar { .. })
    ));
    let ascii_then_bad = format!("{}é", "u".repeat(11));
    assert!(matches!(
        decode(&ascii_then_bad),
        Err(Error::InvalidChar {
            ch: 'é',
            position: 11
        })
    ));
    assert_eq!(decode(&"é".repeat(13)).map(drop), Err(Error::TooLong(13)));
    assert_eq!(decode(&"u".repeat(13)).map(drop), Err(Error::TooLong(13)));
}

/// A caller's cap of usize::MAX at 1,000 km and precision 12 ran past 15 s: the work is now
/// bounded by MAX_COVER_CELLS, and the cover still covers.
#[test]
fn a_huge_cell_budget_is_bounded() {
    let center = Point::new(48.85, 2.35).unwrap();
    let start = Instant::now();
    let cells = cover_with(center, 1e6, 12, usize::MAX).unwrap();
    assert!(start.elapsed() < BOUND, "{:?}", start.elapsed());
    assert!(cells.len() <= MAX_COVER_CELLS);
    for i in 0..200 {
        let a = f64::from(i) * 0.7;
        let p = Point::new(48.85 + 8.0 * a.sin(), 2.35 + 12.0 * a.cos()).unwrap();
        if haversine(center, p) <= 1e6 {
            assert!(
                cells.iter().any(|c| c.bbox().contains(p)),
                "{p:?} not covered"
            );
        }
    }
}

fn coordinate(half: f64) -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(half),
        Just(-half),
        Just(0.0),
        Just(-0.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(half + 1e-9),
        Just(5e-324),
        // Exact cell edges at every precision: multiples of half / 2^k.
        (0u32..31, any::<i32>()).prop_map(move |(k, i)| {
            let step = half / f64::from(1u32 << k.min(30));
            (f64::from(i % (1 << k.min(30))) * step).clamp(-half, half)
        }),
        -half..=half,
        any::<f64>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// encode: Ok exactly for valid coordinates and precisions, and then the cell contains the
    /// point (edges and corners included), and so does every coarser prefix.
    #[test]
    fn encode_with_arbitrary_coordinates(lat in coordinate(90.0), lon in coordinate(180.0), precision in prop_oneof![Just(0u8), Just(13), Just(255), 1u8..=12]) {
        let valid = (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
        let precision_ok = (1..=12).contains(&precision);
        match encode(lat, lon, precision) {
            Ok(cell) => {
                prop_assert!(valid && precision_ok);
                let p = Point::new(lat, lon).unwrap();
                prop_assert!(cell.bbox().contains(p), "{} {:?} {:?}", cell, cell.bbox(), p);
                prop_assert_eq!(GeoHash::from_point(p, precision).unwrap(), cell);
                for n in 1..precision {
                    prop_assert!(encode(lat, lon, n).unwrap().contains(cell));
                }
            }
            Err(Error::InvalidPrecision(_)) => prop_assert!(!precision_ok),
            Err(Error::InvalidLatitude(_)) | Err(Error::InvalidLongitude(_)) => prop_assert!(!valid),
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }

    /// cover_with and GeoIndex::within with arbitrary radii and budgets: typed errors for bad
    /// radii and precisions, bounded time and size otherwise, and every point of the circle
    /// that the index holds is found.
    #[test]
    fn covers_with_arbitrary_radii(lat in -90.0f64..=90.0, lon in -180.0f64..=180.0, radius in prop_oneof![Just(0.0), Just(-1.0), Just(f64::NAN), Just(f64::INFINITY), Just(1e-300), Just(1e7), Just(2.1e7), Just(f64::MAX), 0.0f64..5e6], precision in prop_oneof![Just(0u8), Just(13), 1u8..=12], cap in prop_oneof![Just(0usize), Just(1), Just(usize::MAX), 1usize..100]) {
        let center = Point::new(lat, lon).unwrap();
        let start = Instant::now();
        let cover = cover_with(center, radius, precision, cap);
        prop_assert!(start.elapsed() < BOUND);
        match cover {
            Ok(cells) => {
                prop_assert!(radius.is_finite() && radius >= 0.0 && (1..=12).contains(&precision));
                prop_assert!(cells.len() <= MAX_COVER_CELLS.max(32));
                prop_assert!(cells.iter().any(|c| c.bbox().contains(center)));
            }
            Err(Error::InvalidRadius(_)) => prop_assert!(!(radius.is_finite() && radius >= 0.0)),
            Err(Error::InvalidPrecision(_)) => prop_assert!(!(1..=12).contains(&precision)),
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
        let mut index = GeoIndex::new();
        index.insert(0u8, center);
        if let Ok(hits) = index.within(center, radius) {
            prop_assert_eq!(hits.len(), 1);
        }
    }

    /// Arbitrary text: decode and parse agree, and never panic.
    #[test]
    fn arbitrary_text(text in ".{0,20}") {
        let parsed = text.parse::<GeoHash>();
        prop_assert_eq!(decode(&text).map_err(|e| e.to_string()), parsed.map(|h| h.center()).map_err(|e| e.to_string()));
    }
}
