//! brick-count-min's Redis-backed sketch and top-k against its in-process twins and a naive
//! exact counter (`HINCRBY` per item), on one real local `redis-server`.

use crate::inputs::zipf_keys;
use crate::sections::bloom_redis::memory_usage;
use crate::sections::rate_limit_redis::BenchRedis;
use crate::{Ctx, Record, Section};
use brick_count_min::{
    Conservative, CountMinSketch, Plain, RedisClient, RedisCountMin, RedisOptions, RedisTopK, TopK,
};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

const BRICK: &str = "count-min-redis";
/// Items a batch holds.
const BATCH: usize = 100;
/// Heavy hitters asked for.
const K: u64 = 100;
const EPSILON: f64 = 0.0001;
const DELTA: f64 = 0.01;

fn client(redis: &BenchRedis) -> RedisClient {
    let options = RedisOptions {
        connections: 1,
        timeout: Duration::from_secs(5),
        ..RedisOptions::default()
    };
    RedisClient::with_options(&redis.url, options).expect("valid URL")
}

/// The true top-`k` keys of `stream`.
fn true_top(stream: &[String], k: usize) -> HashSet<String> {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for key in stream {
        *counts.entry(key).or_default() += 1;
    }
    let mut by_count: Vec<(&str, u64)> = counts.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    by_count
        .into_iter()
        .take(k)
        .map(|(key, _)| key.to_owned())
        .collect()
}

/// The report section.
#[derive(Debug)]
pub struct CountMinRedisSection;

impl Section for CountMinRedisSection {
    fn brick(&self) -> &'static str {
        BRICK
    }

    fn summary(&self) -> String {
        format!(
            "brick-count-min's `RedisCountMin` and `RedisTopK` (feature `redis`) on a local \
             redis-server over loopback (`REDIS_URL`, or one started for the run): ε = {EPSILON}, \
             δ = {DELTA} (27,183 × 5 u32 counters). `add` is one script (one round trip); \
             `add_many` a batch of {BATCH} in one script, its time per item. The reference is an \
             exact counter, `HINCRBY` into one hash (one round trip an item, or a batch \
             pipelined), which grows with the number of distinct keys where the sketch does not. \
             Recall is the share of the true top-{K} of a Zipf(1.1) stream of string keys that \
             each top-k reports; the Redis one must equal the in-process `TopK`'s. Memory is \
             `MEMORY USAGE` of the counters' key against the in-process counters' bytes."
        )
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let Some(redis) = BenchRedis::find() else {
            eprintln!("count-min-redis: no REDIS_URL and no redis-server on PATH; skipped");
            return Vec::new();
        };
        let run = std::process::id();
        let ops: usize = ctx.mode.pick(300, 2_000, 5_000);
        let universe: u64 = 100_000;
        let stream_len: usize = ctx.mode.pick(20_000, 200_000, 1_000_000);
        let params = format!("eps={EPSILON} delta={DELTA} batch={BATCH} loopback");
        let stream: Vec<String> = zipf_keys(stream_len, universe, 1.1, 7)
            .into_iter()
            .map(|k| format!("key-{k}"))
            .collect();

        let plain = RedisCountMin::<Plain>::new(
            client(&redis),
            &format!("bench-cms-{run}"),
            EPSILON,
            DELTA,
        )
        .expect("the sketch");
        let conservative = RedisCountMin::<Conservative>::new(
            client(&redis),
            &format!("bench-ccms-{run}"),
            EPSILON,
            DELTA,
        )
        .expect("the sketch");
        let top = RedisTopK::new(
            client(&redis),
            &format!("bench-topk-{run}"),
            K,
            EPSILON,
            DELTA,
        )
        .expect("the top-k");
        for s in [plain.key_names()[0], conservative.key_names()[0]] {
            let _: () = redis::cmd("DEL")
                .arg(s)
                .query(&mut redis.raw())
                .expect("DEL");
        }
        top.clear().expect("clear");
        let hash_key = format!("bench-hincrby-{run}");
        let mut con = redis.raw();
        let _: () = redis::cmd("DEL")
            .arg(&hash_key)
            .query(&mut con)
            .expect("DEL");

        ctx.step("count-min-redis: add, single and batched (interleaved)");
        let key = |i: usize| &stream[i % stream.len()];
        let batch = |i: usize| -> Vec<(&str, u64)> {
            (0..BATCH)
                .map(|j| (stream[(i * BATCH + j) % stream.len()].as_str(), 1))
                .collect()
        };
        let mut con_single = redis.raw();
        let mut con_batch = redis.raw();
        let mut ops_list: Vec<crate::harness::Timed<'_>> = vec![
            (
                "brick-count-min RedisCountMin (plain)",
                "add",
                true,
                1,
                Box::new(|i| {
                    std::hint::black_box(plain.add(key(i), 1).expect("add"));
                }),
            ),
            (
                "brick-count-min RedisCountMin (conservative)",
                "add",
                true,
                1,
                Box::new(|i| {
                    std::hint::black_box(conservative.add(key(i), 1).expect("add"));
                }),
            ),
            (
                "brick-count-min RedisTopK",
                "add",
                true,
                1,
                Box::new(|i| {
                    std::hint::black_box(top.add(key(i), 1).expect("add"));
                }),
            ),
            (
                "exact HINCRBY",
                "add",
                false,
                1,
                Box::new(|i| {
                    let n: i64 = redis::cmd("HINCRBY")
                        .arg(&hash_key)
                        .arg(key(i))
                        .arg(1)
                        .query(&mut con_single)
                        .expect("HINCRBY");
                    std::hint::black_box(n);
                }),
            ),
            (
                "brick-count-min RedisCountMin (plain)",
                "add_many",
                true,
                BATCH,
                Box::new(|i| {
                    std::hint::black_box(plain.add_many(batch(i)).expect("add_many"));
                }),
            ),
            (
                "brick-count-min RedisCountMin (conservative)",
                "add_many",
                true,
                BATCH,
                Box::new(|i| {
                    std::hint::black_box(conservative.add_many(batch(i)).expect("add_many"));
                }),
            ),
            (
                "brick-count-min RedisTopK",
                "add_many",
                true,
                BATCH,
                Box::new(|i| {
                    std::hint::black_box(top.add_many(batch(i)).expect("add_many"));
                }),
            ),
            (
                "exact HINCRBY",
                "add_many",
                false,
                BATCH,
                Box::new(|i| {
                    let mut pipe = redis::pipe();
                    for (k, c) in batch(i) {
                        pipe.cmd("HINCRBY").arg(&hash_key).arg(k).arg(c);
                    }
                    let n: Vec<i64> = pipe.query(&mut con_batch).expect("HINCRBY pipeline");
                    std::hint::black_box(n);
                }),
            ),
        ];
        let medians = crate::harness::time_interleaved(ctx, &mut ops_list, ops);
        let mut out = Vec::new();
        for ((name, op, ours, _, _), ns) in ops_list.iter().zip(&medians) {
            out.push(Record::new(BRICK, name, name, *ours, op, params.clone()).with_ns(*ns));
        }
        drop(ops_list);

        ctx.step("count-min-redis: top-k recall on a Zipf stream");
        top.clear().expect("clear");
        let mut local = TopK::<String>::new(K, EPSILON, DELTA).expect("the twin");
        for chunk in stream.chunks(1_000) {
            top.add_many(chunk.iter().map(|k| (k.as_str(), 1)))
                .expect("add_many");
            for k in chunk {
                local.insert(k);
            }
        }
        let truth = true_top(&stream, K as usize);
        let recall = |keys: Vec<String>| {
            keys.iter().filter(|k| truth.contains(*k)).count() as f64 / K as f64
        };
        let redis_recall = recall(top.top().expect("top").into_iter().map(|h| h.key).collect());
        let local_recall = recall(local.top().into_iter().map(|h| h.key).collect());
        let zipf = format!("{params} stream={stream_len} universe={universe} zipf=1.1 k={K}");
        out.push(
            Record::new(
                BRICK,
                "RedisTopK",
                "brick-count-min",
                true,
                "top-100 recall",
                zipf.clone(),
            )
            .with_metric("recall", redis_recall, Some(local_recall))
            .equals(),
        );
        out.push(
            Record::new(
                BRICK,
                "TopK (in process)",
                "brick-count-min",
                true,
                "top-100 recall",
                zipf.clone(),
            )
            .with_metric("recall", local_recall, None),
        );
        let same = top.sketch().download().expect("download") == *local.sketch();
        out.push(
            Record::new(
                BRICK,
                "RedisTopK",
                "brick-count-min",
                true,
                "counters equal the in-process twin's",
                zipf,
            )
            .with_metric("equal (1 = yes)", f64::from(u8::from(same)), Some(1.0))
            .equals(),
        );

        ctx.step("count-min-redis: memory");
        let usage = memory_usage(&mut con, plain.key_names()[0]);
        let local_bytes = CountMinSketch::<u32>::new(EPSILON, DELTA)
            .expect("sketch")
            .len_bytes() as u64;
        out.push(
            Record::new(
                BRICK,
                "RedisCountMin",
                "brick-count-min",
                true,
                "Redis memory",
                params.clone(),
            )
            .with_bytes(usage)
            .with_metric(
                "Redis bytes ÷ in-process bytes",
                usage as f64 / local_bytes as f64,
                Some(1.05),
            )
            .at_most(),
        );
        let hash_usage = memory_usage(&mut con, &hash_key);
        out.push(
            Record::new(
                BRICK,
                "exact HINCRBY hash",
                "exact HINCRBY",
                false,
                "Redis memory",
                params,
            )
            .with_bytes(hash_usage),
        );
        for k in [
            plain.key_names(),
            conservative.key_names(),
            top.sketch().key_names(),
        ] {
            let _: () = redis::cmd("DEL").arg(&k[..]).query(&mut con).expect("DEL");
        }
        let _: () = redis::cmd("DEL")
            .arg(&hash_key)
            .query(&mut con)
            .expect("DEL");
        out
    }
}
