//! Time, injected: every structure that reads the time reads a [`Clock`] it was given, never
//! `Instant::now()` itself, so tests and examples control it.
//!
//! One of the workspace's deliberate copies (listed in `.ci/shared-files`): a user of two bricks
//! gets the same clocks, with the same bounds, in both.

use crate::sync::{Arc, AtomicU64, Ordering, cas_retry};
use std::time::{Duration, Instant};

/// A monotonic clock in nanoseconds from an origin of its own ([`SystemClock`]: the Unix epoch;
/// [`ManualClock`]: zero, or whatever the test sets). `Send + Sync`, so one clock can serve a
/// structure shared across threads.
pub trait Clock: Send + Sync {
    /// Nanoseconds since the clock's origin. Readers tolerate a clock that goes backwards
    /// (they treat it as no time passing), but a monotonic one is expected.
    fn now_nanos(&self) -> u64;
}

/// Nanoseconds since the Unix epoch now, by the wall clock (0 if it reads before 1970).
pub(crate) fn unix_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The system's monotonic clock (`Instant`), counting nanoseconds since the Unix epoch: the
/// wall clock is read once, at construction, and the monotonic clock advances it. So time-based
/// windows align across processes and with Redis's `TIME` (also Unix time), to within the
/// machines' clock synchronisation, and an NTP step after construction cannot move it backwards.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
    /// Unix nanoseconds at `origin`.
    epoch: u64,
}

impl Default for SystemClock {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
            epoch: unix_nanos(),
        }
    }
}

impl Clock for SystemClock {
    #[inline]
    fn now_nanos(&self) -> u64 {
        // 2^64 ns from 1970 is the year 2554: saturate rather than wrap.
        let elapsed = u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.epoch.saturating_add(elapsed)
    }
}

/// A clock that moves only when told to, for tests, examples and teaching. Clones share the
/// time: a test keeps one clone and hands the other to the structure under test.
#[derive(Debug, Clone)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    /// A clock at time 0.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn new() -> Self {
        Self {
            nanos: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Moves the time forward by `by` (saturating at 2^64 − 1 ns).
    ///
    /// Computes in **O(1)** time: one compare-and-swap loop.
    pub fn advance(&self, by: Duration) {
        self.advance_nanos(u64::try_from(by.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Moves the time forward by `nanos` (saturating). Clones may advance from several threads
    /// at once: every advance counts.
    ///
    /// Computes in **O(1)** time: one compare-and-swap loop.
    pub fn advance_nanos(&self, nanos: u64) {
        // Relaxed: the time is the only data; tests order their own steps. A CAS loop rather
        // than fetch_add, so the time saturates instead of wrapping.
        let mut now = self.nanos.load(Ordering::Relaxed);
        while let Err(seen) = self.nanos.compare_exchange_weak(
            now,
            now.saturating_add(nanos),
            Ordering::Relaxed,
            Ordering::Relaxed,
        ) {
            now = seen;
            cas_retry();
        }
    }

    /// Sets the time, also backwards (to test how a reader takes a clock that jumps back).
    ///
    /// Computes in **O(1)** time.
    pub fn set_nanos(&self, nanos: u64) {
        self.nanos.store(nanos, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    #[inline]
    fn now_nanos(&self) -> u64 {
        // Relaxed: as in `advance_nanos`.
        self.nanos.load(Ordering::Relaxed)
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now_nanos(&self) -> u64 {
        (**self).now_nanos()
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now_nanos(&self) -> u64 {
        (**self).now_nanos()
    }
}
