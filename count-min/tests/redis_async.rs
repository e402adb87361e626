//! The async client (feature `tokio`) against a real `redis-server`: the `_async` operations
//! answer as the in-process twins, many tasks share one connection and lose no add, and a dead
//! server is a prompt typed error, then recovery. `#[ignore]`d tests need `REDIS_URL` and
//! `redis-server` on `PATH`, as `tests/redis.rs`.
#![cfg(not(loom))]

use std::sync::Arc;
use std::time::{Duration, Instant};

use brick_count_min::*;

mod support;
use support::*;

fn client(url: &str) -> AsyncRedisClient {
    let options = RedisOptions {
        timeout: Duration::from_millis(500),
        reconnect_backoff: Duration::from_millis(20),
        ..Default::default()
    };
    AsyncRedisClient::with_options(url, options).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server; .ci/run starts one"]
async fn async_operations_match_the_twins() {
    let sketch = RedisCountMin::<Conservative, _, _>::open_async(
        client(&shared_url()),
        &unique("async-cms"),
        64,
        4,
        DefaultBuildHasher::default(),
    )
    .await
    .unwrap();
    let mut local = ConservativeCountMin::<u32>::with_params(64, 4).unwrap();
    for x in 0..300u32 {
        assert_eq!(
            sketch
                .add_async(&(x % 97), 1 + u64::from(x % 3))
                .await
                .unwrap(),
            local.add(&(x % 97), 1 + u64::from(x % 3))
        );
    }
    let batch: Vec<(u32, u64)> = (0..200).map(|x| (x % 13, 2)).collect();
    let theirs: Vec<u64> = batch.iter().map(|(x, c)| local.add(x, *c)).collect();
    assert_eq!(sketch.add_many_async(batch).await.unwrap(), theirs);
    sketch.halve_async().await.unwrap();
    local.halve();
    assert_eq!(
        sketch.estimate_async(&5u32).await.unwrap(),
        local.estimate(&5u32)
    );
    assert_eq!(sketch.total_async().await.unwrap(), local.total());
    assert!(sketch.download_async().await.unwrap() == local);

    let top = RedisTopK::open_async(
        client(&shared_url()),
        &unique("async-topk"),
        3,
        1 << 12,
        4,
        DefaultBuildHasher::default(),
    )
    .await
    .unwrap();
    let mut twin = TopK::<String>::with_params(3, 1 << 12, 4).unwrap();
    for (key, n) in [("a", 9u64), ("b", 7), ("c", 5), ("d", 3), ("e", 1)] {
        for _ in 0..n {
            top.add_async(key, 1).await.unwrap();
            twin.insert(&key.to_owned());
        }
    }
    let pairs =
        |v: Vec<HeavyHitter<String>>| v.into_iter().map(|h| (h.key, h.count)).collect::<Vec<_>>();
    assert_eq!(pairs(top.top_async().await.unwrap()), pairs(twin.top()));
    top.halve_async().await.unwrap();
    twin.halve();
    assert_eq!(pairs(top.top_async().await.unwrap()), pairs(twin.top()));
    assert_eq!(
        top.add_many_async([("a", 1), ("z", 1)])
            .await
            .unwrap()
            .len(),
        2
    );
}

/// 200 tasks add at once over the one multiplexed connection: the total is exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server; .ci/run starts one"]
async fn concurrent_tasks_lose_no_add() {
    let sketch = Arc::new(
        RedisCountMin::<Plain, _, _>::open_async(
            client(&shared_url()),
            &unique("async-tasks"),
            256,
            3,
            DefaultBuildHasher::default(),
        )
        .await
        .unwrap(),
    );
    let tasks: Vec<_> = (0..200u32)
        .map(|t| {
            let sketch = Arc::clone(&sketch);
            tokio::spawn(async move {
                for i in 0..10u32 {
                    sketch.add_async(&(t * 10 + i), 1).await.unwrap();
                }
                sketch
                    .add_many_async((0..10u32).map(|i| (t * 10 + i, 1)))
                    .await
                    .unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(sketch.total_async().await.unwrap(), 200 * 20);
}

/// A stopped server: calls fail with a typed error within the timeout (and at once while
/// backing off); after a restart the same client works again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server; .ci/run starts one"]
async fn a_dead_server_is_a_prompt_error_and_the_client_recovers() {
    let mut server = Server::start();
    let sketch = RedisCountMin::<Plain, _, _>::open_async(
        client(&server.url()),
        "outage",
        64,
        3,
        DefaultBuildHasher::default(),
    )
    .await
    .unwrap();
    sketch.add_async("a", 1).await.unwrap();
    server.stop();
    let start = Instant::now();
    for _ in 0..5 {
        let e = sketch.add_async("b", 1).await.unwrap_err();
        assert!(
            matches!(e, RedisError::Connection(_) | RedisError::Timeout),
            "{e:?}"
        );
    }
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    server.restart();
    let mut recovered = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(30)).await;
        if sketch.total_async().await.is_ok() {
            recovered = true;
            break;
        }
    }
    assert!(recovered, "the client never reconnected");
}

#[test]
fn bad_async_options_are_typed_errors() {
    let zero = RedisOptions {
        timeout: Duration::ZERO,
        ..Default::default()
    };
    assert!(matches!(
        AsyncRedisClient::with_options("redis://127.0.0.1:1/", zero),
        Err(RedisError::BadOptions(_))
    ));
    assert!(matches!(
        AsyncRedisClient::open("not a url"),
        Err(RedisError::BadOptions(_))
    ));
}
