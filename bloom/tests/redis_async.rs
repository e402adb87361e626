//! The async client (feature `tokio`) against a real `redis-server`: the `_async` operations
//! answer as the blocking ones and as the in-process twin, many tasks share one connection, and
//! a dead server is a prompt typed error, then recovery. `#[ignore]`d tests need `REDIS_URL`
//! and `redis-server` on `PATH`, as `tests/redis.rs`.
#![cfg(not(loom))]

use std::time::{Duration, Instant};

use brick_bloom::*;

mod support;
use support::*;

fn options() -> RedisOptions {
    RedisOptions {
        timeout: Duration::from_millis(500),
        reconnect_backoff: Duration::from_millis(20),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server; .ci/run starts one"]
async fn async_operations_match_the_twin_and_the_blocking_handle() {
    let prefix = unique("async-twin");
    let params = Params::blocked(5_000, 0.01).unwrap();
    let spread = RedisBloomOptions {
        max_key_bytes: 1024,
    };
    let client = AsyncRedisClient::with_options(&shared_url(), options()).unwrap();
    let filter = RedisBloomFilter::open_async(
        client,
        &prefix,
        params,
        DefaultBuildHasher::default(),
        spread,
    )
    .await
    .unwrap();
    let mut local = BlockedBloomFilter::with_hasher(params, DefaultBuildHasher::default()).unwrap();
    for x in 0..500u32 {
        assert_eq!(filter.insert_async(&x).await.unwrap(), local.insert(&x));
    }
    let batch: Vec<u32> = (400..1_500).collect();
    let expected: Vec<bool> = batch.iter().map(|x| local.insert(x)).collect();
    assert_eq!(filter.insert_many_async(&batch).await.unwrap(), expected);
    let queries: Vec<u32> = (0..3_000).collect();
    let expected: Vec<bool> = queries.iter().map(|x| local.contains(x)).collect();
    assert_eq!(
        filter.contains_many_async(&queries).await.unwrap(),
        expected
    );
    assert_eq!(
        filter.contains_async(&7u32).await.unwrap(),
        local.contains(&7u32)
    );
    assert!(filter.download_async().await.unwrap() == local);

    // The blocking handle on the same prefix sees the same filter.
    let blocking = RedisBloomFilter::with_hasher(
        RedisClient::open(&shared_url()).unwrap(),
        &prefix,
        params,
        DefaultBuildHasher::default(),
        spread,
    )
    .unwrap();
    assert!(blocking.download().unwrap() == local);

    let other = BlockedBloomFilter::with_hasher(params, DefaultBuildHasher::default()).unwrap();
    filter.upload_async(&other).await.unwrap();
    assert_eq!(filter.download_async().await.unwrap().count_ones(), 0);
    filter.clear_async().await.unwrap();
}

/// 200 tasks insert disjoint items at once over the one multiplexed connection: none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server; .ci/run starts one"]
async fn concurrent_tasks_lose_no_insert() {
    let client = AsyncRedisClient::with_options(&shared_url(), options()).unwrap();
    let filter = std::sync::Arc::new(
        RedisBloomFilter::open_async(
            client,
            &unique("async-tasks"),
            Params::blocked(50_000, 0.01).unwrap(),
            DefaultBuildHasher::default(),
            RedisBloomOptions {
                max_key_bytes: 4096,
            },
        )
        .await
        .unwrap(),
    );
    let tasks: Vec<_> = (0..200u32)
        .map(|t| {
            let filter = std::sync::Arc::clone(&filter);
            tokio::spawn(async move {
                for i in 0..20u32 {
                    filter.insert_async(&(t * 100 + i)).await.unwrap();
                }
                let batch: Vec<u32> = (20..100u32).map(|i| t * 100 + i).collect();
                filter.insert_many_async(&batch).await.unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let all: Vec<u32> = (0..20_000).collect();
    assert!(
        filter
            .contains_many_async(&all)
            .await
            .unwrap()
            .iter()
            .all(|&p| p)
    );
}

/// A stopped server: calls fail with a typed error within the timeout (and at once while
/// backing off); after a restart the same client works again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server; .ci/run starts one"]
async fn a_dead_server_is_a_prompt_error_and_the_client_recovers() {
    let mut server = Server::start();
    let client = AsyncRedisClient::with_options(&server.url(), options()).unwrap();
    let filter = RedisBloomFilter::open_async(
        client,
        "outage",
        Params::blocked(1_000, 0.01).unwrap(),
        DefaultBuildHasher::default(),
        RedisBloomOptions::default(),
    )
    .await
    .unwrap();
    assert!(!filter.insert_async("a").await.unwrap());
    server.stop();
    let start = Instant::now();
    for _ in 0..5 {
        let e = filter.insert_async("b").await.unwrap_err();
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
        if filter.contains_async("a").await.is_ok() {
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
