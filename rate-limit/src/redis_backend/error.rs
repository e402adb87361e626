//! [`RedisError`]: what the Redis backend refuses or runs into.

use std::fmt;

use crate::{Error, ExceedsCapacity};

/// Why a Redis-backed check or construction failed, or why a decision is degraded.
///
/// Configuration and input errors ([`Config`](Self::Config) to
/// [`Mismatch`](Self::Mismatch)) are returned before any I/O. Errors talking to Redis
/// ([`Connection`](Self::Connection), [`Timeout`](Self::Timeout), [`Script`](Self::Script),
/// [`Reply`](Self::Reply)) never reach the caller of a check: the [`FailurePolicy`]
/// answers instead, and the decision carries the error in
/// [`RedisDecision::degraded`](crate::RedisDecision::degraded).
///
/// [`FailurePolicy`]: crate::FailurePolicy
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedisError {
    /// The limit's configuration (a zero limit or window, and so on).
    Config(Error),
    /// The configuration cannot be computed exactly in the script: Lua numbers are doubles, so
    /// `limit × window` (in microseconds) must stay below 2^53, and the emission interval or
    /// window must be at least 1 µs.
    NotRepresentable {
        /// Which quantity.
        what: &'static str,
    },
    /// A check for more units than the limit grants at once.
    ExceedsCapacity(ExceedsCapacity),
    /// An empty key (`check("")`) or an empty key prefix.
    EmptyKey,
    /// A key prefix with `{` or `}`: those would take over the key's Redis Cluster hash tag.
    BadPrefix(String),
    /// Options that cannot work: no connections, a zero timeout, a `Fallback` over zero nodes,
    /// or a malformed URL.
    BadOptions(String),
    /// A hierarchy whose limits use different clients, a key count that differs from the
    /// level count, no levels, or two levels on the same Redis key.
    Mismatch(String),
    /// Redis could not be reached or the connection broke (the connection is dropped and
    /// reopened on a later check).
    Connection(String),
    /// Redis did not answer within the client's timeout.
    Timeout,
    /// Redis answered with an error (the script failed, a key of another type, out of memory).
    Script(String),
    /// Redis answered with something the script never returns.
    Reply(String),
}

impl fmt::Display for RedisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedisError::Config(e) => write!(f, "invalid limit: {e}"),
            RedisError::NotRepresentable { what } => {
                write!(f, "{what} cannot be computed exactly in a Redis script")
            }
            RedisError::ExceedsCapacity(e) => e.fmt(f),
            RedisError::EmptyKey => write!(f, "rate-limit keys and key prefixes must not be empty"),
            RedisError::BadPrefix(p) => {
                write!(
                    f,
                    "key prefix {p:?} contains '{{' or '}}' (a cluster hash tag)"
                )
            }
            RedisError::BadOptions(why) => write!(f, "invalid Redis options: {why}"),
            RedisError::Mismatch(why) => write!(f, "invalid Redis hierarchy: {why}"),
            RedisError::Connection(why) => write!(f, "Redis connection failed: {why}"),
            RedisError::Timeout => write!(f, "Redis did not answer in time"),
            RedisError::Script(why) => write!(f, "Redis returned an error: {why}"),
            RedisError::Reply(why) => write!(f, "unexpected reply from Redis: {why}"),
        }
    }
}

impl std::error::Error for RedisError {}

impl From<Error> for RedisError {
    fn from(e: Error) -> Self {
        RedisError::Config(e)
    }
}

impl From<ExceedsCapacity> for RedisError {
    fn from(e: ExceedsCapacity) -> Self {
        RedisError::ExceedsCapacity(e)
    }
}

impl RedisError {
    /// Sorts an error of the `redis` crate; returns whether the connection must be dropped.
    pub(crate) fn from_redis(e: &redis::RedisError) -> (Self, bool) {
        if e.is_timeout() {
            // A late reply would answer the next command: the connection is unusable.
            (RedisError::Timeout, true)
        } else if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
            (RedisError::Connection(e.to_string()), true)
        } else if e.code().is_some() {
            (RedisError::Script(e.to_string()), false)
        } else {
            (RedisError::Reply(e.to_string()), true)
        }
    }
}
