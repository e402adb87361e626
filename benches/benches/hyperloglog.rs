//! Criterion: inserts of distinct u64 into a warm p = 14 sketch, and one count, for
//! brick-hyperloglog and the peer crates (the same set as the compare report).

use brick_benches::sections::hyperloglog::{AMADEUS_ERROR, Cardinality, P, Sketch};
use brick_hyperloglog::{AtomicHyperLogLog, HyperLogLog};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use datasketches::hll::{HllSketch, HllType};
use hyperloglogplus::HyperLogLogPlus;
use std::collections::hash_map::RandomState;
use std::hint::black_box;

const BATCH: u64 = 10_000;
/// Items already in each sketch, so the inserts measure the dense steady state.
const WARM: u64 = 1_000_000;

fn bench_one<S: Sketch>(c: &mut Criterion, name: &str, mut sketch: S) {
    for i in 0..WARM {
        sketch.add(i);
    }
    let mut next = WARM;
    let mut g = c.benchmark_group("hyperloglog/insert");
    g.throughput(Throughput::Elements(BATCH));
    g.bench_function(BenchmarkId::new(name, BATCH), |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                sketch.add(black_box(next));
                next += 1;
            }
        })
    });
    g.finish();
    let mut g = c.benchmark_group("hyperloglog/count");
    g.bench_function(name, |b| b.iter(|| black_box(sketch.estimate())));
    g.finish();
}

fn hyperloglog(c: &mut Criterion) {
    bench_one(
        c,
        "brick-hyperloglog HyperLogLog",
        HyperLogLog::with_params(P).expect("p"),
    );
    bench_one(
        c,
        "brick-hyperloglog AtomicHyperLogLog",
        AtomicHyperLogLog::with_params(P).expect("p"),
    );
    bench_one(
        c,
        "hyperloglogplus",
        HyperLogLogPlus::<u64, RandomState>::new(P, RandomState::new()).expect("p"),
    );
    bench_one(c, "cardinality-estimator", Cardinality::new());
    bench_one(c, "hyperloglockless", hyperloglockless::HyperLogLog::new(P));
    for (name, t) in [
        ("datasketches HLL_4", HllType::Hll4),
        ("datasketches HLL_6", HllType::Hll6),
        ("datasketches HLL_8", HllType::Hll8),
    ] {
        bench_one(c, name, HllSketch::new(P, t).expect("p"));
    }
    bench_one(
        c,
        "amadeus-streaming",
        amadeus_streaming::HyperLogLog::<u64>::new(AMADEUS_ERROR),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = hyperloglog
}
criterion_main!(benches);
