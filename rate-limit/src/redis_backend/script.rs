//! The Lua scripts, and what each algorithm sends them: [`RedisAlgorithm`] and its sealed
//! contract.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use super::RedisError;
use crate::{Algorithm, Error, FixedWindow, Gcra, SlidingLog, SlidingWindowCounter, TokenBucket};

/// The scripts: one per algorithm for single checks, and one with all four for hierarchies.
/// Each is the shared prelude, the algorithms it needs and the driver, joined at compile time.
macro_rules! script {
    ($($algorithm:literal),*) => {
        LazyLock::new(|| {
            Script::new(concat!(
                include_str!("lua/prelude.lua"),
                $(include_str!(concat!("lua/", $algorithm, ".lua")),)*
                include_str!("lua/driver.lua")
            ))
        })
    };
}

pub(super) static GCRA_SCRIPT: LazyLock<Script> = script!("gcra");
pub(super) static TOKEN_BUCKET_SCRIPT: LazyLock<Script> = script!("token_bucket");
pub(super) static FIXED_WINDOW_SCRIPT: LazyLock<Script> = script!("fixed_window");
pub(super) static SLIDING_WINDOW_SCRIPT: LazyLock<Script> = script!("sliding_window");
pub(super) static SLIDING_LOG_SCRIPT: LazyLock<Script> = script!("sliding_log");
pub(super) static HIERARCHY_SCRIPT: LazyLock<Script> = script!(
    "gcra",
    "token_bucket",
    "fixed_window",
    "sliding_window",
    "sliding_log"
);

/// Doubles hold integers exactly below 2^53.
pub(super) const LUA_EXACT: u64 = 1 << 53;

pub(super) mod sealed {
    use super::*;

    /// What the Redis backend needs of an algorithm. Sealed: the scripts know exactly four.
    #[allow(unreachable_pub)] // public in a private module: nameable by nobody outside
    pub trait Sealed: Algorithm + Clone + std::fmt::Debug + 'static {
        /// The algorithm's code in the script and its three parameters, times in µs.
        fn script_args(&self) -> Result<[u64; 4], RedisError>;
        /// The script that decides a single key.
        fn script() -> &'static Script;
        /// The same algorithm with 1/nodes of the rate and burst (at least 1 of each).
        fn share(&self, nodes: u32) -> Result<Self, Error>;
        /// The `limit` and `window` its decisions report.
        fn policy(&self) -> (u64, Duration);
    }
}

/// A rate-limiting algorithm that also runs as a Redis script: [`Gcra`], [`TokenBucket`],
/// [`FixedWindow`], [`SlidingWindowCounter`] and [`SlidingLog`] (a sorted set per key, one
/// member per admitted unit of the last window: exact, at up to `limit` members a key).
pub trait RedisAlgorithm: sealed::Sealed {}

impl<A: sealed::Sealed> RedisAlgorithm for A {}

pub(super) fn micros(d: Duration, what: &'static str) -> Result<u64, RedisError> {
    let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    if us == 0 || us >= LUA_EXACT {
        return Err(RedisError::NotRepresentable { what });
    }
    Ok(us)
}

pub(super) fn exact(product: u128, what: &'static str) -> Result<(), RedisError> {
    if product >= u128::from(LUA_EXACT) {
        return Err(RedisError::NotRepresentable { what });
    }
    Ok(())
}

pub(super) fn share(x: u64, nodes: u32) -> u32 {
    u32::try_from((x / u64::from(nodes)).max(1)).unwrap_or(u32::MAX)
}

impl sealed::Sealed for Gcra {
    fn script_args(&self) -> Result<[u64; 4], RedisError> {
        let t = micros(Duration::from_nanos(self.t), "the emission interval")?;
        exact(
            u128::from(self.burst) * u128::from(t),
            "burst × emission interval",
        )?;
        Ok([1, t, self.burst * t, 0])
    }
    fn script() -> &'static Script {
        &GCRA_SCRIPT
    }
    fn share(&self, nodes: u32) -> Result<Self, Error> {
        Gcra::with_burst(
            share(self.limit, nodes),
            self.window,
            share(self.burst, nodes),
        )
    }
    fn policy(&self) -> (u64, Duration) {
        (self.limit, self.window)
    }
}

impl sealed::Sealed for TokenBucket {
    fn script_args(&self) -> Result<[u64; 4], RedisError> {
        let period = micros(self.window, "the refill period")?;
        exact(
            u128::from(self.capacity) * u128::from(period),
            "capacity × period",
        )?;
        Ok([2, self.capacity, self.refill, period])
    }
    fn script() -> &'static Script {
        &TOKEN_BUCKET_SCRIPT
    }
    fn share(&self, nodes: u32) -> Result<Self, Error> {
        TokenBucket::new(
            share(self.capacity, nodes),
            share(self.refill, nodes),
            self.window,
        )
    }
    fn policy(&self) -> (u64, Duration) {
        (self.capacity, self.window)
    }
}

impl sealed::Sealed for FixedWindow {
    fn script_args(&self) -> Result<[u64; 4], RedisError> {
        Ok([3, self.limit, micros(self.window, "the window")?, 0])
    }
    fn script() -> &'static Script {
        &FIXED_WINDOW_SCRIPT
    }
    fn share(&self, nodes: u32) -> Result<Self, Error> {
        FixedWindow::new(share(self.limit, nodes), self.window)
    }
    fn policy(&self) -> (u64, Duration) {
        (self.limit, self.window)
    }
}

impl sealed::Sealed for SlidingWindowCounter {
    fn script_args(&self) -> Result<[u64; 4], RedisError> {
        let w = micros(self.window, "the window")?;
        exact(u128::from(self.limit) * u128::from(w), "limit × window")?;
        Ok([4, self.limit, w, 0])
    }
    fn script() -> &'static Script {
        &SLIDING_WINDOW_SCRIPT
    }
    fn share(&self, nodes: u32) -> Result<Self, Error> {
        SlidingWindowCounter::new(share(self.limit, nodes), self.window)
    }
    fn policy(&self) -> (u64, Duration) {
        (self.limit, self.window)
    }
}

impl sealed::Sealed for SlidingLog {
    fn script_args(&self) -> Result<[u64; 4], RedisError> {
        Ok([5, self.limit, micros(self.window, "the window")?, 0])
    }
    fn script() -> &'static Script {
        &SLIDING_LOG_SCRIPT
    }
    fn share(&self, nodes: u32) -> Result<Self, Error> {
        SlidingLog::new(share(self.limit, nodes), self.window)
    }
    fn policy(&self) -> (u64, Duration) {
        (self.limit, self.window)
    }
}
