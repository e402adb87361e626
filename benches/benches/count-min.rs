//! Criterion: brick-count-min against count-min-sketch, streaming_algorithms and datasketches
//! on the same Zipf(1.1) stream over 10^6 keys, each sized for ε = 0.001, δ = 0.01.

use brick_benches::inputs::zipf_keys;
use brick_benches::sections::count_min::{DELTA, EPSILON, Sketch};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const N: usize = 2_000_000;
/// Items per timed batch; the batch slides through the stream so keys are not replayed.
const BATCH: usize = 10_000;

fn group<S: Sketch>(c: &mut Criterion, stream: &[u64]) {
    let mut s = S::build((EPSILON, DELTA));
    stream.iter().for_each(|k| s.inc(k));
    let mut g = c.benchmark_group("count-min/increment");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function(BenchmarkId::new(S::NAME, N), |b| {
        let mut at = 0;
        b.iter(|| {
            at = (at + BATCH) % (stream.len() - BATCH);
            for k in &stream[at..at + BATCH] {
                s.inc(black_box(k));
            }
        })
    });
    g.finish();
    let mut g = c.benchmark_group("count-min/estimate");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function(BenchmarkId::new(S::NAME, N), |b| {
        let mut at = 0;
        b.iter(|| {
            at = (at + BATCH) % (stream.len() - BATCH);
            for k in &stream[at..at + BATCH] {
                black_box(s.est(black_box(k)));
            }
        })
    });
    g.finish();
}

fn count_min(c: &mut Criterion) {
    let stream = zipf_keys(N, 1_000_000, 1.1, 11);
    group::<brick_count_min::CountMinSketch>(c, &stream);
    group::<brick_count_min::ConservativeCountMin>(c, &stream);
    group::<brick_count_min::AtomicCountMinSketch>(c, &stream);
    group::<count_min_sketch::CountMinSketch32<u64>>(c, &stream);
    group::<streaming_algorithms::CountMinSketch<u64, u32>>(c, &stream);
    group::<datasketches::countmin::CountMinSketch<u64>>(c, &stream);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_secs(1));
    targets = count_min
}
criterion_main!(benches);
