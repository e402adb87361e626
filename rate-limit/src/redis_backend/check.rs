//! The halves of every check, sync or async, single or hierarchical: validate and build the
//! one script invocation, then read its reply (or answer by the failure policy).

use std::time::Duration;

use redis::{Script, ScriptInvocation};

use super::{RedisError, RedisTransport};
use super::{hierarchy::*, limiter::*};
use crate::Decision;

/// The first half of every check, sync or async: validate before any I/O and build the one
/// script invocation (every level's key, the time if the client sends one, n, every level's
/// parameters).
pub(super) fn prepare<T: RedisTransport>(
    levels: &[(&dyn RedisLevel<T>, &str)],
    n: u32,
    script: &'static Script,
) -> Result<ScriptInvocation<'static>, RedisError> {
    let Some(&(first, _)) = levels.first() else {
        return Err(RedisError::Mismatch("no levels".into()));
    };
    let mut redis_keys = Vec::with_capacity(levels.len());
    for &(level, key) in levels {
        let capacity = level.capacity();
        if u64::from(n) > capacity {
            let (limit, window) = level.policy_of();
            return Err(crate::limiter::exceeds(n, capacity, limit, window).into());
        }
        let redis_key = level.key(key)?;
        if redis_keys.contains(&redis_key) {
            return Err(RedisError::Mismatch(format!(
                "two levels on the Redis key {redis_key:?}"
            )));
        }
        redis_keys.push(redis_key);
    }
    let mut invocation = script.prepare_invoke();
    for key in &redis_keys {
        invocation.key(key);
    }
    match first.now_micros() {
        Some(now) => invocation.arg(now),
        None => invocation.arg(""),
    };
    invocation.arg(n);
    for (level, _) in levels {
        invocation.arg(&level.args()[..]);
    }
    Ok(invocation)
}

/// The second half: the script's reply parsed into the levels' decisions, or, when Redis could
/// not answer, the failure policies' (and the client's hook told).
pub(super) fn finish<T: RedisTransport>(
    levels: &[(&dyn RedisLevel<T>, &str)],
    n: u32,
    reply: Result<Vec<i64>, RedisError>,
) -> Result<RedisDecision, RedisError> {
    let reply = reply.and_then(|reply| {
        if reply.len() == 4 * levels.len() {
            Ok(reply)
        } else {
            Err(RedisError::Reply(format!(
                "{} numbers for {} keys",
                reply.len(),
                levels.len()
            )))
        }
    });
    let reply = match reply {
        Ok(reply) => reply,
        Err(error) => {
            if let Some(hook) = levels.first().and_then(|(l, _)| l.client().degraded_hook()) {
                hook(&error);
            }
            return degraded(levels, n, error);
        }
    };
    let decisions: Vec<Decision> = levels
        .iter()
        .zip(reply.chunks_exact(4))
        .map(|((level, _), r)| {
            let (limit, window) = level.policy_of();
            let micros = |x: i64| Duration::from_micros(u64::try_from(x).unwrap_or(0));
            Decision {
                allowed: r[0] == 1,
                limit,
                window,
                remaining: u64::try_from(r[1]).unwrap_or(0),
                reset_after: micros(r[2]),
                retry_after: micros(r[3]),
                wait: Duration::ZERO,
            }
        })
        .collect();
    combine(&decisions, None)
}

/// The first denial, or if all allow, the decision with the fewest remaining (the first of
/// equals), as [`Hierarchy`](crate::Hierarchy) reports.
pub(super) fn combine(
    decisions: &[Decision],
    degraded: Option<RedisError>,
) -> Result<RedisDecision, RedisError> {
    let decision = decisions
        .iter()
        .find(|d| !d.allowed)
        .or_else(|| decisions.iter().min_by_key(|d| d.remaining))
        .ok_or_else(|| RedisError::Mismatch("no levels".into()))?;
    Ok(RedisDecision {
        decision: *decision,
        degraded,
    })
}

/// Each level's failure policy decides, all-or-nothing as in [`Hierarchy`](crate::Hierarchy):
/// at the first denial, the fallback grants of the levels before it are given back.
pub(super) fn degraded<T: RedisTransport>(
    levels: &[(&dyn RedisLevel<T>, &str)],
    n: u32,
    error: RedisError,
) -> Result<RedisDecision, RedisError> {
    let mut decisions = Vec::with_capacity(levels.len());
    for (i, &(level, key)) in levels.iter().enumerate() {
        let d = level.degraded(key, n);
        decisions.push(d);
        if !d.allowed {
            for &(granted, key) in &levels[..i] {
                granted.release_degraded(key, n);
            }
            break;
        }
    }
    combine(&decisions, Some(error))
}
