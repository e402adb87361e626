//! Criterion: brick-geohash against the `geohash` crate on the same fixed-seed inputs, and
//! `GeoIndex::within` against a brute-force scan.

use brick_benches::sections::geohash::{
    hash_strings, region_centres, region_points, scan, world_points,
};
use brick_geohash::{GeoHash, GeoIndex};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const N: usize = 10_000;

fn encode(c: &mut Criterion) {
    let pts = world_points(N, 1);
    let mut g = c.benchmark_group("geohash/encode");
    g.throughput(Throughput::Elements(N as u64));
    for precision in [6u8, 9, 12] {
        g.bench_with_input(
            BenchmarkId::new("brick-geohash", precision),
            &precision,
            |b, &p| {
                b.iter(|| {
                    for &(lat, lon) in &pts {
                        black_box(
                            brick_geohash::encode(lat, lon, p)
                                .expect("valid")
                                .to_ascii(),
                        );
                    }
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new("geohash", precision),
            &precision,
            |b, &p| {
                b.iter(|| {
                    for &(lat, lon) in &pts {
                        black_box(
                            geohash::encode(geohash::Coord { x: lon, y: lat }, usize::from(p))
                                .expect("valid"),
                        );
                    }
                })
            },
        );
    }
    g.finish();
}

fn decode_and_neighbors(c: &mut Criterion) {
    let strings = hash_strings(&world_points(N, 1), 9);
    let mut g = c.benchmark_group("geohash/decode");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function(BenchmarkId::new("brick-geohash", 9), |b| {
        b.iter(|| {
            strings
                .iter()
                .for_each(|s| _ = black_box(brick_geohash::decode(s).expect("valid")))
        })
    });
    g.bench_function(BenchmarkId::new("geohash", 9), |b| {
        b.iter(|| {
            strings
                .iter()
                .for_each(|s| _ = black_box(geohash::decode(s).expect("valid")))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("geohash/neighbors");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function(BenchmarkId::new("brick-geohash", 9), |b| {
        b.iter(|| {
            for s in &strings {
                for cell in s.parse::<GeoHash>().expect("valid").neighbors().cells() {
                    black_box(cell.to_ascii());
                }
            }
        })
    });
    g.bench_function(BenchmarkId::new("geohash", 9), |b| {
        b.iter(|| {
            strings
                .iter()
                .for_each(|s| _ = black_box(geohash::neighbors(s).expect("valid")))
        })
    });
    g.finish();
}

fn within(c: &mut Criterion) {
    let points = region_points(200_000, 7);
    let mut index = GeoIndex::new();
    for (i, p) in points.iter().enumerate() {
        index.insert(i as u32, *p);
    }
    let centres = region_centres(16, 11);
    let mut g = c.benchmark_group("geohash/within");
    g.sample_size(10);
    g.throughput(Throughput::Elements(centres.len() as u64));
    for r in [1_000.0, 10_000.0] {
        g.bench_with_input(BenchmarkId::new("brick-geohash", r), &r, |b, &r| {
            b.iter(|| {
                centres
                    .iter()
                    .for_each(|c| _ = black_box(index.within(*c, r).expect("valid")))
            })
        });
        g.bench_with_input(BenchmarkId::new("scan", r), &r, |b, &r| {
            b.iter(|| {
                centres
                    .iter()
                    .for_each(|c| _ = black_box(scan(&points, *c, r)))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, encode, decode_and_neighbors, within);
criterion_main!(benches);
