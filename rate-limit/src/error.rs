//! [`Error`]: why a limiter refused its configuration.

use std::fmt;

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
