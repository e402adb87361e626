//! What the live-Redis tests share: the shared server's URL, unique keys, servers of a test's
//! own, and the twin comparison. (A module of each test binary that declares it.)
#![allow(dead_code, unreachable_pub)] // each test binary uses part of it

use std::time::Duration;

use brick_rate_limit::*;
use proptest::prelude::*;

mod server;
pub(crate) use server::*;

pub(crate) fn quick_options() -> RedisOptions {
    RedisOptions {
        connections: 2,
        timeout: Duration::from_millis(200),
        reconnect_backoff: Duration::from_millis(20),
    }
}

/// Decisions equal up to the clock: the script works in microseconds, the twin in nanoseconds,
/// so times may differ below 1 µs.
pub(crate) fn assert_twins(redis: &RedisDecision, local: &Decision, step: usize) {
    assert!(
        redis.degraded.is_none(),
        "step {step}: {:?}",
        redis.degraded
    );
    let r = redis.decision;
    assert_eq!(r.allowed, local.allowed, "step {step}: {r:?} vs {local:?}");
    assert_eq!(
        r.remaining, local.remaining,
        "step {step}: {r:?} vs {local:?}"
    );
    assert_eq!(
        (r.limit, r.window),
        (local.limit, local.window),
        "step {step}"
    );
    for (a, b, what) in [
        (r.reset_after, local.reset_after, "reset_after"),
        (r.retry_after, local.retry_after, "retry_after"),
    ] {
        assert!(
            a.abs_diff(b) < Duration::from_micros(1),
            "step {step}: {what} {a:?} vs {b:?} ({r:?} vs {local:?})"
        );
    }
}

pub(crate) fn steps() -> impl Strategy<Value = Vec<(u64, u32)>> {
    // Mostly bursts (no time passes), sometimes pauses of up to 3 s, 1 to 4 units.
    prop::collection::vec(
        (
            prop_oneof![3 => Just(0u64), 2 => 0..50_000u64, 1 => 0..3_000_000u64],
            1..5u32,
        ),
        1..60,
    )
}
