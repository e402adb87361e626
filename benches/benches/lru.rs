//! Criterion: brick-lru against lru, schnellru, clru, hashlink and quick_cache (unsync) on the
//! same fixed-seed keys (capacity 100,000).

use brick_benches::inputs::{uniform_keys, zipf_keys};
use brick_benches::sections::lru::{Lru, filled};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const CAP: usize = 100_000;
const BATCH: usize = 10_000;

fn group<C: Lru<u64, u64>>(c: &mut Criterion, hits: &[u64], zipf: &[u64]) {
    let mut cache = filled::<C, u64, u64>(CAP, 0..CAP as u64, |&k| k);
    let mut g = c.benchmark_group("lru/get_hit");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function(BenchmarkId::new(C::NAME, CAP), |b| {
        let mut at = 0;
        b.iter(|| {
            at = (at + BATCH) % (hits.len() - BATCH);
            for k in &hits[at..at + BATCH] {
                black_box(cache.hit(black_box(k)));
            }
        })
    });
    g.finish();
    let mut g = c.benchmark_group("lru/insert_evict");
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
    let mut g = c.benchmark_group("lru/get_or_insert_zipf");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function(BenchmarkId::new(C::NAME, CAP), |b| {
        let mut at = 0;
        b.iter(|| {
            at = (at + BATCH) % (zipf.len() - BATCH);
            for &k in &zipf[at..at + BATCH] {
                if !cache.hit(&k) {
                    cache.put(k, k);
                }
            }
        })
    });
    g.finish();
}

fn lru(c: &mut Criterion) {
    let hits = uniform_keys(1_000_000, CAP as u64, 7);
    let zipf = zipf_keys(1_000_000, 1_000_000, 0.99, 2);
    group::<brick_lru::LruCache<u64, u64>>(c, &hits, &zipf);
    group::<brick_lru::LfuCache<u64, u64>>(c, &hits, &zipf);
    group::<lru::LruCache<u64, u64>>(c, &hits, &zipf);
    group::<schnellru::LruMap<u64, u64>>(c, &hits, &zipf);
    group::<clru::CLruCache<u64, u64>>(c, &hits, &zipf);
    group::<hashlink::LruCache<u64, u64>>(c, &hits, &zipf);
    group::<quick_cache::unsync::Cache<u64, u64>>(c, &hits, &zipf);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_secs(1));
    targets = lru
}
criterion_main!(benches);
