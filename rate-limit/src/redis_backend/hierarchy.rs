//! [`RedisHierarchy`]: several limits checked and charged together in one script run, and
//! [`RedisLevel`], what a level of it is.

use std::time::Duration;

#[cfg(feature = "tokio")]
use super::AsyncRedisClient;
use super::client::{Request, parse};
use super::{RedisClient, RedisError, RedisTransport};
use super::{check::*, limiter::*, script::*};
use crate::Decision;

/// One level of a [`RedisHierarchy`]: a [`RedisLimiter`] of any algorithm on transport `T`.
/// Sealed.
pub trait RedisLevel<T: RedisTransport = RedisClient>:
    Send + Sync + std::fmt::Debug + level::Sealed<T>
{
}

pub(super) mod level {
    use super::*;

    #[allow(unreachable_pub)] // public in a private module: nameable by nobody outside
    pub trait Sealed<T> {
        fn client(&self) -> &T;
        fn key(&self, key: &str) -> Result<String, RedisError>;
        fn args(&self) -> [u64; 4];
        fn capacity(&self) -> u64;
        fn policy_of(&self) -> (u64, Duration);
        fn now_micros(&self) -> Option<u64>;
        /// The failure policy's decision (a fallback check consumes locally).
        fn degraded(&self, key: &str, n: u32) -> Decision;
        /// Gives back a fallback grant.
        fn release_degraded(&self, key: &str, n: u32);
    }
}

/// Several limits (per user, per IP, global) checked as one, in one round trip: a single
/// script decides every level and writes only if all allow, so a denial by one spends nothing
/// of the others, and no other server's check can run in between.
///
/// The levels must share one [`RedisClient`]. In a Redis Cluster, the keys of one check must
/// hash to one slot: give them one hash tag (`"{tenant-7}"`, `"{tenant-7}:user-42"`).
///
/// ```no_run
/// use brick_rate_limit::*;
/// use std::time::Duration;
///
/// let redis = RedisClient::open("redis://127.0.0.1:6379/")?;
/// let policy = FailurePolicy::FailClosed;
/// let user = RedisGcra::new(&redis, "user", Gcra::new(10, Duration::from_secs(1))?, policy)?;
/// let ip = RedisFixedWindow::new(&redis, "ip", FixedWindow::new(100, Duration::from_secs(60))?, policy)?;
/// let all = RedisSlidingWindowCounter::new(
///     &redis, "global", SlidingWindowCounter::new(10_000, Duration::from_secs(1))?, policy)?;
/// let levels = RedisHierarchy::new(vec![&user as &dyn RedisLevel, &ip, &all])?;
/// let d = levels.check_many(&["user-42", "10.0.0.7", "all"], 1)?;
/// # Ok::<(), RedisError>(())
/// ```
#[derive(Debug)]
pub struct RedisHierarchy<'a, T: RedisTransport = RedisClient> {
    levels: Vec<&'a dyn RedisLevel<T>>,
}

impl<'a, T: RedisTransport> RedisHierarchy<'a, T> {
    /// The levels, in the order their decisions are reported.
    ///
    /// Computes in **O(levels)** time (no I/O): each level's client is compared with the first's.
    ///
    /// # Errors
    /// [`RedisError::Mismatch`] for no levels or levels on different clients.
    pub fn new(levels: Vec<&'a dyn RedisLevel<T>>) -> Result<Self, RedisError> {
        let Some(first) = levels.first() else {
            return Err(RedisError::Mismatch("no levels".into()));
        };
        if levels.iter().any(|l| !l.client().same(first.client())) {
            return Err(RedisError::Mismatch(
                "the levels must share one RedisClient".into(),
            ));
        }
        Ok(Self { levels })
    }

    /// The levels paired with their keys, after checking the counts agree.
    fn pairs<'k>(
        &self,
        keys: &[&'k str],
    ) -> Result<Vec<(&'a dyn RedisLevel<T>, &'k str)>, RedisError> {
        if keys.len() != self.levels.len() {
            return Err(RedisError::Mismatch(format!(
                "{} keys for {} levels",
                keys.len(),
                self.levels.len()
            )));
        }
        Ok(self
            .levels
            .iter()
            .copied()
            .zip(keys.iter().copied())
            .collect())
    }
}

impl RedisHierarchy<'_, RedisClient> {
    /// Checks `n` units of each level's key (`keys[i]` for level i) as one, in one script.
    /// The decision is the first denying level's, or if all allow, the one with the fewest
    /// remaining.
    ///
    /// One round trip: one script for every level, **O(levels)** on the server.
    ///
    /// # Errors
    /// Before any I/O: [`RedisError::Mismatch`] when `keys` and the levels differ in number
    /// or two levels name the same Redis key, [`RedisError::EmptyKey`],
    /// [`RedisError::ExceedsCapacity`].
    pub fn check_many(&self, keys: &[&str], n: u32) -> Result<RedisDecision, RedisError> {
        let pairs = self.pairs(keys)?;
        let invocation = prepare(&pairs, n, &HIERARCHY_SCRIPT)?;
        let Some(&(first, _)) = pairs.first() else {
            return Err(RedisError::Mismatch("no levels".into()));
        };
        let reply = first
            .client()
            .exec(Request::Script(invocation))
            .and_then(parse);
        finish(&pairs, n, reply)
    }
}

#[cfg(feature = "tokio")]
impl RedisHierarchy<'_, AsyncRedisClient> {
    /// [`check_many`](RedisHierarchy::check_many) without blocking: one `EVALSHA` on the
    /// multiplexed connection. Cancellation-safe: one script decides every level and writes
    /// only if all allow, so a dropped future never leaves a half-applied hierarchy.
    ///
    /// One round trip: one script for every level, **O(levels)** on the server.
    ///
    /// # Errors
    /// As [`check_many`](RedisHierarchy::check_many).
    pub async fn check_many_async(
        &self,
        keys: &[&str],
        n: u32,
    ) -> Result<RedisDecision, RedisError> {
        let pairs = self.pairs(keys)?;
        let invocation = prepare(&pairs, n, &HIERARCHY_SCRIPT)?;
        let Some(&(first, _)) = pairs.first() else {
            return Err(RedisError::Mismatch("no levels".into()));
        };
        let reply = first
            .client()
            .exec(Request::Script(invocation))
            .await
            .and_then(parse);
        finish(&pairs, n, reply)
    }
}
