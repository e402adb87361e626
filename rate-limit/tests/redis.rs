//! The Redis backend against real `redis-server`s.
//!
//! Tests marked `#[ignore]` need Redis: `REDIS_URL` for the shared server, and `redis-server`
//! on `PATH` (or `REDIS_SERVER_BIN`) for the fault tests, which start and stop their own
//! short-lived servers on free loopback ports. `.ci/run` provides both and runs them with
//! `cargo test --workspace -- --ignored`. The tests without `#[ignore]` check what must fail
//! before any I/O, so they need no server.
#![cfg(not(loom))]
// The test's own counters and threads: loom models the crate's atomics, not these.
#![allow(clippy::disallowed_types)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use brick_rate_limit::*;
use proptest::prelude::*;

mod support;
use support::*;

/// Runs `steps` (advance in µs, units) through the Redis limiter and its in-process twin on one
/// manual clock.
fn run_twins<A>(algorithm: A, steps: &[(u64, u32)]) -> Result<(), TestCaseError>
where
    A: RedisAlgorithm + Algorithm,
{
    let clock = ManualClock::new();
    clock.set_nanos(1_700_000_000_000_000_000); // a realistic epoch time, in whole µs
    let client =
        RedisClient::open(&shared_url()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let redis = RedisLimiter::new(
        &client,
        "twin",
        algorithm.clone(),
        FailurePolicy::FailClosed,
    )
    .and_then(|l| l.with_clock(clock.clone()))
    .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let local = Limiter::new(algorithm, clock.clone());
    let key = unique("twin");
    for (i, &(advance_us, n)) in steps.iter().enumerate() {
        clock.advance(Duration::from_micros(advance_us));
        match (redis.check_n(&key, n), local.check_n(n)) {
            (Ok(r), Ok(l)) => assert_twins(&r, &l, i),
            (Err(RedisError::ExceedsCapacity(r)), Err(l)) => prop_assert_eq!(r, l),
            (r, l) => prop_assert!(false, "step {}: {:?} vs {:?}", i, r, l),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn gcra_matches_its_in_process_twin(
        limit in 1..20u32, t_us in 1..200_000u64, burst in 1..20u32, steps in steps()
    ) {
        // A window that is a whole number of emission intervals in µs, so that the twin's
        // nanosecond interval is exactly 1000 times the script's.
        let window = Duration::from_micros(t_us * u64::from(limit));
        run_twins(Gcra::with_burst(limit, window, burst).unwrap(), &steps)?;
    }

    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn token_bucket_matches_its_in_process_twin(
        capacity in 1..20u32, refill in 1..20u32, period_ms in 1..2_000u64, steps in steps()
    ) {
        let bucket = TokenBucket::new(capacity, refill, Duration::from_millis(period_ms)).unwrap();
        run_twins(bucket, &steps)?;
    }

    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn fixed_window_matches_its_in_process_twin(
        limit in 1..20u32, window_ms in 1..2_000u64, steps in steps()
    ) {
        run_twins(FixedWindow::new(limit, Duration::from_millis(window_ms)).unwrap(), &steps)?;
    }

    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn sliding_window_matches_its_in_process_twin(
        limit in 1..20u32, window_ms in 1..2_000u64, steps in steps()
    ) {
        let counter = SlidingWindowCounter::new(limit, Duration::from_millis(window_ms)).unwrap();
        run_twins(counter, &steps)?;
    }

    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn sliding_log_matches_its_in_process_twin(
        limit in 1..20u32, window_ms in 1..2_000u64, steps in steps()
    ) {
        run_twins(SlidingLog::new(limit, Duration::from_millis(window_ms)).unwrap(), &steps)?;
    }

    /// The Redis sliding log is exact for any arrival sequence: no window (t − w, t] ever holds
    /// more admitted units than the limit, whatever the costs, the pauses and the clock going
    /// back; and the in-process log admits the same units at the same times.
    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn sliding_log_never_admits_more_than_the_limit_in_any_window(
        limit in 1..12u32,
        window_us in 1..3_000_000u64,
        arrivals in prop::collection::vec((prop_oneof![3 => 0..20_000u64, 1 => 0..4_000_000u64], 0..4u32, prop::bool::weighted(0.05)), 1..80),
    ) {
        let w = Duration::from_micros(window_us);
        let clock = ManualClock::new();
        clock.set_nanos(1_700_000_000_000_000_000);
        let client = RedisClient::open(&shared_url()).unwrap();
        let redis = RedisSlidingLog::new(&client, "log", SlidingLog::new(limit, w).unwrap(), FailurePolicy::FailClosed)
            .unwrap().with_clock(clock.clone()).unwrap();
        let local = Limiter::new(SlidingLog::new(limit, w).unwrap(), clock.clone());
        let key = unique("log");
        let mut admitted: Vec<(u64, u64)> = Vec::new();
        let mut latest = 0u64;
        for (advance, n, back) in arrivals {
            if back {
                // The clock jumps back by up to the window: the log holds at its newest entry.
                clock.set_nanos(clock.now_nanos().saturating_sub(1_000 * advance.min(window_us)));
            } else {
                clock.advance(Duration::from_micros(advance));
            }
            let n = n.min(limit);
            let (r, l) = (redis.check_n(&key, n).unwrap(), local.check_n(n).unwrap());
            prop_assert!(r.degraded.is_none());
            prop_assert_eq!(r.allowed, l.allowed);
            // A clock that went back is held at the latest time the log has seen: the log's
            // timeline never goes back, and the windows are windows of it.
            latest = latest.max(clock.now_nanos() / 1_000);
            if r.allowed && n > 0 {
                admitted.push((latest, u64::from(n)));
            }
        }
        for (i, &(t, _)) in admitted.iter().enumerate() {
            // Units admitted in (t − w, t]: everything from i back to the window's start.
            let inside: u64 = admitted[..=i].iter().filter(|(a, _)| a + window_us > t).map(|(_, n)| n).sum();
            prop_assert!(inside <= u64::from(limit), "{} units in one window of a limit of {}", inside, limit);
        }
    }

    /// The hierarchy in one script decides as the in-process `Hierarchy` of the twins does,
    /// including giving nothing away on a denial.
    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn hierarchy_matches_the_in_process_hierarchy(
        user in 1..6u32, ip in 1..10u32, global in 1..15u32, login in 1..8u32, steps in steps()
    ) {
        let second = Duration::from_secs(1);
        let clock = ManualClock::new();
        clock.set_nanos(1_700_000_000_000_000_000);
        let client = RedisClient::open(&shared_url()).unwrap();
        let policy = FailurePolicy::FailClosed;
        let (a, b, c) = (
            Gcra::new(user, Duration::from_micros(100_000 * u64::from(user))).unwrap(),
            FixedWindow::new(ip, second).unwrap(),
            SlidingWindowCounter::new(global, second).unwrap(),
        );
        let ra = RedisLimiter::new(&client, "h-user", a, policy).unwrap().with_clock(clock.clone()).unwrap();
        let rb = RedisLimiter::new(&client, "h-ip", b, policy).unwrap().with_clock(clock.clone()).unwrap();
        let rc = RedisLimiter::new(&client, "h-all", c, policy).unwrap().with_clock(clock.clone()).unwrap();
        let d = SlidingLog::new(login, second).unwrap();
        let rd = RedisLimiter::new(&client, "h-log", d, policy).unwrap().with_clock(clock.clone()).unwrap();
        let redis = RedisHierarchy::new(vec![&ra as &dyn RedisLevel, &rb, &rc, &rd]).unwrap();
        let (la, lb, lc, ld) = (Limiter::new(a, clock.clone()), Limiter::new(b, clock.clone()), Limiter::new(c, clock.clone()), Limiter::new(d, clock.clone()));
        let local = Hierarchy::new(vec![&la as &dyn RateLimiter, &lb, &lc, &ld]);
        let key = unique("h");
        let keys = [key.as_str(), key.as_str(), key.as_str(), key.as_str()];
        for (i, &(advance_us, n)) in steps.iter().enumerate() {
            clock.advance(Duration::from_micros(advance_us));
            // Within every level's capacity: beyond it, ours refuses up front (whichever level
            // it is), while the in-process hierarchy answers the first level's denial.
            let n = n.min(user).min(ip).min(global).min(login);
            match (redis.check_many(&keys, n), local.check_n(n)) {
                (Ok(r), Ok(l)) => assert_twins(&r, &l, i),
                (Err(RedisError::ExceedsCapacity(r)), Err(l)) => prop_assert_eq!(r, l),
                (r, l) => prop_assert!(false, "step {}: {:?} vs {:?}", i, r, l),
            }
        }
    }
}

/// GCRA, 10 per second, failing closed.
fn ten_per_second(client: &RedisClient, prefix: &str) -> RedisGcra {
    let gcra = Gcra::new(10, Duration::from_secs(1)).unwrap();
    RedisGcra::new(client, prefix, gcra, FailurePolicy::FailClosed).unwrap()
}

#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn keys_expire_once_their_state_is_fresh_again() {
    let url = shared_url();
    let client = RedisClient::open(&url).unwrap();
    let limiter = ten_per_second(&client, "ttl");
    let key = unique("ttl");
    for _ in 0..3 {
        assert!(limiter.check(&key).unwrap().allowed);
    }
    // Three units of 100 ms each: the TAT is 300 ms ahead of now, and so is the expiry.
    let ttl: i64 = redis::cmd("PTTL")
        .arg(limiter.redis_key(&key).unwrap())
        .query(&mut raw(&url))
        .unwrap();
    assert!((200..=300).contains(&ttl), "PTTL {ttl}");
}

#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn a_key_of_another_type_or_a_foreign_value_degrades_instead_of_resetting() {
    let url = shared_url();
    let client = RedisClient::open(&url).unwrap();
    let limiter = ten_per_second(&client, "foreign");
    let (list, text) = (unique("list"), unique("text"));
    let mut con = raw(&url);
    let _: () = redis::cmd("RPUSH")
        .arg(limiter.redis_key(&list).unwrap())
        .arg("x")
        .query(&mut con)
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg(limiter.redis_key(&text).unwrap())
        .arg("not a time")
        .query(&mut con)
        .unwrap();
    for key in [&list, &text] {
        let d = limiter.check(key).unwrap();
        assert!(!d.allowed, "{key}: fail closed");
        assert!(
            matches!(d.degraded, Some(RedisError::Script(_))),
            "{key}: {:?}",
            d.degraded
        );
    }
}

/// Every check, single or hierarchical, is one command (`EVALSHA`) once the script is loaded.
#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn one_round_trip_per_decision() {
    let server = Server::start();
    let client = RedisClient::with_options(&server.url(), quick_options()).unwrap();
    let policy = FailurePolicy::FailClosed;
    let second = Duration::from_secs(1);
    let a = RedisGcra::new(&client, "a", Gcra::new(1000, second).unwrap(), policy).unwrap();
    let b = RedisFixedWindow::new(
        &client,
        "b",
        FixedWindow::new(1000, second).unwrap(),
        policy,
    )
    .unwrap();
    let both = RedisHierarchy::new(vec![&a as &dyn RedisLevel, &b]).unwrap();
    // Loads both scripts (EVALSHA, NOSCRIPT, SCRIPT LOAD, EVALSHA).
    assert!(a.check("warm").unwrap().degraded.is_none());
    assert!(
        both.check_many(&["warm", "warm"], 1)
            .unwrap()
            .degraded
            .is_none()
    );
    let mut con = raw(&server.url());
    // Commands a client sent: all commands processed, less those the scripts ran inside.
    let sent = |con: &mut redis::Connection| -> (u64, u64) {
        let info: String = redis::cmd("INFO").arg("all").query(con).unwrap();
        let field = |prefix: &str| -> u64 {
            info.lines()
                .find_map(|l| l.strip_prefix(prefix))
                .and_then(|v| v.split([',', '\r']).next())
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        };
        let inner: u64 = ["get", "set", "time"]
            .iter()
            .map(|c| field(&format!("cmdstat_{c}:calls=")))
            .sum();
        (
            field("total_commands_processed:") - inner,
            field("cmdstat_evalsha:calls="),
        )
    };
    let (before, evalsha_before) = sent(&mut con);
    for i in 0..100 {
        let key = format!("k{i}");
        assert!(a.check(&key).unwrap().degraded.is_none());
        assert!(
            both.check_many(&[&key, &key], 1)
                .unwrap()
                .degraded
                .is_none()
        );
    }
    let (after, evalsha_after) = sent(&mut con);
    assert_eq!(evalsha_after - evalsha_before, 200);
    // 200 checks, plus the first INFO itself.
    assert_eq!(after - before, 201);
}

/// 8 connections from 2 threads on one key, with Redis's clock: GCRA never admits more than
/// burst + elapsed · rate, and a limit above the load denies nothing.
#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn concurrent_servers_never_over_admit() {
    let url = shared_url();
    let (limit, window) = (200u32, Duration::from_millis(100));
    let key = unique("hammer");
    let hammer = |limit: u32, run_for: Duration| -> (u64, u64, Duration) {
        let allowed = Arc::new(AtomicU64::new(0));
        let denied = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..2 {
                let (allowed, denied, url, key) = (&allowed, &denied, &url, &key);
                s.spawn(move || {
                    // Four "servers" a thread, each with its own client and connection.
                    let limiters: Vec<_> = (0..4)
                        .map(|_| {
                            let options = RedisOptions {
                                connections: 1,
                                ..quick_options()
                            };
                            let client = RedisClient::with_options(url, options).unwrap();
                            let gcra = Gcra::new(limit, window).unwrap();
                            RedisGcra::new(&client, "hammer", gcra, FailurePolicy::FailClosed)
                                .unwrap()
                        })
                        .collect();
                    while start.elapsed() < run_for {
                        for l in &limiters {
                            let d = l.check(key).unwrap();
                            assert!(d.degraded.is_none(), "{:?}", d.degraded);
                            let counter = if d.allowed { allowed } else { denied };
                            counter.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        (
            allowed.load(Ordering::Relaxed),
            denied.load(Ordering::Relaxed),
            start.elapsed(),
        )
    };
    let (allowed, denied, elapsed) = hammer(limit, Duration::from_secs(2));
    // Every server-side check happened within `elapsed`; GCRA's promise for that interval.
    let bound =
        u64::from(limit) + elapsed.as_nanos() as u64 * u64::from(limit) / window.as_nanos() as u64;
    assert!(allowed <= bound, "{allowed} allowed, at most {bound}");
    assert!(
        denied > 0,
        "the load must exceed the limit for this test to mean anything"
    );
    // Nearly all of the rate is used: atomic, but not stingy (a tenth of slack for start-up).
    assert!(allowed * 10 >= bound * 9, "{allowed} allowed of {bound}");

    let key2 = unique("hammer-generous");
    let generous = |key: &str| {
        let client = RedisClient::open(&url).unwrap();
        let gcra = Gcra::new(1_000_000, Duration::from_secs(1)).unwrap();
        let l = RedisGcra::new(&client, "hammer", gcra, FailurePolicy::FailClosed).unwrap();
        (0..2000).all(|_| l.check(key).unwrap().allowed)
    };
    assert!(generous(&key2), "a limit far above the load denied");
}

/// With one frozen client clock per window, 8 connections racing for one fixed window admit
/// exactly the limit, window after window.
#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn racing_connections_admit_exactly_the_limit_per_window() {
    let url = shared_url();
    let clock = ManualClock::new();
    clock.set_nanos(1_700_000_000_000_000_000);
    let (limit, window) = (50u32, Duration::from_secs(1));
    let key = unique("window");
    let limiters: Vec<_> = (0..8)
        .map(|_| {
            let options = RedisOptions {
                connections: 1,
                ..quick_options()
            };
            let client = RedisClient::with_options(&url, options).unwrap();
            let fw = FixedWindow::new(limit, window).unwrap();
            RedisFixedWindow::new(&client, "window", fw, FailurePolicy::FailClosed)
                .unwrap()
                .with_clock(clock.clone())
                .unwrap()
        })
        .collect();
    for round in 0..5 {
        let allowed = AtomicU64::new(0);
        std::thread::scope(|s| {
            for pair in limiters.chunks(4) {
                let (allowed, key) = (&allowed, &key);
                s.spawn(move || {
                    for _ in 0..30 {
                        for l in pair {
                            let d = l.check(key).unwrap();
                            assert!(d.degraded.is_none(), "{:?}", d.degraded);
                            allowed.fetch_add(u64::from(d.allowed), Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(
            allowed.load(Ordering::Relaxed),
            u64::from(limit),
            "window {round}"
        );
        clock.advance(window);
    }
}

#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn outages_follow_the_failure_policy_and_recover_without_a_new_client() {
    let mut server = Server::start();
    let clock = ManualClock::new();
    let client = RedisClient::with_options(&server.url(), quick_options()).unwrap();
    let gcra = Gcra::new(10, Duration::from_secs(1)).unwrap();
    let make = |name: &str, policy| {
        RedisGcra::new(&client, name, gcra, policy)
            .unwrap()
            .with_clock(clock.clone())
            .unwrap()
    };
    let open = make("open", FailurePolicy::FailOpen);
    let closed = make("closed", FailurePolicy::FailClosed);
    let fallback = make("fallback", FailurePolicy::Fallback { nodes: 2 });
    for l in [&open, &closed, &fallback] {
        let d = l.check("k").unwrap();
        assert!(d.allowed && d.degraded.is_none(), "{d:?}");
    }

    server.stop();
    for _ in 0..20 {
        let d = open.check("k").unwrap();
        assert!(d.allowed, "fail open allows");
        assert!(
            matches!(d.degraded, Some(RedisError::Connection(_))),
            "{d:?}"
        );
        let d = closed.check("k").unwrap();
        assert!(!d.allowed, "fail closed denies");
        assert!(
            matches!(d.degraded, Some(RedisError::Connection(_))),
            "{d:?}"
        );
    }
    // The fallback limits locally to its share: 10 / 2 nodes = 5 at once.
    let admitted = (0..20)
        .map(|_| fallback.check("k").unwrap())
        .inspect(|d| assert!(d.degraded.is_some()))
        .filter(|d| d.allowed)
        .count();
    assert_eq!(admitted, 5);

    // A hierarchy under Fallback stays all-or-nothing locally: the global level (checked
    // first) gets back what it granted when the per-user level denies.
    let global = RedisGcra::new(
        &client,
        "g",
        Gcra::new(5, Duration::from_secs(1)).unwrap(),
        FailurePolicy::Fallback { nodes: 1 },
    )
    .unwrap()
    .with_clock(clock.clone())
    .unwrap();
    let user = RedisGcra::new(
        &client,
        "u",
        Gcra::new(2, Duration::from_secs(1)).unwrap(),
        FailurePolicy::Fallback { nodes: 1 },
    )
    .unwrap()
    .with_clock(clock.clone())
    .unwrap();
    let levels = RedisHierarchy::new(vec![&global as &dyn RedisLevel, &user]).unwrap();
    let admitted = |who: &str, tries: usize| {
        (0..tries)
            .filter(|_| levels.check_many(&["all", who], 1).unwrap().allowed)
            .count()
    };
    assert_eq!(admitted("a", 5), 2); // three denials by the user level...
    assert_eq!(admitted("b", 5), 2);
    assert_eq!(admitted("c", 5), 1); // ...cost the global level nothing: 5 = 2 + 2 + 1

    server.restart();
    std::thread::sleep(Duration::from_millis(50)); // past the reconnect back-off
    let recovered = |l: &RedisGcra| {
        // A pooled connection that predates the restart fails once, then reopens.
        (0..4).any(|_| l.check("k2").unwrap().degraded.is_none())
    };
    for l in [&open, &closed, &fallback] {
        assert!(recovered(l), "{l:?} did not recover");
        let d = l.check("k2").unwrap();
        assert!(d.degraded.is_none() && d.allowed, "{d:?}");
    }
}

#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn a_stalled_server_times_out_and_a_script_flush_is_survived() {
    let server = Server::start();
    let options = RedisOptions {
        connections: 1,
        timeout: Duration::from_millis(100),
        reconnect_backoff: Duration::from_millis(20),
    };
    let client = RedisClient::with_options(&server.url(), options).unwrap();
    let gcra = Gcra::new(100, Duration::from_secs(1)).unwrap();
    let limiter = RedisGcra::new(&client, "stall", gcra, FailurePolicy::FailClosed).unwrap();
    assert!(limiter.check("k").unwrap().degraded.is_none());

    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query(&mut raw(&server.url()))
        .unwrap();
    let d = limiter.check("k").unwrap();
    assert!(
        d.allowed && d.degraded.is_none(),
        "after SCRIPT FLUSH: {d:?}"
    );

    server.signal("-STOP");
    let start = Instant::now();
    let d = limiter.check("k").unwrap();
    let waited = start.elapsed();
    server.signal("-CONT");
    assert_eq!(d.degraded, Some(RedisError::Timeout));
    assert!(!d.allowed);
    assert!(waited < Duration::from_secs(1), "waited {waited:?}");
    std::thread::sleep(Duration::from_millis(50));
    let d = limiter.check("k").unwrap();
    assert!(d.allowed && d.degraded.is_none(), "after the stall: {d:?}");
}

/// No server listens at this address, so any I/O would come back as a degraded decision
/// rather than these errors.
#[test]
fn bad_configuration_is_a_typed_error_before_any_io() {
    let nowhere = "redis://127.0.0.1:1/";
    let client = RedisClient::open(nowhere).unwrap();
    let gcra = Gcra::new(10, Duration::from_secs(1)).unwrap();
    let closed = FailurePolicy::FailClosed;
    let limiter = RedisGcra::new(&client, "p", gcra, closed).unwrap();

    assert_eq!(limiter.check("").unwrap_err(), RedisError::EmptyKey);
    assert!(matches!(
        limiter.check_n("k", 11),
        Err(RedisError::ExceedsCapacity(e)) if e.requested == 11 && e.capacity == 10
    ));
    assert_eq!(
        RedisGcra::new(&client, "", gcra, closed).unwrap_err(),
        RedisError::EmptyKey
    );
    assert!(matches!(
        RedisGcra::new(&client, "a{b}", gcra, closed),
        Err(RedisError::BadPrefix(_))
    ));
    assert!(matches!(
        RedisGcra::new(&client, "p", gcra, FailurePolicy::Fallback { nodes: 0 }),
        Err(RedisError::BadOptions(_))
    ));
    // Zero limits are the algorithms' own errors, which convert.
    assert_eq!(
        RedisError::from(Gcra::new(0, Duration::from_secs(1)).unwrap_err()),
        RedisError::Config(Error::ZeroLimit)
    );
    // Below a microsecond per unit, or beyond what doubles hold exactly.
    let fine = Gcra::new(10_000_000, Duration::from_secs(1)).unwrap();
    assert!(matches!(
        RedisGcra::new(&client, "p", fine, closed),
        Err(RedisError::NotRepresentable { .. })
    ));
    let huge = SlidingWindowCounter::new(u32::MAX, Duration::from_secs(86_400 * 365)).unwrap();
    assert!(matches!(
        RedisSlidingWindowCounter::new(&client, "p", huge, closed),
        Err(RedisError::NotRepresentable { .. })
    ));
    for options in [
        RedisOptions {
            connections: 0,
            ..RedisOptions::default()
        },
        RedisOptions {
            timeout: Duration::ZERO,
            ..RedisOptions::default()
        },
    ] {
        assert!(matches!(
            RedisClient::with_options(nowhere, options),
            Err(RedisError::BadOptions(_))
        ));
    }
    assert!(matches!(
        RedisClient::open("http://not-redis"),
        Err(RedisError::BadOptions(_))
    ));

    let other = RedisClient::open(nowhere).unwrap();
    let elsewhere = RedisGcra::new(&other, "q", gcra, closed).unwrap();
    let same_prefix = RedisGcra::new(&client, "p", gcra, closed).unwrap();
    assert!(matches!(
        RedisHierarchy::<RedisClient>::new(vec![]),
        Err(RedisError::Mismatch(_))
    ));
    assert!(matches!(
        RedisHierarchy::new(vec![&limiter as &dyn RedisLevel, &elsewhere]),
        Err(RedisError::Mismatch(_))
    ));
    let pair = RedisHierarchy::new(vec![&limiter as &dyn RedisLevel, &same_prefix]).unwrap();
    assert!(matches!(
        pair.check_many(&["k"], 1),
        Err(RedisError::Mismatch(_))
    ));
    assert!(matches!(
        pair.check_many(&["k", "k"], 1),
        Err(RedisError::Mismatch(_))
    ));
    assert_eq!(
        pair.check_many(&["k", ""], 1).unwrap_err(),
        RedisError::EmptyKey
    );

    // And a real check on this client is I/O: degraded, not an error.
    let d = limiter.check("k").unwrap();
    assert!(!d.allowed);
    assert!(matches!(d.degraded, Some(RedisError::Connection(_))));
}

#[test]
fn keys_are_their_own_cluster_hash_tag_unless_they_bring_one() {
    let client = RedisClient::open("redis://127.0.0.1:1/").unwrap();
    let gcra = Gcra::new(10, Duration::from_secs(1)).unwrap();
    let l = RedisGcra::new(&client, "api", gcra, FailurePolicy::FailOpen).unwrap();
    assert_eq!(l.redis_key("user-42").unwrap(), "api:{user-42}");
    assert_eq!(l.redis_key("{t7}:user-42").unwrap(), "api:{t7}:user-42");
    // `{}` is no tag in Redis Cluster (the whole name is hashed), so it gets wrapped.
    assert_eq!(l.redis_key("a{}b").unwrap(), "api:{a{}b}");
    assert_eq!(l.redis_key("}{x").unwrap(), "api:{}{x}");
}
