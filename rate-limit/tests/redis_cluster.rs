//! Redis Cluster, live: three masters on loopback ports started by the test (`redis-server
//! --cluster-enabled yes`, joined with `redis-cli --cluster create`), reached through the redis
//! crate's cluster connections, blocking and async. Keys spread over all three masters, one
//! hierarchy's keys share a slot through their hash tag, and a slot resharded mid-run costs no
//! over-admission and no degraded check. `#[ignore]`d: needs `redis-server` and `redis-cli`
//! (`.ci/run` installs them).
#![cfg(not(loom))]
#![allow(clippy::disallowed_types)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use brick_rate_limit::*;

mod support;
use support::{Cluster, unique};

fn options() -> RedisOptions {
    RedisOptions {
        connections: 4,
        timeout: Duration::from_secs(2),
        reconnect_backoff: Duration::from_millis(20),
    }
}

#[test]
#[ignore = "needs redis-server and redis-cli; .ci/run installs them"]
fn a_cluster_spreads_keys_keeps_hierarchies_in_one_slot_and_survives_a_reshard() {
    let cluster = Cluster::start();
    let urls = cluster.urls();
    let nodes: Vec<&str> = urls.iter().map(String::as_str).collect();
    let client = RedisClient::cluster(&nodes, options()).unwrap();
    let clock = ManualClock::new();
    clock.set_nanos(1_700_000_000_000_000_000);
    let limit = 20u32;
    let gcra = Gcra::new(limit, Duration::from_secs(3_600)).unwrap();
    let per_user = RedisGcra::new(&client, "c-user", gcra, FailurePolicy::FailClosed)
        .and_then(|l| l.with_clock(clock.clone()))
        .unwrap();
    let per_tenant = RedisSlidingLog::new(
        &client,
        "c-tenant",
        SlidingLog::new(1_000, Duration::from_secs(3_600)).unwrap(),
        FailurePolicy::FailClosed,
    )
    .and_then(|l| l.with_clock(clock.clone()))
    .unwrap();

    // 300 keys spread over the three masters.
    let run = unique("c");
    let keys: Vec<String> = (0..300).map(|i| format!("{run}-{i}")).collect();
    for k in &keys {
        let d = per_user.check(k).unwrap();
        assert!(d.allowed && d.degraded.is_none(), "{d:?}");
    }
    for p in &cluster.ports {
        assert!(
            cluster.keys_on(*p) > 20,
            "master {p} holds {} keys",
            cluster.keys_on(*p)
        );
    }
    // A hierarchy's keys share one hash tag, so one script checks both on one master.
    let levels = RedisHierarchy::new(vec![&per_user as &dyn RedisLevel, &per_tenant]).unwrap();
    let tenant = format!("{{{run}-tenant}}");
    let user = format!("{tenant}:user");
    let d = levels.check_many(&[&user, &tenant], 1).unwrap();
    assert!(d.allowed && d.degraded.is_none(), "{d:?}");

    // A reshard while two threads check: every check decided by Redis, and each key admits
    // exactly its limit over the run (the clock is frozen: nothing refills).
    let on_target = cluster.keys_on(cluster.ports[1]);
    let stop = Arc::new(AtomicBool::new(false));
    let admitted: Arc<Vec<AtomicUsize>> =
        Arc::new((0..keys.len()).map(|_| AtomicUsize::new(0)).collect());
    let degraded = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        for t in 0..2 {
            let (stop, admitted, degraded, keys, per_user) =
                (&stop, &admitted, &degraded, &keys, &per_user);
            s.spawn(move || {
                // Each thread checks its half of the keys, pass after pass: enough passes to
                // spend every key's limit, and on until the reshard is over.
                let mut pass = 0u32;
                loop {
                    for k in (t..keys.len()).step_by(2) {
                        let d = per_user.check(&keys[k]).unwrap();
                        if d.degraded.is_some() {
                            degraded.fetch_add(1, Ordering::Relaxed);
                        } else if d.allowed {
                            admitted[k].fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    pass += 1;
                    if pass >= 200 || (pass > limit + 5 && stop.load(Ordering::Relaxed)) {
                        break;
                    }
                }
            });
        }
        cluster.reshard(2_000);
        stop.store(true, Ordering::Relaxed);
    });
    assert!(
        cluster.keys_on(cluster.ports[1]) > on_target,
        "the reshard moved keys"
    );
    assert_eq!(
        degraded.load(Ordering::Relaxed),
        0,
        "checks failed during the reshard"
    );
    for (k, a) in admitted.iter().enumerate() {
        // One unit was taken before the run; the rest of the limit, exactly, during it.
        assert!(
            a.load(Ordering::Relaxed) < limit as usize,
            "key {k} over-admitted"
        );
    }
    let total: usize = admitted.iter().map(|a| a.load(Ordering::Relaxed)).sum();
    assert_eq!(
        total,
        keys.len() * (limit as usize - 1),
        "every key reached its limit exactly"
    );

    // The async client over the redis crate's async cluster connection answers alike.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let cluster_client = redis::cluster::ClusterClient::new(nodes.clone()).unwrap();
        let connection = cluster_client.get_async_connection().await.unwrap();
        let async_client = AsyncRedisClient::from_connection(connection, options()).unwrap();
        let async_user = RedisGcra::new(&async_client, "c-user", gcra, FailurePolicy::FailClosed)
            .and_then(|l| l.with_clock(clock.clone()))
            .unwrap();
        for k in &keys[..50] {
            let d = async_user.check_async(k).await.unwrap();
            assert!(d.degraded.is_none(), "{:?}", d.degraded);
            assert!(!d.allowed, "{k} is at its limit on every node");
        }
        let fresh = format!("{run}-fresh");
        let d = async_user.check_async(&fresh).await.unwrap();
        assert!(d.allowed && d.degraded.is_none());
    });
}
