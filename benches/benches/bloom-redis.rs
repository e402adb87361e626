//! Criterion: brick-bloom's `RedisBloomFilter` against the naive client (k `SETBIT` / `GETBIT`
//! per item, pipelined, as Redisson sends them), single items and batches of 100, on a local
//! Redis (`REDIS_URL`, or a `redis-server` from `PATH` started for the run). Without either, it
//! says so and measures nothing.

use brick_benches::sections::bloom_redis::{BATCH, Filters};
use brick_benches::sections::rate_limit_redis::BenchRedis;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const N: u64 = 100_000;

fn bloom_redis(c: &mut Criterion) {
    let Some(redis) = BenchRedis::find() else {
        eprintln!("bloom-redis: no REDIS_URL and no redis-server on PATH; nothing measured");
        return;
    };
    let f = Filters::new(&redis, N);
    let mut con = redis.raw();
    let items: Vec<u64> = (0..N).collect();
    for chunk in items.chunks(1_000) {
        f.ours.insert_many(chunk).expect("insert");
        f.naive.insert_many(&mut con, chunk);
    }
    // Present and absent items alike, and fresh ones for inserts.
    let mut next = 0u64;
    let mut query = move || {
        next = next.wrapping_add(7_919) % (2 * N);
        next
    };
    let mut fresh_at = N;
    let mut fresh = move || {
        fresh_at += 1;
        fresh_at
    };

    let mut g = c.benchmark_group("bloom-redis/single");
    g.throughput(Throughput::Elements(1));
    g.bench_function("brick-bloom RedisBloomFilter contains", |b| {
        b.iter(|| black_box(f.ours.contains(&query()).unwrap()))
    });
    g.bench_function("naive GETBIT × k contains", |b| {
        b.iter(|| black_box(f.naive.contains_many(&mut con, &[query()])))
    });
    g.bench_function("brick-bloom RedisBloomFilter insert", |b| {
        b.iter(|| black_box(f.ours.insert(&fresh()).unwrap()))
    });
    g.bench_function("naive SETBIT × k insert", |b| {
        b.iter(|| black_box(f.naive.insert_many(&mut con, &[fresh()])))
    });
    g.finish();

    let mut g = c.benchmark_group("bloom-redis/batch");
    g.throughput(Throughput::Elements(BATCH as u64));
    let batch =
        |make: &mut dyn FnMut() -> u64| -> Vec<u64> { (0..BATCH).map(|_| make()).collect() };
    g.bench_function(
        BenchmarkId::new("brick-bloom RedisBloomFilter contains_many", BATCH),
        |b| b.iter(|| black_box(f.ours.contains_many(batch(&mut query)).unwrap())),
    );
    g.bench_function(
        BenchmarkId::new("naive GETBIT × k contains_many", BATCH),
        |b| b.iter(|| black_box(f.naive.contains_many(&mut con, &batch(&mut query)))),
    );
    g.bench_function(
        BenchmarkId::new("brick-bloom RedisBloomFilter insert_many", BATCH),
        |b| b.iter(|| black_box(f.ours.insert_many(batch(&mut fresh)).unwrap())),
    );
    g.bench_function(
        BenchmarkId::new("naive SETBIT × k insert_many", BATCH),
        |b| b.iter(|| black_box(f.naive.insert_many(&mut con, &batch(&mut fresh)))),
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bloom_redis
}
criterion_main!(benches);
