//! [`RedisLimiter`] for each algorithm, [`RedisHierarchy`], the [`FailurePolicy`] and the
//! [`RedisDecision`] they answer with.

use std::ops::Deref;
use std::sync::LazyLock;
use std::time::Duration;

use redis::{Script, ScriptInvocation};

#[cfg(feature = "tokio")]
use super::AsyncRedisClient;
use super::{RedisClient, RedisError, RedisTransport};
use crate::sync::Arc;
use crate::{
    Algorithm, Clock, Decision, Error, FixedWindow, Gcra, KeyedLimiter, SlidingLog,
    SlidingWindowCounter, SystemClock, TokenBucket,
};

/// The scripts: one per algorithm for single checks, and one with all four for hierarchies.
/// Each is the shared prelude, the algorithms it needs and the driver, joined at compile time.
macro_rules! script {
    ($($algorithm:literal),*) => {
        LazyLock::new(|| {
            Script::new(concat!(
                include_str!("lua/prelude.lua"),
                $(include_str!(concat!("lua/", $algorithm, ".lua")),)*
                include_str!("lua/driver.lua")
            ))
        })
    };
}

static GCRA_SCRIPT: LazyLock<Script> = script!("gcra");
static TOKEN_BUCKET_SCRIPT: LazyLock<Script> = script!("token_bucket");
static FIXED_WINDOW_SCRIPT: LazyLock<Script> = script!("fixed_window");
static SLIDING_WINDOW_SCRIPT: LazyLock<Script> = script!("sliding_window");
static SLIDING_LOG_SCRIPT: LazyLock<Script> = script!("sliding_log");
static HIERARCHY_SCRIPT: LazyLock<Script> = script!(
    "gcra",
    "token_bucket",
    "fixed_window",
    "sliding_window",
    "sliding_log"
);

/// Doubles hold integers exactly below 2^53.
const LUA_EXACT: u64 = 1 << 53;

mod sealed {
    use super::*;

    /// What the Redis backend needs of an algorithm. Sealed: the scripts know exactly four.
    #[allow(unreachable_pub)] // public in a private module: nameable by nobody outside
    pub trait Sealed: Algorithm + Clone + std::fmt::Debug + 'static {
        /// The algorithm's code in the script and its three parameters, times in µs.
        fn script_args(&self) -> Result<[u64; 4], RedisError>;
        /// The script that decides a single key.
        fn script() -> &'static Script;
        /// The same algorithm with 1/nodes of the rate and burst (at least 1 of each).
        fn share(&self, nodes: u32) -> Result<Self, Error>;
        /// The `limit` and `window` its decisions report.
        fn policy(&self) -> (u64, Duration);
    }
}

/// A rate-limiting algorithm that also runs as a Redis script: [`Gcra`], [`TokenBucket`],
/// [`FixedWindow`], [`SlidingWindowCounter`] and [`SlidingLog`] (a sorted set per key, one
/// member per admitted unit of the last window: exact, at up to `limit` members a key).
pub trait RedisAlgorithm: sealed::Sealed {}

impl<A: sealed::Sealed> RedisAlgorithm for A {}

fn micros(d: Duration, what: &'static str) -> Result<u64, RedisError> {
    let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    if us == 0 || us >= LUA_EXACT {
        return Err(RedisError::NotRepresentable { what });
    }
    Ok(us)
}

fn exact(product: u128, what: &'static str) -> Result<(), RedisError> {
    if product >= u128::from(LUA_EXACT) {
        return Err(RedisError::NotRepresentable { what });
    }
    Ok(())
}

fn share(x: u64, nodes: u32) -> u32 {
    u32::try_from((x / u64::from(nodes)).max(1)).unwrap_or(u32::MAX)
}

impl sealed::Sealed for Gcra {
    fn script_args(&self) -> Result<[u64; 4], RedisError> {
        let t = micros(Duration::from_nanos(self.t), "the emission interval")?;
        exact(
            u128::from(self.burst) * u128::from(t),
            "burst × emission interval",
        )?;
        Ok([1, t, self.burst * t, 0])
    }
    fn script() -> &'static Script {
        &GCRA_SCRIPT
    }
    fn share(&self, nodes: u32) -> Result<Self, Error> {
        Gcra::with_burst(
            share(self.limit, nodes),
            self.window,
            share(self.burst, nodes),
        )
    }
    fn policy(&self) -> (u64, Duration) {
        (self.limit, self.window)
    }
}

impl sealed::Sealed for TokenBucket {
    fn script_args(&self) -> Result<[u64; 4], RedisError> {
        let period = micros(self.window, "the refill period")?;
        exact(
            u128::from(self.capacity) * u128::from(period),
            "capacity × period",
        )?;
        Ok([2, self.capacity, self.refill, period])
    }
    fn script() -> &'static Script {
        &TOKEN_BUCKET_SCRIPT
    }
    fn share(&self, nodes: u32) -> Result<Self, Error> {
        TokenBucket::new(
            share(self.capacity, nodes),
            share(self.refill, nodes),
            self.window,
        )
    }
    fn policy(&self) -> (u64, Duration) {
        (self.capacity, self.window)
    }
}

impl sealed::Sealed for FixedWindow {
    fn script_args(&self) -> Result<[u64; 4], RedisError> {
        Ok([3, self.limit, micros(self.window, "the window")?, 0])
    }
    fn script() -> &'static Script {
        &FIXED_WINDOW_SCRIPT
    }
    fn share(&self, nodes: u32) -> Result<Self, Error> {
        FixedWindow::new(share(self.limit, nodes), self.window)
    }
    fn policy(&self) -> (u64, Duration) {
        (self.limit, self.window)
    }
}

impl sealed::Sealed for SlidingWindowCounter {
    fn script_args(&self) -> Result<[u64; 4], RedisError> {
        let w = micros(self.window, "the window")?;
        exact(u128::from(self.limit) * u128::from(w), "limit × window")?;
        Ok([4, self.limit, w, 0])
    }
    fn script() -> &'static Script {
        &SLIDING_WINDOW_SCRIPT
    }
    fn share(&self, nodes: u32) -> Result<Self, Error> {
        SlidingWindowCounter::new(share(self.limit, nodes), self.window)
    }
    fn policy(&self) -> (u64, Duration) {
        (self.limit, self.window)
    }
}

impl sealed::Sealed for SlidingLog {
    fn script_args(&self) -> Result<[u64; 4], RedisError> {
        Ok([5, self.limit, micros(self.window, "the window")?, 0])
    }
    fn script() -> &'static Script {
        &SLIDING_LOG_SCRIPT
    }
    fn share(&self, nodes: u32) -> Result<Self, Error> {
        SlidingLog::new(share(self.limit, nodes), self.window)
    }
    fn policy(&self) -> (u64, Duration) {
        (self.limit, self.window)
    }
}

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
    pub fn algorithm(&self) -> &A {
        &self.algorithm
    }

    /// The `limit` and `window` its decisions report.
    #[cfg(all(feature = "tower", feature = "tokio"))]
    pub(crate) fn policy(&self) -> (u64, Duration) {
        self.algorithm.policy()
    }

    /// The failure policy.
    pub fn failure_policy(&self) -> FailurePolicy {
        self.policy
    }

    /// Drops the in-process fallback's idle keys (see
    /// [`KeyedLimiter::retain_recent`]); returns how many are left. Worth calling
    /// periodically during a long outage under `Fallback`.
    pub fn retain_recent_fallback(&self) -> usize {
        self.fallback
            .as_ref()
            .map_or(0, KeyedLimiter::retain_recent)
    }
}

impl<A: RedisAlgorithm> RedisLimiter<A, RedisClient> {
    /// Checks, and if allowed consumes, one unit of `key`'s limit.
    ///
    /// # Errors
    /// [`RedisError::EmptyKey`] for `""`, before any I/O. Failures to reach Redis are not
    /// errors: the [`FailurePolicy`] answers and the decision is [`degraded`](RedisDecision::degraded).
    pub fn check(&self, key: &str) -> Result<RedisDecision, RedisError> {
        self.check_n(key, 1)
    }

    /// Checks, and if allowed consumes, `n` units of `key`'s limit.
    ///
    /// # Errors
    /// [`RedisError::EmptyKey`], or [`RedisError::ExceedsCapacity`] when `n` is more than the
    /// limit ever grants at once; both before any I/O.
    pub fn check_n(&self, key: &str, n: u32) -> Result<RedisDecision, RedisError> {
        let levels = [(self as &dyn RedisLevel, key)];
        let invocation = prepare(&levels, n, A::script())?;
        let reply = self.client.run(|con| invocation.invoke::<Vec<i64>>(con));
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
    /// # Errors
    /// [`RedisError::EmptyKey`] for `""`, before any I/O. Failures to reach Redis are not
    /// errors: the [`FailurePolicy`] answers and the decision is
    /// [`degraded`](RedisDecision::degraded).
    pub async fn check_async(&self, key: &str) -> Result<RedisDecision, RedisError> {
        self.check_n_async(key, 1).await
    }

    /// [`check_async`](Self::check_async) for `n` units.
    ///
    /// # Errors
    /// [`RedisError::EmptyKey`], or [`RedisError::ExceedsCapacity`] when `n` is more than the
    /// limit ever grants at once; both before any I/O.
    pub async fn check_n_async(&self, key: &str, n: u32) -> Result<RedisDecision, RedisError> {
        let levels = [(self as &dyn RedisLevel<AsyncRedisClient>, key)];
        let invocation = prepare(&levels, n, A::script())?;
        let reply = self.client.eval(invocation).await;
        finish(&levels, n, reply)
    }
}

/// Whether Redis Cluster would hash only part of `key`: a `{` followed later by a `}` with
/// something between them.
fn has_hash_tag(key: &str) -> bool {
    key.find('{')
        .is_some_and(|open| key[open + 1..].find('}').is_some_and(|len| len > 0))
}

/// One level of a [`RedisHierarchy`]: a [`RedisLimiter`] of any algorithm on transport `T`.
/// Sealed.
pub trait RedisLevel<T: RedisTransport = RedisClient>:
    Send + Sync + std::fmt::Debug + level::Sealed<T>
{
}

mod level {
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
        let reply = first.client().run(|con| invocation.invoke::<Vec<i64>>(con));
        finish(&pairs, n, reply)
    }
}

#[cfg(feature = "tokio")]
impl RedisHierarchy<'_, AsyncRedisClient> {
    /// [`check_many`](RedisHierarchy::check_many) without blocking: one `EVALSHA` on the
    /// multiplexed connection. Cancellation-safe: one script decides every level and writes
    /// only if all allow, so a dropped future never leaves a half-applied hierarchy.
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
        let reply = first.client().eval(invocation).await;
        finish(&pairs, n, reply)
    }
}

/// The first half of every check, sync or async: validate before any I/O and build the one
/// script invocation (every level's key, the time if the client sends one, n, every level's
/// parameters).
fn prepare<T: RedisTransport>(
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
fn finish<T: RedisTransport>(
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
fn combine(
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
fn degraded<T: RedisTransport>(
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
