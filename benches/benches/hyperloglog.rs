//! Criterion: inserts of distinct u64 into a warm p = 14 sketch, and one count, for
//! brick-hyperloglog and the peer crates (the same set as the compare report).

use brick_benches::sections::hyperloglog::{Cardinality, Datasketches, Sketch};
use brick_hyperloglog::{AtomicHyperLogLog, HyperLogLog};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hyperloglogplus::HyperLogLogPlus;
use std::collections::hash_map::RandomState;
use std::hint::black_box;

const BATCH: u64 = 10_000;
/// Items already in each sketch, so the inserts measure the dense steady state.
const WARM: u64 = 1_000_000;

fn bench_one<S: Sketch>(c: &mut Criterion) {
    let mut sketch = S::build(());
    for i in 0..WARM {
        sketch.add(i);
    }
    let mut next = WARM;
    let mut g = c.benchmark_group("hyperloglog/insert");
    g.throughput(Throughput::Elements(BATCH));
    g.bench_function(BenchmarkId::new(S::NAME, BATCH), |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                sketch.add(black_box(next));
                next += 1;
            }
        })
    });
    g.finish();
    let mut g = c.benchmark_group("hyperloglog/count");
    g.bench_function(S::NAME, |b| b.iter(|| black_box(sketch.estimate())));
    g.finish();
}

fn hyperloglog(c: &mut Criterion) {
    bench_one::<HyperLogLog>(c);
    bench_one::<AtomicHyperLogLog>(c);
    bench_one::<HyperLogLogPlus<u64, RandomState>>(c);
    bench_one::<Cardinality>(c);
    bench_one::<hyperloglockless::HyperLogLog>(c);
    bench_one::<Datasketches<4>>(c);
    bench_one::<Datasketches<6>>(c);
    bench_one::<Datasketches<8>>(c);
    bench_one::<amadeus_streaming::HyperLogLog<u64>>(c);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = hyperloglog
}
criterion_main!(benches);
