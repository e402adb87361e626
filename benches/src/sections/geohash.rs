//! brick-geohash against the `geohash` crate (georust), and `GeoIndex` against a brute-force scan.

use crate::chart::{Chart, Series};
use crate::inputs::Rng;
use crate::{Ctx, Record, Section};
use brick_geohash::{EARTH_RADIUS_M, GeoHash, GeoIndex, Point, cover, haversine};
use std::hint::black_box;

/// `n` points uniform over the inhabited latitudes (±60°) of the whole globe.
pub fn world_points(n: usize, seed: u64) -> Vec<(f64, f64)> {
    let mut r = Rng::new(seed);
    (0..n)
        .map(|_| (r.next_f64() * 120.0 - 60.0, r.next_f64() * 360.0 - 180.0))
        .collect()
}

/// `n` points uniform in a 2° × 3° box around Paris (about 220 km × 220 km): a national fleet.
pub fn region_points(n: usize, seed: u64) -> Vec<Point> {
    let mut r = Rng::new(seed);
    (0..n)
        .map(|_| {
            Point::new(47.85 + r.next_f64() * 2.0, 0.85 + r.next_f64() * 3.0)
                .expect("inside the box")
        })
        .collect()
}

/// Query centres inside the region's inner part.
pub fn region_centres(n: usize, seed: u64) -> Vec<Point> {
    let mut r = Rng::new(seed);
    (0..n)
        .map(|_| {
            Point::new(48.35 + r.next_f64(), 1.35 + r.next_f64() * 2.0).expect("inside the box")
        })
        .collect()
}

/// Geohash strings of the points at `precision`.
pub fn hash_strings(points: &[(f64, f64)], precision: u8) -> Vec<String> {
    points
        .iter()
        .map(|&(lat, lon)| {
            brick_geohash::encode(lat, lon, precision)
                .expect("valid")
                .to_string()
        })
        .collect()
}

/// Every point within `r` metres of `c`: the baseline a proximity index must beat.
pub fn scan(points: &[Point], c: Point, r: f64) -> Vec<(usize, f64)> {
    let mut v: Vec<(usize, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (i, haversine(c, *p)))
        .filter(|(_, d)| *d <= r)
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1));
    v
}

/// Area of the cover's cells divided by the circle's: how much more than the circle an index scans.
fn cover_area_ratio(c: Point, r: f64) -> f64 {
    let cells = cover(c, r).expect("valid radius");
    let area: f64 = cells
        .iter()
        .map(|h| {
            let b = h.bbox();
            (b.east - b.west).to_radians()
                * (b.north.to_radians().sin() - b.south.to_radians().sin())
        })
        .sum();
    let circle = std::f64::consts::TAU * (1.0 - (r / EARTH_RADIUS_M).cos());
    area / circle
}

const BRICK: &str = "geohash";
const OURS: &str = "brick-geohash";
const PEER: &str = "geohash";

/// The report section.
#[derive(Debug)]
pub struct GeohashSection;

impl Section for GeohashSection {
    fn brick(&self) -> &'static str {
        BRICK
    }

    fn summary(&self) -> String {
        "Encode, decode and neighbours on the same fixed-seed points (uniform over latitudes ±60°). \
         `encode` and `neighbors` time each crate's own API (ours returns `GeoHash` values, the peer \
         `String`s); `encode_text` and `neighbors_text` are like for like, text in and text out (ours \
         writes to a stack buffer). Ours and the peer are timed in alternation, pass by pass. Radius queries: `GeoIndex::within` against a brute-force haversine scan over the same \
         points, uniform in a 220 km × 220 km region; `recall` is the fraction of the scan's answer the \
         index returned (must be 1), `cover_area_ratio` the area of the covering cells over the circle's."
            .to_owned()
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let mut out = Vec::new();
        let n = ctx.mode.pick(2_000, 100_000, 1_000_000);
        let pts = world_points(n, 1);
        let ops = n as u64;

        for precision in [6u8, 9, 12] {
            ctx.step(&format!("encode p={precision}"));
            let params = format!("n={n} precision={precision}");
            // Each crate's own API (ours returns the GeoHash value, the peer a String), and
            // like for like: both ending with the text (ours in a stack buffer).
            let [peer, ours, ours_text] = ctx.time_alternating(
                ops,
                [
                    &mut || {
                        for &(lat, lon) in &pts {
                            black_box(
                                geohash::encode(
                                    geohash::Coord { x: lon, y: lat },
                                    usize::from(precision),
                                )
                                .expect("valid"),
                            );
                        }
                    },
                    &mut || {
                        for &(lat, lon) in &pts {
                            black_box(brick_geohash::encode(lat, lon, precision).expect("valid"));
                        }
                    },
                    &mut || {
                        for &(lat, lon) in &pts {
                            black_box(
                                brick_geohash::encode(lat, lon, precision)
                                    .expect("valid")
                                    .to_ascii(),
                            );
                        }
                    },
                ],
            );
            out.push(
                Record::new(BRICK, "encode", OURS, true, "encode", params.clone()).with_ns(ours),
            );
            out.push(
                Record::new(BRICK, "encode", PEER, false, "encode", params.clone()).with_ns(peer),
            );
            out.push(
                Record::new(
                    BRICK,
                    "encode + to_ascii",
                    OURS,
                    true,
                    "encode_text",
                    params.clone(),
                )
                .with_ns(ours_text),
            );
            out.push(
                Record::new(BRICK, "encode", PEER, false, "encode_text", params).with_ns(peer),
            );
        }

        let strings = hash_strings(&pts, 9);
        let cells: Vec<GeoHash> = strings.iter().map(|s| s.parse().expect("valid")).collect();
        let params = format!("n={n} precision=9");
        ctx.step("decode");
        let [ours, peer] = ctx.time_alternating(
            ops,
            [
                &mut || {
                    for s in &strings {
                        black_box(brick_geohash::decode(s).expect("valid"));
                    }
                },
                &mut || {
                    for s in &strings {
                        black_box(geohash::decode(s).expect("valid"));
                    }
                },
            ],
        );
        out.push(Record::new(BRICK, "decode", OURS, true, "decode", params.clone()).with_ns(ours));
        out.push(Record::new(BRICK, "decode", PEER, false, "decode", params.clone()).with_ns(peer));

        ctx.step("neighbours");
        let [peer, ours, ours_text] = ctx.time_alternating(
            ops,
            [
                &mut || {
                    for s in &strings {
                        black_box(geohash::neighbors(s).expect("valid"));
                    }
                },
                &mut || {
                    for c in &cells {
                        black_box(c.neighbors());
                    }
                },
                &mut || {
                    for s in &strings {
                        let nb = s.parse::<GeoHash>().expect("valid").neighbors();
                        for d in brick_geohash::Direction::ALL {
                            black_box(nb.get(d).map(GeoHash::to_ascii));
                        }
                    }
                },
            ],
        );
        out.push(
            Record::new(
                BRICK,
                "GeoHash::neighbors",
                OURS,
                true,
                "neighbors",
                params.clone(),
            )
            .with_ns(ours),
        );
        out.push(
            Record::new(BRICK, "neighbors", PEER, false, "neighbors", params.clone()).with_ns(peer),
        );
        out.push(
            Record::new(
                BRICK,
                "parse + neighbors + to_ascii",
                OURS,
                true,
                "neighbors_text",
                params.clone(),
            )
            .with_ns(ours_text),
        );
        out.push(
            Record::new(BRICK, "neighbors", PEER, false, "neighbors_text", params).with_ns(peer),
        );

        out.extend(radius_queries(ctx));
        out
    }
}

fn radius_queries(ctx: &Ctx) -> Vec<Record> {
    let mut out = Vec::new();
    let n = ctx.mode.pick(20_000, 1_000_000, 1_000_000);
    ctx.step(&format!("GeoIndex build n={n}"));
    let points = region_points(n, 7);
    let (index, index_bytes) = ctx.memory.measure(|| {
        let mut index = GeoIndex::new();
        for (i, p) in points.iter().enumerate() {
            index.insert(i as u32, *p);
        }
        index
    });
    let (points_copy, scan_bytes) = ctx.memory.measure(|| points.clone());
    let centres = region_centres(ctx.mode.pick(10, 50, 200), 11);
    let radii: Vec<f64> = ctx.mode.pick(
        vec![1_000.0, 10_000.0],
        vec![100.0, 300.0, 1_000.0, 3_000.0, 10_000.0, 30_000.0],
        vec![
            100.0, 300.0, 1_000.0, 3_000.0, 10_000.0, 30_000.0, 100_000.0,
        ],
    );
    let (mut index_curve, mut scan_curve) = (Vec::new(), Vec::new());
    for &r in &radii {
        ctx.step(&format!("within r={r} m"));
        let params = format!("n={n} r={r}m");
        let q = centres.len() as u64;
        // The scan is slow: time it on fewer centres (it does not depend on the centre). The two
        // are timed alternately, one pass each per round.
        let scan_centres = &centres[..centres.len().min(ctx.mode.pick(2, 5, 10))];
        let times = ctx.time_alternating_each(&mut [
            (q, &mut || {
                for c in &centres {
                    black_box(index.within(*c, r).expect("valid radius"));
                }
            }),
            (scan_centres.len() as u64, &mut || {
                for c in scan_centres {
                    black_box(scan(&points_copy, *c, r));
                }
            }),
        ]);
        let (ours, baseline) = (times[0], times[1]);
        // Recall against the scan, on a few centres (the scan is the slow part).
        let (mut found, mut expected) = (0usize, 0usize);
        for c in scan_centres {
            let want: std::collections::HashSet<u32> = scan(&points_copy, *c, r)
                .into_iter()
                .map(|(i, _)| i as u32)
                .collect();
            let got = index.within(*c, r).expect("valid radius");
            expected += want.len();
            found += got.iter().filter(|(k, _, _)| want.contains(*k)).count();
            // Extra answers would be wrong too: count them against recall.
            found -= found.min(got.len().saturating_sub(want.len()));
        }
        let area_ratio: f64 = centres.iter().map(|c| cover_area_ratio(*c, r)).sum();
        let recall = if expected == 0 {
            1.0
        } else {
            found as f64 / expected as f64
        };
        ctx.step(&format!("within r={r} m: recall {recall}"));
        let rec = Record::new(BRICK, "GeoIndex", OURS, true, "within", params.clone())
            .with_ns(ours)
            .with_metric("recall", recall, Some(1.0))
            .at_least();
        out.push(rec.with_bytes_opt(index_bytes));
        out.push(
            Record::new(BRICK, "GeoIndex", OURS, true, "cover", params.clone()).with_metric(
                "cover_area_ratio",
                area_ratio / centres.len() as f64,
                None,
            ),
        );
        let rec = Record::new(
            BRICK,
            "Vec<Point> scan",
            "brute force",
            false,
            "within",
            params,
        )
        .with_ns(baseline);
        out.push(rec.with_bytes_opt(scan_bytes));
        index_curve.push((r, ours));
        scan_curve.push((r, baseline));
    }
    ctx.chart(
        "geohash_within",
        &Chart::new(
            format!("Radius query on {n} points: GeoIndex vs scan"),
            "radius (m)",
            "ns per query",
        )
        .log(true, true)
        .with(Series::line("brick-geohash GeoIndex::within", index_curve))
        .with(Series::line("brute-force haversine scan", scan_curve)),
    );
    out
}
