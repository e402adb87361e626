//! Redis Cluster, live: three masters on loopback ports started by the test. Sketches under
//! different prefixes spread over the masters (each keeps its keys in one slot), answer as their
//! in-process twins, and lose no add while slots are resharded. `#[ignore]`d: needs
//! `redis-server` and `redis-cli` (`.ci/run` installs them).
#![cfg(not(loom))]
#![allow(clippy::disallowed_types)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use brick_count_min::*;

mod support;
use support::Cluster;

#[test]
#[ignore = "needs redis-server and redis-cli; .ci/run installs them"]
fn sketches_spread_over_a_cluster_match_their_twins_and_survive_a_reshard() {
    let cluster = Cluster::start();
    let urls = cluster.urls();
    let nodes: Vec<&str> = urls.iter().map(String::as_str).collect();
    let options = RedisOptions {
        timeout: Duration::from_secs(2),
        reconnect_backoff: Duration::from_millis(20),
        ..Default::default()
    };
    let client = RedisClient::cluster(&nodes, options).unwrap();
    // Twelve sketches: their hash tags land on every master.
    let sketches: Vec<Arc<RedisTopK>> = (0..12)
        .map(|i| {
            let top = RedisTopK::with_hasher(
                client.clone(),
                &format!("trend-{i}"),
                5,
                1_024,
                4,
                DefaultBuildHasher::default(),
            )
            .unwrap();
            Arc::new(top)
        })
        .collect();
    let mut twins: Vec<ConservativeCountMin> = (0..12)
        .map(|_| ConservativeCountMin::with_params(1_024, 4).unwrap())
        .collect();
    for (s, twin) in sketches.iter().zip(&mut twins) {
        for x in 0..300u32 {
            let key = format!("#tag{}", x % 37);
            assert_eq!(s.add(&key, 1).unwrap(), twin.add(&key, 1));
        }
    }
    for port in &cluster.ports {
        assert!(cluster.keys_on(*port) > 0, "no sketch on {port}");
    }

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (sketches, stop) = (sketches.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let (mut rounds, mut failures) = (0u64, Vec::new());
            while !stop.load(Ordering::Relaxed) || rounds < 20 {
                for s in &sketches {
                    let batch: Vec<(&str, u64)> = vec![("#hot", 1), ("#warm", 1), ("#hot", 1)];
                    if let Err(e) = s.add_many(batch) {
                        failures.push(e);
                    }
                }
                rounds += 1;
            }
            (rounds, failures)
        })
    };
    cluster.reshard(3_000);
    stop.store(true, Ordering::Relaxed);
    let (rounds, failures) = writer.join().unwrap();
    assert!(
        failures.is_empty(),
        "adds failed during the reshard: {failures:?}"
    );
    for (s, twin) in sketches.iter().zip(&mut twins) {
        for _ in 0..rounds {
            twin.add("#hot", 1);
            twin.add("#warm", 1);
            twin.add("#hot", 1);
        }
        assert!(
            s.sketch().download().unwrap() == *twin,
            "counters differ from the twin's"
        );
        let top = s.top().unwrap();
        assert_eq!(top[0].key, "#hot");
        assert_eq!(top[0].count, twin.estimate("#hot"));
    }
}
