//! Several limits checked together, all or nothing.

use crate::{Decision, ExceedsCapacity, RateLimiter};

/// Several limits (per user, per IP, global) checked as one: a request passes only if every
/// limit allows it, and **when one denies, none of the others keeps anything**.
///
/// The limits are checked in order; at the first denial, the units the earlier limits granted
/// are given back ([`RateLimiter::release`]) before the denial is returned. So a client that
/// is over its own limit does not eat into the global quota. For an instant between the grant
/// and the release, a concurrent request may see that capacity as taken (and be denied when it
/// would not have been); the final state is always as if the denied request never came.
///
/// The combined decision of an allowed request is the one with the fewest `remaining` (the
/// limit closest to running out, which is what a client should be told).
///
/// ```
/// use brick_rate_limit::{Gcra, Hierarchy, Limiter, ManualClock, RateLimiter};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let user = Limiter::new(Gcra::new(1, Duration::from_secs(1))?, clock.clone());
/// let global = Limiter::new(Gcra::new(100, Duration::from_secs(1))?, clock.clone());
/// let both = Hierarchy::new(vec![&user as &dyn RateLimiter, &global]);
/// assert!(both.check().allowed);
/// assert!(!both.check().allowed); // the user is out...
/// assert_eq!(global.check().remaining, 98); // ...and the denial cost the global limit nothing
/// # Ok::<(), brick_rate_limit::Error>(())
/// ```
pub struct Hierarchy<'a> {
    limits: Vec<&'a dyn RateLimiter>,
}

impl<'a> Hierarchy<'a> {
    /// The limits, checked in this order (put the most likely to deny first).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn new(limits: Vec<&'a dyn RateLimiter>) -> Self {
        Self { limits }
    }
}

impl RateLimiter for Hierarchy<'_> {
    fn check_n(&self, n: u32) -> Result<Decision, ExceedsCapacity> {
        let mut combined: Option<Decision> = None;
        for (i, limit) in self.limits.iter().enumerate() {
            let outcome = limit.check_n(n);
            let denial = match outcome {
                Ok(d) if d.allowed => {
                    if combined.is_none_or(|c| d.remaining < c.remaining) {
                        combined = Some(d);
                    }
                    continue;
                }
                other => other,
            };
            for granted in &self.limits[..i] {
                granted.release(n);
            }
            return denial;
        }
        // An empty hierarchy limits nothing.
        Ok(combined.unwrap_or(Decision {
            allowed: true,
            limit: u64::MAX,
            window: std::time::Duration::ZERO,
            remaining: u64::MAX,
            reset_after: std::time::Duration::ZERO,
            retry_after: std::time::Duration::ZERO,
            wait: std::time::Duration::ZERO,
        }))
    }

    fn release(&self, n: u32) {
        for limit in &self.limits {
            limit.release(n);
        }
    }
}

impl std::fmt::Debug for Hierarchy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hierarchy")
            .field("limits", &self.limits.len())
            .finish()
    }
}
