//! The fixed window counter: count requests per calendar window.

use std::time::Duration;

use crate::limiter::{exceeds, interval};
use crate::sync::Mutex;
use crate::{Algorithm, Decision, Error, ExceedsCapacity};

/// Fixed window: at most `limit` units in each window [k·w, (k + 1)·w) of the clock.
///
/// **How it works.** The state is the current window's number and its count; a request in a
/// later window starts the count again.
///
/// **Trade-off.** The cheapest limiter and the easiest to explain ("100 per minute, reset on the
/// minute"), but its windows are aligned to the clock, not to the requests: `limit` requests at
/// the end of one window and `limit` more at the start of the next pass within a moment, so a
/// sliding interval of length w can see up to **2 × limit**. For "100 per minute": 100
/// requests at 12:00:59.9 and 100 more at 12:01:00.1 all pass, 200 in 0.2 s; the compare
/// report's `most_in_window` rows measure 20 in one window of a limit of 10.
///
/// ```
/// use brick_rate_limit::{FixedWindow, Limiter, ManualClock, RateLimiter};
/// use std::time::Duration;
///
/// // 100 per minute; 100 requests at 0:59.9 and 100 more at 1:00.1 all pass.
/// let clock = ManualClock::new();
/// let limiter = Limiter::new(FixedWindow::new(100, Duration::from_secs(60))?, clock.clone());
/// clock.advance(Duration::from_millis(59_900));
/// let before = (0..100).filter(|_| limiter.check().allowed).count();
/// clock.advance(Duration::from_millis(200));
/// let after = (0..100).filter(|_| limiter.check().allowed).count();
/// assert_eq!(before + after, 200); // in 0.2 s
/// # Ok::<(), brick_rate_limit::Error>(())
/// ```
/// [`SlidingLog`](crate::SlidingLog) removes that (never more than the limit in any window);
/// [`SlidingWindowCounter`](crate::SlidingWindowCounter) smooths ordinary traffic but still
/// admits up to about 2× when the previous window was bunched at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedWindow {
    pub(crate) limit: u64,
    pub(crate) w: u64,
    pub(crate) window: Duration,
}

/// The state of one fixed window limiter: (window number, count in it).
#[derive(Debug)]
pub struct FixedWindowState(Mutex<(u64, u64)>);

impl FixedWindow {
    /// At most `limit` units per window of length `window`.
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// [`Error::ZeroLimit`], [`Error::ZeroWindow`], [`Error::TooFine`], [`Error::TooLong`].
    pub fn new(limit: u32, window: Duration) -> Result<Self, Error> {
        let (_, w) = interval(u64::from(limit), window)?;
        Ok(Self {
            limit: u64::from(limit),
            w,
            window,
        })
    }
}

impl Algorithm for FixedWindow {
    type State = FixedWindowState;

    fn new_state(&self, now: u64) -> FixedWindowState {
        FixedWindowState(Mutex::new((now / self.w, 0)))
    }

    fn check_n(
        &self,
        state: &FixedWindowState,
        now: u64,
        n: u32,
    ) -> Result<Decision, ExceedsCapacity> {
        if u64::from(n) > self.limit {
            return Err(exceeds(n, self.limit, self.limit, self.window));
        }
        let mut s = state.0.lock();
        let k = now / self.w;
        if k > s.0 {
            *s = (k, 0);
        }
        // A clock that went back stays in the newest window seen.
        let end = s.0.saturating_add(1).saturating_mul(self.w);
        let allowed = s.1 + u64::from(n) <= self.limit;
        if allowed {
            s.1 += u64::from(n);
        }
        let until_end = Duration::from_nanos(end.saturating_sub(now));
        Ok(Decision {
            allowed,
            limit: self.limit,
            window: self.window,
            remaining: self.limit - s.1,
            reset_after: until_end,
            retry_after: if allowed { Duration::ZERO } else { until_end },
            wait: Duration::ZERO,
        })
    }

    fn release(&self, state: &FixedWindowState, now: u64, n: u32) {
        let mut s = state.0.lock();
        if now / self.w <= s.0 {
            s.1 = s.1.saturating_sub(u64::from(n));
        }
    }

    fn is_idle(&self, state: &FixedWindowState, now: u64) -> bool {
        let s = state.0.lock();
        s.1 == 0 || now / self.w > s.0
    }

    fn capacity(&self) -> u64 {
        self.limit
    }
}
