//! brick-rate-limit's Redis backend against a naive `INCR` + `PEXPIRE` fixed window, on one
//! real local `redis-server`.

use crate::{Ctx, Record, Section};
use brick_rate_limit::{
    FailurePolicy, FixedWindow, Gcra, RedisClient, RedisFixedWindow, RedisGcra, RedisHierarchy,
    RedisLevel, RedisOptions, RedisSlidingLog, RedisSlidingWindowCounter, RedisTokenBucket,
    SlidingLog, SlidingWindowCounter, TokenBucket,
};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BRICK: &str = "rate-limit-redis";
/// Keys the checks rotate over: enough that each check touches a key of its own most of the
/// time, few enough to stay in Redis's CPU caches like a real hot set.
pub const KEYS: usize = 1_000;
/// A limit no loop here reaches, so every check writes (the costlier path).
const LIMIT: u32 = 1_000_000;

/// A Redis to measure against: `REDIS_URL` if set, else a `redis-server` from `PATH` started
/// on a free loopback port for the run (stopped on drop), else none.
#[derive(Debug)]
pub struct BenchRedis {
    /// The server's URL.
    pub url: String,
    child: Option<Child>,
    dir: Option<std::path::PathBuf>,
}

impl BenchRedis {
    /// Finds or starts a Redis; `None` when neither is possible.
    pub fn find() -> Option<BenchRedis> {
        if let Ok(url) = std::env::var("REDIS_URL") {
            return Some(BenchRedis {
                url,
                child: None,
                dir: None,
            });
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .ok()?
            .port();
        let dir = std::env::temp_dir().join(format!("brick-bench-redis-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let bin = std::env::var("REDIS_SERVER_BIN").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(bin)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let redis = BenchRedis {
            url: format!("redis://127.0.0.1:{port}/"),
            child: Some(child),
            dir: Some(dir),
        };
        let client = RedisClient::open(&redis.url).ok()?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while client.ping().is_err() {
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(redis)
    }

    /// A client with `connections` connections and a timeout long enough for a busy machine.
    pub fn client(&self, connections: usize) -> RedisClient {
        let options = RedisOptions {
            connections,
            timeout: Duration::from_secs(2),
            ..RedisOptions::default()
        };
        RedisClient::with_options(&self.url, options).expect("valid URL")
    }

    /// A plain connection of the `redis` crate, for the naive limiter.
    pub fn raw(&self) -> redis::Connection {
        redis::Client::open(self.url.as_str())
            .and_then(|c| c.get_connection())
            .expect("connect to Redis")
    }
}

impl Drop for BenchRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The limiters measured, all on one client, under a run-unique prefix.
#[derive(Debug)]
pub struct Limiters {
    /// GCRA.
    pub gcra: RedisGcra,
    /// Token bucket.
    pub token_bucket: RedisTokenBucket,
    /// Fixed window.
    pub fixed_window: RedisFixedWindow,
    /// Sliding window counter.
    pub sliding_window: RedisSlidingWindowCounter,
    /// Sliding log.
    pub sliding_log: RedisSlidingLog,
    /// The key names, `KEYS` of them.
    pub keys: Vec<String>,
}

impl Limiters {
    /// The four limiters, at a limit no benchmark loop reaches.
    pub fn new(client: &RedisClient) -> Limiters {
        let w = Duration::from_secs(1);
        let p = FailurePolicy::FailClosed;
        let run = std::process::id();
        Limiters {
            gcra: RedisGcra::new(client, &format!("b{run}:gcra"), gcra_limit(), p).expect("ok"),
            token_bucket: RedisTokenBucket::new(
                client,
                &format!("b{run}:tb"),
                TokenBucket::new(LIMIT, LIMIT, w).expect("ok"),
                p,
            )
            .expect("ok"),
            fixed_window: RedisFixedWindow::new(
                client,
                &format!("b{run}:fw"),
                FixedWindow::new(LIMIT, w).expect("ok"),
                p,
            )
            .expect("ok"),
            sliding_window: RedisSlidingWindowCounter::new(
                client,
                &format!("b{run}:swc"),
                SlidingWindowCounter::new(LIMIT, w).expect("ok"),
                p,
            )
            .expect("ok"),
            sliding_log: RedisSlidingLog::new(
                client,
                &format!("b{run}:log"),
                SlidingLog::new(LIMIT, w).expect("ok"),
                p,
            )
            .expect("ok"),
            keys: (0..KEYS).map(|k| format!("user-{k}")).collect(),
        }
    }

    /// Per user, per IP, global: three algorithms, one script.
    pub fn hierarchy(&self) -> RedisHierarchy<'_> {
        RedisHierarchy::new(vec![
            &self.gcra as &dyn RedisLevel,
            &self.fixed_window,
            &self.sliding_window,
        ])
        .expect("one client")
    }
}

fn gcra_limit() -> Gcra {
    Gcra::new(LIMIT, Duration::from_secs(1)).expect("valid")
}

/// The naive fixed window of the design guides: `INCR` the window's key and set its expiry,
/// pipelined into one round trip. Returns whether the count is within the limit.
pub fn naive_fixed_window(con: &mut redis::Connection, key: &str) -> bool {
    let (count,): (u64,) = redis::pipe()
        .incr(key, 1)
        .pexpire(key, 1_000)
        .ignore()
        .query(con)
        .expect("INCR");
    count <= u64::from(LIMIT)
}

/// A bare `INCR`: one trivial command, the floor of any round trip.
pub fn bare_incr(con: &mut redis::Connection, key: &str) -> u64 {
    redis::cmd("INCR").arg(key).query(con).expect("INCR")
}

/// One number from `INFO all`: the value after `prefix`, up to a comma or the line's end.
fn info_field(info: &str, prefix: &str) -> u64 {
    info.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|v| v.split([',', '\r']).next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn info(con: &mut redis::Connection) -> String {
    redis::cmd("INFO").arg("all").query(con).expect("INFO")
}

/// Commands clients sent to the server (processed, less the ones scripts ran inside).
fn commands_sent(con: &mut redis::Connection) -> u64 {
    let info = info(con);
    let inner: u64 = ["get", "set", "time"]
        .iter()
        .map(|c| info_field(&info, &format!("cmdstat_{c}:calls=")))
        .sum();
    info_field(&info, "total_commands_processed:").saturating_sub(inner)
}

/// Microseconds Redis spent executing `commands` (as `INFO commandstats` counts them; a
/// script's count includes the commands it runs).
fn server_micros(con: &mut redis::Connection, commands: &[&str]) -> u64 {
    let info = info(con);
    commands.iter().map(|c| usec(&info, c)).sum()
}

fn usec(info: &str, command: &str) -> u64 {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("cmdstat_{command}:")))
        .and_then(|v| v.split(',').find_map(|kv| kv.strip_prefix("usec=")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// `MEMORY USAGE` (exact: `SAMPLES 0`) of one key of each algorithm after one check, and of a
/// sliding log's key holding 100 and 1,000 entries, with bytes per entry.
fn memory_per_key(client: &RedisClient, con: &mut redis::Connection) -> Vec<Record> {
    let usage = |con: &mut redis::Connection, key: &str| -> u64 {
        redis::cmd("MEMORY")
            .arg("USAGE")
            .arg(key)
            .arg("SAMPLES")
            .arg(0)
            .query::<Option<u64>>(con)
            .expect("MEMORY USAGE")
            .unwrap_or(0)
    };
    let run = std::process::id();
    let limiters = Limiters::new(client);
    let key = format!("mem{run}");
    let mut out = Vec::new();
    let mut record = |name: &str, entries: u64, bytes: u64| {
        let params = format!("entries={entries}");
        out.push(
            Record::new(BRICK, name, name, true, "bytes per key in Redis", params)
                .with_metric(
                    "bytes per entry",
                    bytes as f64 / entries.max(1) as f64,
                    None,
                )
                .with_bytes(bytes),
        );
    };
    let ok = |d: Result<brick_rate_limit::RedisDecision, _>| {
        assert!(d.expect("valid key").degraded.is_none());
    };
    ok(limiters.gcra.check(&key));
    record(
        "brick-rate-limit RedisGcra",
        1,
        usage(con, &limiters.gcra.redis_key(&key).expect("key")),
    );
    ok(limiters.token_bucket.check(&key));
    record(
        "brick-rate-limit RedisTokenBucket",
        1,
        usage(con, &limiters.token_bucket.redis_key(&key).expect("key")),
    );
    ok(limiters.fixed_window.check(&key));
    record(
        "brick-rate-limit RedisFixedWindow",
        1,
        usage(con, &limiters.fixed_window.redis_key(&key).expect("key")),
    );
    ok(limiters.sliding_window.check(&key));
    record(
        "brick-rate-limit RedisSlidingWindowCounter",
        1,
        usage(con, &limiters.sliding_window.redis_key(&key).expect("key")),
    );
    for entries in [100u64, 1_000] {
        let key = format!("mem{run}-{entries}");
        for _ in 0..entries {
            ok(limiters.sliding_log.check(&key));
        }
        record(
            "brick-rate-limit RedisSlidingLog",
            entries,
            usage(con, &limiters.sliding_log.redis_key(&key).expect("key")),
        );
    }
    out
}

/// Latencies (ns) of `checks` checks run by `tasks` concurrent callers of `check`, and the wall
/// time; `check(i)` checks key `i % KEYS`.
fn latencies_async<F, Fut>(
    runtime: &tokio::runtime::Runtime,
    tasks: usize,
    checks: usize,
    check: F,
) -> (Vec<f64>, f64)
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    runtime.block_on(async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|t| {
                let check = check.clone();
                tokio::spawn(async move {
                    let mut lat = Vec::with_capacity(checks / tasks);
                    for i in 0..checks / tasks {
                        let at = Instant::now();
                        std::hint::black_box(check(t * 131 + i).await);
                        lat.push(at.elapsed().as_nanos() as f64);
                    }
                    lat
                })
            })
            .collect();
        let mut all = Vec::with_capacity(checks);
        for h in handles {
            all.extend(h.await.expect("a task"));
        }
        (all, start.elapsed().as_nanos() as f64)
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

/// Async checks with 1, 16 and 64 concurrent tasks: ours on one multiplexed connection, the
/// blocking pool (4 connections) from as many threads, and the naive `INCR` + `PEXPIRE`
/// pipeline on the redis crate's multiplexed connection; checks per second and p50 / p99.
fn async_checks(redis: &BenchRedis, keys: &[String], n: usize) -> Vec<Record> {
    use brick_rate_limit::AsyncRedisClient;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let options = RedisOptions {
        timeout: Duration::from_secs(2),
        ..RedisOptions::default()
    };
    let run = std::process::id();
    let keys = std::sync::Arc::new(keys.to_vec());
    let async_gcra = runtime.block_on(async {
        let client = AsyncRedisClient::with_options(&redis.url, options).expect("valid URL");
        std::sync::Arc::new(
            RedisGcra::new(
                &client,
                &format!("a{run}:gcra"),
                gcra_limit(),
                FailurePolicy::FailClosed,
            )
            .expect("ok"),
        )
    });
    let multiplexed = runtime.block_on(async {
        redis::Client::open(redis.url.as_str())
            .expect("valid URL")
            .get_multiplexed_async_connection()
            .await
            .expect("connect")
    });
    let sync_client = redis.client(4);
    let sync_gcra = RedisGcra::new(
        &sync_client,
        &format!("s{run}:gcra"),
        gcra_limit(),
        FailurePolicy::FailClosed,
    )
    .expect("ok");
    let mut out = Vec::new();
    for tasks in [1usize, 16, 64] {
        let checks = (n / tasks).max(20) * tasks;
        let params = format!("checks={checks} keys={KEYS} tasks={tasks} loopback");
        let (gcra, ks) = (
            std::sync::Arc::clone(&async_gcra),
            std::sync::Arc::clone(&keys),
        );
        let ours = latencies_async(&runtime, tasks, checks, move |i| {
            let (gcra, ks) = (std::sync::Arc::clone(&gcra), std::sync::Arc::clone(&ks));
            async move {
                let d = gcra.check_async(&ks[i % KEYS]).await.expect("valid key");
                assert!(d.degraded.is_none(), "Redis failed: {:?}", d.degraded);
                d.allowed
            }
        });
        let (con, ks) = (multiplexed.clone(), std::sync::Arc::clone(&keys));
        let naive = latencies_async(&runtime, tasks, checks, move |i| {
            let (mut con, ks) = (con.clone(), std::sync::Arc::clone(&ks));
            async move {
                let key = format!("an{run}:{}", ks[i % KEYS]);
                let (count,): (u64,) = redis::pipe()
                    .incr(&key, 1)
                    .pexpire(&key, 1_000)
                    .ignore()
                    .query_async(&mut con)
                    .await
                    .expect("INCR");
                count <= u64::from(LIMIT)
            }
        });
        // The blocking pool from `tasks` threads.
        let sync = {
            let start = Instant::now();
            let lat = std::thread::scope(|s| {
                let handles: Vec<_> = (0..tasks)
                    .map(|t| {
                        let (gcra, ks) = (&sync_gcra, &keys);
                        s.spawn(move || {
                            (0..checks / tasks)
                                .map(|i| {
                                    let at = Instant::now();
                                    let d =
                                        gcra.check(&ks[(t * 131 + i) % KEYS]).expect("valid key");
                                    assert!(d.degraded.is_none(), "Redis failed: {:?}", d.degraded);
                                    at.elapsed().as_nanos() as f64
                                })
                                .collect::<Vec<f64>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().expect("a thread"))
                    .collect::<Vec<f64>>()
            });
            (lat, start.elapsed().as_nanos() as f64)
        };
        for (name, ours, (mut lat, wall)) in [
            (
                "brick-rate-limit RedisGcra, AsyncRedisClient (one connection)",
                true,
                ours,
            ),
            (
                "brick-rate-limit RedisGcra, blocking pool (4 connections)",
                true,
                sync,
            ),
            (
                "naive async INCR + PEXPIRE (pipelined, one connection)",
                false,
                naive,
            ),
        ] {
            lat.sort_by(f64::total_cmp);
            let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
            let per_second = lat.len() as f64 / (wall / 1e9);
            out.push(
                Record::new(BRICK, name, name, ours, "concurrent checks", params.clone())
                    .with_ns(wall / lat.len() as f64)
                    .with_metric(
                        &format!(
                            "p50 {:.0} µs, p99 {:.0} µs; checks per second",
                            p50 / 1e3,
                            p99 / 1e3
                        ),
                        per_second,
                        None,
                    ),
            );
        }
    }
    out
}

/// The report section.
#[derive(Debug)]
pub struct RateLimitRedisSection;

impl Section for RateLimitRedisSection {
    fn brick(&self) -> &'static str {
        BRICK
    }

    fn summary(&self) -> String {
        format!(
            "brick-rate-limit's Redis backend (feature `redis`) on a local redis-server over \
             loopback (`REDIS_URL`, or one started for the run). `check` is one decision, \
             sequential on one connection, over {KEYS} keys at {LIMIT} per second (every check \
             allowed, so every check writes): the time is the round trip. The reference is the \
             naive fixed window of the design guides, `INCR` + `PEXPIRE` pipelined (one round \
             trip, but no atomic decision and no Retry-After), and a bare `INCR`. `hierarchy` is \
             GCRA per user + fixed window + sliding window counter in one script. `8 connections` \
             is 8 threads with a connection each: wall time per check. `round trips` counts the \
             commands the server received per decision; `server time` is what Redis's own \
             `INFO commandstats` counts per decision (a script's time includes the commands it \
             runs). The round trip is mostly the network and the scheduler: on this VM, \
             loopback takes 20-100 µs depending on whether the CPUs are idle, so the ratio \
             moves with it; the server time is what a busy Redis pays. Targets: one round trip per decision, \
             hierarchy included; GCRA ≤ 1.2× the naive INCR + EXPIRE."
        )
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let Some(redis) = BenchRedis::find() else {
            eprintln!("rate-limit-redis: no REDIS_URL and no redis-server on PATH; skipped");
            return Vec::new();
        };
        let mut out = Vec::new();
        let n: usize = ctx.mode.pick(1_000, 5_000, 20_000);
        let params = format!("checks={n} keys={KEYS} loopback");
        let client = redis.client(1);
        let limiters = Limiters::new(&client);
        let keys = &limiters.keys;
        let hierarchy = limiters.hierarchy();
        let mut con = redis.raw();
        let naive_keys: Vec<String> = keys
            .iter()
            .map(|k| format!("naive{}:{k}", std::process::id()))
            .collect();

        let allowed = |d: Result<brick_rate_limit::RedisDecision, _>| {
            let d = d.expect("valid key");
            assert!(d.degraded.is_none(), "Redis failed: {:?}", d.degraded);
            d.allowed
        };
        let mut con2 = redis.raw();
        type Check<'a> = (&'static str, bool, Box<dyn FnMut(usize) -> bool + 'a>);
        let mut checks: Vec<Check<'_>> = vec![
            (
                "brick-rate-limit RedisGcra",
                true,
                Box::new(|k| allowed(limiters.gcra.check(&keys[k]))),
            ),
            (
                "brick-rate-limit RedisTokenBucket",
                true,
                Box::new(|k| allowed(limiters.token_bucket.check(&keys[k]))),
            ),
            (
                "brick-rate-limit RedisFixedWindow",
                true,
                Box::new(|k| allowed(limiters.fixed_window.check(&keys[k]))),
            ),
            (
                "brick-rate-limit RedisSlidingWindowCounter",
                true,
                Box::new(|k| allowed(limiters.sliding_window.check(&keys[k]))),
            ),
            (
                "brick-rate-limit RedisHierarchy (3 levels)",
                true,
                Box::new(|k| allowed(hierarchy.check_many(&[&keys[k], "10.0.0.1", "all"], 1))),
            ),
            (
                "brick-rate-limit RedisSlidingLog",
                true,
                Box::new(|k| allowed(limiters.sliding_log.check(&keys[k]))),
            ),
            (
                "naive INCR + PEXPIRE (pipelined)",
                false,
                Box::new(|k| naive_fixed_window(&mut con, &naive_keys[k])),
            ),
            (
                "bare INCR",
                false,
                Box::new(|k| bare_incr(&mut con2, &naive_keys[k]) > 0),
            ),
        ];
        // Round trips drift with the machine's load (an idle VM wakes slowly), so the
        // implementations take turns, run after run, instead of one long block each.
        ctx.step("rate-limit-redis: check (interleaved)");
        for (_, _, check) in &mut checks {
            (0..KEYS).for_each(|k| {
                std::hint::black_box(check(k));
            });
        }
        let mut samples = vec![Vec::new(); checks.len()];
        for run in 0..ctx.mode.runs() {
            for (j, (_, _, check)) in checks.iter_mut().enumerate() {
                let start = Instant::now();
                for i in 0..n {
                    std::hint::black_box(check((i + run * 7) % KEYS));
                }
                samples[j].push(start.elapsed().as_nanos() as f64 / n as f64);
            }
        }
        let medians: Vec<f64> = samples
            .iter()
            .map(|s| crate::harness::median(s).unwrap_or(f64::NAN))
            .collect();
        for ((name, ours, _), ns) in checks.iter().zip(&medians) {
            out.push(Record::new(BRICK, name, name, *ours, "check", params.clone()).with_ns(*ns));
        }
        drop(checks);
        let (gcra, hier, naive, incr) = (medians[0], medians[4], medians[6], medians[7]);

        ctx.step("rate-limit-redis: round trips");
        let mut info = redis.raw();
        let mut per_decision = |run: &dyn Fn()| {
            let before = commands_sent(&mut info);
            run();
            // Less the INFO that took `before`.
            (commands_sent(&mut info) - before - 1) as f64 / 100.0
        };
        let gcra_trips = per_decision(&|| {
            for k in &keys[..100] {
                allowed(limiters.gcra.check(k));
            }
        });
        let hier_trips = per_decision(&|| {
            for k in &keys[..100] {
                allowed(hierarchy.check_many(&[k, "10.0.0.1", "all"], 1));
            }
        });

        ctx.step("rate-limit-redis: server time");
        let server_n = n.min(5_000);
        let mut server_time = |commands: &[&str], run: &mut dyn FnMut(usize)| {
            let before = server_micros(&mut info, commands);
            for i in 0..server_n {
                run(i % KEYS);
            }
            (server_micros(&mut info, commands) - before) as f64 / server_n as f64
        };
        let server = [
            (
                "brick-rate-limit RedisGcra",
                true,
                server_time(&["evalsha"], &mut |k| {
                    allowed(limiters.gcra.check(&keys[k]));
                }),
            ),
            (
                "brick-rate-limit RedisHierarchy (3 levels)",
                true,
                server_time(&["evalsha"], &mut |k| {
                    allowed(hierarchy.check_many(&[&keys[k], "10.0.0.1", "all"], 1));
                }),
            ),
            (
                "brick-rate-limit RedisTokenBucket",
                true,
                server_time(&["evalsha"], &mut |k| {
                    allowed(limiters.token_bucket.check(&keys[k]));
                }),
            ),
            (
                "brick-rate-limit RedisFixedWindow",
                true,
                server_time(&["evalsha"], &mut |k| {
                    allowed(limiters.fixed_window.check(&keys[k]));
                }),
            ),
            (
                "brick-rate-limit RedisSlidingWindowCounter",
                true,
                server_time(&["evalsha"], &mut |k| {
                    allowed(limiters.sliding_window.check(&keys[k]));
                }),
            ),
            (
                "brick-rate-limit RedisSlidingLog",
                true,
                server_time(&["evalsha"], &mut |k| {
                    allowed(limiters.sliding_log.check(&keys[k]));
                }),
            ),
            (
                "naive INCR + PEXPIRE (pipelined)",
                false,
                server_time(&["incrby", "pexpire"], &mut |k| {
                    naive_fixed_window(&mut con, &naive_keys[k]);
                }),
            ),
            (
                "bare INCR",
                false,
                server_time(&["incr"], &mut |k| {
                    bare_incr(&mut con, &naive_keys[k]);
                }),
            ),
        ];
        for (name, ours, micros) in server {
            out.push(
                Record::new(
                    BRICK,
                    name,
                    name,
                    ours,
                    "server time per decision",
                    params.clone(),
                )
                .with_metric("µs inside Redis", micros, None),
            );
        }

        ctx.step("rate-limit-redis: memory per key");
        out.extend(memory_per_key(&client, &mut info));

        ctx.step("rate-limit-redis: 8 connections");
        let per_thread = n / 8;
        // The two are timed alternately, one pass each per round.
        let [ours_8, naive_8] = ctx.time_alternating(
            (per_thread * 8) as u64,
            [
                &mut || {
                    std::thread::scope(|s| {
                        for t in 0..8 {
                            let (redis, keys) = (&redis, keys);
                            s.spawn(move || {
                                let limiters = Limiters::new(&redis.client(1));
                                for i in 0..per_thread {
                                    let d = limiters.gcra.check(&keys[(t * 131 + i) % KEYS]);
                                    std::hint::black_box(d.map(|d| d.allowed).unwrap_or(false));
                                }
                            });
                        }
                    });
                },
                &mut || {
                    std::thread::scope(|s| {
                        for t in 0..8 {
                            let (redis, naive_keys) = (&redis, &naive_keys);
                            s.spawn(move || {
                                let mut con = redis.raw();
                                for i in 0..per_thread {
                                    let key = &naive_keys[(t * 131 + i) % KEYS];
                                    std::hint::black_box(naive_fixed_window(&mut con, key));
                                }
                            });
                        }
                    });
                },
            ],
        );
        let params8 = format!(
            "checks={} keys={KEYS} loopback 8 connections",
            per_thread * 8
        );
        for (name, ours, ns) in [
            ("brick-rate-limit RedisGcra", true, ours_8),
            ("naive INCR + PEXPIRE (pipelined)", false, naive_8),
        ] {
            out.push(
                Record::new(
                    BRICK,
                    name,
                    name,
                    ours,
                    "check, 8 connections",
                    params8.clone(),
                )
                .with_ns(ns)
                .with_metric("checks per second", 1e9 / ns, None),
            );
        }

        ctx.step("rate-limit-redis: async, 1 / 16 / 64 tasks");
        out.extend(async_checks(&redis, keys, n));

        let target = |what: &str, metric: &str, value: f64, bound: f64| {
            Record::target(BRICK, "brick-rate-limit RedisGcra", what, params.clone())
                .with_metric(metric, value, Some(bound))
                .at_most()
        };
        out.push(target(
            "check",
            "ns ratio vs naive INCR + PEXPIRE",
            gcra / naive,
            1.2,
        ));
        out.push(
            Record::new(
                BRICK,
                "brick-rate-limit RedisGcra",
                "brick-rate-limit RedisGcra",
                true,
                "check vs bare INCR",
                params.clone(),
            )
            .with_metric("ns ratio vs bare INCR", gcra / incr, None),
        );
        out.push(target(
            "round trips per decision",
            "commands sent per check",
            gcra_trips,
            1.0,
        ));
        out.push(
            Record::target(
                BRICK,
                "brick-rate-limit RedisHierarchy (3 levels)",
                "round trips per decision",
                params.clone(),
            )
            .with_metric("commands sent per check", hier_trips, Some(1.0))
            .at_most(),
        );
        out.push(
            Record::new(
                BRICK,
                "brick-rate-limit RedisHierarchy (3 levels)",
                "brick-rate-limit RedisHierarchy (3 levels)",
                true,
                "hierarchy vs one GCRA check",
                params,
            )
            .with_metric("ns ratio", hier / gcra, None),
        );
        out
    }
}
