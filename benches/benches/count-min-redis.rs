//! Criterion: brick-count-min's `RedisCountMin` and `RedisTopK` against an exact `HINCRBY`
//! counter, single adds and batches of 100, on a local Redis (`REDIS_URL`, or a `redis-server`
//! from `PATH` started for the run). Without either, it says so and measures nothing.

use brick_benches::inputs::zipf_keys;
use brick_benches::sections::rate_limit_redis::BenchRedis;
use brick_count_min::{Conservative, Plain, RedisClient, RedisCountMin, RedisTopK};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const BATCH: usize = 100;

fn count_min_redis(c: &mut Criterion) {
    let Some(redis) = BenchRedis::find() else {
        eprintln!("count-min-redis: no REDIS_URL and no redis-server on PATH; nothing measured");
        return;
    };
    let client = RedisClient::open(&redis.url).expect("valid URL");
    let run = std::process::id();
    let plain = RedisCountMin::<Plain>::new(client.clone(), &format!("crit-cms-{run}"), 1e-4, 0.01)
        .unwrap();
    let conservative =
        RedisCountMin::<Conservative>::new(client.clone(), &format!("crit-ccms-{run}"), 1e-4, 0.01)
            .unwrap();
    let top = RedisTopK::new(client, &format!("crit-topk-{run}"), 100, 1e-4, 0.01).unwrap();
    let keys: Vec<String> = zipf_keys(100_000, 100_000, 1.1, 7)
        .into_iter()
        .map(|k| format!("key-{k}"))
        .collect();
    let hash_key = format!("crit-hincrby-{run}");
    let mut con = redis.raw();
    let mut next = 0usize;
    let mut key = move || {
        next = (next + 1) % keys.len();
        keys[next].clone()
    };

    let mut g = c.benchmark_group("count-min-redis/add");
    g.throughput(Throughput::Elements(1));
    g.bench_function("brick-count-min RedisCountMin (plain)", |b| {
        b.iter(|| black_box(plain.add(&key(), 1).unwrap()))
    });
    g.bench_function("brick-count-min RedisCountMin (conservative)", |b| {
        b.iter(|| black_box(conservative.add(&key(), 1).unwrap()))
    });
    g.bench_function("brick-count-min RedisTopK", |b| {
        b.iter(|| black_box(top.add(&key(), 1).unwrap()))
    });
    g.bench_function("exact HINCRBY", |b| {
        b.iter(|| {
            let n: i64 = redis::cmd("HINCRBY")
                .arg(&hash_key)
                .arg(key())
                .arg(1)
                .query(&mut con)
                .unwrap();
            black_box(n)
        })
    });
    g.finish();

    let mut g = c.benchmark_group("count-min-redis/add_many");
    g.throughput(Throughput::Elements(BATCH as u64));
    let mut batch = || -> Vec<String> { (0..BATCH).map(|_| key()).collect() };
    g.bench_function(
        BenchmarkId::new("brick-count-min RedisCountMin (plain)", BATCH),
        |b| {
            b.iter(|| {
                black_box(
                    plain
                        .add_many(batch().iter().map(|k| (k.as_str(), 1)))
                        .unwrap(),
                )
            })
        },
    );
    g.bench_function(BenchmarkId::new("brick-count-min RedisTopK", BATCH), |b| {
        b.iter(|| {
            black_box(
                top.add_many(batch().iter().map(|k| (k.as_str(), 1)))
                    .unwrap(),
            )
        })
    });
    g.bench_function(BenchmarkId::new("exact HINCRBY (pipelined)", BATCH), |b| {
        b.iter(|| {
            let mut pipe = redis::pipe();
            for k in batch() {
                pipe.cmd("HINCRBY").arg(&hash_key).arg(k).arg(1);
            }
            let n: Vec<i64> = pipe.query(&mut con).unwrap();
            black_box(n)
        })
    });
    g.finish();
    for k in [
        plain.key_names(),
        conservative.key_names(),
        top.sketch().key_names(),
    ] {
        let _: () = redis::cmd("DEL").arg(&k[..]).query(&mut con).unwrap();
    }
    let _: () = redis::cmd("DEL").arg(&hash_key).query(&mut con).unwrap();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = count_min_redis
}
criterion_main!(benches);
