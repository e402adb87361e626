//! The async Redis client (feature `tokio`) against real `redis-server`s: the same decisions as
//! the in-process twins, exact admission from 64 tasks on one connection, every failure policy
//! through outages and stalls, cancellation that never half-applies a hierarchy, and the
//! degraded-decision hook. `#[ignore]`d tests need Redis (`.ci/run` starts one, as for
//! `tests/redis.rs`).
#![cfg(not(loom))]
// The test's own counters: loom models the crate's atomics, not these.
#![allow(clippy::disallowed_types)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use brick_rate_limit::*;
use proptest::prelude::*;

mod support;
use support::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn quick_async(url: &str) -> AsyncRedisClient {
    AsyncRedisClient::with_options(url, quick_options()).expect("valid options")
}

/// [`run_twins`] of `tests/redis.rs` through `check_n_async`: the Redis limiter and its
/// in-process twin on one manual clock.
fn run_async_twins<A>(algorithm: A, steps: &[(u64, u32)]) -> Result<(), TestCaseError>
where
    A: RedisAlgorithm + Algorithm,
{
    runtime().block_on(async {
        let clock = ManualClock::new();
        clock.set_nanos(1_700_000_000_000_000_000);
        let client = quick_async(&shared_url());
        let redis = RedisLimiter::new(
            &client,
            "twin",
            algorithm.clone(),
            FailurePolicy::FailClosed,
        )
        .and_then(|l| l.with_clock(clock.clone()))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let local = Limiter::new(algorithm, clock.clone());
        let key = unique("async-twin");
        for (i, &(advance_us, n)) in steps.iter().enumerate() {
            clock.advance(Duration::from_micros(advance_us));
            match (redis.check_n_async(&key, n).await, local.check_n(n)) {
                (Ok(r), Ok(l)) => assert_twins(&r, &l, i),
                (Err(RedisError::ExceedsCapacity(r)), Err(l)) => prop_assert_eq!(r, l),
                (r, l) => prop_assert!(false, "step {}: {:?} vs {:?}", i, r, l),
            }
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn async_gcra_matches_its_in_process_twin(steps in steps(), limit in 1u32..20, t_us in 1..200_000u64, burst in 1u32..20) {
        // A window of whole emission intervals in µs, as in tests/redis.rs: the script works
        // in µs, the twin in ns.
        let window = Duration::from_micros(t_us * u64::from(limit));
        run_async_twins(Gcra::with_burst(limit, window, burst).unwrap(), &steps)?;
    }

    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn async_token_bucket_matches_its_in_process_twin(steps in steps(), capacity in 1u32..20, refill in 1u32..20) {
        run_async_twins(TokenBucket::new(capacity, refill, Duration::from_secs(1)).unwrap(), &steps)?;
    }

    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn async_windows_match_their_in_process_twins(steps in steps(), limit in 1u32..20) {
        let w = Duration::from_secs(1);
        run_async_twins(FixedWindow::new(limit, w).unwrap(), &steps)?;
        run_async_twins(SlidingWindowCounter::new(limit, w).unwrap(), &steps)?;
    }
}

/// 64 tasks, 10 checks each, on one multiplexed connection and a frozen clock: exactly the limit
/// passes, every decision made by Redis.
#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn sixty_four_tasks_on_one_connection_admit_exactly_the_limit() {
    runtime().block_on(async {
        let client = quick_async(&shared_url());
        let clock = ManualClock::new();
        clock.set_nanos(1_700_000_000_000_000_000);
        let limiter = Arc::new(
            RedisGcra::new(
                &client,
                "tasks",
                Gcra::new(100, Duration::from_secs(3_600)).unwrap(),
                FailurePolicy::FailOpen,
            )
            .and_then(|l| l.with_clock(clock))
            .unwrap(),
        );
        let key = Arc::new(unique("tasks"));
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let (limiter, key) = (Arc::clone(&limiter), Arc::clone(&key));
                tokio::spawn(async move {
                    let mut allowed = 0;
                    for _ in 0..10 {
                        let d = limiter.check_async(&key).await.unwrap();
                        assert!(d.degraded.is_none(), "{:?}", d.degraded);
                        allowed += usize::from(d.allowed);
                    }
                    allowed
                })
            })
            .collect();
        let mut allowed = 0;
        for t in tasks {
            allowed += t.await.unwrap();
        }
        assert_eq!(allowed, 100);
    });
}

/// Checks dropped at random points (before sending, while waiting for the reply) on a two-level
/// hierarchy of equal GCRA limits: both levels always hold the same state, since one script
/// decides and writes both, and every completed check was decided by Redis.
#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn cancelled_checks_never_half_apply_a_hierarchy() {
    runtime().block_on(async {
        let client = quick_async(&shared_url());
        let clock = ManualClock::new();
        clock.set_nanos(1_700_000_000_000_000_000);
        let gcra = Gcra::new(1_000, Duration::from_secs(3_600)).unwrap();
        let level = |prefix: &str| {
            RedisGcra::new(&client, prefix, gcra, FailurePolicy::FailClosed)
                .and_then(|l| l.with_clock(clock.clone()))
                .unwrap()
        };
        let (user, tenant) = (level("cancel-user"), level("cancel-tenant"));
        let levels =
            RedisHierarchy::new(vec![&user as &dyn RedisLevel<AsyncRedisClient>, &tenant]).unwrap();
        let id = unique("cancel");
        let tag = format!("{{{id}}}");
        let keys = [tag.as_str(), tag.as_str()];
        let mut raw = redis::Client::open(shared_url())
            .unwrap()
            .get_connection_with_timeout(Duration::from_secs(2))
            .unwrap();
        let (mut completed, mut cancelled) = (0, 0);
        for i in 0..300u64 {
            // A deadline from 0 to ~300 µs: some checks never start, some are dropped while the
            // reply is on its way, the rest complete.
            let deadline = Duration::from_micros((i * 7_919) % 300);
            match tokio::time::timeout(deadline, levels.check_many_async(&keys, 1)).await {
                Ok(d) => {
                    let d = d.unwrap();
                    assert!(d.degraded.is_none(), "{:?}", d.degraded);
                    completed += 1;
                }
                Err(_) => cancelled += 1,
            }
            // One MGET, so both levels are read at one instant: a dropped check whose script
            // is already on its way may still run, and must not land between two reads.
            let states: Vec<Option<String>> = redis::cmd("MGET")
                .arg(user.redis_key(&tag).unwrap())
                .arg(tenant.redis_key(&tag).unwrap())
                .query(&mut raw)
                .unwrap();
            assert_eq!(
                states[0], states[1],
                "after check {i}: one level moved alone"
            );
        }
        assert!(
            completed > 0 && cancelled > 0,
            "{completed} completed, {cancelled} cancelled"
        );
    });
}

/// Outages and stalls through every failure policy: a check never waits past the timeout, the
/// policy answers, the hook hears of each degraded decision, and the same client recovers once
/// the server is back.
#[test]
#[ignore = "needs redis-server; .ci/run starts one"]
fn outages_follow_each_failure_policy_and_recover() {
    let mut server = Server::start();
    let url = server.url();
    let degraded = Arc::new(AtomicUsize::new(0));
    let heard = Arc::clone(&degraded);
    let rt = runtime();
    let client = rt.block_on(async {
        quick_async(&url).on_degraded(move |_| {
            heard.fetch_add(1, Ordering::SeqCst);
        })
    });
    let gcra = Gcra::new(10, Duration::from_secs(60)).unwrap();
    let open = RedisGcra::new(&client, "open", gcra, FailurePolicy::FailOpen).unwrap();
    let closed = RedisGcra::new(&client, "closed", gcra, FailurePolicy::FailClosed).unwrap();
    let fallback = RedisGcra::new(
        &client,
        "fallback",
        gcra,
        FailurePolicy::Fallback { nodes: 5 },
    )
    .unwrap();
    let key = unique("outage");
    let bound = quick_options().timeout + Duration::from_millis(300);
    rt.block_on(async {
        for l in [&open, &closed, &fallback] {
            let d = l.check_async(&key).await.unwrap();
            assert!(d.allowed && d.degraded.is_none(), "{d:?}");
        }
    });
    assert_eq!(degraded.load(Ordering::SeqCst), 0);
    for fault in ["kill", "SIGSTOP"] {
        if fault == "kill" {
            server.stop();
        } else {
            server.signal("-STOP");
        }
        rt.block_on(async {
            for _ in 0..3 {
                let start = Instant::now();
                let d = open.check_async(&key).await.unwrap();
                assert!(start.elapsed() < bound, "{fault}: {:?}", start.elapsed());
                assert!(d.allowed && d.degraded.is_some(), "{fault}: {d:?}");
                let d = closed.check_async(&key).await.unwrap();
                assert!(!d.allowed && d.degraded.is_some(), "{fault}: {d:?}");
            }
            // Fallback: this server's share, 10 / 5 = 2 at once.
            let fkey = unique("fallback");
            let mut passed = 0;
            for _ in 0..5 {
                let d = fallback.check_async(&fkey).await.unwrap();
                assert!(d.degraded.is_some());
                passed += usize::from(d.allowed);
            }
            assert_eq!(passed, 2, "{fault}");
        });
        assert!(
            degraded.load(Ordering::SeqCst) >= 11,
            "the hook heard every degraded decision"
        );
        if fault == "kill" {
            server.restart();
        } else {
            server.signal("-CONT");
        }
        // The same client recovers after its back-off, with no new connection from the caller.
        rt.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let d = open.check_async(&unique("back")).await.unwrap();
                if d.degraded.is_none() {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{fault}: still degraded: {:?}",
                    d.degraded
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
    }
}

/// What must fail does so before any I/O, as for the blocking client.
#[test]
fn bad_configuration_is_a_typed_error_before_any_io() {
    let rt = runtime();
    rt.block_on(async {
        assert!(matches!(
            AsyncRedisClient::open("http://not-redis"),
            Err(RedisError::BadOptions(_))
        ));
        assert!(matches!(
            AsyncRedisClient::with_options(
                "redis://127.0.0.1:1/",
                RedisOptions {
                    timeout: Duration::ZERO,
                    ..RedisOptions::default()
                }
            ),
            Err(RedisError::BadOptions(_))
        ));
        let client = quick_async("redis://127.0.0.1:1/");
        let gcra = Gcra::new(10, Duration::from_secs(1)).unwrap();
        let limiter = RedisGcra::new(&client, "p", gcra, FailurePolicy::FailClosed).unwrap();
        assert_eq!(
            limiter.check_async("").await.unwrap_err(),
            RedisError::EmptyKey
        );
        assert!(matches!(
            limiter.check_n_async("k", 11).await,
            Err(RedisError::ExceedsCapacity(_))
        ));
        let other = quick_async("redis://127.0.0.1:1/");
        let elsewhere = RedisGcra::new(&other, "q", gcra, FailurePolicy::FailClosed).unwrap();
        assert!(matches!(
            RedisHierarchy::new(vec![
                &limiter as &dyn RedisLevel<AsyncRedisClient>,
                &elsewhere
            ]),
            Err(RedisError::Mismatch(_))
        ));
        // A real check against nothing: degraded within the timeout, not an error.
        let start = Instant::now();
        let d = limiter.check_async("k").await.unwrap();
        assert!(!d.allowed && d.degraded.is_some(), "{d:?}");
        assert!(start.elapsed() < quick_options().timeout + Duration::from_millis(300));
    });
}
