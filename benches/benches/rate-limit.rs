//! Criterion: brick-rate-limit's GCRA against governor (direct and keyed), both on the TSC
//! clock (quanta), at a million per second so a loop of checks sees grants and denials.

use brick_benches::sections::rate_limit::{gcra, governor_quota};
use brick_rate_limit::{KeyedLimiter, Limiter, QuantaClock, RateLimiter};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const BATCH: u64 = 10_000;
const KEYS: u64 = 100_000;

fn rate_limit(c: &mut Criterion) {
    let mut g = c.benchmark_group("rate-limit/check");
    g.throughput(Throughput::Elements(BATCH));
    let ours = Limiter::new(gcra(), QuantaClock::default());
    g.bench_function(BenchmarkId::new("brick-rate-limit Gcra", BATCH), |b| {
        b.iter(|| {
            (0..BATCH).for_each(|_| {
                black_box(ours.check().allowed);
            })
        })
    });
    let gov = governor::RateLimiter::direct(governor_quota());
    g.bench_function(BenchmarkId::new("governor", BATCH), |b| {
        b.iter(|| {
            (0..BATCH).for_each(|_| {
                black_box(gov.check().is_ok());
            })
        })
    });
    g.finish();

    let mut g = c.benchmark_group("rate-limit/keyed");
    g.throughput(Throughput::Elements(BATCH));
    let keyed = KeyedLimiter::new(gcra(), QuantaClock::default());
    let gov_keyed = governor::RateLimiter::keyed(governor_quota());
    for k in 0..KEYS {
        let _warmed = keyed.check(&k);
        let _ = gov_keyed.check_key(&k);
    }
    // Keys in a fixed scattered order: k·φ mod 10^5.
    let probes: Vec<u64> = (0..KEYS)
        .map(|i| i.wrapping_mul(0x9e37_79b9) % KEYS)
        .collect();
    g.bench_function(
        BenchmarkId::new("brick-rate-limit KeyedLimiter<Gcra>", KEYS),
        |b| {
            let mut at = 0;
            b.iter(|| {
                at = (at + BATCH as usize) % (probes.len() - BATCH as usize);
                for k in &probes[at..at + BATCH as usize] {
                    black_box(keyed.check(k).allowed);
                }
            })
        },
    );
    g.bench_function(BenchmarkId::new("governor keyed", KEYS), |b| {
        let mut at = 0;
        b.iter(|| {
            at = (at + BATCH as usize) % (probes.len() - BATCH as usize);
            for k in &probes[at..at + BATCH as usize] {
                black_box(gov_keyed.check_key(k).is_ok());
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_secs(1));
    targets = rate_limit
}
criterion_main!(benches);
