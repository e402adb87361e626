//! [`AsyncRedisClient`] (feature `tokio`): one multiplexed connection that reconnects by
//! itself, for checks that must not block a runtime thread.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use redis::ScriptInvocation;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};

use super::RedisError;
use super::client::{DegradedHook, RedisOptions, RedisTransport, transport};
use crate::backoff::Backoff;
use crate::sync::Arc;

/// A boxed future of a script's reply.
type Reply = Pin<Box<dyn Future<Output = redis::RedisResult<Vec<i64>>> + Send>>;

/// Any multiplexed async connection: a [`ConnectionManager`], a cluster connection, or the
/// application's own; cloning it is cheap and every clone shares the one connection.
trait Connection: Send + Sync {
    fn eval(&self, invocation: ScriptInvocation<'static>) -> Reply;
}

impl<C: ConnectionLike + Clone + Send + Sync + 'static> Connection for C {
    fn eval(&self, invocation: ScriptInvocation<'static>) -> Reply {
        let mut con = self.clone();
        // EVALSHA, and on NOSCRIPT a SCRIPT LOAD and one more EVALSHA: the script is applied
        // whole or not at all, so a dropped future never leaves a check half done.
        Box::pin(async move { invocation.invoke_async::<Vec<i64>>(&mut con).await })
    }
}

/// A handle on one Redis for async checks: one multiplexed connection (the `redis` crate's
/// [`ConnectionManager`], which reconnects by itself) shared by every task, each check one
/// `EVALSHA` bounded by [`RedisOptions::timeout`]. After a failed or timed-out check, checks
/// skip Redis for [`RedisOptions::reconnect_backoff`] and the failure policy answers at once,
/// as the blocking [`RedisClient`](crate::RedisClient) does. Cloning shares the connection.
///
/// Needs a tokio runtime (with its time driver) wherever it checks: the timeouts are tokio's.
/// [`RedisOptions::connections`] is not used: one multiplexed connection carries every
/// concurrent check, pipelined.
///
/// ```no_run
/// use brick_rate_limit::{AsyncRedisClient, FailurePolicy, Gcra, RedisGcra};
/// use std::time::Duration;
///
/// # async fn handler() -> Result<(), brick_rate_limit::RedisError> {
/// let redis = AsyncRedisClient::open("redis://127.0.0.1:6379/")?; // connects lazily
/// let per_user = RedisGcra::new(&redis, "api", Gcra::new(100, Duration::from_secs(60))?,
///     FailurePolicy::FailOpen)?;
/// let d = per_user.check_async("user-42").await?;
/// if !d.allowed { /* 429 with d.headers() */ }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AsyncRedisClient {
    shared: Arc<Shared>,
}

fn backoff_of(options: &RedisOptions) -> Backoff {
    Backoff::new(u64::try_from(options.reconnect_backoff.as_nanos()).unwrap_or(u64::MAX))
}

struct Shared {
    connection: Box<dyn Connection>,
    options: RedisOptions,
    origin: Instant,
    /// No attempt while it backs off (ns since `origin`).
    backoff: Backoff,
    on_degraded: Option<DegradedHook>,
}

impl std::fmt::Debug for AsyncRedisClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncRedisClient")
            .field("options", &self.shared.options)
            .finish_non_exhaustive()
    }
}

impl AsyncRedisClient {
    /// A client for `url` with default options; nothing is connected until the first check.
    ///
    /// # Errors
    /// [`RedisError::BadOptions`] for a malformed URL.
    pub fn open(url: &str) -> Result<Self, RedisError> {
        Self::with_options(url, RedisOptions::default())
    }

    /// A client for `url`: a lazily connected [`ConnectionManager`] with the options'
    /// timeout for connecting and for each reply, reconnecting by itself after an error.
    ///
    /// # Errors
    /// [`RedisError::BadOptions`] for a malformed URL or a zero timeout.
    pub fn with_options(url: &str, options: RedisOptions) -> Result<Self, RedisError> {
        check_options(&options)?;
        let client = super::client::open_client(url)?;
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

    /// A client over the application's own multiplexed connection — a [`ConnectionManager`]
    /// it built (with TLS, credentials or a custom back-off), a cluster connection, or any
    /// [`ConnectionLike`] that clones cheaply onto one shared connection. The options' timeout
    /// and back-off still bound every check.
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
                on_degraded: None,
            }),
        })
    }

    /// The same connection, calling `hook` with the error each time a limiter on this client
    /// answers by its failure policy (see [`RedisClient::on_degraded`](crate::RedisClient::on_degraded)).
    /// Call it before building limiters: they keep the client they were given.
    pub fn on_degraded(self, hook: impl Fn(&RedisError) + Send + Sync + 'static) -> Self {
        let shared = &self.shared;
        Self {
            shared: Arc::new(Shared {
                connection: Box::new(SharedConnection(Arc::clone(&self.shared))),
                backoff: backoff_of(&shared.options),
                options: shared.options,
                origin: Instant::now(),
                on_degraded: Some(Arc::new(hook)),
            }),
        }
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> RedisOptions {
        self.shared.options
    }

    fn now(&self) -> u64 {
        u64::try_from(self.shared.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Runs one script invocation: at once an error while backing off, otherwise the reply
    /// within the timeout. A failure starts the back-off.
    pub(crate) async fn eval(
        &self,
        invocation: ScriptInvocation<'static>,
    ) -> Result<Vec<i64>, RedisError> {
        let now = self.now();
        if let Err(retry_in) = self.shared.backoff.check(now) {
            return Err(RedisError::Connection(format!(
                "unreachable at the last attempt; next attempt in {:?}",
                Duration::from_nanos(retry_in)
            )));
        }
        let reply = tokio::time::timeout(
            self.shared.options.timeout,
            self.shared.connection.eval(invocation),
        )
        .await;
        let result = match reply {
            Err(_) => Err((RedisError::Timeout, true)),
            Ok(Err(e)) => Err(RedisError::from_redis(&e)),
            Ok(Ok(values)) => Ok(values),
        };
        match result {
            Ok(values) => Ok(values),
            Err((error, broken)) => {
                if broken {
                    self.shared.backoff.failed(self.now());
                }
                Err(error)
            }
        }
    }
}

/// Another client's connection, so that [`AsyncRedisClient::on_degraded`] keeps the one
/// connection the application gave.
struct SharedConnection(Arc<Shared>);

impl Connection for SharedConnection {
    fn eval(&self, invocation: ScriptInvocation<'static>) -> Reply {
        self.0.connection.eval(invocation)
    }
}

fn check_options(options: &RedisOptions) -> Result<(), RedisError> {
    if options.timeout.is_zero() {
        return Err(RedisError::BadOptions("zero timeout".into()));
    }
    Ok(())
}

impl RedisTransport for AsyncRedisClient {}

impl transport::Sealed for AsyncRedisClient {
    fn options(&self) -> RedisOptions {
        self.shared.options
    }
    fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
    fn degraded_hook(&self) -> Option<&DegradedHook> {
        self.shared.on_degraded.as_ref()
    }
}
