//! The leaky bucket, as a meter (policing, the same decisions as GCRA) and as a queue (shaping).

use std::time::Duration;

use crate::limiter::exceeds;
use crate::{Algorithm, Decision, Error, ExceedsCapacity, Gcra, GcraState};

/// The leaky bucket as a meter (policing): a bucket of `capacity` units that leaks `rate` units
/// per `window`. A request pours in its units; if the bucket would overflow it is denied.
///
/// **Why it is GCRA.** The bucket's level at time t is (TAT − t) / T with T = window / rate:
/// pouring n units raises the TAT by n·T, and leaking lowers the level as t grows. "Would
/// overflow" is TAT + n·T − t > capacity·T, GCRA's test with burst = capacity. So this type
/// is a [`Gcra`] under the name the guides use; its decisions are identical. A leaky bucket as
/// a *queue* (shaping) is [`LeakyQueue`](crate::LeakyQueue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeakyBucket(pub(crate) Gcra);

impl LeakyBucket {
    /// A bucket of `capacity` units leaking `rate` units per `window`.
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// As [`Gcra::with_burst`].
    pub fn new(capacity: u32, rate: u32, window: Duration) -> Result<Self, Error> {
        Gcra::with_burst(rate, window, capacity).map(Self)
    }
}

impl Algorithm for LeakyBucket {
    type State = GcraState;
    fn new_state(&self, now: u64) -> GcraState {
        self.0.new_state(now)
    }
    #[inline]
    fn check_n(&self, state: &GcraState, now: u64, n: u32) -> Result<Decision, ExceedsCapacity> {
        self.0.check_n(state, now, n)
    }
    fn release(&self, state: &GcraState, now: u64, n: u32) {
        self.0.release(state, now, n);
    }
    fn is_idle(&self, state: &GcraState, now: u64) -> bool {
        self.0.is_idle(state, now)
    }
    fn capacity(&self) -> u64 {
        self.0.capacity()
    }
}

/// The leaky bucket as a queue (shaping): requests join a queue of at most `queue` units that
/// drains at `rate` units per `window`, and each admitted request is told *when* it may run
/// ([`Decision::wait`]). A full queue denies. Output leaves evenly spaced whatever the arrivals:
/// nginx's `limit_req` with `burst` and no `nodelay`.
///
/// The state is the time the queue will be empty; admitting n units at t moves it to
/// max(empty, t) + n·T, and the request runs at max(empty, t). One compare-and-swap, as GCRA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeakyQueue(pub(crate) Gcra);

impl LeakyQueue {
    /// A queue of up to `queue` units draining `rate` units per `window`.
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// As [`Gcra::with_burst`].
    pub fn new(queue: u32, rate: u32, window: Duration) -> Result<Self, Error> {
        Gcra::with_burst(rate, window, queue).map(Self)
    }
}

impl Algorithm for LeakyQueue {
    type State = GcraState;

    fn new_state(&self, now: u64) -> GcraState {
        self.0.new_state(now)
    }

    fn check_n(&self, state: &GcraState, now: u64, n: u32) -> Result<Decision, ExceedsCapacity> {
        let g = &self.0;
        if u64::from(n) > g.burst {
            return Err(exceeds(n, g.burst, g.limit, g.window));
        }
        if n == 0 {
            // Asks for nothing: answered from the current state, which it leaves as it is.
            return g.check_n(state, now, 0);
        }
        // The queue's "TAT" is when it will be empty: an admitted request starts at `base`.
        Ok(match g.advance(state, now, n) {
            Ok((base, new)) => Decision {
                wait: Duration::from_nanos(base.saturating_sub(now)),
                ..g.decision(true, now, base, new)
            },
            Err((base, new)) => g.decision(false, now, base, new),
        })
    }

    fn release(&self, state: &GcraState, now: u64, n: u32) {
        self.0.release(state, now, n);
    }

    fn is_idle(&self, state: &GcraState, now: u64) -> bool {
        self.0.is_idle(state, now)
    }

    fn capacity(&self) -> u64 {
        self.0.capacity()
    }
}
