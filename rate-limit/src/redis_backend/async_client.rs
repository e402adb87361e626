//! [`AsyncRedisClient`] (feature `tokio`): one multiplexed connection that reconnects by
//! itself, for calls that must not block a runtime thread. This file is the same in every
//! brick with a Redis backend (`.ci/shared-files`), as the blocking client's is.
#![allow(dead_code)] // each brick uses part of the file: see the module docs

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};

use super::RedisError;
use super::client::{RedisOptions, Request, first_error, open_client};
use crate::backoff::Backoff;
use crate::sync::Arc;

/// A boxed future of a reply.
type Reply = Pin<Box<dyn Future<Output = redis::RedisResult<redis::Value>> + Send>>;

/// Any multiplexed async connection: a [`ConnectionManager`], a cluster connection, or the
/// application's own; cloning it is cheap and every clone shares the one connection.
trait Connection: Send + Sync {
    fn exec(&self, request: Request) -> Reply;
}

impl<C: ConnectionLike + Clone + Send + Sync + 'static> Connection for C {
    fn exec(&self, request: Request) -> Reply {
        let mut con = self.clone();
        Box::pin(async move {
            match request {
                Request::One(cmd) => cmd.query_async(&mut con).await,
                Request::Many(commands) => {
                    if commands.is_empty() {
                        return Ok(redis::Value::Array(Vec::new()));
                    }
                    let mut pipe = redis::pipe();
                    for cmd in commands {
                        pipe.add_command(cmd);
                    }
                    let replies = pipe.ignore_errors().query_async(&mut con).await?;
                    first_error(replies).map(redis::Value::Array)
                }
                // EVALSHA, and on NOSCRIPT a SCRIPT LOAD and one more EVALSHA: a script runs
                // whole or not at all, so a dropped future never leaves a call half done.
                Request::Script(invocation) => invocation.invoke_async(&mut con).await,
            }
        })
    }
}

/// A handle on one Redis for async calls: one multiplexed connection (the `redis` crate's
/// [`ConnectionManager`], which reconnects by itself) shared by every task, each call bounded by
/// [`RedisOptions::timeout`]. After a failed or timed-out call, calls fail at once for
/// [`RedisOptions::reconnect_backoff`], as with the blocking client. Cloning shares the
/// connection.
///
/// Needs a tokio runtime (with its time driver) wherever it is used: the timeouts are tokio's.
/// [`RedisOptions::connections`] is not used: one multiplexed connection carries every
/// concurrent call, pipelined.
#[derive(Clone)]
pub struct AsyncRedisClient {
    shared: Arc<Shared>,
}

struct Shared {
    connection: Box<dyn Connection>,
    options: RedisOptions,
    origin: Instant,
    /// No attempt while it backs off (ns since `origin`).
    backoff: Backoff,
    extra: super::ClientExtra,
}

/// Another client's connection, so that [`AsyncRedisClient::with_extra`] keeps the one
/// connection the application gave.
struct SharedConnection(Arc<Shared>);

impl Connection for SharedConnection {
    fn exec(&self, request: Request) -> Reply {
        self.0.connection.exec(request)
    }
}

fn backoff_of(options: &RedisOptions) -> Backoff {
    Backoff::new(u64::try_from(options.reconnect_backoff.as_nanos()).unwrap_or(u64::MAX))
}

impl std::fmt::Debug for AsyncRedisClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncRedisClient")
            .field("options", &self.shared.options)
            .finish_non_exhaustive()
    }
}

impl AsyncRedisClient {
    /// A client for `url` with default options; nothing is connected until the first call.
    ///
    /// Computes in **O(1)** time: no I/O until the first call.
    ///
    /// # Errors
    /// [`RedisError::BadOptions`] for a malformed URL.
    pub fn open(url: &str) -> Result<Self, RedisError> {
        Self::with_options(url, RedisOptions::default())
    }

    /// A client for `url`: a lazily connected [`ConnectionManager`] with the options' timeout
    /// for connecting and for each reply, reconnecting by itself after an error.
    ///
    /// Computes in **O(1)** time: no I/O until the first call.
    ///
    /// # Errors
    /// [`RedisError::BadOptions`] for a malformed URL or a zero timeout.
    pub fn with_options(url: &str, options: RedisOptions) -> Result<Self, RedisError> {
        check_options(&options)?;
        let client = open_client(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.timeout))
            .set_response_timeout(Some(options.timeout))
            .set_min_delay(options.reconnect_backoff.min(Duration::from_millis(100)))
            .set_max_delay(options.reconnect_backoff)
            .set_number_of_retries(1);
        let manager = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| RedisError::BadOptions(format!("{url:?}: {e}")))?;
        Self::from_connection(manager, options)
    }

    /// A client over the application's own multiplexed connection — a [`ConnectionManager`] it
    /// built (with TLS, credentials or a custom back-off), a cluster connection, or any
    /// [`ConnectionLike`] that clones cheaply onto one shared connection. The options' timeout
    /// and back-off still bound every call. Commands a call sends together go as one pipeline,
    /// so a call touching several keys needs them on one server (one cluster slot).
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// [`RedisError::BadOptions`] for a zero timeout.
    pub fn from_connection<C>(connection: C, options: RedisOptions) -> Result<Self, RedisError>
    where
        C: ConnectionLike + Clone + Send + Sync + 'static,
    {
        check_options(&options)?;
        Ok(Self {
            shared: Arc::new(Shared {
                connection: Box::new(connection),
                backoff: backoff_of(&options),
                options,
                origin: Instant::now(),
                extra: super::ClientExtra::default(),
            }),
        })
    }

    /// The same connection and options with `extra` beside them (and a back-off of its own).
    pub(crate) fn with_extra(&self, extra: super::ClientExtra) -> Self {
        let old = &self.shared;
        Self {
            shared: Arc::new(Shared {
                connection: Box::new(SharedConnection(Arc::clone(old))),
                backoff: backoff_of(&old.options),
                options: old.options,
                origin: Instant::now(),
                extra,
            }),
        }
    }

    /// What the brick keeps beside the connection.
    pub(crate) fn extra(&self) -> &super::ClientExtra {
        &self.shared.extra
    }

    /// Whether two handles share one connection state.
    pub(crate) fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// The options.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn options(&self) -> RedisOptions {
        self.shared.options
    }

    fn now(&self) -> u64 {
        u64::try_from(self.shared.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Sends `request`: at once an error while backing off, otherwise the reply within the
    /// timeout. A failure that breaks the connection starts the back-off.
    pub(crate) async fn exec(&self, request: Request) -> Result<redis::Value, RedisError> {
        if let Err(retry_in) = self.shared.backoff.check(self.now()) {
            return Err(RedisError::Connection(format!(
                "unreachable at the last attempt; next attempt in {:?}",
                Duration::from_nanos(retry_in)
            )));
        }
        let reply = tokio::time::timeout(
            self.shared.options.timeout,
            self.shared.connection.exec(request),
        )
        .await;
        let (error, broken) = match reply {
            Ok(Ok(value)) => return Ok(value),
            Err(_) => (RedisError::Timeout, true),
            Ok(Err(e)) => RedisError::from_redis(&e),
        };
        if broken {
            self.shared.backoff.failed(self.now());
        }
        Err(error)
    }
}

fn check_options(options: &RedisOptions) -> Result<(), RedisError> {
    if options.timeout.is_zero() {
        return Err(RedisError::BadOptions("zero timeout".into()));
    }
    Ok(())
}
