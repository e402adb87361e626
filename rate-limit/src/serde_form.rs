//! serde (feature `serde`): a limiter configuration serializes as the arguments of its
//! constructor under a format version, and deserializes through that constructor, so a read
//! configuration is exactly one `new` could have built and a hostile input meets the same
//! checks (a zero limit or window, a rate finer than a nanosecond, a horizon past 2^64 ns: the
//! crate's typed error; unknown fields are refused). [`Decision`](crate::Decision)s derive
//! serde directly: any combination of their fields is a decision.

use crate::TokenBucket;
use crate::{FixedWindow, Gcra, LeakyBucket, LeakyQueue, SlidingLog, SlidingWindowCounter};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::time::Duration;

/// The version every form below carries; another is refused.
const VERSION: u8 = 1;

/// A count the constructor took as `u32`, stored widened.
fn narrow(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A serde form for a configuration type: `$form`'s fields are the constructor's arguments,
/// read from `$s` on the way out and passed to `$build` (with the form as `$f`) on the way in.
macro_rules! form {
    ($ty:ty, $form:ident, |$s:ident| { $($field:ident: $fty:ty = $get:expr),* $(,)? }, |$f:ident| $build:expr) => {
        #[derive(Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $form {
            version: u8,
            $($field: $fty),*
        }

        impl Serialize for $ty {
            fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
                let $s = self;
                $form { version: VERSION, $($field: $get),* }.serialize(serializer)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<De: Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
                let $f = $form::deserialize(deserializer)?;
                if $f.version != VERSION {
                    return Err(De::Error::custom(format_args!(
                        "unsupported limiter format version {} (this crate reads {VERSION})",
                        $f.version
                    )));
                }
                $build.map_err(De::Error::custom)
            }
        }
    };
}

form!(Gcra, GcraForm, |g| {
    limit: u32 = narrow(g.limit),
    window: Duration = g.window,
    burst: u32 = narrow(g.burst),
}, |f| Gcra::with_burst(f.limit, f.window, f.burst));

form!(TokenBucket, TokenBucketForm, |b| {
    capacity: u32 = narrow(b.capacity),
    refill: u32 = narrow(b.refill),
    period: Duration = b.window,
}, |f| TokenBucket::new(f.capacity, f.refill, f.period));

form!(FixedWindow, FixedWindowForm, |w| {
    limit: u32 = narrow(w.limit),
    window: Duration = w.window,
}, |f| FixedWindow::new(f.limit, f.window));

form!(SlidingLog, SlidingLogForm, |l| {
    limit: u32 = narrow(l.limit),
    window: Duration = l.window,
}, |f| SlidingLog::new(f.limit, f.window));

form!(SlidingWindowCounter, SlidingWindowForm, |w| {
    limit: u32 = narrow(w.limit),
    window: Duration = w.window,
}, |f| SlidingWindowCounter::new(f.limit, f.window));

form!(LeakyBucket, LeakyBucketForm, |b| {
    capacity: u32 = narrow(b.0.burst),
    rate: u32 = narrow(b.0.limit),
    window: Duration = b.0.window,
}, |f| LeakyBucket::new(f.capacity, f.rate, f.window));

form!(LeakyQueue, LeakyQueueForm, |q| {
    queue: u32 = narrow(q.0.burst),
    rate: u32 = narrow(q.0.limit),
    window: Duration = q.0.window,
}, |f| LeakyQueue::new(f.queue, f.rate, f.window));
