//! [`RedisLimiter`] for each algorithm, the [`FailurePolicy`] and the [`RedisDecision`] it
//! answers with.

use std::ops::Deref;
use std::time::Duration;

#[cfg(feature = "tokio")]
use super::AsyncRedisClient;
use super::client::{Request, parse};
use super::{RedisClient, RedisError, RedisTransport};
use super::{check::*, hierarchy::*, script::*};
use crate::sync::Arc;
use crate::{
    Clock, Decision, FixedWindow, Gcra, KeyedLimiter, SlidingLog, SlidingWindowCounter,
    SystemClock, TokenBucket,
};

/// What a Redis-backed limiter answers when Redis cannot: chosen at construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Allow every request (and mark the decision degraded). Availability first: an outage of
    /// Redis does not become an outage of the service, but nothing is limited meanwhile.
    FailOpen,
    /// Deny every request. Protection first: for limits that guard money or security (login
    /// attempts, SMS sends), at the price of refusing everyone while Redis is down.
    FailClosed,
    /// Limit in-process, each server to its share of the limit (limit / `nodes`, at least 1).
    /// With `nodes` servers the fleet as a whole stays close to the limit while Redis is down.
    Fallback {
        /// How many servers share the limit.
        nodes: u32,
    },
}

/// A [`Decision`] from a Redis-backed limiter, and whether Redis made it.
///
/// It dereferences to the [`Decision`], so `d.allowed` and `d.headers()` work as for the
/// in-process limiters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a decision that is not looked at admits nothing and denies nothing"]
pub struct RedisDecision {
    /// The decision.
    pub decision: Decision,
    /// `None` when Redis decided; otherwise what went wrong, and the [`FailurePolicy`]
    /// decided instead.
    pub degraded: Option<RedisError>,
}

impl Deref for RedisDecision {
    type Target = Decision;
    fn deref(&self) -> &Decision {
        &self.decision
    }
}

/// The clock a limiter sends to its script (when it has one) and its fallback reads: the
/// crate's `Clock` is implemented for any `Arc<C>`, so one shared handle serves both.
type SharedClock = Arc<dyn Clock>;

/// A limit shared by every server that uses the same Redis: one algorithm's script run by
/// `EVALSHA` per check, keyed by a string.
///
/// Each check is one round trip. The script reads the key's state, decides, and writes the
/// new state with a TTL (until the state is as good as fresh), atomically: Redis runs one
/// script at a time, so two servers cannot both take the last unit. Time is Redis's own
/// (`TIME` in the script, microseconds) unless [`with_clock`](Self::with_clock) says otherwise,
/// so the app servers' clocks do not matter.
///
/// The Redis key of `check(key)` is `<prefix>:<key>` if `key` has a Redis Cluster hash tag
/// (`{...}`), and `<prefix>:{<key>}` otherwise, so every key is its own tag: keys spread over a
/// cluster, and the states of one key under several prefixes sit in one slot.
///
/// ```no_run
/// use brick_rate_limit::{FailurePolicy, Gcra, RedisClient, RedisGcra};
/// use std::time::Duration;
///
/// let redis = RedisClient::open("redis://127.0.0.1:6379/")?;
/// let per_user = RedisGcra::new(
///     &redis,
///     "api",
///     Gcra::new(100, Duration::from_secs(60))?,
///     FailurePolicy::Fallback { nodes: 8 },
/// )?;
/// let d = per_user.check("user-42")?; // Redis key "api:{user-42}"
/// if !d.allowed {
///     // answer 429 with d.headers()
/// }
/// # Ok::<(), brick_rate_limit::RedisError>(())
/// ```
pub struct RedisLimiter<A: RedisAlgorithm, T: RedisTransport = RedisClient> {
    client: T,
    prefix: String,
    algorithm: A,
    args: [u64; 4],
    policy: FailurePolicy,
    clock: Option<SharedClock>,
    fallback: Option<KeyedLimiter<String, A, SharedClock>>,
}

/// GCRA in Redis: one timestamp per key (`SET` with `PX`). `T` is the transport: the blocking
/// [`RedisClient`] by default, or `AsyncRedisClient` (feature `tokio`).
pub type RedisGcra<T = RedisClient> = RedisLimiter<Gcra, T>;
/// Token bucket in Redis: a hash of two numbers per key.
pub type RedisTokenBucket<T = RedisClient> = RedisLimiter<TokenBucket, T>;
/// Fixed window in Redis: a hash of the window and its count per key.
pub type RedisFixedWindow<T = RedisClient> = RedisLimiter<FixedWindow, T>;
/// Sliding window counter in Redis: a hash of the window and two counts per key.
pub type RedisSlidingWindowCounter<T = RedisClient> = RedisLimiter<SlidingWindowCounter, T>;
/// Sliding log in Redis: a sorted set per key, one member per unit admitted in the last window
/// (`ZREMRANGEBYSCORE` of older ones, `ZCARD`, `ZADD` only when allowed, `PEXPIRE`), in one
/// script on Redis time. Exact: no window (t − w, t] ever admits more than the limit.
pub type RedisSlidingLog<T = RedisClient> = RedisLimiter<SlidingLog, T>;

impl<A: RedisAlgorithm, T: RedisTransport> std::fmt::Debug for RedisLimiter<A, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("prefix", &self.prefix)
            .field("algorithm", &self.algorithm)
            .field("policy", &self.policy)
            .field("client_clock", &self.clock.is_some())
            .finish()
    }
}

impl<A: RedisAlgorithm, T: RedisTransport> RedisLimiter<A, T> {
    /// A limit on `client`'s Redis, its keys under `prefix`, answering by `policy` when Redis
    /// cannot. No I/O: the script is loaded by the first check that needs it. With a
    /// [`RedisClient`] the limiter has the blocking `check`; with an `AsyncRedisClient`
    /// (feature `tokio`), `check_async`.
    ///
    /// Computes in **O(len)** time for the prefix (no I/O).
    ///
    /// # Errors
    /// Before any I/O: [`RedisError::EmptyKey`] or [`RedisError::BadPrefix`] for the prefix,
    /// [`RedisError::NotRepresentable`] for a limit the script cannot compute exactly,
    /// [`RedisError::BadOptions`] for `Fallback { nodes: 0 }`. (Zero limits and windows are
    /// refused earlier, by the algorithm's own constructor.)
    pub fn new(
        client: &T,
        prefix: &str,
        algorithm: A,
        policy: FailurePolicy,
    ) -> Result<Self, RedisError> {
        if prefix.is_empty() {
            return Err(RedisError::EmptyKey);
        }
        if prefix.contains(['{', '}']) {
            return Err(RedisError::BadPrefix(prefix.to_owned()));
        }
        let args = algorithm.script_args()?;
        let mut limiter = Self {
            client: client.clone(),
            prefix: prefix.to_owned(),
            algorithm,
            args,
            policy,
            clock: None,
            fallback: None,
        };
        limiter.fallback = limiter.build_fallback()?;
        Ok(limiter)
    }

    /// Decides with the time of `clock` (sent to the script) instead of Redis's. For tests
    /// (with a [`ManualClock`](crate::ManualClock)), or a fleet whose clocks are trusted. The
    /// `Fallback` limiter reads it too.
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// As [`new`](Self::new) (the fallback is rebuilt on the new clock).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Result<Self, RedisError> {
        self.clock = Some(Arc::new(clock));
        self.fallback = self.build_fallback()?;
        Ok(self)
    }

    fn build_fallback(&self) -> Result<Option<KeyedLimiter<String, A, SharedClock>>, RedisError> {
        let FailurePolicy::Fallback { nodes } = self.policy else {
            return Ok(None);
        };
        if nodes == 0 {
            return Err(RedisError::BadOptions("Fallback over zero nodes".into()));
        }
        let clock = self
            .clock
            .clone()
            .unwrap_or_else(|| Arc::new(SystemClock::default()));
        Ok(Some(KeyedLimiter::new(self.algorithm.share(nodes)?, clock)))
    }

    /// The Redis key that holds `key`'s state.
    ///
    /// Computes in **O(len)** time for the key.
    ///
    /// # Errors
    /// [`RedisError::EmptyKey`] for `""`.
    pub fn redis_key(&self, key: &str) -> Result<String, RedisError> {
        if key.is_empty() {
            return Err(RedisError::EmptyKey);
        }
        Ok(if has_hash_tag(key) {
            format!("{}:{key}", self.prefix)
        } else {
            format!("{}:{{{key}}}", self.prefix)
        })
    }

    /// The algorithm and its configuration.
    ///
    /// Computes in **O(1)** time.
    pub fn algorithm(&self) -> &A {
        &self.algorithm
    }

    /// The `limit` and `window` its decisions report.
    #[cfg(all(feature = "tower", feature = "tokio"))]
    pub(crate) fn policy(&self) -> (u64, Duration) {
        self.algorithm.policy()
    }

    /// The failure policy.
    ///
    /// Computes in **O(1)** time.
    pub fn failure_policy(&self) -> FailurePolicy {
        self.policy
    }

    /// Drops the in-process fallback's idle keys (see
    /// [`KeyedLimiter::retain_recent`]); returns how many are left. Worth calling
    /// periodically during a long outage under `Fallback`.
    ///
    /// Computes in **O(keys)** time of the fallback, as
    /// [`KeyedLimiter::retain_recent`](crate::KeyedLimiter::retain_recent).
    pub fn retain_recent_fallback(&self) -> usize {
        self.fallback
            .as_ref()
            .map_or(0, KeyedLimiter::retain_recent)
    }
}

impl<A: RedisAlgorithm> RedisLimiter<A, RedisClient> {
    /// Checks, and if allowed consumes, one unit of `key`'s limit.
    ///
    /// One round trip: one script, **O(1)** on the server (a sliding log's is O(limit) at most).
    ///
    /// # Errors
    /// [`RedisError::EmptyKey`] for `""`, before any I/O. Failures to reach Redis are not
    /// errors: the [`FailurePolicy`] answers and the decision is [`degraded`](RedisDecision::degraded).
    pub fn check(&self, key: &str) -> Result<RedisDecision, RedisError> {
        self.check_n(key, 1)
    }

    /// Checks, and if allowed consumes, `n` units of `key`'s limit.
    ///
    /// One round trip: one script, **O(1)** on the server (a sliding log's is O(limit) at most).
    ///
    /// # Errors
    /// [`RedisError::EmptyKey`], or [`RedisError::ExceedsCapacity`] when `n` is more than the
    /// limit ever grants at once; both before any I/O.
    pub fn check_n(&self, key: &str, n: u32) -> Result<RedisDecision, RedisError> {
        let levels = [(self as &dyn RedisLevel, key)];
        let invocation = prepare(&levels, n, A::script())?;
        let reply = self
            .client
            .exec(Request::Script(invocation))
            .and_then(parse);
        finish(&levels, n, reply)
    }
}

#[cfg(feature = "tokio")]
impl<A: RedisAlgorithm> RedisLimiter<A, AsyncRedisClient> {
    /// Checks, and if allowed consumes, one unit of `key`'s limit, without blocking the
    /// runtime thread: one `EVALSHA` on the client's multiplexed connection, bounded by its
    /// timeout.
    ///
    /// Cancellation-safe: the script decides and writes atomically on the server, so a dropped
    /// future has either not reached Redis or consumed exactly what a completed check would
    /// have; nothing is ever half applied.
    ///
    /// One round trip: one script, **O(1)** on the server (a sliding log's is O(limit) at most).
    ///
    /// # Errors
    /// [`RedisError::EmptyKey`] for `""`, before any I/O. Failures to reach Redis are not
    /// errors: the [`FailurePolicy`] answers and the decision is
    /// [`degraded`](RedisDecision::degraded).
    pub async fn check_async(&self, key: &str) -> Result<RedisDecision, RedisError> {
        self.check_n_async(key, 1).await
    }

    /// [`check_async`](Self::check_async) for `n` units.
    ///
    /// One round trip: one script, **O(1)** on the server (a sliding log's is O(limit) at most).
    ///
    /// # Errors
    /// [`RedisError::EmptyKey`], or [`RedisError::ExceedsCapacity`] when `n` is more than the
    /// limit ever grants at once; both before any I/O.
    pub async fn check_n_async(&self, key: &str, n: u32) -> Result<RedisDecision, RedisError> {
        let levels = [(self as &dyn RedisLevel<AsyncRedisClient>, key)];
        let invocation = prepare(&levels, n, A::script())?;
        let reply = self
            .client
            .exec(Request::Script(invocation))
            .await
            .and_then(parse);
        finish(&levels, n, reply)
    }
}

/// Whether Redis Cluster would hash only part of `key`: a `{` followed later by a `}` with
/// something between them.
pub(super) fn has_hash_tag(key: &str) -> bool {
    key.find('{')
        .is_some_and(|open| key[open + 1..].find('}').is_some_and(|len| len > 0))
}

// A limiter is a level of a hierarchy.
impl<A: RedisAlgorithm, T: RedisTransport> RedisLevel<T> for RedisLimiter<A, T> {}

impl<A: RedisAlgorithm, T: RedisTransport> level::Sealed<T> for RedisLimiter<A, T> {
    fn client(&self) -> &T {
        &self.client
    }
    fn key(&self, key: &str) -> Result<String, RedisError> {
        self.redis_key(key)
    }
    fn args(&self) -> [u64; 4] {
        self.args
    }
    fn capacity(&self) -> u64 {
        self.algorithm.capacity()
    }
    fn policy_of(&self) -> (u64, Duration) {
        self.algorithm.policy()
    }
    fn now_micros(&self) -> Option<u64> {
        self.clock.as_ref().map(|c| c.now_nanos() / 1_000)
    }
    fn degraded(&self, key: &str, n: u32) -> Decision {
        let (limit, window) = self.algorithm.policy();
        let answer = |allowed: bool| Decision {
            allowed,
            limit,
            window,
            // Unknown without Redis: as if fresh when open, exhausted when closed.
            remaining: if allowed {
                limit.saturating_sub(u64::from(n))
            } else {
                0
            },
            reset_after: Duration::ZERO,
            retry_after: if allowed {
                Duration::ZERO
            } else {
                self.client.options().reconnect_backoff
            },
            wait: Duration::ZERO,
        };
        match (&self.policy, &self.fallback) {
            (FailurePolicy::Fallback { .. }, Some(local)) => local
                .check_n(&key.to_owned(), n)
                // n was checked against the full capacity; the share may be smaller.
                .unwrap_or_else(|e| e.denial),
            (FailurePolicy::FailOpen, _) => answer(true),
            _ => answer(false),
        }
    }
    fn release_degraded(&self, key: &str, n: u32) {
        if let Some(local) = &self.fallback {
            local.release(&key.to_owned(), n);
        }
    }
}
