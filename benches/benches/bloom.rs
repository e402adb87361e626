//! Criterion: brick-bloom against fastbloom, bloomfilter, datasketches and
//! probabilistic-collections on the same fixed-seed keys (n = 1e6 at p = 1 %).

use brick_benches::inputs::keys;
use brick_benches::sections::bloom::{Filter, filled};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const N: usize = 1_000_000;
const P: f64 = 0.01;
/// Keys per timed batch: enough to leave caches cold between repeats of the same key.
const BATCH: usize = 10_000;

fn group<F: Filter>(c: &mut Criterion, present: &[u64], absent: &[u64]) {
    let f = filled::<F>(present, P);
    for (op, keys) in [("contains_present", present), ("contains_absent", absent)] {
        let mut g = c.benchmark_group(format!("bloom/{op}"));
        g.throughput(Throughput::Elements(BATCH as u64));
        g.bench_function(BenchmarkId::new(F::NAME, N), |b| {
            let mut at = 0;
            b.iter(|| {
                at = (at + BATCH) % (keys.len() - BATCH);
                for k in &keys[at..at + BATCH] {
                    black_box(f.has(black_box(k)));
                }
            })
        });
        g.finish();
    }
    let mut g = c.benchmark_group("bloom/insert");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function(BenchmarkId::new(F::NAME, N), |b| {
        // Into a filter already holding n/2 keys: the steady state of a filling filter.
        let mut f = filled::<F>(&present[..N / 2], P);
        let mut at = N / 2;
        b.iter(|| {
            at = if at + BATCH > N { N / 2 } else { at + BATCH };
            for k in &present[at - BATCH..at] {
                f.put(black_box(k));
            }
        })
    });
    g.finish();
}

fn bloom(c: &mut Criterion) {
    let present = keys(N, 1, false);
    let absent = keys(N, 2, true);
    group::<brick_bloom::BloomFilter>(c, &present, &absent);
    group::<brick_bloom::BlockedBloomFilter>(c, &present, &absent);
    group::<brick_bloom::AtomicBloomFilter>(c, &present, &absent);
    group::<fastbloom::BloomFilter>(c, &present, &absent);
    group::<fastbloom::AtomicBloomFilter>(c, &present, &absent);
    group::<bloomfilter::Bloom<u64>>(c, &present, &absent);
    group::<datasketches::bloom::BloomFilter>(c, &present, &absent);
    group::<probabilistic_collections::bloom::BloomFilter<u64>>(c, &present, &absent);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_secs(1));
    targets = bloom
}
criterion_main!(benches);
