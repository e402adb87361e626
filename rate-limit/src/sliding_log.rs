//! The sliding log: remember when each request passed.

use std::collections::VecDeque;
use std::time::Duration;

use crate::limiter::{exceeds, interval};
use crate::sync::Mutex;
use crate::{Algorithm, Decision, Error, ExceedsCapacity};

/// Sliding log: at most `limit` units in any interval (t − w, t], exactly.
///
/// **How it works.** The state is the log of admitted requests (time, units), oldest first.
/// A check drops the entries at least w old, then admits n units if the log holds at most
/// `limit − n`. A denied request can retry at the moment enough of the oldest entries expire.
///
/// **Trade-off.** The only exact limiter here: no interval of length w ever sees more than
/// `limit`. It pays in memory, up to `limit` entries of 16 bytes per key (each entry holds at
/// least one unit), where the others keep 8–24 bytes. Use it for small limits that must hold
/// exactly (5 login attempts per 15 minutes), not for 10,000 requests per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlidingLog {
    pub(crate) limit: u64,
    pub(crate) w: u64,
    pub(crate) window: Duration,
}

/// The admitted (time, units), oldest first; their sum; the latest time the log has seen.
type Log = (VecDeque<(u64, u32)>, u64, u64);

/// The state of one sliding log: the admitted (time, units), oldest first, their sum, and the
/// latest time the log has seen.
#[derive(Debug)]
pub struct SlidingLogState(Mutex<Log>);

impl SlidingLogState {
    /// Entries held: at most the limit (one per admitted request of the last window, each
    /// 12 bytes of payload in 16-byte slots), however many checks asked for zero units.
    ///
    /// Computes in **O(1)** time.
    pub fn entries(&self) -> usize {
        self.0.lock().0.len()
    }
}

impl SlidingLog {
    /// At most `limit` units in any window of length `window`.
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

/// Drops the entries that have left the window (t − w, now].
/// The log's time for a check at `now`: never before the latest time it has seen, which then
/// becomes `now`. A clock that went back is held there, so entries expired at a later time
/// are never needed again: every window of the log's timeline holds at most the limit.
fn advance(log: &mut Log, now: u64) -> u64 {
    log.2 = log.2.max(now);
    log.2
}

fn expire(log: &mut Log, now: u64, w: u64) {
    while let Some(&(at, n)) = log.0.front() {
        // In u128: near the clock's end a saturated `at + w` would expire every entry at once.
        if u128::from(at) + u128::from(w) > u128::from(now) {
            break;
        }
        log.0.pop_front();
        log.1 -= u64::from(n);
    }
}

impl Algorithm for SlidingLog {
    type State = SlidingLogState;

    fn new_state(&self, _now: u64) -> SlidingLogState {
        SlidingLogState(Mutex::new((VecDeque::new(), 0, 0)))
    }

    fn check_n(
        &self,
        state: &SlidingLogState,
        now: u64,
        n: u32,
    ) -> Result<Decision, ExceedsCapacity> {
        if u64::from(n) > self.limit {
            return Err(exceeds(n, self.limit, self.limit, self.window));
        }
        let mut log = state.0.lock();
        // A clock that went back is held at the latest time seen, so the log stays ordered
        // and an entry expired at a later time never counted for an earlier one.
        let now = advance(&mut log, now);
        expire(&mut log, now, self.w);
        let allowed = log.1 + u64::from(n) <= self.limit;
        let mut retry = 0;
        if allowed {
            // Zero units are a question, not a request: logging them would grow the log
            // without bound (10^7 zero-unit checks held 256 MiB).
            if n > 0 {
                log.0.push_back((now, n));
                log.1 += u64::from(n);
            }
        } else {
            // The oldest entries expire first: find the one whose expiry frees enough.
            let mut held = log.1;
            for &(at, units) in &log.0 {
                held -= u64::from(units);
                if held + u64::from(n) <= self.limit {
                    retry = at.saturating_add(self.w).saturating_sub(now);
                    break;
                }
            }
        }
        let reset = log
            .0
            .back()
            .map_or(0, |&(at, _)| at.saturating_add(self.w).saturating_sub(now));
        Ok(Decision {
            allowed,
            limit: self.limit,
            window: self.window,
            remaining: self.limit - log.1,
            reset_after: Duration::from_nanos(reset),
            retry_after: Duration::from_nanos(retry),
            wait: Duration::ZERO,
        })
    }

    fn release(&self, state: &SlidingLogState, _now: u64, n: u32) {
        let mut log = state.0.lock();
        let mut left = n;
        while left > 0 {
            let Some(last) = log.0.back_mut() else { break };
            let take = last.1.min(left);
            last.1 -= take;
            left -= take;
            if last.1 == 0 {
                log.0.pop_back();
            }
            log.1 -= u64::from(take);
        }
    }

    fn is_idle(&self, state: &SlidingLogState, now: u64) -> bool {
        let mut log = state.0.lock();
        let now = advance(&mut log, now);
        expire(&mut log, now, self.w);
        log.0.is_empty()
    }

    fn capacity(&self) -> u64 {
        self.limit
    }
}
