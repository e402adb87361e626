//! The Redis clients' back-off: after a failure, no attempt until a period has passed. Shared by
//! the blocking pool and the async client, which differ only in what fails (a connect, a reply),
//! so the loom model of this one word covers both.
// `pub` so that `--cfg loom` can re-export it to the loom test; crate-private otherwise.
#![cfg_attr(not(loom), allow(unreachable_pub))]

use crate::sync::{AtomicU64, Ordering};

/// One word: the time (ns, on the caller's clock) before which no attempt is made.
#[derive(Debug)]
pub struct Backoff {
    retry_at: AtomicU64,
    period: u64,
}

impl Backoff {
    /// No attempt for `period` ns after each failure.
    pub fn new(period: u64) -> Self {
        Self {
            retry_at: AtomicU64::new(0),
            period,
        }
    }

    /// `Err(ns until the next attempt)` while backing off at `now`, else `Ok`.
    ///
    /// # Errors
    /// The nanoseconds left of the back-off.
    pub fn check(&self, now: u64) -> Result<(), u64> {
        // Relaxed: one number, read and written whole; a caller that misses a fresh failure
        // tries once more, which is all the back-off bounds.
        let retry_at = self.retry_at.load(Ordering::Relaxed);
        if now < retry_at {
            Err(retry_at - now)
        } else {
            Ok(())
        }
    }

    /// A failure at `now`: back off until `now + period`. A maximum, not a store: failures seen
    /// out of order (a slow caller's, reported after a later one's) never shorten the back-off.
    pub fn failed(&self, now: u64) {
        self.retry_at
            .fetch_max(now.saturating_add(self.period), Ordering::Relaxed);
    }
}
