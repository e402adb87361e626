//! The Redis-backed sketch and top-k against real `redis-server`s.
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

use brick_count_min::*;
use proptest::prelude::*;

mod support;
use support::*;

fn client() -> RedisClient {
    RedisClient::open(&shared_url()).unwrap()
}

/// One step of a twin run.
#[derive(Debug, Clone)]
enum Step {
    Add(u32, u64),
    AddMany(Vec<(u32, u64)>),
    Halve,
}

fn count() -> impl Strategy<Value = u64> {
    // Mostly small, sometimes zero, sometimes past what a u32 counter holds.
    prop_oneof![8 => 0..5u64, 1 => Just(0u64), 1 => (u32::MAX as u64 - 3)..=(u32::MAX as u64 + 3)]
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let item = 0..200u32;
    prop::collection::vec(
        prop_oneof![
            6 => (item.clone(), count()).prop_map(|(x, c)| Step::Add(x, c)),
            3 => prop::collection::vec((item, count()), 0..30).prop_map(Step::AddMany),
            1 => Just(Step::Halve),
        ],
        1..40,
    )
}

/// Runs `steps` through a Redis sketch and its in-process twin: the same estimates after every
/// add, and the same counters and total at the end.
fn run_twins<U: UpdateRule + PartialEq>(
    width: u64,
    depth: u64,
    seed: u64,
    steps: &[Step],
) -> Result<(), TestCaseError> {
    let hasher = DefaultBuildHasher::with_seed(seed);
    let redis = RedisCountMin::<U, _>::with_hasher(client(), &unique("twin"), width, depth, hasher)
        .unwrap();
    let mut local = CountMinSketch::<u32, _, U>::with_hasher(width, depth, hasher).unwrap();
    for step in steps {
        match step {
            Step::Add(x, c) => prop_assert_eq!(redis.add(x, *c).unwrap(), local.add(x, *c)),
            Step::AddMany(xs) => {
                let theirs: Vec<u64> = xs.iter().map(|(x, c)| local.add(x, *c)).collect();
                prop_assert_eq!(redis.add_many(xs.iter().copied()).unwrap(), theirs);
            }
            Step::Halve => {
                redis.halve().unwrap();
                local.halve();
            }
        }
    }
    for x in 0..200u32 {
        prop_assert_eq!(redis.estimate(&x).unwrap(), local.estimate(&x));
    }
    prop_assert_eq!(redis.total().unwrap(), local.total());
    prop_assert!(
        redis.download().unwrap() == local,
        "counters differ from the twin's"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn plain_matches_its_in_process_twin(
        width in 1..64u64, depth in 1..6u64, seed in any::<u64>(), steps in steps(),
    ) {
        run_twins::<Plain>(width, depth, seed, &steps)?;
    }

    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn conservative_matches_its_in_process_twin(
        width in 1..64u64, depth in 1..6u64, seed in any::<u64>(), steps in steps(),
    ) {
        run_twins::<Conservative>(width, depth, seed, &steps)?;
    }

    /// Whatever the stream, the tracked keys are at most k, each with a count at least its
    /// true count and at most the sketch's estimate, and the sketch under the top-k is the
    /// in-process conservative sketch of the same stream.
    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn topk_counts_bound_the_true_counts(
        k in 1..8u64,
        width in 4..64u64,
        stream in prop::collection::vec((0..40u32, 1..4u64), 1..120),
    ) {
        let top = RedisTopK::with_hasher(client(), &unique("topk"), k, width, 3, DefaultBuildHasher::default()).unwrap();
        let mut local = ConservativeCountMin::<u32>::with_params(width, 3).unwrap();
        let mut truth = std::collections::HashMap::new();
        for (x, c) in &stream {
            let key = format!("k{x}");
            prop_assert_eq!(top.add(&key, *c).unwrap(), local.add(&key, *c));
            *truth.entry(key).or_insert(0u64) += c;
        }
        let hits = top.top().unwrap();
        prop_assert!(hits.len() as u64 <= k);
        for h in &hits {
            prop_assert!(h.count >= truth[&h.key], "{h:?} below its true count");
            prop_assert!(h.count <= top.estimate(&h.key).unwrap());
        }
        prop_assert!(top.sketch().download().unwrap() == local);
        // A halving re-scores every tracked key, in the same script, against the halved
        // counters.
        top.halve().unwrap();
        local.halve();
        for h in top.top().unwrap() {
            prop_assert_eq!(h.count, local.estimate(&h.key));
        }
    }
}

/// A stream whose heavy hitters are unambiguous (distinct counts, a sketch wide enough to count
/// exactly) gives the Redis top-k and the in-process `TopK` the same keys and counts, before
/// and after a halving.
#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn topk_matches_the_in_process_topk_on_distinct_counts() {
    let top = RedisTopK::with_hasher(
        client(),
        &unique("topk-exact"),
        10,
        1 << 16,
        5,
        DefaultBuildHasher::default(),
    )
    .unwrap();
    let mut local = TopK::<String>::with_params(10, 1 << 16, 5).unwrap();
    // Key i occurs 3·(40 − i) + 1 times, round-robin, so the ranking builds up over time.
    let mut batch = Vec::new();
    for round in 0..121u64 {
        for i in 0..40u64 {
            if 3 * (40 - i) + 1 > round {
                batch.push(format!("key-{i}"));
            }
        }
    }
    for chunk in batch.chunks(64) {
        let ours = top.add_many(chunk.iter().map(|k| (k.as_str(), 1))).unwrap();
        let theirs: Vec<u64> = chunk.iter().map(|k| local.add(k, 1)).collect();
        assert_eq!(ours, theirs);
    }
    let pairs = |v: Vec<HeavyHitter<String>>| -> Vec<(String, u64)> {
        v.into_iter().map(|h| (h.key, h.count)).collect()
    };
    assert_eq!(pairs(top.top().unwrap()), pairs(local.top()));
    top.halve().unwrap();
    local.halve();
    assert_eq!(pairs(top.top().unwrap()), pairs(local.top()));
    assert_eq!(top.sketch().total().unwrap(), local.total());
}

/// Sixteen clients (threads, each with its own pool) count disjoint keys at once, singly and in
/// batches: the total is exactly the number of increments, every row sums to it (plain update),
/// and no key's estimate is below its true count.
#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn concurrent_clients_lose_no_increment() {
    let prefix = unique("concurrent");
    let make = || RedisCountMin::<Plain>::with_params(client(), &prefix, 512, 4).unwrap();
    let threads: Vec<_> = (0..16u32)
        .map(|t| {
            let sketch = make();
            std::thread::spawn(move || {
                for i in 0..200u32 {
                    sketch.increment(&(t * 1_000 + i % 50)).unwrap();
                }
                for chunk in 0..10u32 {
                    let batch: Vec<(u32, u64)> =
                        (0..20).map(|i| (t * 1_000 + (chunk + i) % 50, 1)).collect();
                    sketch.add_many(batch).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let sketch = make();
    assert_eq!(sketch.total().unwrap(), 16 * 400);
    let local = sketch.download().unwrap();
    for row in local.counters().chunks(512) {
        let sum: u64 = row.iter().map(|&c| u64::from(c)).sum();
        assert_eq!(sum, 16 * 400);
    }
    // Per thread: 200 singles, 4 per key, and batch `chunk` covers keys chunk..chunk + 20.
    for t in 0..16u32 {
        for i in 0..50u32 {
            let batched = (0..10u32)
                .filter(|c| (0..20).any(|j| (c + j) % 50 == i))
                .count() as u64;
            let truth = 4 + batched;
            assert!(sketch.estimate(&(t * 1_000 + i)).unwrap() >= truth);
        }
    }
}

/// A server killed (SIGKILL) while batches run, and restarted: every batch that returned `Ok`
/// is counted (the total is at least their sum and at most all that was attempted).
#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn a_killed_server_loses_no_acknowledged_add() {
    let mut server = Server::start_durable();
    let options = RedisOptions {
        connections: 2,
        timeout: Duration::from_millis(300),
        reconnect_backoff: Duration::from_millis(20),
    };
    let client = RedisClient::with_options(&server.url(), options).unwrap();
    let sketch =
        Arc::new(RedisCountMin::<Conservative>::with_params(client, "faults", 2_048, 4).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (sketch, stop) = (Arc::clone(&sketch), Arc::clone(&stop));
        std::thread::spawn(move || {
            let (mut acknowledged, mut attempted, mut failed) = (0u64, 0u64, 0u64);
            let mut next = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let batch: Vec<(u32, u64)> = (next..next + 20).map(|x| (x % 500, 1)).collect();
                next += 20;
                attempted += 20;
                match sketch.add_many(batch) {
                    Ok(_) => acknowledged += 20,
                    Err(_) => failed += 1,
                }
            }
            (acknowledged, attempted, failed)
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    server.signal("-KILL");
    std::thread::sleep(Duration::from_millis(200));
    server.stop();
    server.restart();
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let (acknowledged, attempted, failed) = writer.join().unwrap();
    assert!(failed > 0, "the outage was never noticed");
    let total = sketch.total().unwrap();
    assert!(
        (acknowledged..=attempted).contains(&total),
        "total {total}, acknowledged {acknowledged}, attempted {attempted}"
    );
}

/// A key of another type, or a string of another length, under the sketch's names is refused
/// with a typed error and left as it was; a handle of another shape is refused.
#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn foreign_values_and_other_shapes_are_typed_errors() {
    let prefix = unique("foreign");
    let sketch = RedisCountMin::<Plain>::with_params(client(), &prefix, 100, 3).unwrap();
    let [counters, ..] = sketch.key_names();
    let counters = counters.to_owned();
    let mut raw = raw(&shared_url());
    let _: () = redis::cmd("RPUSH")
        .arg(&counters)
        .arg("x")
        .query(&mut raw)
        .unwrap();
    assert!(matches!(sketch.increment("a"), Err(RedisError::Foreign(_))));
    assert!(matches!(sketch.estimate("a"), Err(RedisError::Foreign(_))));
    let _: () = redis::cmd("DEL").arg(&counters).query(&mut raw).unwrap();
    let _: () = redis::cmd("SET")
        .arg(&counters)
        .arg("not a sketch")
        .query(&mut raw)
        .unwrap();
    assert!(matches!(sketch.add("a", 3), Err(RedisError::Foreign(_))));
    assert!(matches!(sketch.download(), Err(RedisError::Foreign(_))));
    let value: String = redis::cmd("GET").arg(&counters).query(&mut raw).unwrap();
    assert_eq!(value, "not a sketch");
    assert_eq!(sketch.total().unwrap(), 0, "a refused add counted nothing");

    for attempt in [
        RedisCountMin::<Plain>::with_params(client(), &prefix, 101, 3).map(drop),
        RedisCountMin::<Plain>::with_params(client(), &prefix, 100, 4).map(drop),
        RedisCountMin::<Conservative>::with_params(client(), &prefix, 100, 3).map(drop),
        RedisCountMin::<Plain, _>::with_hasher(
            client(),
            &prefix,
            100,
            3,
            DefaultBuildHasher::with_seed(1),
        )
        .map(drop),
        RedisTopK::with_hasher(client(), &prefix, 5, 100, 3, DefaultBuildHasher::default())
            .map(drop),
    ] {
        assert!(
            matches!(attempt, Err(RedisError::Mismatch(_))),
            "{attempt:?}"
        );
    }
    assert!(RedisCountMin::<Plain>::with_params(client(), &prefix, 100, 3).is_ok());
}

/// The shapes the in-process sketch refuses, k out of range and a bad prefix are refused the
/// same way before any I/O (the client points at a port nothing listens on).
#[test]
fn bad_parameters_are_typed_errors_before_any_io() {
    let nowhere = RedisClient::open("redis://127.0.0.1:1/").unwrap();
    for (w, d) in [(0, 3), (10, 0), (10, 65), (u64::MAX, 3)] {
        let ours = RedisCountMin::<Plain>::with_params(nowhere.clone(), "bad", w, d).unwrap_err();
        let theirs = CountMinSketch::<u32>::with_params(w, d).unwrap_err();
        assert_eq!(ours, RedisError::Config(theirs));
    }
    for (e, d) in [(0.0, 0.1), (0.1, 1.0), (f64::NAN, 0.1)] {
        let ours = RedisCountMin::<Plain>::new(nowhere.clone(), "bad", e, d).unwrap_err();
        let theirs = CountMinSketch::<u32>::new(e, d).unwrap_err();
        assert_eq!(ours.to_string(), RedisError::Config(theirs).to_string());
    }
    // Counters past Redis's 512 MiB string.
    let e = RedisCountMin::<Plain>::with_params(nowhere.clone(), "big", u32::MAX as u64, 64)
        .unwrap_err();
    assert!(
        matches!(e, RedisError::Config(Error::TooLarge { .. })),
        "{e:?}"
    );
    for k in [0, MAX_K + 1] {
        let ours = RedisTopK::new(nowhere.clone(), "bad", k, 0.01, 0.01).unwrap_err();
        let theirs = TopK::<String>::new(k, 0.01, 0.01).unwrap_err();
        assert_eq!(ours, RedisError::Config(theirs));
    }
    for prefix in ["", "a{b", "c}"] {
        let e = RedisCountMin::<Plain>::with_params(nowhere.clone(), prefix, 10, 3).unwrap_err();
        assert!(matches!(e, RedisError::BadPrefix(_)), "{e:?}");
    }
    let e = RedisCountMin::<Plain>::with_params(nowhere, "ok", 10, 3).unwrap_err();
    assert!(matches!(e, RedisError::Connection(_)), "{e:?}");
}
