//! Redis Cluster, live: three masters on loopback ports started by the test, reached through
//! the redis crate's cluster connection. A filter's keys spread over all three masters, its
//! answers and bits are those of the in-process twin, and slots resharded while inserts run
//! lose nothing. `#[ignore]`d: needs `redis-server` and `redis-cli` (`.ci/run` installs them).
#![cfg(not(loom))]
#![allow(clippy::disallowed_types)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use brick_bloom::*;

mod support;
use support::Cluster;

#[test]
#[ignore = "needs redis-server and redis-cli; .ci/run installs them"]
fn a_cluster_spreads_the_filter_matches_the_twin_and_survives_a_reshard() {
    let cluster = Cluster::start();
    let urls = cluster.urls();
    let nodes: Vec<&str> = urls.iter().map(String::as_str).collect();
    let options = RedisOptions {
        timeout: Duration::from_secs(2),
        reconnect_backoff: Duration::from_millis(20),
        ..Default::default()
    };
    let client = RedisClient::cluster(&nodes, options).unwrap();
    let params = Params::blocked(50_000, 0.01).unwrap();
    // 4 KiB keys: the filter's ~60 KB make 15 keys, which spread over the three masters.
    let filter = Arc::new(
        RedisBloomFilter::with_hasher(
            client,
            "cluster-seen",
            params,
            DefaultBuildHasher::default(),
            RedisBloomOptions {
                max_key_bytes: 4096,
            },
        )
        .unwrap(),
    );
    let mut local = BlockedBloomFilter::with_hasher(params, DefaultBuildHasher::default()).unwrap();

    for x in 0..2_000u32 {
        assert_eq!(filter.insert(&x).unwrap(), local.insert(&x), "item {x}");
    }
    let batch: Vec<u32> = (2_000..6_000).collect();
    let expected: Vec<bool> = batch.iter().map(|x| local.insert(x)).collect();
    assert_eq!(filter.insert_many(&batch).unwrap(), expected);
    let (keys, _) = filter.layout();
    assert!(keys >= 3);
    for port in &cluster.ports {
        assert!(cluster.keys_on(*port) > 0, "no key of the filter on {port}");
    }

    // Inserts keep running while 3,000 slots move from the first master to the second.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (filter, stop) = (Arc::clone(&filter), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut next = 6_000u32;
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) || next < 8_000 {
                let batch: Vec<u32> = (next..next + 20).collect();
                if let Err(e) = filter.insert_many(&batch) {
                    failures.push(e);
                }
                if let Err(e) = filter.insert(&(next + 20)) {
                    failures.push(e);
                }
                next += 21;
            }
            (next, failures)
        })
    };
    cluster.reshard(3_000);
    stop.store(true, Ordering::Relaxed);
    let (end, failures) = writer.join().unwrap();
    assert!(
        failures.is_empty(),
        "inserts failed during the reshard: {failures:?}"
    );
    for x in 6_000..end {
        local.insert(&x);
    }
    let all: Vec<u32> = (0..end).collect();
    assert!(filter.contains_many(&all).unwrap().iter().all(|&p| p));
    assert!(
        filter.download().unwrap() == local,
        "the bits differ from the twin's"
    );
    let absent: Vec<u32> = (1_000_000..1_010_000).collect();
    let theirs: Vec<bool> = absent.iter().map(|x| local.contains(x)).collect();
    assert_eq!(filter.contains_many(&absent).unwrap(), theirs);
}
