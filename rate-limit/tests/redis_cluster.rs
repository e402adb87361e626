//! Redis Cluster, live: three masters on loopback ports started by the test (`redis-server
//! --cluster-enabled yes`, joined with `redis-cli --cluster create`), reached through the redis
//! crate's cluster connections, blocking and async. Keys spread over all three masters, one
//! hierarchy's keys share a slot through their hash tag, and a slot resharded mid-run costs no
//! over-admission and no degraded check. `#[ignore]`d: needs `redis-server` and `redis-cli`
//! (`.ci/run` installs them).
#![cfg(not(loom))]
#![allow(clippy::disallowed_types)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use brick_rate_limit::*;

mod support;
use support::unique;

/// Three cluster-enabled servers joined into one cluster, stopped on drop.
struct Cluster {
    ports: Vec<u16>,
    children: Vec<Child>,
    dir: std::path::PathBuf,
}

/// A port free for the server and for its cluster bus (port + 10,000).
fn free_cluster_port() -> u16 {
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if port < 50_000 && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

fn redis_cli(args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(args)
        .output()
        .expect("redis-cli on PATH");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Cluster {
    fn start() -> Cluster {
        let bin = std::env::var("REDIS_SERVER_BIN").unwrap_or_else(|_| "redis-server".into());
        let dir = std::env::temp_dir().join(unique("brick-cluster"));
        std::fs::create_dir_all(&dir).unwrap();
        let ports: Vec<u16> = (0..3).map(|_| free_cluster_port()).collect();
        let children = ports
            .iter()
            .map(|p| {
                Command::new(&bin)
                    .args(["--bind", "127.0.0.1", "--port", &p.to_string()])
                    .args([
                        "--cluster-enabled",
                        "yes",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                    ])
                    .args(["--cluster-config-file", &format!("nodes-{p}.conf")])
                    .arg("--dir")
                    .arg(&dir)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("redis-server on PATH")
            })
            .collect();
        let cluster = Cluster {
            ports,
            children,
            dir,
        };
        for p in &cluster.ports {
            let deadline = Instant::now() + Duration::from_secs(5);
            while !redis_cli(&["-p", &p.to_string(), "ping"]).contains("PONG") {
                assert!(
                    Instant::now() < deadline,
                    "redis-server on {p} did not start"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let nodes: Vec<String> = cluster
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let mut args = vec!["--cluster", "create"];
        args.extend(nodes.iter().map(String::as_str));
        args.extend(["--cluster-replicas", "0", "--cluster-yes"]);
        redis_cli(&args);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !cluster.ports.iter().all(|p| {
            redis_cli(&["-p", &p.to_string(), "cluster", "info"]).contains("cluster_state:ok")
        }) {
            assert!(Instant::now() < deadline, "the cluster did not form");
            std::thread::sleep(Duration::from_millis(50));
        }
        cluster
    }

    fn urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}/"))
            .collect()
    }

    fn node_id(&self, port: u16) -> String {
        redis_cli(&["-p", &port.to_string(), "cluster", "myid"])
            .trim()
            .to_owned()
    }

    fn keys_on(&self, port: u16) -> u64 {
        redis_cli(&["-p", &port.to_string(), "dbsize"])
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// Moves `slots` slots from the first master to the second, as an operator would.
    fn reshard(&self, slots: u32) {
        let (from, to) = (self.node_id(self.ports[0]), self.node_id(self.ports[1]));
        let out = Command::new("redis-cli")
            .args([
                "--cluster",
                "reshard",
                &format!("127.0.0.1:{}", self.ports[0]),
            ])
            .args(["--cluster-from", &from, "--cluster-to", &to])
            .args(["--cluster-slots", &slots.to_string(), "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli");
        assert!(out.success(), "reshard failed");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

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
