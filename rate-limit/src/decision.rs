//! What a limiter answers: [`Decision`], the HTTP headers it implies, and [`ExceedsCapacity`].

use std::fmt;
use std::time::Duration;

/// The answer to one check: whether it passed, and what a client should be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The policy's quota: requests per [`window`](Self::window).
    pub limit: u64,
    /// The policy's window.
    pub window: Duration,
    /// Requests that would still pass right now (after this one, if it passed).
    pub remaining: u64,
    /// Time until the limiter is back to its full quota.
    pub reset_after: Duration,
    /// On denial, the time after which the same request passes (if nothing else consumes
    /// capacity meanwhile); zero when allowed.
    pub retry_after: Duration,
    /// For a shaping limiter ([`LeakyQueue`](crate::LeakyQueue)), how long an admitted request
    /// must wait before it runs; zero otherwise.
    pub wait: Duration,
}

/// Whole seconds, rounded up: a client told "1" when 0.2 s remain must not retry early.
/// Saturating: `Duration::MAX` ("never") rounds to u64::MAX seconds, not around to 0.
fn secs_up(d: Duration) -> u64 {
    d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0))
}

impl Decision {
    /// The response headers for this decision:
    /// - `RateLimit-Policy` and `RateLimit` of the IETF httpapi draft
    ///   (`"default";q=<limit>;w=<window s>` and `"default";r=<remaining>;t=<reset s>`),
    /// - the widespread `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
    ///   (seconds until reset),
    /// - and on denial `Retry-After` in whole seconds, rounded up.
    ///
    /// ```
    /// # use brick_rate_limit::Decision;
    /// # use std::time::Duration;
    /// let denied = Decision {
    ///     allowed: false,
    ///     limit: 10,
    ///     window: Duration::from_secs(60),
    ///     remaining: 0,
    ///     reset_after: Duration::from_secs(60),
    ///     retry_after: Duration::from_millis(5_200),
    ///     wait: Duration::ZERO,
    /// };
    /// assert!(denied.headers().contains(&("Retry-After", "6".to_owned())));
    /// assert!(denied.headers().contains(&("RateLimit", "\"default\";r=0;t=60".to_owned())));
    /// ```
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let reset = secs_up(self.reset_after);
        let mut h = vec![
            (
                "RateLimit-Policy",
                format!("\"default\";q={};w={}", self.limit, secs_up(self.window)),
            ),
            (
                "RateLimit",
                format!("\"default\";r={};t={reset}", self.remaining),
            ),
            ("X-RateLimit-Limit", self.limit.to_string()),
            ("X-RateLimit-Remaining", self.remaining.to_string()),
            ("X-RateLimit-Reset", reset.to_string()),
        ];
        if !self.allowed {
            h.push(("Retry-After", secs_up(self.retry_after).to_string()));
        }
        h
    }
}

/// A request for more units than the limiter can ever grant at once: no amount of waiting
/// makes it pass, so it is an error rather than a denial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExceedsCapacity {
    /// Units asked for.
    pub requested: u32,
    /// The most the limiter grants at once.
    pub capacity: u64,
    /// The denial to send if the caller answers anyway (no `Retry-After` would help; it is set
    /// to the full window).
    pub denial: Decision,
}

impl fmt::Display for ExceedsCapacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} units requested, but at most {} can ever pass at once",
            self.requested, self.capacity
        )
    }
}

impl std::error::Error for ExceedsCapacity {}

/// Why a limiter refused its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A limit, rate or capacity of zero: nothing could ever pass.
    ZeroLimit,
    /// A window or period of zero.
    ZeroWindow,
    /// A rate so high that one unit takes less than a nanosecond (limit > window in ns).
    TooFine {
        /// The limit asked for.
        limit: u64,
        /// The window in nanoseconds.
        window_nanos: u64,
    },
    /// A window longer than 2^64 ns (584 years).
    TooLong,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ZeroLimit => write!(f, "the limit, rate and capacity must be at least 1"),
            Error::ZeroWindow => write!(f, "the window must be longer than zero"),
            Error::TooFine {
                limit,
                window_nanos,
            } => write!(
                f,
                "{limit} per {window_nanos} ns is finer than one per nanosecond"
            ),
            Error::TooLong => write!(f, "the window exceeds 2^64 nanoseconds"),
        }
    }
}

impl std::error::Error for Error {}
