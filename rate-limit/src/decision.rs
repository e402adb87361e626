//! What a limiter answers: [`Decision`], the HTTP headers it implies, and [`ExceedsCapacity`].

use std::fmt;
use std::time::Duration;

/// The answer to one check: whether it passed, and what a client should be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[must_use = "a decision that is not looked at admits nothing and denies nothing"]
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
    /// Computes in **O(1)** time: at most five short strings.
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
    #[must_use]
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = Vec::with_capacity(6);
        self.for_each_header(|field, value| h.push((field.name(), value.to_owned())));
        h
    }

    /// [`headers`](Self::headers) without allocating: each header in the same order, its value
    /// written on the stack and lent to `f`.
    ///
    /// Computes in **O(1)** time, allocating nothing.
    ///
    /// ```
    /// # use brick_rate_limit::{Decision, HeaderField};
    /// # use std::time::Duration;
    /// let allowed = Decision {
    ///     allowed: true,
    ///     limit: 100,
    ///     window: Duration::from_secs(60),
    ///     remaining: 99,
    ///     reset_after: Duration::from_millis(600),
    ///     retry_after: Duration::ZERO,
    ///     wait: Duration::ZERO,
    /// };
    /// let mut seen = Vec::new();
    /// allowed.for_each_header(|field, value| seen.push(format!("{}: {value}", field.name())));
    /// assert_eq!(seen[1], "RateLimit: \"default\";r=99;t=1");
    /// assert_eq!(seen.len(), 5); // no Retry-After when allowed
    /// ```
    pub fn for_each_header(&self, mut f: impl FnMut(HeaderField, &str)) {
        self.write_headers(
            |_| true,
            |field, value| f(field, std::str::from_utf8(value).unwrap_or_default()),
        );
    }

    /// The headers `wanted` picks, each value (ASCII) written on the stack and lent to `f`.
    pub(crate) fn write_headers(
        &self,
        wanted: impl Fn(HeaderField) -> bool,
        mut f: impl FnMut(HeaderField, &[u8]),
    ) {
        let reset = || secs_up(self.reset_after);
        let mut v = Text::new();
        if wanted(HeaderField::Policy) {
            v.push("\"default\";q=");
            v.push_u64(self.limit);
            v.push(";w=");
            v.push_u64(secs_up(self.window));
            f(HeaderField::Policy, v.bytes());
        }
        if wanted(HeaderField::RateLimit) {
            v.clear();
            v.push("\"default\";r=");
            v.push_u64(self.remaining);
            v.push(";t=");
            v.push_u64(reset());
            f(HeaderField::RateLimit, v.bytes());
        }
        for (field, n) in [
            (HeaderField::Limit, self.limit),
            (HeaderField::Remaining, self.remaining),
        ] {
            if wanted(field) {
                v.clear();
                v.push_u64(n);
                f(field, v.bytes());
            }
        }
        if wanted(HeaderField::Reset) {
            v.clear();
            v.push_u64(reset());
            f(HeaderField::Reset, v.bytes());
        }
        if !self.allowed && wanted(HeaderField::RetryAfter) {
            v.clear();
            v.push_u64(secs_up(self.retry_after));
            f(HeaderField::RetryAfter, v.bytes());
        }
    }
}

/// The headers of [`Decision::headers`], by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderField {
    /// `RateLimit-Policy` (IETF draft): the quota and its window.
    Policy,
    /// `RateLimit` (IETF draft): what remains and when the quota is whole again.
    RateLimit,
    /// `X-RateLimit-Limit`.
    Limit,
    /// `X-RateLimit-Remaining`.
    Remaining,
    /// `X-RateLimit-Reset`: seconds until the quota is whole again.
    Reset,
    /// `Retry-After`: seconds until the same request passes (denials only).
    RetryAfter,
}

impl HeaderField {
    /// The name as the specifications write it.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Policy => "RateLimit-Policy",
            Self::RateLimit => "RateLimit",
            Self::Limit => "X-RateLimit-Limit",
            Self::Remaining => "X-RateLimit-Remaining",
            Self::Reset => "X-RateLimit-Reset",
            Self::RetryAfter => "Retry-After",
        }
    }

    /// The name in lowercase, as HTTP/2 requires and the `http` crate stores names.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub const fn lowercase(self) -> &'static str {
        match self {
            Self::Policy => "ratelimit-policy",
            Self::RateLimit => "ratelimit",
            Self::Limit => "x-ratelimit-limit",
            Self::Remaining => "x-ratelimit-remaining",
            Self::Reset => "x-ratelimit-reset",
            Self::RetryAfter => "retry-after",
        }
    }
}

/// A header value on the stack: the longest is `"default";q=` and `;w=` around two u64s.
struct Text {
    bytes: [u8; 64],
    len: usize,
}

impl Text {
    fn new() -> Self {
        Self {
            bytes: [0; 64],
            len: 0,
        }
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    fn push(&mut self, s: &str) {
        self.bytes[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
        self.len += s.len();
    }

    /// Decimal digits, most significant first.
    fn push_u64(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let d = &digits[i..];
        self.bytes[self.len..self.len + d.len()].copy_from_slice(d);
        self.len += d.len();
    }

    fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
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
