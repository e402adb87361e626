//! The TSC clock (feature `quanta`).

use crate::clock::{Clock, unix_nanos};

/// The CPU's time-stamp counter, calibrated against the system clock (the `quanta` crate, which
/// governor also uses): monotonic nanoseconds for a fraction of what `Instant::now` costs on
/// a virtual machine, where the clock read is most of a limiter check (the README has the
/// figures). Needs the `quanta`
/// feature (on by default); where there is no usable TSC, quanta falls back to the OS clock.
///
/// Like [`SystemClock`](crate::SystemClock), it counts from the Unix epoch (read once at construction), so windows
/// align with Redis's.
#[derive(Debug, Clone)]
pub struct QuantaClock {
    clock: quanta::Clock,
    origin: u64,
    /// Unix nanoseconds at `origin`.
    epoch: u64,
}

impl Default for QuantaClock {
    fn default() -> Self {
        let clock = quanta::Clock::new();
        let origin = clock.raw();
        Self {
            clock,
            origin,
            epoch: unix_nanos(),
        }
    }
}

impl Clock for QuantaClock {
    #[inline]
    fn now_nanos(&self) -> u64 {
        self.epoch
            .saturating_add(self.clock.delta_as_nanos(self.origin, self.clock.raw()))
    }
}
