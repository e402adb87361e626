//! Criterion: brick-lru's ConcurrentCache against moka, quick_cache and mini-moka on the same
//! fixed-seed keys (capacity 100,000): get hit on 1 and 2 threads, insert with eviction, and
//! get_or_insert_with over Zipf(0.99) keys.

use brick_benches::inputs::zipf_keys;
use brick_benches::sections::lru_concurrent::{Shared, full};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

const CAP: u64 = 100_000;
const BATCH: usize = 10_000;

fn group<C: Shared>(c: &mut Criterion, hits: &[u64], zipf: &[u64]) {
    let cache = full::<C>(CAP);
    for threads in [1usize, 2] {
        let mut g = c.benchmark_group(format!("lru-concurrent/get_hit/{threads}-threads"));
        g.throughput(Throughput::Elements((BATCH * threads) as u64));
        g.bench_function(BenchmarkId::new(C::NAME, CAP), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for t in 0..threads {
                        let cache = &cache;
                        s.spawn(move || {
                            let mut at = t * 7919;
                            for _ in 0..iters {
                                at = (at + BATCH) % (hits.len() - BATCH);
                                for k in &hits[at..at + BATCH] {
                                    black_box(cache.hit(black_box(*k)));
                                }
                            }
                        });
                    }
                });
                start.elapsed()
            })
        });
        g.finish();
    }
    let mut g = c.benchmark_group("lru-concurrent/insert_evict");
    g.throughput(Throughput::Elements(BATCH as u64));
    let mut next = 1u64 << 40;
    g.bench_function(BenchmarkId::new(C::NAME, CAP), |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                next += 1;
                cache.put(black_box(next), next);
            }
        })
    });
    g.finish();
    let mut g = c.benchmark_group("lru-concurrent/get_or_insert_with_zipf");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function(BenchmarkId::new(C::NAME, CAP), |b| {
        let mut at = 0;
        b.iter(|| {
            at = (at + BATCH) % (zipf.len() - BATCH);
            for &k in &zipf[at..at + BATCH] {
                black_box(cache.get_or_load(k, || k));
            }
        })
    });
    g.finish();
}

fn concurrent(c: &mut Criterion) {
    let hits = zipf_keys(1_000_000, CAP, 0.99, 11);
    let zipf = zipf_keys(1_000_000, 1_000_000, 0.99, 2);
    group::<brick_lru::ConcurrentCache<u64, u64>>(c, &hits, &zipf);
    group::<moka::sync::Cache<u64, u64>>(c, &hits, &zipf);
    group::<quick_cache::sync::Cache<u64, u64>>(c, &hits, &zipf);
    group::<mini_moka::sync::Cache<u64, u64>>(c, &hits, &zipf);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    targets = concurrent
}
criterion_main!(benches);
