//! Criterion: brick-lru's `get_or_insert_with_async` against moka's `future::Cache::get_with`,
//! 1,000 tokio tasks running a Zipf stream through one cache (see the compare section).

use brick_benches::inputs::zipf_keys;
use brick_benches::sections::lru_async::{runtime, zipf_moka, zipf_ours};
use criterion::{Criterion, criterion_group, criterion_main};
use std::sync::Arc;
use std::time::Duration;

fn lru_async(c: &mut Criterion) {
    let rt = runtime();
    let stream = Arc::new(zipf_keys(200_000, 100_000, 0.99, 5));
    let mut g = c.benchmark_group("lru-async/get_or_insert_with_async 1000 tasks");
    let per_batch = |ns: f64| Duration::from_nanos((ns * stream.len() as f64) as u64);
    g.bench_function("brick-lru ConcurrentCache", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| per_batch(zipf_ours(&rt, Arc::clone(&stream))))
                .sum()
        })
    });
    g.bench_function("moka future::Cache", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| per_batch(zipf_moka(&rt, Arc::clone(&stream))))
                .sum()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = lru_async
}
criterion_main!(benches);
