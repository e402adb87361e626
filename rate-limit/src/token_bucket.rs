//! The token bucket: a bucket of tokens refilled at a steady rate, drawn on by requests.

use std::time::Duration;

use crate::limiter::{exceeds, interval};
use crate::sync::Mutex;
use crate::{Algorithm, Decision, Error, ExceedsCapacity};

/// Token bucket: up to `capacity` tokens, refilled by `refill` tokens per `period`; a request
/// for n units takes n tokens or is denied.
///
/// **How it works.** The state is the token count at the last update and that update's time.
/// A check first adds the tokens earned since then (lazy refill: nothing runs between
/// requests), capped at `capacity`, then takes n if there are n. Counts are kept in units of
/// 1/`period`-ns of a token, so refill is exact integer arithmetic and `retry_after` is the
/// exact nanosecond at which n tokens are there.
///
/// **Trade-off.** Bursts of up to `capacity` pass at once after an idle spell, then the rate
/// settles at `refill / period`: over any interval of length t at most
/// `capacity + refill · t / period` pass. The same decisions as [`Gcra`](crate::Gcra) with
/// burst = capacity when capacity and rate match, but two numbers of state instead of one,
/// under a mutex held for a few nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBucket {
    pub(crate) capacity: u64,
    pub(crate) refill: u64,
    pub(crate) period: u64,
    pub(crate) window: Duration,
}

/// The state of one token bucket.
#[derive(Debug)]
pub struct TokenBucketState(Mutex<Tokens>);

#[derive(Debug)]
struct Tokens {
    /// Tokens × period (ns): one token is `period` units, and each ns adds `refill` units.
    units: u128,
    at: u64,
}

impl TokenBucket {
    /// A bucket of `capacity` tokens, refilled by `refill` tokens every `period`.
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// [`Error::ZeroLimit`] for zero capacity or refill, [`Error::ZeroWindow`],
    /// [`Error::TooFine`] (more than one token per nanosecond), [`Error::TooLong`].
    pub fn new(capacity: u32, refill: u32, period: Duration) -> Result<Self, Error> {
        let (_, period_nanos) = interval(u64::from(refill), period)?;
        if capacity == 0 {
            return Err(Error::ZeroLimit);
        }
        Ok(Self {
            capacity: u64::from(capacity),
            refill: u64::from(refill),
            period: period_nanos,
            window: period,
        })
    }

    fn full(&self) -> u128 {
        u128::from(self.capacity) * u128::from(self.period)
    }

    /// Adds what `now` has earned, never moving the state's time backwards.
    fn refill(&self, t: &mut Tokens, now: u64) {
        if now > t.at {
            let earned = u128::from(now - t.at) * u128::from(self.refill);
            t.units = (t.units + earned).min(self.full());
            t.at = now;
        }
    }

    /// Nanoseconds until `units` more have been earned.
    fn time_for(&self, units: u128) -> u64 {
        u64::try_from(units.div_ceil(u128::from(self.refill))).unwrap_or(u64::MAX)
    }
}

impl Algorithm for TokenBucket {
    type State = TokenBucketState;

    fn new_state(&self, now: u64) -> TokenBucketState {
        TokenBucketState(Mutex::new(Tokens {
            units: self.full(),
            at: now,
        }))
    }

    fn check_n(
        &self,
        state: &TokenBucketState,
        now: u64,
        n: u32,
    ) -> Result<Decision, ExceedsCapacity> {
        if u64::from(n) > self.capacity {
            return Err(exceeds(n, self.capacity, self.capacity, self.window));
        }
        let cost = u128::from(n) * u128::from(self.period);
        let mut t = state.0.lock();
        self.refill(&mut t, now);
        let allowed = t.units >= cost;
        let retry = if allowed {
            t.units -= cost;
            0
        } else {
            self.time_for(cost - t.units)
        };
        Ok(Decision {
            allowed,
            limit: self.capacity,
            window: self.window,
            remaining: u64::try_from(t.units / u128::from(self.period)).unwrap_or(u64::MAX),
            reset_after: Duration::from_nanos(self.time_for(self.full() - t.units)),
            retry_after: Duration::from_nanos(retry),
            wait: Duration::ZERO,
        })
    }

    fn release(&self, state: &TokenBucketState, now: u64, n: u32) {
        let mut t = state.0.lock();
        self.refill(&mut t, now);
        t.units = (t.units + u128::from(n) * u128::from(self.period)).min(self.full());
    }

    fn is_idle(&self, state: &TokenBucketState, now: u64) -> bool {
        let mut t = state.0.lock();
        self.refill(&mut t, now);
        t.units == self.full()
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }
}
