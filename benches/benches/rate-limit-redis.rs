//! Criterion: brick-rate-limit's Redis scripts against the naive `INCR` + `PEXPIRE` fixed
//! window and a bare `INCR`, one decision per round trip on a local Redis (`REDIS_URL`, or a
//! `redis-server` from `PATH` started for the run). Without either, it says so and measures
//! nothing.

use brick_benches::sections::rate_limit_redis::{
    BenchRedis, KEYS, Limiters, bare_incr, naive_fixed_window,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const BATCH: usize = 100;

fn rate_limit_redis(c: &mut Criterion) {
    let Some(redis) = BenchRedis::find() else {
        eprintln!("rate-limit-redis: no REDIS_URL and no redis-server on PATH; nothing measured");
        return;
    };
    let client = redis.client(1);
    let limiters = Limiters::new(&client);
    let hierarchy = limiters.hierarchy();
    let keys = &limiters.keys;
    let naive_keys: Vec<String> = keys.iter().map(|k| format!("naive-crit:{k}")).collect();
    let mut con = redis.raw();
    let mut next = 0usize;
    let mut key = move || {
        next = (next + 1) % KEYS;
        next
    };

    let mut g = c.benchmark_group("rate-limit-redis/check");
    g.throughput(Throughput::Elements(BATCH as u64));
    let mut bench = |name: &str, check: &mut dyn FnMut(usize) -> bool| {
        g.bench_function(BenchmarkId::new(name, BATCH), |b| {
            b.iter(|| {
                for _ in 0..BATCH {
                    black_box(check(key()));
                }
            })
        });
    };
    bench("brick-rate-limit RedisGcra", &mut |k| {
        limiters.gcra.check(&keys[k]).is_ok_and(|d| d.allowed)
    });
    bench("brick-rate-limit RedisTokenBucket", &mut |k| {
        limiters
            .token_bucket
            .check(&keys[k])
            .is_ok_and(|d| d.allowed)
    });
    bench("brick-rate-limit RedisFixedWindow", &mut |k| {
        limiters
            .fixed_window
            .check(&keys[k])
            .is_ok_and(|d| d.allowed)
    });
    bench("brick-rate-limit RedisSlidingWindowCounter", &mut |k| {
        limiters
            .sliding_window
            .check(&keys[k])
            .is_ok_and(|d| d.allowed)
    });
    bench("brick-rate-limit RedisHierarchy (3 levels)", &mut |k| {
        hierarchy
            .check_many(&[&keys[k], "10.0.0.1", "all"], 1)
            .is_ok_and(|d| d.allowed)
    });
    bench("naive INCR + PEXPIRE (pipelined)", &mut |k| {
        naive_fixed_window(&mut con, &naive_keys[k])
    });
    g.finish();
    let mut g = c.benchmark_group("rate-limit-redis/bare");
    g.throughput(Throughput::Elements(BATCH as u64));
    let mut con = redis.raw();
    g.bench_function(BenchmarkId::new("bare INCR", BATCH), |b| {
        b.iter(|| {
            for i in 0..BATCH {
                black_box(bare_incr(&mut con, &naive_keys[i % KEYS]));
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = rate_limit_redis
}
criterion_main!(benches);
