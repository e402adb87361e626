//! [`RedisError`]: what a Redis-backed structure refuses or runs into. This file is the same
//! in every sketch brick with a Redis backend (`.ci/shared-files`).

use std::fmt;

use crate::Error;

/// Why a Redis-backed structure could not be built or could not answer.
///
/// Parameter and option errors ([`Config`](Self::Config) to [`BadOptions`](Self::BadOptions))
/// come before any I/O. Every other error means the call may not have taken effect: an insert
/// that returns an error may or may not have set its bits, and one that returns `Ok` has.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RedisError {
    /// The parameters, as the in-process structures refuse them (the same [`Error`]).
    Config(Error),
    /// An empty key prefix, or one with `{` or `}` (those would take over the keys' Redis
    /// Cluster hash tags).
    BadPrefix(String),
    /// Options that cannot work: no connections, a zero timeout or key size, no cluster nodes,
    /// or a malformed URL.
    BadOptions(String),
    /// The prefix already holds a structure of another shape, layout or hasher (what is
    /// stored, and what this handle was built for), or an upload of another shape.
    Mismatch(String),
    /// A key of the structure holds a value this crate did not write (another type, or a string
    /// of another length): it is left as it is.
    Foreign(String),
    /// Redis could not be reached or the connection broke (it is dropped and reopened by a
    /// later call).
    Connection(String),
    /// Redis did not answer within the client's timeout.
    Timeout,
    /// Redis answered with an error (out of memory, a script error).
    Script(String),
    /// Redis answered with something the crate never asks for.
    Reply(String),
}

impl fmt::Display for RedisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedisError::Config(e) => write!(f, "invalid parameters: {e}"),
            RedisError::BadPrefix(p) => write!(
                f,
                "key prefix {p:?} is empty or contains '{{' or '}}' (a cluster hash tag)"
            ),
            RedisError::BadOptions(why) => write!(f, "invalid Redis options: {why}"),
            RedisError::Mismatch(why) => write!(f, "shape mismatch: {why}"),
            RedisError::Foreign(why) => {
                write!(f, "key holds a value this crate did not write: {why}")
            }
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

/// The error code the crate's scripts give a key they did not write.
pub(crate) const FOREIGN: &str = "BRICKFOREIGN";

impl RedisError {
    /// Sorts an error of the `redis` crate; returns whether the connection must be dropped.
    pub(crate) fn from_redis(e: &redis::RedisError) -> (Self, bool) {
        if e.is_timeout() {
            // A late reply would answer the next command: the connection is unusable.
            (RedisError::Timeout, true)
        } else if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
            (RedisError::Connection(e.to_string()), true)
        } else if matches!(e.code(), Some("WRONGTYPE" | FOREIGN)) {
            (RedisError::Foreign(e.to_string()), false)
        } else if e.code().is_some() {
            (RedisError::Script(e.to_string()), false)
        } else {
            (RedisError::Reply(e.to_string()), true)
        }
    }
}
