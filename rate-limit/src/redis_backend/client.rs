//! [`RedisClient`]: a small pool of connections to one Redis, with timeouts, automatic
//! reconnection and a back-off while the server is down.

use std::time::{Duration, Instant};

use super::RedisError;
use crate::pool::{Pool, PoolError};
use crate::sync::Arc;

/// How a [`RedisClient`] talks to Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedisOptions {
    /// Connections in the pool. A check holds one for its round trip, so this many checks can
    /// be in flight at once from one process. Default 4.
    pub connections: usize,
    /// Connect, read and write timeout. Short by default (50 ms) because a rate limiter that
    /// waits on a sick Redis stalls every request behind it; the failure policy answers
    /// instead.
    pub timeout: Duration,
    /// After a failed connect, checks skip Redis for this long (the failure policy answers at
    /// once) before a connection is tried again. Default 250 ms.
    pub reconnect_backoff: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            connections: 4,
            timeout: Duration::from_millis(50),
            reconnect_backoff: Duration::from_millis(250),
        }
    }
}

/// A handle on one Redis server: a pool of [`RedisOptions::connections`] connections, opened
/// lazily, each dropped on any I/O error or timeout and reopened by a later check. Cloning
/// shares the pool. Every [`RedisLimiter`](crate::RedisLimiter) built on a client uses its
/// pool.
///
/// ```
/// use brick_rate_limit::{RedisClient, RedisOptions};
/// use std::time::Duration;
///
/// // No I/O yet: connections open on the first check.
/// let client = RedisClient::with_options(
///     "redis://127.0.0.1:6379/",
///     RedisOptions { connections: 8, timeout: Duration::from_millis(20), ..Default::default() },
/// )?;
/// assert!(RedisClient::open("not a url").is_err());
/// # Ok::<(), brick_rate_limit::RedisError>(())
/// ```
#[derive(Clone)]
pub struct RedisClient {
    shared: Arc<Shared>,
}

struct Shared {
    pool: Pool<Connector>,
    origin: Instant,
    options: RedisOptions,
    on_degraded: Option<DegradedHook>,
}

/// A callback told of every decision the failure policy made because Redis could not (see
/// [`RedisClient::on_degraded`]).
pub(crate) type DegradedHook = Arc<dyn Fn(&RedisError) + Send + Sync>;

/// How a limiter reaches Redis: the blocking [`RedisClient`], or the `AsyncRedisClient` of
/// feature `tokio`. Sealed; it fixes which of `check` and `check_async` a limiter has.
pub trait RedisTransport: Clone + Send + Sync + 'static + transport::Sealed {}

pub(crate) mod transport {
    use super::{DegradedHook, RedisOptions};

    #[allow(unreachable_pub)] // public in a private module: nameable by nobody outside
    pub trait Sealed {
        /// The options (the fallback's back-off is reported as `retry_after`).
        fn options(&self) -> RedisOptions;
        /// Whether two handles share one connection state (a hierarchy needs one).
        fn same(&self, other: &Self) -> bool;
        /// The hook told of degraded decisions.
        fn degraded_hook(&self) -> Option<&DegradedHook>;
    }
}

impl RedisTransport for RedisClient {}

impl transport::Sealed for RedisClient {
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

/// A pooled connection: to one server, or (feature `cluster`) to a Redis Cluster, which routes
/// each script to its keys' slot and follows `MOVED` and `ASK` redirections.
type Conn = Box<dyn redis::ConnectionLike + Send>;

/// Opens connections with the client's timeouts.
#[derive(Clone)]
enum Connector {
    Single {
        client: redis::Client,
        timeout: Duration,
    },
    #[cfg(feature = "cluster")]
    Cluster(redis::cluster::ClusterClient),
}

impl crate::pool::Connector for Connector {
    type Conn = Conn;
    type Error = redis::RedisError;

    fn connect(&self) -> redis::RedisResult<Conn> {
        match self {
            Connector::Single { client, timeout } => {
                let con = client.get_connection_with_timeout(*timeout)?;
                con.set_read_timeout(Some(*timeout))?;
                con.set_write_timeout(Some(*timeout))?;
                Ok(Box::new(con))
            }
            #[cfg(feature = "cluster")]
            Connector::Cluster(client) => Ok(Box::new(client.get_connection()?)),
        }
    }
}

impl std::fmt::Debug for RedisClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("RedisClient");
        match self.shared.pool.connector() {
            Connector::Single { client, .. } => {
                d.field("server", client.get_connection_info().addr())
            }
            #[cfg(feature = "cluster")]
            Connector::Cluster(_) => d.field("server", &"a Redis Cluster"),
        };
        d.field("options", &self.shared.options).finish()
    }
}

impl RedisClient {
    /// A client for `url` (`redis://[user:password@]host[:port][/db]`) with default options.
    ///
    /// # Errors
    /// [`RedisError::BadOptions`] for a malformed URL. Nothing is connected yet.
    pub fn open(url: &str) -> Result<Self, RedisError> {
        Self::with_options(url, RedisOptions::default())
    }

    /// A client for `url` with the given options.
    ///
    /// # Errors
    /// [`RedisError::BadOptions`] for a malformed URL, zero connections or a zero timeout.
    pub fn with_options(url: &str, options: RedisOptions) -> Result<Self, RedisError> {
        check_options(&options)?;
        let client = open_client(url)?;
        let connector = Connector::Single {
            client,
            timeout: options.timeout,
        };
        Ok(Self::from_connector(connector, options))
    }

    /// A client for a Redis Cluster reached through `nodes` (any of its masters; the client
    /// learns the rest), with the given options (feature `cluster`). Each pooled connection is
    /// the `redis` crate's cluster connection: a check goes to the master of its keys' slot,
    /// and `MOVED` / `ASK` redirections during a resharding are followed (the `redis` crate's
    /// retries), so a check costs one more round trip while its slot moves, and nothing else.
    /// Every limiter key is its own hash tag, so a hierarchy's keys need one shared tag (see
    /// the crate docs' Redis Cluster paragraph).
    ///
    /// # Errors
    /// [`RedisError::BadOptions`] for no nodes, a malformed URL, zero connections or a zero
    /// timeout. Nothing is connected yet.
    #[cfg(feature = "cluster")]
    pub fn cluster(nodes: &[&str], options: RedisOptions) -> Result<Self, RedisError> {
        check_options(&options)?;
        if nodes.is_empty() {
            return Err(RedisError::BadOptions("no cluster nodes".into()));
        }
        let client = redis::cluster::ClusterClient::builder(nodes.iter().copied())
            .connection_timeout(options.timeout)
            .response_timeout(options.timeout)
            .build()
            .map_err(|e| RedisError::BadOptions(format!("{nodes:?}: {e}")))?;
        Ok(Self::from_connector(Connector::Cluster(client), options))
    }

    fn from_connector(connector: Connector, options: RedisOptions) -> Self {
        let backoff = u64::try_from(options.reconnect_backoff.as_nanos()).unwrap_or(u64::MAX);
        Self {
            shared: Arc::new(Shared {
                pool: Pool::new(connector, options.connections, backoff),
                origin: Instant::now(),
                options,
                on_degraded: None,
            }),
        }
    }

    /// The same client, calling `hook` with the error each time a limiter on it answers by its
    /// [`FailurePolicy`](crate::FailurePolicy) because Redis could not (so a fail-open outage
    /// is never silent): count it, log it, page someone. The hook runs on the checking thread,
    /// after the decision is made; keep it short.
    ///
    /// Call it before building limiters: they keep the client they were given.
    pub fn on_degraded(self, hook: impl Fn(&RedisError) + Send + Sync + 'static) -> Self {
        let old = &self.shared;
        // A pool of its own (opened lazily, like every pool): the hook belongs to this client.
        let mut client = Self::from_connector(old.pool.connector().clone(), old.options);
        if let Some(shared) = Arc::get_mut(&mut client.shared) {
            shared.on_degraded = Some(Arc::new(hook));
        }
        client
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> RedisOptions {
        self.shared.options
    }

    /// Sends `PING` on one of the pool's connections.
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn ping(&self) -> Result<(), RedisError> {
        self.run(|con| redis::cmd("PING").query::<String>(con).map(drop))
    }

    /// Runs `f` on a pooled connection, connecting first if the slot has none.
    pub(crate) fn run<T>(
        &self,
        f: impl FnOnce(&mut dyn redis::ConnectionLike) -> redis::RedisResult<T>,
    ) -> Result<T, RedisError> {
        let now = u64::try_from(self.shared.origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let result = self.shared.pool.run(now, |con| {
            f(con.as_mut()).map_err(|e| RedisError::from_redis(&e))
        });
        result.map_err(|e| match e {
            PoolError::Command(e) => e,
            PoolError::Connect(e) => RedisError::from_redis(&e).0,
            PoolError::BackingOff { retry_in } => RedisError::Connection(format!(
                "unreachable at the last attempt; next attempt in {:?}",
                Duration::from_nanos(retry_in)
            )),
        })
    }
}

/// Refuses options no client can work with.
fn check_options(options: &RedisOptions) -> Result<(), RedisError> {
    if options.connections == 0 {
        return Err(RedisError::BadOptions("zero connections".into()));
    }
    if options.timeout.is_zero() {
        return Err(RedisError::BadOptions("zero timeout".into()));
    }
    Ok(())
}

/// The `redis` crate's client for `url`, with Nagle's algorithm off: a check is one small write
/// waiting for its answer.
pub(crate) fn open_client(url: &str) -> Result<redis::Client, RedisError> {
    let bad_url = |e: redis::RedisError| RedisError::BadOptions(format!("{url:?}: {e}"));
    let info = redis::IntoConnectionInfo::into_connection_info(url).map_err(bad_url)?;
    let tcp = info.tcp_settings().clone().set_nodelay(true);
    redis::Client::open(info.set_tcp_settings(tcp)).map_err(bad_url)
}
