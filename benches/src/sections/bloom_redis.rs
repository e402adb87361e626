//! brick-bloom's Redis-backed filter against the naive client (k `SETBIT` / `GETBIT` commands
//! per item, pipelined, as Redisson's `RBloomFilter` sends them) and a bare `GET`, on one real
//! local `redis-server`.

use crate::sections::rate_limit_redis::BenchRedis;
use crate::{Ctx, Record, Section};
use brick_bloom::{
    BlockedBloomFilter, DefaultBuildHasher, Params, RedisBloomFilter, RedisBloomOptions,
    RedisClient, RedisOptions,
};
use std::time::Duration;

const BRICK: &str = "bloom-redis";
/// Items a batch holds.
pub const BATCH: usize = 100;
/// The false-positive target of the filters measured.
const RATE: f64 = 0.01;

/// The naive Redis Bloom filter: one string of m bits, k positions by double hashing, one
/// `SETBIT` or `GETBIT` each, the commands of an item (or a batch) pipelined.
#[derive(Debug)]
pub struct NaiveRedisBloom {
    key: String,
    bits: u64,
    hashes: u32,
}

impl NaiveRedisBloom {
    /// A filter of `bits` bits and `hashes` probes under `key`.
    pub fn new(key: String, bits: u64, hashes: u32) -> Self {
        Self { key, bits, hashes }
    }

    fn positions(&self, item: u64) -> impl Iterator<Item = u64> + '_ {
        let h = xxhash_rust::xxh3::xxh3_64(&item.to_le_bytes());
        let (h1, h2) = (h & 0xffff_ffff, (h >> 32) | 1);
        (0..u64::from(self.hashes)).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) % self.bits)
    }

    fn commands(&self, pipe: &mut redis::Pipeline, op: &str, items: &[u64]) {
        for &item in items {
            for bit in self.positions(item) {
                let cmd = pipe.cmd(op).arg(&self.key).arg(bit);
                if op == "SETBIT" {
                    cmd.arg(1);
                }
            }
        }
    }

    /// Inserts `items`, one round trip; for each, whether all its bits were set already.
    pub fn insert_many(&self, con: &mut redis::Connection, items: &[u64]) -> Vec<bool> {
        self.answers(con, "SETBIT", items)
    }

    /// Whether each of `items` is possibly present, one round trip.
    pub fn contains_many(&self, con: &mut redis::Connection, items: &[u64]) -> Vec<bool> {
        self.answers(con, "GETBIT", items)
    }

    fn answers(&self, con: &mut redis::Connection, op: &str, items: &[u64]) -> Vec<bool> {
        let mut pipe = redis::pipe();
        self.commands(&mut pipe, op, items);
        let bits: Vec<u8> = pipe.query(con).expect("the naive filter's pipeline");
        bits.chunks(self.hashes as usize)
            .map(|c| c.iter().all(|&b| b == 1))
            .collect()
    }
}

/// The filters measured, under run-unique keys.
#[derive(Debug)]
pub struct Filters {
    /// Ours.
    pub ours: RedisBloomFilter,
    /// The naive client's, of the same bits and k.
    pub naive: NaiveRedisBloom,
    /// The in-process twin of ours.
    pub local: BlockedBloomFilter,
}

impl Filters {
    /// Filters for `n` items at 1 %, ours cut into keys of 256 KiB.
    pub fn new(redis: &BenchRedis, n: u64) -> Filters {
        let options = RedisOptions {
            connections: 1,
            timeout: Duration::from_secs(5),
            ..RedisOptions::default()
        };
        let client = RedisClient::with_options(&redis.url, options).expect("valid URL");
        let params = Params::blocked(n, RATE).expect("valid parameters");
        let run = format!("bench-bloom-{}-{}", std::process::id(), n);
        let ours = RedisBloomFilter::with_hasher(
            client,
            &run,
            params,
            DefaultBuildHasher::default(),
            RedisBloomOptions {
                max_key_bytes: 256 << 10,
            },
        )
        .expect("the filter");
        ours.clear().expect("a fresh filter");
        let naive = NaiveRedisBloom::new(format!("{run}-naive"), params.bits, params.hashes);
        let mut con = redis.raw();
        let _: () = redis::cmd("DEL")
            .arg(&naive.key)
            .query(&mut con)
            .expect("DEL");
        let local = BlockedBloomFilter::new(n, RATE).expect("the twin");
        Filters { ours, naive, local }
    }
}

/// `MEMORY USAGE` of `key`, in bytes (0 for an absent key).
pub fn memory_usage(con: &mut redis::Connection, key: &str) -> u64 {
    redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(key)
        .arg("SAMPLES")
        .arg(0)
        .query::<Option<u64>>(con)
        .expect("MEMORY USAGE")
        .unwrap_or(0)
}

/// A measured figure of ours, next to its bound or target.
fn ours_metric(
    structure: &str,
    operation: &str,
    params: String,
    metric: &str,
    value: f64,
    bound: Option<f64>,
) -> Record {
    Record::new(BRICK, structure, "brick-bloom", true, operation, params)
        .with_metric(metric, value, bound)
}

/// The report section.
#[derive(Debug)]
pub struct BloomRedisSection;

impl Section for BloomRedisSection {
    fn brick(&self) -> &'static str {
        BRICK
    }

    fn summary(&self) -> String {
        format!(
            "brick-bloom's `RedisBloomFilter` (feature `redis`) on a local redis-server over \
             loopback (`REDIS_URL`, or one started for the run), sized for n items at 1 % and \
             cut into 256 KiB keys, filled with n items first. A query is one `GETRANGE` of the \
             item's 64-byte block; an insert one script setting its k bits. The naive client is \
             what Redisson's `RBloomFilter` sends: k `SETBIT` / `GETBIT` per item, pipelined \
             (one round trip an item, or a batch), on a standard filter of the same bits and k. \
             `bare GET` is one round trip of a small key. Batches are {BATCH} items in one round \
             trip; their time is per item. The implementations take turns, run after run. \
             Targets: single contains ≤ 1.2× a bare GET; batches ≥ 5× the naive client's items/s; \
             the false-positive rate on absent keys equal to the in-process blocked filter's \
             (the same bits); Redis memory ≤ 1.05× the in-process bytes."
        )
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let Some(redis) = BenchRedis::find() else {
            eprintln!("bloom-redis: no REDIS_URL and no redis-server on PATH; skipped");
            return Vec::new();
        };
        let n: u64 = ctx.mode.pick(20_000, 200_000, 1_000_000);
        let absent: u64 = ctx.mode.pick(20_000, 200_000, 1_000_000);
        let ops: usize = ctx.mode.pick(300, 2_000, 5_000);
        let params = format!("n={n} p={RATE} batch={BATCH} loopback");
        let mut f = Filters::new(&redis, n);
        let mut con = redis.raw();
        let mut out = Vec::new();

        ctx.step("bloom-redis: fill");
        let items: Vec<u64> = (0..n).collect();
        for chunk in items.chunks(1_000) {
            f.ours.insert_many(chunk).expect("insert");
            f.naive.insert_many(&mut con, chunk);
            for x in chunk {
                f.local.insert(x);
            }
        }
        ctx.step("bloom-redis: false-positive rate on absent keys");
        // At the filter's capacity, before the timed inserts add more: the twin is what the
        // download holds, and both are asked about keys nobody inserted.
        let downloaded = f.ours.download().expect("download");
        assert!(
            downloaded == f.local,
            "the Redis filter's bits differ from the twin's"
        );
        let probe: Vec<u64> = (0..absent).map(|i| (1u64 << 62) + i).collect();
        let mut ours_fp = 0u64;
        for chunk in probe.chunks(1_000) {
            ours_fp += f
                .ours
                .contains_many(chunk)
                .expect("contains_many")
                .iter()
                .filter(|&&p| p)
                .count() as u64;
        }
        let twin_fp = probe.iter().filter(|x| downloaded.contains(x)).count() as u64;
        let bound = downloaded.expected_false_positive_rate(n);
        out.push(ours_metric(
            "RedisBloomFilter",
            "false-positive rate",
            format!("{params} absent={absent}"),
            "false_positive_rate",
            ours_fp as f64 / absent as f64,
            Some(bound),
        ));
        out.push(ours_metric(
            "BlockedBloomFilter (its download)",
            "false-positive rate",
            format!("{params} absent={absent}"),
            "false_positive_rate",
            twin_fp as f64 / absent as f64,
            Some(bound),
        ));

        let _: () = redis::cmd("SET")
            .arg("bench-bloom-get")
            .arg("x")
            .query(&mut con)
            .expect("SET");

        ctx.step("bloom-redis: single and batched operations (interleaved)");
        let mut next = n;
        let mut fresh = move |count: usize| {
            let out: Vec<u64> = (next..next + count as u64).collect();
            next += count as u64;
            out
        };
        // Queries ask for present and absent items alike: half below n.
        let query = |i: usize| (i as u64 * 7_919) % (2 * n);
        let batch_of =
            |i: usize| -> Vec<u64> { (0..BATCH).map(|j| query(i * BATCH + j)).collect() };
        let ours = &f.ours;
        let naive = &f.naive;
        let mut con_naive = redis.raw();
        let mut con_get = redis.raw();
        let mut con_naive2 = redis.raw();
        let mut con_naive3 = redis.raw();
        let mut con_naive4 = redis.raw();
        let fresh_single = std::cell::RefCell::new(&mut fresh);
        let mut ops_list: Vec<crate::harness::Timed<'_>> = vec![
            (
                "brick-bloom RedisBloomFilter",
                "contains",
                true,
                1,
                Box::new(|i| {
                    std::hint::black_box(ours.contains(&query(i)).expect("contains"));
                }),
            ),
            (
                "naive GETBIT × k (pipelined)",
                "contains",
                false,
                1,
                Box::new(|i| {
                    std::hint::black_box(naive.contains_many(&mut con_naive, &[query(i)]));
                }),
            ),
            (
                "bare GET",
                "contains",
                false,
                1,
                Box::new(|_| {
                    let v: Option<Vec<u8>> = redis::cmd("GET")
                        .arg("bench-bloom-get")
                        .query(&mut con_get)
                        .expect("GET");
                    std::hint::black_box(v);
                }),
            ),
        ];
        ops_list.push((
            "brick-bloom RedisBloomFilter",
            "insert",
            true,
            1,
            Box::new(|_| {
                let x = (fresh_single.borrow_mut())(1);
                std::hint::black_box(ours.insert(&x[0]).expect("insert"));
            }),
        ));
        ops_list.push((
            "naive SETBIT × k (pipelined)",
            "insert",
            false,
            1,
            Box::new(|_| {
                let x = (fresh_single.borrow_mut())(1);
                std::hint::black_box(naive.insert_many(&mut con_naive2, &x));
            }),
        ));
        ops_list.push((
            "brick-bloom RedisBloomFilter",
            "contains_many",
            true,
            BATCH,
            Box::new(|i| {
                std::hint::black_box(ours.contains_many(batch_of(i)).expect("contains_many"));
            }),
        ));
        ops_list.push((
            "naive GETBIT × k (pipelined)",
            "contains_many",
            false,
            BATCH,
            Box::new(|i| {
                std::hint::black_box(naive.contains_many(&mut con_naive3, &batch_of(i)));
            }),
        ));
        ops_list.push((
            "brick-bloom RedisBloomFilter",
            "insert_many",
            true,
            BATCH,
            Box::new(|_| {
                let xs = (fresh_single.borrow_mut())(BATCH);
                std::hint::black_box(ours.insert_many(&xs).expect("insert_many"));
            }),
        ));
        ops_list.push((
            "naive SETBIT × k (pipelined)",
            "insert_many",
            false,
            BATCH,
            Box::new(|_| {
                let xs = (fresh_single.borrow_mut())(BATCH);
                std::hint::black_box(naive.insert_many(&mut con_naive4, &xs));
            }),
        ));
        let medians = crate::harness::time_interleaved(ctx, &mut ops_list, ops);
        for ((name, op, is_ours, _, _), ns) in ops_list.iter().zip(&medians) {
            out.push(Record::new(BRICK, name, name, *is_ours, op, params.clone()).with_ns(*ns));
        }
        drop(ops_list);
        let ratio = |a: usize, b: usize| medians[a] / medians[b];
        out.push(
            ours_metric(
                "RedisBloomFilter",
                "contains ÷ bare GET",
                params.clone(),
                "time ratio",
                ratio(0, 2),
                Some(1.2),
            )
            .at_most(),
        );
        out.push(
            ours_metric(
                "RedisBloomFilter",
                "contains_many: naive ÷ ours",
                params.clone(),
                "items/s ratio",
                ratio(6, 5),
                Some(5.0),
            )
            .at_least(),
        );
        out.push(
            ours_metric(
                "RedisBloomFilter",
                "insert_many: naive ÷ ours",
                params.clone(),
                "items/s ratio",
                ratio(8, 7),
                Some(5.0),
            )
            .at_least(),
        );

        ctx.step("bloom-redis: memory");
        let (keys, _) = f.ours.layout();
        let redis_bytes: u64 = (0..keys)
            .map(|k| memory_usage(&mut con, &f.ours.key_name(k)))
            .sum();
        let local_bytes = f.local.memory_bytes() as u64;
        out.push(
            Record::new(
                BRICK,
                "RedisBloomFilter",
                "brick-bloom",
                true,
                "Redis memory",
                params.clone(),
            )
            .with_bytes(redis_bytes)
            .with_metric(
                "Redis bytes ÷ in-process bytes",
                redis_bytes as f64 / local_bytes as f64,
                Some(1.05),
            )
            .at_most(),
        );
        out.push(
            Record::new(
                BRICK,
                "naive standard filter",
                "naive",
                false,
                "Redis memory",
                params.clone(),
            )
            .with_bytes(memory_usage(&mut con, &f.naive.key)),
        );
        out.push(
            Record::new(
                BRICK,
                "BlockedBloomFilter",
                "brick-bloom",
                true,
                "memory",
                params,
            )
            .with_bytes(local_bytes),
        );
        out
    }
}
