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
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// [`Error::ZeroLimit`], [`Error::ZeroWindow`], [`Error::TooFine`] (less than 1 ns per unit),
    /// [`Error::TooLong`].
    pub fn new(limit: u32, window: Duration) -> Result<Self, Error> {
        Self::with_burst(limit, window, limit)
    }

    /// `limit` units per `window`, bursts of up to `burst` (at least 1).
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// As [`new`](Self::new), [`Error::ZeroLimit`] for a zero burst, and [`Error::TooLong`]
    /// when burst · window / limit exceeds 2^64 ns.
    pub fn with_burst(limit: u32, window: Duration, burst: u32) -> Result<Self, Error> {
        let (t, _) = interval(u64::from(limit), window)?;
        if burst == 0 {
            return Err(Error::ZeroLimit);
        }
        // burst · T is how far the TAT may run ahead of now: it must be a time the state can
        // hold (a saturated horizon admitted every request).
        let horizon = u64::from(burst).checked_mul(t).ok_or(Error::TooLong)?;
        Ok(Self {
            t,
            burst: u64::from(burst),
            horizon,
            limit: u64::from(limit),
            window,
        })
    }

    /// The emission interval T: the time one unit takes to come back.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn emission_interval(&self) -> Duration {
        Duration::from_nanos(self.t)
    }

    /// Moves the TAT for `n` units at `now` if that stays within the burst: `Ok((base, new))`
    /// when it moved from max(TAT, now) = base to new, `Err((base, new))` when it would have.
    ///
    /// In u128, so no sum wraps or saturates into an admission: a request passes iff
    /// max(TAT, now) + n·T ≤ now + burst·T, and the new TAT fits the state's u64 (a TAT past
    /// u64::MAX ns, 584 years after the clock's origin, is a denial).
    #[inline]
    pub(crate) fn advance(
        &self,
        state: &GcraState,
        now: u64,
        n: u32,
    ) -> Result<(u64, u128), (u64, u128)> {
        let cost = u128::from(n) * u128::from(self.t);
        let ceiling = self.ceiling(now);
        // Relaxed: the TAT is the only shared datum, and each CAS reads the latest value in its
        // modification order; a stale first load only costs a retry.
        let mut tat = state.tat.load(Ordering::Relaxed);
        loop {
            // A clock that went back (now < TAT − burst·T) just finds the TAT ahead of it.
            let base = tat.max(now);
            let new = u128::from(base) + cost;
            if new > ceiling {
                return Err((base, new));
            }
            // new ≤ ceiling ≤ u64::MAX.
            match state.tat.compare_exchange_weak(
                tat,
                new as u64,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok((base, new)),
                Err(seen) => {
                    tat = seen;
                    cas_retry();
                }
            }
        }
    }

    /// The latest TAT a request at `now` may leave: now + burst·T, and never past u64::MAX.
    #[inline]
    fn ceiling(&self, now: u64) -> u128 {
        (u128::from(now) + u128::from(self.horizon)).min(u128::from(u64::MAX))
    }

    /// The decision for a TAT of `tat` at `now`, when the request moved it to `new` (allowed) or
    /// would have (denied).
    pub(crate) fn decision(&self, allowed: bool, now: u64, base: u64, new: u128) -> Decision {
        let horizon = u128::from(now) + u128::from(self.horizon);
        let after = if allowed { new } else { u128::from(base) };
        let nanos = |x: u128| Duration::from_nanos(u64::try_from(x).unwrap_or(u64::MAX));
        let retry_after = if allowed {
            Duration::ZERO
        } else if new > u128::from(u64::MAX) {
            // The TAT it needs is past the clock's range: it never passes.
            Duration::MAX
        } else {
            nanos(new - horizon.min(new))
        };
        Decision {
            allowed,
            limit: self.limit,
            window: self.window,
            // The spare time is at most the horizon, so it fits u64 and the division is a
            // 64-bit one (a 128-bit division is a library call several times slower).
            remaining: u64::try_from(horizon.saturating_sub(after))
                .map_or(u64::MAX, |spare| spare / self.t),
            reset_after: nanos(after - u128::from(now)),
            retry_after,
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
        if n == 0 {
            // Asks for nothing: answered from the current state, which it leaves as it is.
            let base = state.tat.load(Ordering::Relaxed).max(now);
            return Ok(self.decision(true, now, base, u128::from(base)));
        }
        Ok(match self.advance(state, now, n) {
            Ok((base, new)) => self.decision(true, now, base, new),
            Err((base, new)) => self.decision(false, now, base, new),
        })
    }

    fn release(&self, state: &GcraState, now: u64, n: u32) {
        let cost = u64::from(n).saturating_mul(self.t);
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
