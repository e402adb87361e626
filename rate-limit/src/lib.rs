#![forbid(unsafe_code)]
//! Rate limiters behind one interface: six algorithms that answer every check with the same
//! [`Decision`] (allowed, remaining, retry after, the HTTP headers), exactly, under a clock you
//! inject.
//!
//! # Example
//! ```
//! use brick_rate_limit::{Gcra, KeyedLimiter, Limiter, ManualClock, RateLimiter};
//! use std::time::Duration;
//!
//! // 10 requests per second, bursts of 10, on a clock the test moves by hand.
//! let clock = ManualClock::new();
//! let api = Limiter::new(Gcra::new(10, Duration::from_secs(1))?, clock.clone());
//! for _ in 0..10 {
//!     assert!(api.check().allowed);
//! }
//! let denied = api.check();
//! assert!(!denied.allowed);
//! assert_eq!(denied.retry_after, Duration::from_millis(100)); // exact, to the nanosecond
//! assert!(denied.headers().contains(&("Retry-After", "1".to_owned()))); // whole seconds, up
//!
//! // One limit per client, created on first sight; the configuration and clock are shared.
//! let per_ip = KeyedLimiter::new(Gcra::new(2, Duration::from_secs(1))?, clock.clone());
//! assert!(per_ip.check(&"10.0.0.1").allowed);
//! assert!(per_ip.check(&"10.0.0.2").allowed);
//! # Ok::<(), brick_rate_limit::Error>(())
//! ```
//!
//! # How it works
//! A limiter is an [`Algorithm`] (its configuration), a state per limited thing, and a
//! [`Clock`]. [`Limiter`] holds one state; [`KeyedLimiter`] holds one per key and the
//! configuration and clock once. Every check reads the clock once, updates the state, and
//! returns a [`Decision`]. Times are `u64` nanoseconds from the clock's origin, and all
//! arithmetic is in integers, so `retry_after` is exact: at that instant the same request
//! passes, and one nanosecond earlier it does not (tested for every algorithm).
//!
//! With a rate of r units per window w, the algorithms differ in how they look at the past:
//!
//! - **[`Gcra`]**: keeps one timestamp, the theoretical arrival time. Each unit pushes it T = w/r
//!   further, and a request passes if it stays within burst·T of now. In any interval of length
//!   t, at most burst + t/T units pass. One `AtomicU64` and one compare-and-swap.
//! - **[`TokenBucket`]**: a bucket of up to c tokens, refilled at r per w, lazily at each check.
//!   It makes the same decisions as GCRA with burst c; the state is two numbers.
//! - **[`LeakyBucket`]**: a meter, the bucket's level draining at r per w. This *is* GCRA,
//!   written the way the guides draw it. **[`LeakyQueue`]** shapes instead of policing: it admits
//!   into a bounded queue and says when each request may run ([`Decision::wait`]).
//! - **[`FixedWindow`]**: a count per clock-aligned window. Up to 2r can pass across a window
//!   boundary.
//! - **[`SlidingLog`]**: the times of the admitted requests. Exact: no interval of length w ever
//!   sees more than r. Its memory is up to r entries.
//! - **[`SlidingWindowCounter`]**: two window counts, the previous one weighted by how much of it
//!   the sliding window still covers. Three numbers, and smooth on ordinary traffic; but it
//!   assumes the previous window's requests were spread evenly, so a previous window bunched at
//!   its end still lets up to about 2r through in some interval of length w.
//!
//! **Why a `Decision` and not a `bool`.** A 429 answer needs `Retry-After`, and well-behaved
//! clients read `RateLimit`/`X-RateLimit-*`. [`Decision::headers`] writes them, and a request
//! that could never pass (more units than the burst) is an [`ExceedsCapacity`] error rather than
//! a denial that no retry would fix.
//!
//! **Several limits at once.** [`Hierarchy`] checks per-user, per-IP and global limits together.
//! When one denies, the units the others granted are given back, so a client over its own limit
//! spends nothing of the global one.
//!
//! **Concurrency.** Every limiter takes `&self` and is `Send + Sync`. GCRA and the leaky
//! queue are lock-free. The other algorithms hold a mutex for the few nanoseconds of
//! arithmetic, never across user code. The keyed map has 64 read-write-locked shards: checks of
//! existing keys share a read lock, and only the first check of a key takes the write lock. Every
//! atomic and lock comes from `crate::sync`, so loom checks races on the last unit (every
//! algorithm), GCRA's burst, and key creation.
//!
//! # Complexity
//! | algorithm | `check` | state per key |
//! |---|---|---|
//! | [`Gcra`], [`LeakyBucket`], [`LeakyQueue`] | O(1), one CAS | 8 bytes |
//! | [`TokenBucket`] | O(1) | 24 bytes of counts + a mutex |
//! | [`FixedWindow`] | O(1) | 16 bytes + a mutex |
//! | [`SlidingWindowCounter`] | O(1) | 24 bytes + a mutex |
//! | [`SlidingLog`] | O(expired entries), amortised O(1) | up to `limit` × 16 bytes + a mutex |
//! | [`KeyedLimiter`] | one hash, a shard read lock, the algorithm | the key + the state, in a hash table |
//!
//! # Accuracy
//! What each algorithm promises, with r units per window w (tested under [`ManualClock`] in
//! `tests/props.rs`):
//! - [`SlidingLog`]: at most r in every interval of length w.
//! - [`Gcra`] and [`TokenBucket`]: at most burst + t·r/w in every interval of length t.
//! - [`FixedWindow`]: at most r per aligned window, and at most 2r in an interval of length w.
//! - [`SlidingWindowCounter`]: at most 2r in an interval of length w (usually far fewer). Under
//!   steady overload it admits up to one fewer than r per window.
//! - Over a long overload every algorithm's admitted rate converges to r/w.
//!
//! Measured: the most admitted in any window (t − w, t] at r = 10 per second, burst 10, over
//! three arrival traces (bursts, bursts straddling every boundary, quiet seconds ending in a
//! burst), beside each bound — the `most_in_window` rows of
//! `cargo run --release -p brick-benches -- rate-limit`:
//!
//! | algorithm | most in one window | bound |
//! |---|--:|--:|
//! | [`SlidingLog`] | 10 | r = 10 |
//! | [`Gcra`], [`TokenBucket`], [`LeakyQueue`] | 19 | burst + r = 20 |
//! | [`FixedWindow`] | 20 | 2r = 20 |
//! | [`SlidingWindowCounter`] | 19 | 2r = 20 |
//!
//! The report also charts what each one admits over time on the bursty trace.
//!
//! **What clients should do with a 429.** Wait at least `Retry-After`, then retry with
//! exponential back-off and jitter: the k-th retry after a random time in [0, min(cap, base·2^k)]
//! ("full jitter"), so clients denied together do not return together and deny each other
//! again. `Retry-After` is the earliest time the same request can pass if nothing else
//! consumes capacity; honouring it alone would send every denied client back at one instant.
//!
//! **The two `X-RateLimit-Reset` conventions.** [`Decision::headers`] writes it as seconds
//! from now (delta-seconds), as GitLab, Discord and the IETF draft's `t=` parameter do. GitHub
//! and Twitter/X send a Unix epoch timestamp in seconds instead. A client cannot tell them apart
//! from one value (a small number is a delta, anything near 1.7 × 10⁹ is an epoch time), so say
//! which in your API's documentation; to send epoch seconds, add `reset_after` to the current
//! Unix time yourself.
//!
//! # When to use which
//! | algorithm | bursts | memory per key | exact | state in a shared store (Redis) | use for |
//! |---|---|---|---|---|---|
//! | [`Gcra`] | up to `burst` | 8 B | to 1 ns | one timestamp | API quotas; the default |
//! | [`TokenBucket`] | up to `capacity` | ~40 B | ✓ | two numbers | when you think in tokens; separate burst and rate |
//! | [`LeakyBucket`] | up to `capacity` | 8 B | to 1 ns | one timestamp | the guides' meter (= GCRA) |
//! | [`LeakyQueue`] | queued, run evenly | 8 B | to 1 ns | one timestamp | smoothing output to a backend |
//! | [`FixedWindow`] | 2× at boundaries | ~32 B | per window | one counter with expiry | "100 per minute" quotas users can read |
//! | [`SlidingWindowCounter`] | up to ~2× when the previous window was bunched at its end, small otherwise | ~40 B | approximate | two counters | smooth limits at fixed-window cost |
//! | [`SlidingLog`] | none beyond r | up to r × 16 B | ✓ | a sorted set of times | small limits that must hold exactly (login attempts) |
//!
//! # Running across a fleet (feature `redis`)
//! **Why local limits multiply.** A limiter inside one process sees only that process's
//! requests. Behind a load balancer with N servers, a per-process limit of 100 per minute lets
//! up to N × 100 through, and the true figure moves with every deploy and autoscaling step. A
//! limit meant for the whole service needs one shared state.
//!
//! **Why a Lua script.** The state lives in Redis, and a check is read, decide, write. Done as
//! separate commands (`GET`, then `SET`), two servers can both read "1 left" and both admit. Redis
//! runs a script from start to end with nothing else in between, so the read-decide-write in
//! one `EVALSHA` is atomic without locks or `WATCH` retries, and it costs one round trip. The
//! scripts are sent once (`SCRIPT LOAD`) and then called by their SHA1; after a restart or a
//! `SCRIPT FLUSH`, Redis answers `NOSCRIPT` and the script is loaded again, transparently.
//! A `RedisHierarchy` checks several keys in one script, all-or-nothing, so per-user, per-IP
//! and global limits still cost one round trip.
//!
//! **Why Redis time.** Each script reads `TIME` on the Redis server, so the app servers' clocks
//! never enter a decision: a server whose clock runs 2 s fast cannot refill its clients early.
//! (Redis 5 and later replicate a script's effects rather than the script, so reading the time
//! in a script is safe for replicas.) Times in the scripts are microseconds, and every number a
//! script handles must stay below 2^53 (Lua numbers are doubles); a configuration that would
//! not is refused with `RedisError::NotRepresentable`.
//!
//! **Expiry.** Every write sets a TTL equal to the time until the key's state is as good as
//! fresh (the GCRA timestamp has passed, the bucket is full, the window is over), so idle
//! keys disappear on their own and memory is bounded by the keys active in the last window.
//!
//! **Fail open or fail closed.** When Redis cannot answer in time (the default timeout is 50
//! ms), the limiter's `FailurePolicy` decides and the decision says it is
//! `degraded`. `FailOpen` keeps the service up and unlimited;
//! `FailClosed` keeps it protected and refuses everyone; `Fallback { nodes }` limits each
//! server in-process to its share of the limit, which keeps the fleet near the limit as long
//! as the load is spread evenly. A broken connection is dropped and reopened on a later check;
//! after a failed connect, checks skip Redis for `RedisOptions::reconnect_backoff` so a dead
//! server costs no timeout per request.
//!
//! **During a failover.** Replication to a replica is asynchronous, so a promoted replica may
//! miss the last writes: for up to the replication lag, some clients get back a little of
//! their quota (at most what the lost writes consumed). Limits are then briefly generous,
//! never stuck. Connections to the old primary fail and reopen to wherever the URL now leads
//! (a Sentinel-managed address or a proxy); meanwhile the failure policy answers.
//!
//! **Redis Cluster.** A script may only touch keys of one hash slot. Each key is stored as
//! `<prefix>:{<key>}`, its own hash tag, so one key's limits in several prefixes share a slot
//! and different keys spread over the cluster. For a `RedisHierarchy`, give all its keys one
//! tag (`"{tenant-7}"`, `"{tenant-7}:user-42"`): a key that already has a tag keeps it. A
//! global limit shared by every client is then one slot, one shard: the price of a single
//! exact global count. With feature `cluster`, `RedisClient::cluster` pools the `redis`
//! crate's cluster connections, which send each script to its slot's master and follow `MOVED`
//! and `ASK` while slots move; the async client takes the crate's async cluster connection
//! through `AsyncRedisClient::from_connection`. `tests/redis_cluster.rs` runs both against a
//! three-master cluster and reshards 2,000 slots mid-run: no check degraded, and every key
//! admitted exactly its limit.
//!
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # fn main() -> Result<(), brick_rate_limit::RedisError> {
//! use brick_rate_limit::{
//!     FailurePolicy, FixedWindow, Gcra, RedisClient, RedisGcra, RedisHierarchy, RedisLevel,
//!     RedisFixedWindow,
//! };
//! use std::time::Duration;
//!
//! let redis = RedisClient::open("redis://127.0.0.1:6379/")?; // a pool, connected lazily
//! let fallback = FailurePolicy::Fallback { nodes: 4 }; // 4 servers share the limits
//! let per_user = RedisGcra::new(&redis, "user", Gcra::new(10, Duration::from_secs(1))?, fallback)?;
//! let per_tenant =
//!     RedisFixedWindow::new(&redis, "tenant", FixedWindow::new(1000, Duration::from_secs(60))?, fallback)?;
//!
//! let d = per_user.check("user-42")?; // one EVALSHA: Redis key "user:{user-42}"
//! if !d.allowed {
//!     // 429, with d.headers(): the same Decision as the in-process limiters
//! }
//! // Both limits in one round trip, all-or-nothing; one hash tag keeps them in one cluster slot.
//! let both = RedisHierarchy::new(vec![&per_user as &dyn RedisLevel, &per_tenant])?;
//! let d = both.check_many(&["{acme}:user-42", "{acme}"], 1)?;
//! if d.degraded.is_some() {
//!     // Redis did not answer in time: the fallback limited locally
//! }
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "redis"))]
//! # fn main() {}
//! ```
//!
//! The five Redis limiters are `RedisGcra`, `RedisTokenBucket`, `RedisFixedWindow`,
//! `RedisSlidingWindowCounter` and `RedisSlidingLog` (a `RedisLimiter` over the in-process
//! algorithm's configuration, which also sizes the fallback). Every script is tested against
//! its in-process twin on the same request sequences under one `ManualClock` (`tests/redis.rs`,
//! against a real `redis-server`), together with outages, stalls, `SCRIPT FLUSH` and 8 racing
//! connections.
//!
//! **The sliding log in Redis.** The design guides' "sorted set per key": `ZREMRANGEBYSCORE` of
//! the units older than the window, `ZCARD`, and `ZADD` only when allowed, in one script on
//! Redis time, with `PEXPIRE` so idle keys vanish. It is exact: no window (t − w, t] admits more
//! than the limit (a property test checks any arrival sequence, costs and clock jumps, in Redis
//! and in process alike). A clock that goes back is held at the latest time the log has seen,
//! kept in the set as one more member. The price is memory and Redis time, measured by
//! `cargo run --release -p brick-benches -- rate-limit-redis` (Redis 7.0, loopback, 2026-12-02):
//!
//! | | GCRA | token bucket | fixed window | window counter | sliding log, 100 entries | sliding log, 1,000 |
//! |---|--:|--:|--:|--:|--:|--:|
//! | bytes per key (`MEMORY USAGE`) | 72 | 120 | 88 | 104 | 3,656 | 118,944 |
//! | bytes per admitted unit | – | – | – | – | 36.6 | 119 |
//! | µs inside Redis per decision (two runs) | 7.9–8.0 | 7.9 | 8.0 | 8.9 | 13.2–14.7 | – |
//!
//! (Up to 128 members Redis packs a sorted set into one listpack; past that it keeps a skiplist
//! and a hash table, about 120 bytes a member.) So: GCRA for limits of any size, one timestamp
//! a key; the sliding log where the limit is small and must hold exactly — login attempts,
//! password resets, SMS sends — at `limit` members a key.
//!
//! **Async services.** A blocking check inside an async handler holds a runtime thread for a
//! network round trip. With feature `tokio`, `AsyncRedisClient` keeps one multiplexed connection
//! (the `redis` crate's `ConnectionManager`, reconnecting by itself, or the application's own
//! connection, for TLS or a cluster) that every task shares, and the limiters built on it have
//! `check_async` / `check_n_async` (a `RedisHierarchy` over it, `check_many_async`): the same
//! scripts, keys, failure policies and `RedisDecision`, each check bounded by the client's
//! timeout and cancellation-safe (a dropped future has either not reached Redis or applied a
//! whole check, never half a hierarchy). Use the blocking `RedisClient` in threaded servers
//! and batch jobs; `AsyncRedisClient` in tokio services. `on_degraded` on either client hears
//! every decision the failure policy made, so a fail-open outage is never silent.
//!
//! **Middleware or a direct check.** With feature `tower`, `middleware::RateLimitLayer` puts
//! the check in front of every handler, as a gateway does: it extracts the key (the peer IP,
//! optionally through trusted proxies; a header such as the API key; any closure), answers
//! 429 with `Retry-After` and the headers, or 400 for a request without a key, and adds the
//! headers to allowed responses. Layer per route for per-route limits, and chain levels
//! (`.and(...)`) for per-user plus global. Check directly in the handler instead when the
//! cost depends on the request (`check_n` with the rows a query returns) or the key is only
//! known after authentication inside it. `examples/axum_gateway.rs` runs the guides' two-plan
//! gateway (free 100 per minute, pro 10,000). Key a peer-IP limit by `IpAddr`
//! (`KeyedLimiter<IpAddr, _>`): the address is hashed as it is, never written out as text. Each
//! header on an allowed response is bytes that both sides write and parse, which on a trivial
//! handler costs more than the check: `headers_on_allowed(AllowedHeaders::Ietf)` sends the
//! standard two, `AllowedHeaders::None` none (denials always carry all of them).
//!
//! # Features
//! | feature | default | what it adds |
//! |---|---|---|
//! | `quanta` | yes | `QuantaClock`, the TSC clock (the `quanta` crate): about 3 ns a reading against 25 ns for `Instant` on a VM |
//! | `redis` | no | the Redis backend: `RedisClient`, the five `Redis*` limiters, `RedisHierarchy` (the `redis` crate, sync client) |
//! | `tokio` | no | `redis`, plus `AsyncRedisClient` and the `check_async` methods (the `redis` crate's `ConnectionManager`; tokio's time driver) |
//! | `cluster` | no | `redis`, plus `RedisClient::cluster` over a Redis Cluster (the `redis` crate's cluster connection) |
//! | `serde` | no | `Serialize`/`Deserialize` for the configurations (`Gcra`, `TokenBucket`, `FixedWindow`, `SlidingLog`, `SlidingWindowCounter`, `LeakyBucket`, `LeakyQueue`: their constructor's arguments under a format version, read back through the constructor) and for `Decision` (`serde` with derive) |
//! | `tower` | no | `middleware`: `RateLimitLayer`, a tower layer that answers 429 with the headers (`tower-layer`, `tower-service`, `http`, `pin-project-lite`; no runtime) |
//!
//! # Limits
//! - Units per check are `u32`; a request above the capacity is [`ExceedsCapacity`].
//! - A rate finer than one unit per nanosecond is [`Error::TooFine`]. GCRA's interval
//!   T = w/r is rounded down to whole nanoseconds (3 per second admits one per 333,333,333 ns).
//! - Clock time is `u64` nanoseconds: 584 years from the clock's origin, after which every
//!   computation saturates instead of wrapping. A clock that goes backwards is treated as time
//!   standing still: nothing refills, and nothing panics.

// The loom models are unit tests, so loom can stay a dev-dependency; they name the crate as its
// users do.
#[cfg(all(test, loom))]
extern crate self as brick_rate_limit;
#[cfg(any(all(test, loom), feature = "redis"))]
mod backoff;
mod clock;
mod decision;
mod error;
mod fixed_window;
mod gcra;
mod hierarchy;
mod keyed;
mod leaky_bucket;
mod limiter;
#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(feature = "tower", not(all(test, loom))))]
pub mod middleware;
#[cfg(any(all(test, loom), feature = "redis"))]
mod pool;
#[cfg(feature = "quanta")]
mod quanta_clock;
#[cfg(all(feature = "redis", not(all(test, loom))))]
mod redis_backend;
#[cfg(feature = "serde")]
mod serde_form;
mod sliding_log;
mod sliding_window;
mod sync;
mod token_bucket;

pub use clock::{Clock, ManualClock, SystemClock};
pub use decision::{Decision, ExceedsCapacity, HeaderField};
pub use error::Error;
pub use fixed_window::{FixedWindow, FixedWindowState};
pub use gcra::{Gcra, GcraState};
pub use hierarchy::Hierarchy;
pub use keyed::{KeyLimiter, KeyedLimiter};
pub use leaky_bucket::{LeakyBucket, LeakyQueue};
pub use limiter::{Algorithm, Limiter, RateLimiter};
#[cfg(feature = "quanta")]
pub use quanta_clock::QuantaClock;
#[cfg(all(feature = "tokio", not(all(test, loom))))]
pub use redis_backend::AsyncRedisClient;
#[cfg(all(feature = "redis", not(all(test, loom))))]
pub use redis_backend::{
    FailurePolicy, RedisAlgorithm, RedisClient, RedisDecision, RedisError, RedisFixedWindow,
    RedisGcra, RedisHierarchy, RedisLevel, RedisLimiter, RedisOptions, RedisSlidingLog,
    RedisSlidingWindowCounter, RedisTokenBucket, RedisTransport,
};
pub use sliding_log::{SlidingLog, SlidingLogState};
pub use sliding_window::{SlidingWindowCounter, SlidingWindowState};
pub use token_bucket::{TokenBucket, TokenBucketState};
/// The Redis clients' back-off and the blocking client's pool, public only for the loom model.
#[cfg(all(test, loom))]
#[doc(hidden)]
pub use {
    backoff::Backoff,
    pool::{Connector, Pool, PoolError},
};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
