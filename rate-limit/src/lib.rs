#![forbid(unsafe_code)]
//! Rate limiters behind one interface, with exact decisions under an injected clock.

mod clock;
mod decision;
mod fixed_window;
mod gcra;
mod hierarchy;
mod keyed;
mod limiter;
mod sliding_log;
mod sliding_window;
mod sync;
mod token_bucket;

#[cfg(feature = "quanta")]
pub use clock::QuantaClock;
pub use clock::{Clock, ManualClock, SystemClock};
pub use decision::{Decision, Error, ExceedsCapacity};
pub use fixed_window::{FixedWindow, FixedWindowState};
pub use gcra::{Gcra, GcraState, LeakyBucket, LeakyQueue};
pub use hierarchy::Hierarchy;
pub use keyed::{KeyLimiter, KeyedLimiter};
pub use limiter::{Algorithm, Limiter, RateLimiter};
pub use sliding_log::{SlidingLog, SlidingLogState};
pub use sliding_window::{SlidingWindowCounter, SlidingWindowState};
pub use token_bucket::{TokenBucket, TokenBucketState};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
