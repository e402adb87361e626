//! The one interface: [`RateLimiter`]; the [`Algorithm`]s behind it; and [`Limiter`], one
//! algorithm's state with a clock.

use std::time::Duration;

use crate::{Clock, Decision, Error, ExceedsCapacity, SystemClock};

/// Anything in this process that answers "may this request pass?": [`Limiter`] for every
/// algorithm, [`Hierarchy`](crate::Hierarchy), and one key of a
/// [`KeyedLimiter`](crate::KeyedLimiter) ([`KeyedLimiter::limiter`](crate::KeyedLimiter::limiter)),
/// so any of them can be a level of a hierarchy.
///
/// The Redis-backed limiters (feature `redis`) do not implement it: their check is a round trip
/// that can fail, so it returns a `Result` of `RedisDecision`, which dereferences to the same
/// [`Decision`]; `RedisHierarchy` combines them.
pub trait RateLimiter: Send + Sync {
    /// Checks, and if allowed consumes, `n` units. `n = 0` asks for nothing: every limiter
    /// answers it allowed, from its current state, and leaves the state as it was.
    ///
    /// Computes in **O(1)** time for every algorithm of this crate (one compare-and-swap for
    /// GCRA, one short lock for the others) but the sliding log, amortized O(1) (each entry is
    /// pushed once and expired once); a hierarchy is O(levels), a keyed limiter adds one hash.
    ///
    /// # Errors
    /// [`ExceedsCapacity`] when `n` is more than the limiter could ever grant at once.
    fn check_n(&self, n: u32) -> Result<Decision, ExceedsCapacity>;

    /// Checks, and if allowed consumes, one unit.
    ///
    /// Computes as [`check_n`](Self::check_n): **O(1)** for every algorithm of this crate.
    fn check(&self) -> Decision {
        // Every limiter's capacity is at least 1 (checked at construction), so this is `Ok`.
        self.check_n(1).unwrap_or_else(|e| e.denial)
    }

    /// Gives back `n` units that a `check_n(n)` allowed just now, as if it had not happened (as
    /// far as the algorithm can tell). [`Hierarchy`](crate::Hierarchy) uses it so that a
    /// denial by one limit spends nothing of the others.
    ///
    /// Computes in **O(1)** time for every algorithm of this crate (the sliding log's removes
    /// its newest entries: O(entries removed)).
    fn release(&self, n: u32);
}

/// A rate-limiting algorithm: its configuration, and how it updates its per-limiter state.
/// One configuration serves many states (a [`KeyedLimiter`](crate::KeyedLimiter) keeps one
/// state per key, and the configuration and clock once).
pub trait Algorithm: Send + Sync {
    /// The state of one limiter (one key).
    type State: Send + Sync;
    /// A fresh state at time `now`: the full quota available.
    fn new_state(&self, now: u64) -> Self::State;
    /// Checks, and if allowed consumes, `n` units at time `now` (ns).
    ///
    /// # Errors
    /// [`ExceedsCapacity`] when `n` exceeds what can ever pass at once.
    fn check_n(&self, state: &Self::State, now: u64, n: u32) -> Result<Decision, ExceedsCapacity>;
    /// Undoes an allowed `check_n(n)` made at about `now`.
    fn release(&self, state: &Self::State, now: u64, n: u32);
    /// Whether the state is as good as fresh at `now` (so a keyed limiter may drop it).
    fn is_idle(&self, state: &Self::State, now: u64) -> bool;
    /// The most units one check can ask for.
    fn capacity(&self) -> u64;
}

/// One limiter: an [`Algorithm`], its state, and the clock it reads.
///
/// ```
/// use brick_rate_limit::{Gcra, Limiter, ManualClock, RateLimiter};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let limiter = Limiter::new(Gcra::new(2, Duration::from_secs(1))?, clock.clone());
/// assert!(limiter.check().allowed);
/// assert!(limiter.check().allowed);
/// let denied = limiter.check();
/// assert!(!denied.allowed);
/// assert_eq!(denied.retry_after, Duration::from_millis(500));
/// clock.advance(denied.retry_after);
/// assert!(limiter.check().allowed);
/// # Ok::<(), brick_rate_limit::Error>(())
/// ```
#[derive(Debug)]
pub struct Limiter<A: Algorithm, C = SystemClock> {
    algorithm: A,
    state: A::State,
    clock: C,
}

impl<A: Algorithm, C: Clock> Limiter<A, C> {
    /// A limiter with the full quota available.
    ///
    /// Computes in **O(1)** time.
    pub fn new(algorithm: A, clock: C) -> Self {
        let state = algorithm.new_state(clock.now_nanos());
        Self {
            algorithm,
            state,
            clock,
        }
    }

    /// The algorithm and its configuration.
    ///
    /// Computes in **O(1)** time.
    pub fn algorithm(&self) -> &A {
        &self.algorithm
    }

    /// The clock.
    ///
    /// Computes in **O(1)** time.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// The algorithm's state (for inspection, e.g. a sliding log's
    /// [`entries`](crate::SlidingLogState::entries)).
    ///
    /// Computes in **O(1)** time.
    pub fn state(&self) -> &A::State {
        &self.state
    }
}

impl<A: Algorithm> Limiter<A, SystemClock> {
    /// A limiter on the system clock.
    ///
    /// Computes in **O(1)** time.
    pub fn with_system_clock(algorithm: A) -> Self {
        Self::new(algorithm, SystemClock::default())
    }
}

impl<A: Algorithm, C: Clock> RateLimiter for Limiter<A, C> {
    #[inline]
    fn check_n(&self, n: u32) -> Result<Decision, ExceedsCapacity> {
        self.algorithm
            .check_n(&self.state, self.clock.now_nanos(), n)
    }

    fn release(&self, n: u32) {
        self.algorithm
            .release(&self.state, self.clock.now_nanos(), n);
    }
}

/// Nanoseconds per unit for `limit` units per `window`, after validating both.
pub(crate) fn interval(limit: u64, window: Duration) -> Result<(u64, u64), Error> {
    if limit == 0 {
        return Err(Error::ZeroLimit);
    }
    let window_nanos = u64::try_from(window.as_nanos()).map_err(|_| Error::TooLong)?;
    if window_nanos == 0 {
        return Err(Error::ZeroWindow);
    }
    let per = window_nanos / limit;
    if per == 0 {
        return Err(Error::TooFine {
            limit,
            window_nanos,
        });
    }
    Ok((per, window_nanos))
}

/// The error for `n` units when at most `capacity` can pass at once.
pub(crate) fn exceeds(n: u32, capacity: u64, limit: u64, window: Duration) -> ExceedsCapacity {
    ExceedsCapacity {
        requested: n,
        capacity,
        denial: Decision {
            allowed: false,
            limit,
            window,
            remaining: 0,
            reset_after: window,
            retry_after: window,
            wait: Duration::ZERO,
        },
    }
}
