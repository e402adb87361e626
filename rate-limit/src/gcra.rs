//! GCRA, the generic cell rate algorithm: the whole state is one timestamp.

use std::time::Duration;

use crate::limiter::{exceeds, interval};
use crate::sync::{AtomicU64, Ordering, cas_retry};
use crate::{Algorithm, Decision, Error, ExceedsCapacity};

/// GCRA (ATM Forum, 1990s; the algorithm of governor and redis-cell): `limit` units per
/// `window`, with bursts of up to `burst` units.
///
/// **How it works.** Units are spaced by the emission interval T = window / limit. The state is
/// one number, the theoretical arrival time (TAT): when the limiter would next be "on
/// schedule". A request for n units at time t moves it to max(TAT, t) + n·T. It passes if that
/// is at most t + burst·T, that is, if it runs at most `burst` units ahead of the schedule.
/// A denied request may retry at exactly max(TAT, t) + n·T − burst·T.
///
/// **Why.** One 64-bit word is the whole state, so an update is one compare-and-swap: no lock,
/// 8 bytes per key, and exact retry times. A token bucket with lazy refill makes the same
/// decisions (tokens = (t + burst·T − TAT) / T).
///
/// **Trade-off.** T is rounded down to whole nanoseconds, so 3 per second admits one in
/// 333,333,333 ns (a rate error below 10⁻⁸ at any practical rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    /// Emission interval T in ns.
    pub(crate) t: u64,
    pub(crate) burst: u64,
    /// burst · T: how far ahead of now the TAT may run.
    horizon: u64,
    pub(crate) limit: u64,
    pub(crate) window: Duration,
}

impl Gcra {
    /// `limit` units per `window`, bursts of up to `limit`.
    ///
    /// # Errors
    /// [`Error::ZeroLimit`], [`Error::ZeroWindow`], [`Error::TooFine`] (less than 1 ns per unit),
    /// [`Error::TooLong`].
    pub fn new(limit: u32, window: Duration) -> Result<Self, Error> {
        Self::with_burst(limit, window, limit)
    }

    /// `limit` units per `window`, bursts of up to `burst` (at least 1).
    ///
    /// # Errors
    /// As [`new`](Self::new), and [`Error::ZeroLimit`] for a zero burst.
    pub fn with_burst(limit: u32, window: Duration, burst: u32) -> Result<Self, Error> {
        let (t, _) = interval(u64::from(limit), window)?;
        if burst == 0 {
            return Err(Error::ZeroLimit);
        }
        Ok(Self {
            t,
            burst: u64::from(burst),
            horizon: u64::from(burst).saturating_mul(t),
            limit: u64::from(limit),
            window,
        })
    }

    /// The emission interval T: the time one unit takes to come back.
    pub fn emission_interval(&self) -> Duration {
        Duration::from_nanos(self.t)
    }

    /// Moves the TAT for `n` units at `now` if that stays within the burst: `Ok((base, new))`
    /// when it moved from max(TAT, now) = base to new, `Err((base, new))` when it would have.
    #[inline]
    pub(crate) fn advance(
        &self,
        state: &GcraState,
        now: u64,
        n: u32,
    ) -> Result<(u64, u64), (u64, u64)> {
        let cost = u64::from(n) * self.t;
        let horizon = now.saturating_add(self.horizon);
        // Relaxed: the TAT is the only shared datum, and each CAS reads the latest value in its
        // modification order; a stale first load only costs a retry.
        let mut tat = state.tat.load(Ordering::Relaxed);
        loop {
            // A clock that went back (now < TAT − burst·T) just finds the TAT ahead of it.
            let base = tat.max(now);
            let new = base.saturating_add(cost);
            if new > horizon {
                return Err((base, new));
            }
            match state
                .tat
                .compare_exchange_weak(tat, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Ok((base, new)),
                Err(seen) => {
                    tat = seen;
                    cas_retry();
                }
            }
        }
    }

    /// The decision for a TAT of `tat` at `now`, when the request moved it to `new` (allowed) or
    /// would have (denied).
    pub(crate) fn decision(&self, allowed: bool, now: u64, base: u64, new: u64) -> Decision {
        let horizon = now.saturating_add(self.horizon);
        let after = if allowed { new } else { base };
        Decision {
            allowed,
            limit: self.limit,
            window: self.window,
            remaining: horizon.saturating_sub(after) / self.t,
            reset_after: Duration::from_nanos(after.saturating_sub(now)),
            retry_after: Duration::from_nanos(if allowed { 0 } else { new - horizon }),
            wait: Duration::ZERO,
        }
    }
}

/// The state of one GCRA limiter (and leaky bucket or queue): its theoretical arrival time, in
/// the clock's nanoseconds.
#[derive(Debug)]
pub struct GcraState {
    tat: AtomicU64,
}

impl Algorithm for Gcra {
    type State = GcraState;

    fn new_state(&self, now: u64) -> GcraState {
        GcraState {
            tat: AtomicU64::new(now),
        }
    }

    #[inline]
    fn check_n(&self, state: &GcraState, now: u64, n: u32) -> Result<Decision, ExceedsCapacity> {
        if u64::from(n) > self.burst {
            return Err(exceeds(n, self.burst, self.limit, self.window));
        }
        Ok(match self.advance(state, now, n) {
            Ok((base, new)) => self.decision(true, now, base, new),
            Err((base, new)) => self.decision(false, now, base, new),
        })
    }

    fn release(&self, state: &GcraState, now: u64, n: u32) {
        let cost = u64::from(n) * self.t;
        let mut tat = state.tat.load(Ordering::Relaxed);
        // Never below `now`: a TAT in the past already means "full".
        while let Err(seen) = state.tat.compare_exchange_weak(
            tat,
            tat.saturating_sub(cost).max(now.min(tat)),
            Ordering::Relaxed,
            Ordering::Relaxed,
        ) {
            tat = seen;
            cas_retry();
        }
    }

    fn is_idle(&self, state: &GcraState, now: u64) -> bool {
        state.tat.load(Ordering::Relaxed) <= now
    }

    fn capacity(&self) -> u64 {
        self.burst
    }
}
