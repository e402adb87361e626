//! Redis servers for the live tests: the shared server's URL, unique keys, servers of a
//! test's own on free loopback ports, and a three-master Redis Cluster. This file is the same in every brick with a Redis
//! backend (`.ci/shared-files`).
#![allow(dead_code, unreachable_pub)]
// each test binary uses part of it
// The tests' own counter and processes: loom models the crates' atomics, not these.
#![allow(clippy::disallowed_types)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub(crate) fn shared_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| {
        panic!("REDIS_URL is not set: run `.ci/run`, or start redis-server and export REDIS_URL")
    })
}

/// A key no other test or earlier run uses.
pub(crate) fn unique(name: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{name}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

pub(crate) fn raw(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
        .expect("connect to Redis")
}

/// A `redis-server` of the test's own, on a free loopback port, killed on drop.
pub(crate) struct Server {
    port: u16,
    dir: std::path::PathBuf,
    child: Option<Child>,
    /// Every write is in the append-only file before it is answered, so a restart keeps it.
    durable: bool,
}

impl Server {
    /// Without persistence: a restart starts empty.
    pub(crate) fn start() -> Server {
        Self::start_with(false)
    }

    /// With `appendfsync always`: a killed and restarted server has every write it answered.
    pub(crate) fn start_durable() -> Server {
        Self::start_with(true)
    }

    fn start_with(durable: bool) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = std::env::temp_dir().join(unique("brick-redis"));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut server = Server {
            port,
            dir,
            child: None,
            durable,
        };
        server.restart();
        server
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub(crate) fn restart(&mut self) {
        let bin = std::env::var("REDIS_SERVER_BIN").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(&bin)
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", ""])
            .args(if self.durable {
                ["--appendonly", "yes", "--appendfsync", "always"]
            } else {
                ["--appendonly", "no", "--appendfsync", "no"]
            })
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{bin} could not start ({e}): is redis-server on PATH?"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if redis::Client::open(self.url())
                .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(100)))
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
                .is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server on port {} did not come up", self.port);
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(crate) fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill").args([signal, &pid]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill {signal} {pid}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Three cluster-enabled servers joined into one cluster, stopped on drop.
pub(crate) struct Cluster {
    pub(crate) ports: Vec<u16>,
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

pub(crate) fn redis_cli(args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(args)
        .output()
        .expect("redis-cli on PATH");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Cluster {
    pub(crate) fn start() -> Cluster {
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

    pub(crate) fn urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}/"))
            .collect()
    }

    pub(crate) fn node_id(&self, port: u16) -> String {
        redis_cli(&["-p", &port.to_string(), "cluster", "myid"])
            .trim()
            .to_owned()
    }

    pub(crate) fn keys_on(&self, port: u16) -> u64 {
        redis_cli(&["-p", &port.to_string(), "dbsize"])
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// Moves `slots` slots from the first master to the second, as an operator would.
    pub(crate) fn reshard(&self, slots: u32) {
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
