//! The Redis-backed filter against real `redis-server`s.
//!
//! Tests marked `#[ignore]` need Redis: `REDIS_URL` for the shared server, and `redis-server`
//! on `PATH` (or `REDIS_SERVER_BIN`) for the fault test, which starts and stops its own server.
//! `.ci/run` provides both and runs them with `--ignored`. The tests without `#[ignore]` check
//! what must fail before any I/O, so they need no server.
#![cfg(not(loom))]
// The test's own threads and counters: loom models the crate's atomics, not these.
#![allow(clippy::disallowed_types)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use brick_bloom::*;
use proptest::prelude::*;

mod support;
use support::*;

fn client() -> RedisClient {
    RedisClient::open(&shared_url()).unwrap()
}

/// Small keys, so that even a small filter spans several.
fn spread(max_key_bytes: u64) -> RedisBloomOptions {
    RedisBloomOptions { max_key_bytes }
}

/// One step of a twin run: a single insert, a batch of inserts, or a batch of queries.
#[derive(Debug, Clone)]
enum Step {
    Insert(u32),
    InsertMany(Vec<u32>),
    ContainsMany(Vec<u32>),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    // Items from a small range, so that batches repeat items and queries hit.
    let item = 0..400u32;
    prop::collection::vec(
        prop_oneof![
            3 => item.clone().prop_map(Step::Insert),
            2 => prop::collection::vec(item.clone(), 0..40).prop_map(Step::InsertMany),
            1 => prop::collection::vec(item, 0..40).prop_map(Step::ContainsMany),
        ],
        1..30,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any sequence of inserts and queries gives the Redis filter and its in-process twin the
    /// same answers, and the same bits: the downloaded filter equals the twin and encodes to
    /// the same bytes.
    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn matches_its_in_process_twin(
        n in 1..3_000u64,
        p in 0.001..0.2f64,
        seed in any::<u64>(),
        key_blocks in 1..20u64,
        steps in steps(),
    ) {
        let params = Params::blocked(n, p).unwrap();
        let hasher = DefaultBuildHasher::with_seed(seed);
        let redis = RedisBloomFilter::with_hasher(
            client(),
            &unique("twin"),
            params,
            hasher,
            spread(key_blocks * 64),
        )
        .unwrap();
        let mut local = BlockedBloomFilter::with_hasher(params, hasher).unwrap();
        prop_assert_eq!(redis.params(), local.params());
        for step in &steps {
            match step {
                Step::Insert(x) => {
                    prop_assert_eq!(redis.insert(x).unwrap(), local.insert(x));
                }
                Step::InsertMany(xs) => {
                    let theirs: Vec<bool> = xs.iter().map(|x| local.insert(x)).collect();
                    prop_assert_eq!(redis.insert_many(xs).unwrap(), theirs);
                }
                Step::ContainsMany(xs) => {
                    let theirs: Vec<bool> = xs.iter().map(|x| local.contains(x)).collect();
                    prop_assert_eq!(redis.contains_many(xs).unwrap(), theirs);
                }
            }
        }
        for x in 0..400u32 {
            prop_assert_eq!(redis.contains(&x).unwrap(), local.contains(&x));
        }
        let downloaded = redis.download().unwrap();
        prop_assert!(downloaded == local);
        prop_assert_eq!(downloaded.to_bytes(), local.to_bytes());
    }
}

/// Migration both ways: a filter built in process, uploaded, answers in Redis as it did in
/// process; new inserts in Redis come back in the download; `from_bytes` accepts its bytes.
#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn upload_and_download_migrate_both_ways() {
    let mut local = BlockedBloomFilter::new(5_000, 0.01).unwrap();
    for x in 0..3_000u32 {
        local.insert(&x);
    }
    let redis = RedisBloomFilter::with_hasher(
        client(),
        &unique("migrate"),
        local.params(),
        DefaultBuildHasher::default(),
        spread(1024),
    )
    .unwrap();
    redis.upload(&local).unwrap();
    let answers = redis.contains_many(0..6_000u32).unwrap();
    let expected: Vec<bool> = (0..6_000u32).map(|x| local.contains(&x)).collect();
    assert_eq!(answers, expected);
    assert!(
        answers[..3_000].iter().all(|&a| a),
        "no false negative after upload"
    );

    redis.insert_many(3_000..4_000u32).unwrap();
    for x in 3_000..4_000u32 {
        local.insert(&x);
    }
    let back = BlockedBloomFilter::from_bytes(&redis.download().unwrap().to_bytes()).unwrap();
    assert!(back == local);

    let other_shape = BlockedBloomFilter::new(50, 0.01).unwrap();
    assert!(matches!(
        redis.upload(&other_shape),
        Err(RedisError::Mismatch(_))
    ));

    redis.clear().unwrap();
    assert_eq!(redis.download().unwrap().count_ones(), 0);
}

/// Sixteen clients (threads, each with its own client and pool) insert disjoint sets, singly
/// and in batches, at once: afterwards every item any of them inserted is present.
#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn concurrent_clients_lose_no_insert() {
    let prefix = unique("concurrent");
    // A small filter of many small keys: the clients collide on keys and blocks.
    let make = || {
        RedisBloomFilter::with_hasher(
            client(),
            &prefix,
            Params::blocked(20_000, 0.01).unwrap(),
            DefaultBuildHasher::default(),
            spread(4096),
        )
        .unwrap()
    };
    let threads: Vec<_> = (0..16u32)
        .map(|t| {
            let filter = make();
            std::thread::spawn(move || {
                let items: Vec<u32> = (0..1_000).map(|i| t * 1_000 + i).collect();
                for chunk in items.chunks(100).step_by(2) {
                    filter.insert_many(chunk).unwrap();
                }
                for chunk in items.chunks(100).skip(1).step_by(2) {
                    for x in chunk {
                        filter.insert(x).unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let filter = make();
    let present = filter.contains_many(0..16_000u32).unwrap();
    let missing = present.iter().filter(|&&p| !p).count();
    assert_eq!(missing, 0, "items lost by concurrent inserts");
    // And the bits are exactly those of the same inserts in one process.
    let mut local =
        BlockedBloomFilter::with_hasher(filter.params(), DefaultBuildHasher::default()).unwrap();
    for x in 0..16_000u32 {
        local.insert(&x);
    }
    assert!(filter.download().unwrap() == local);
}

/// A server killed (SIGKILL) in the middle of a stream of batches and restarted: every insert
/// that returned `Ok` is present afterwards; the ones that failed were reported.
#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn a_killed_server_loses_no_acknowledged_insert() {
    let mut server = Server::start_durable();
    let options = RedisOptions {
        connections: 2,
        timeout: Duration::from_millis(300),
        reconnect_backoff: Duration::from_millis(20),
    };
    let client = RedisClient::with_options(&server.url(), options).unwrap();
    let filter = Arc::new(
        RedisBloomFilter::with_hasher(
            client,
            "faults",
            Params::blocked(100_000, 0.01).unwrap(),
            DefaultBuildHasher::default(),
            spread(64 << 10),
        )
        .unwrap(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (filter, stop) = (Arc::clone(&filter), Arc::clone(&stop));
        std::thread::spawn(move || {
            let (mut acknowledged, mut failed) = (Vec::new(), 0);
            let mut next = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let batch: Vec<u32> = (next..next + 50).collect();
                next += 50;
                match filter.insert_many(&batch) {
                    Ok(_) => acknowledged.extend(batch),
                    Err(_) => failed += 1,
                }
            }
            (acknowledged, failed)
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    server.signal("-KILL");
    std::thread::sleep(Duration::from_millis(200));
    server.stop();
    server.restart();
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let (acknowledged, failed) = writer.join().unwrap();
    assert!(failed > 0, "the outage was never noticed");
    assert!(!acknowledged.is_empty());
    let present = filter.contains_many(&acknowledged).unwrap();
    let lost = present.iter().filter(|&&p| !p).count();
    assert_eq!(
        lost,
        0,
        "{lost} of {} acknowledged inserts lost",
        acknowledged.len()
    );
}

/// A key of another type, or a string of another length, under the filter's names is refused
/// with a typed error and left as it was; a handle of another shape is refused.
#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn foreign_values_and_other_shapes_are_typed_errors() {
    let url = shared_url();
    let prefix = unique("foreign");
    let filter = RedisBloomFilter::with_hasher(
        client(),
        &prefix,
        Params::new(512, 4).unwrap(),
        DefaultBuildHasher::default(),
        RedisBloomOptions::default(),
    )
    .unwrap();
    assert_eq!(filter.layout(), (1, 64));
    let key = filter.key_name(0);
    let mut raw = raw(&url);

    let _: () = redis::cmd("RPUSH")
        .arg(&key)
        .arg("x")
        .query(&mut raw)
        .unwrap();
    assert!(matches!(filter.insert(&1u32), Err(RedisError::Foreign(_))));
    assert!(matches!(
        filter.contains(&1u32),
        Err(RedisError::Foreign(_))
    ));
    let e = filter.insert_many([1u32, 2]);
    assert!(matches!(e, Err(RedisError::Foreign(_))), "{e:?}");
    assert!(matches!(filter.download(), Err(RedisError::Foreign(_))));
    let kind: String = redis::cmd("TYPE").arg(&key).query(&mut raw).unwrap();
    assert_eq!(kind, "list");

    let _: () = redis::cmd("DEL").arg(&key).query(&mut raw).unwrap();
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg("not a filter")
        .query(&mut raw)
        .unwrap();
    assert!(matches!(filter.insert(&1u32), Err(RedisError::Foreign(_))));
    assert!(matches!(
        filter.contains(&1u32),
        Err(RedisError::Foreign(_))
    ));
    let local = BlockedBloomFilter::with_params(512, 4).unwrap();
    assert!(matches!(filter.upload(&local), Err(RedisError::Foreign(_))));
    let value: String = redis::cmd("GET").arg(&key).query(&mut raw).unwrap();
    assert_eq!(value, "not a filter");

    // The same prefix with another shape, hasher or key size.
    let again = |params: Params, seed: u64, key_bytes: u64| {
        RedisBloomFilter::with_hasher(
            client(),
            &prefix,
            params,
            DefaultBuildHasher::with_seed(seed),
            spread(key_bytes),
        )
    };
    let same = DefaultBuildHasher::default().tag();
    assert!(again(Params::new(512, 4).unwrap(), same, 16 << 20).is_ok());
    for attempt in [
        again(Params::new(1024, 4).unwrap(), same, 16 << 20),
        again(Params::new(512, 5).unwrap(), same, 16 << 20),
        again(Params::new(512, 4).unwrap(), same ^ 1, 16 << 20),
        again(Params::new(512, 4).unwrap(), same, 64),
    ] {
        assert!(
            matches!(attempt, Err(RedisError::Mismatch(_))),
            "{attempt:?}"
        );
    }
}

/// The parameters the in-process filter refuses, a bad prefix and bad options are refused the
/// same way before any I/O (the client points at a port nothing listens on).
#[test]
fn bad_parameters_are_typed_errors_before_any_io() {
    let nowhere = RedisClient::open("redis://127.0.0.1:1/").unwrap();
    for (n, p) in [(0, 0.01), (10, 0.0), (10, 1.0), (10, f64::NAN)] {
        let ours = RedisBloomFilter::new(nowhere.clone(), "bad", n, p).unwrap_err();
        let theirs = BlockedBloomFilter::new(n, p).unwrap_err();
        // As text: NaN is not equal to itself.
        assert_eq!(ours.to_string(), RedisError::Config(theirs).to_string());
        assert!(matches!(ours, RedisError::Config(_)));
    }
    for prefix in ["", "a{b", "c}"] {
        let e = RedisBloomFilter::new(nowhere.clone(), prefix, 10, 0.01).unwrap_err();
        assert!(matches!(e, RedisError::BadPrefix(_)), "{e:?}");
    }
    let e = RedisBloomFilter::with_hasher(
        nowhere.clone(),
        "tiny",
        Params::new(512, 4).unwrap(),
        DefaultBuildHasher::default(),
        spread(63),
    )
    .unwrap_err();
    assert!(matches!(e, RedisError::BadOptions(_)), "{e:?}");
    let zero = RedisOptions {
        connections: 0,
        ..Default::default()
    };
    assert!(matches!(
        RedisClient::with_options("redis://127.0.0.1:1/", zero),
        Err(RedisError::BadOptions(_))
    ));
    // With valid parameters the error is the connection's.
    let e = RedisBloomFilter::new(nowhere, "ok", 10, 0.01).unwrap_err();
    assert!(matches!(e, RedisError::Connection(_)), "{e:?}");
}
