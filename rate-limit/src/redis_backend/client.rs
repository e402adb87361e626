//! [`RedisClient`]: a small pool of connections to one Redis (or one Redis Cluster), with
//! timeouts, automatic reconnection and a back-off while the server is down. This file is the
//! same in every brick with a Redis backend (`.ci/shared-files`); what differs between them —
//! the default timeout, and what a brick keeps beside the pool ([`super::ClientExtra`]) — lives
//! in the brick's `redis_backend/mod.rs`.
#![allow(dead_code)] // each brick uses part of the file: see the module docs

use std::time::{Duration, Instant};

use super::RedisError;
use crate::pool::{Pool, PoolError};
use crate::sync::Arc;

/// How a [`RedisClient`] talks to Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedisOptions {
    /// Connections in the pool: a call holds one for its round trip, so this many calls can be
    /// in flight at once from one process. Default 4.
    pub connections: usize,
    /// Connect, read and write timeout. Default [`RedisOptions::DEFAULT_TIMEOUT`].
    pub timeout: Duration,
    /// After a failed connect, calls skip Redis for this long before a connection is tried
    /// again. Default 250 ms.
    pub reconnect_backoff: Duration,
}

impl Default for RedisOptions {
    /// Four connections, a [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT) timeout (the brick's,
    /// and why) and a 250 ms reconnect back-off.
    fn default() -> Self {
        Self {
            connections: 4,
            timeout: Self::DEFAULT_TIMEOUT,
            reconnect_backoff: Duration::from_millis(250),
        }
    }
}

/// A handle on one Redis server or cluster: a pool of [`RedisOptions::connections`]
/// connections, opened lazily, each dropped on any I/O error or timeout and reopened by a later
/// call. Cloning shares the pool.
#[derive(Clone)]
pub struct RedisClient {
    shared: Arc<Shared>,
}

struct Shared {
    pool: Pool<Connector>,
    origin: Instant,
    options: RedisOptions,
    extra: super::ClientExtra,
}

/// A pooled connection: to one server, or (feature `cluster`) to a Redis Cluster, which routes
/// each command to its key's slot and follows `MOVED` and `ASK` redirections.
pub(crate) enum Conn {
    Single(redis::Connection),
    // Boxed: a cluster connection is four times a plain one's size.
    #[cfg(feature = "cluster")]
    Cluster(Box<redis::cluster::ClusterConnection>),
}

impl Conn {
    /// The connection, for one command.
    pub(crate) fn like(&mut self) -> &mut dyn redis::ConnectionLike {
        match self {
            Conn::Single(c) => c,
            #[cfg(feature = "cluster")]
            Conn::Cluster(c) => &mut **c,
        }
    }

    /// Sends `commands` in one pipeline (on a cluster, one after another, each to its key's
    /// master) and returns their replies in order; the first command that failed is the error,
    /// with the server's own error code (a pipeline's error would hide it).
    pub(crate) fn pipeline(
        &mut self,
        commands: Vec<redis::Cmd>,
    ) -> redis::RedisResult<Vec<redis::Value>> {
        if commands.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            Conn::Single(c) => {
                let mut pipe = redis::pipe();
                for cmd in commands {
                    pipe.add_command(cmd);
                }
                first_error(pipe.ignore_errors().query(c)?)
            }
            // The redis crate's cluster pipelines do not follow MOVED and ASK (a resharding
            // fails them until the next slot refresh), its single commands do: a command a
            // round trip. Batches send one command per key they touch.
            #[cfg(feature = "cluster")]
            Conn::Cluster(c) => commands.iter().map(|cmd| cmd.query(&mut **c)).collect(),
        }
    }
}

/// What one call sends: a command, commands pipelined, or a script. The blocking
/// [`RedisClient`] and (feature `tokio`) the async client run the same requests, so every
/// operation is written once.
pub(crate) enum Request {
    /// One command.
    One(redis::Cmd),
    /// Commands in one pipeline (see [`Conn::pipeline`]); the reply is an array of theirs.
    Many(Vec<redis::Cmd>),
    /// A script: `EVALSHA`, and on `NOSCRIPT` a `SCRIPT LOAD` and `EVALSHA` again.
    Script(redis::ScriptInvocation<'static>),
}

/// One operation: what it sends, and how the reply becomes its answer.
pub(crate) struct Op<'a, T> {
    pub(crate) request: Request,
    pub(crate) answer: Box<dyn FnOnce(redis::Value) -> Result<T, RedisError> + Send + 'a>,
}

impl<'a, T> Op<'a, T> {
    pub(crate) fn new(
        request: Request,
        answer: impl FnOnce(redis::Value) -> Result<T, RedisError> + Send + 'a,
    ) -> Self {
        Self {
            request,
            answer: Box::new(answer),
        }
    }
}

/// A reply as `T`, or [`RedisError::Reply`].
pub(crate) fn parse<T: redis::FromRedisValue>(value: redis::Value) -> Result<T, RedisError> {
    redis::from_redis_value(value).map_err(|e| RedisError::Reply(e.to_string()))
}

/// Records `shape` in the metadata key `meta` if it has none (`SET NX`), and checks that the
/// shape recorded there is `shape`: every handle on one prefix must describe the same
/// structure, or they would corrupt each other's state.
pub(crate) fn claim_op(meta: String, shape: String) -> Op<'static, ()> {
    let request = Request::Many(vec![
        redis::cmd("SET").arg(&meta).arg(&shape).arg("NX").clone(),
        redis::cmd("GET").arg(&meta).clone(),
    ]);
    Op::new(request, move |reply| {
        let (_, stored): (redis::Value, String) = parse(reply)?;
        if stored != shape {
            return Err(RedisError::Mismatch(format!(
                "{meta} records {stored:?}; this handle is {shape:?}"
            )));
        }
        Ok(())
    })
}

/// The replies, or the first of them that is an error.
pub(crate) fn first_error(replies: Vec<redis::Value>) -> redis::RedisResult<Vec<redis::Value>> {
    for reply in &replies {
        if let redis::Value::ServerError(e) = reply {
            return Err(e.clone().into());
        }
    }
    Ok(replies)
}

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
                Ok(Conn::Single(con))
            }
            #[cfg(feature = "cluster")]
            Connector::Cluster(client) => Ok(Conn::Cluster(Box::new(client.get_connection()?))),
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
    /// Computes in **O(1)** time: no I/O until the first call.
    ///
    /// # Errors
    /// [`RedisError::BadOptions`] for a malformed URL. Nothing is connected yet.
    pub fn open(url: &str) -> Result<Self, RedisError> {
        Self::with_options(url, RedisOptions::default())
    }

    /// A client for `url` with the given options.
    ///
    /// Computes in **O(1)** time: no I/O until the first call.
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
    /// learns the rest), with the given options (feature `cluster`). A call goes to the master
    /// of its key's slot; `MOVED` / `ASK` redirections during a resharding are followed.
    ///
    /// Computes in **O(nodes)** time: no I/O until the first call.
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
                extra: super::ClientExtra::default(),
            }),
        }
    }

    /// The same server and options with `extra` beside a pool of its own (opened lazily, like
    /// every pool).
    pub(crate) fn with_extra(&self, extra: super::ClientExtra) -> Self {
        let old = &self.shared;
        let mut client = Self::from_connector(old.pool.connector().clone(), old.options);
        if let Some(shared) = Arc::get_mut(&mut client.shared) {
            shared.extra = extra;
        }
        client
    }

    /// What the brick keeps beside the pool.
    pub(crate) fn extra(&self) -> &super::ClientExtra {
        &self.shared.extra
    }

    /// Whether two handles share one pool.
    pub(crate) fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Whether the client talks to a Redis Cluster.
    pub(crate) fn is_cluster(&self) -> bool {
        !matches!(self.shared.pool.connector(), Connector::Single { .. })
    }

    /// The options.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn options(&self) -> RedisOptions {
        self.shared.options
    }

    /// Sends `PING` on one of the pool's connections.
    ///
    /// One round trip (and a connect, if the slot had no connection).
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn ping(&self) -> Result<(), RedisError> {
        self.run(|con| redis::cmd("PING").query::<String>(con.like()).map(drop))
    }

    /// Sends `request` on a pooled connection and returns the reply.
    pub(crate) fn exec(&self, request: Request) -> Result<redis::Value, RedisError> {
        self.run(|con| match request {
            Request::One(cmd) => cmd.query(con.like()),
            Request::Many(commands) => con.pipeline(commands).map(redis::Value::Array),
            Request::Script(invocation) => invocation.invoke(con.like()),
        })
    }

    /// Runs `f` on a pooled connection, connecting first if the slot has none.
    pub(crate) fn run<T>(
        &self,
        f: impl FnOnce(&mut Conn) -> redis::RedisResult<T>,
    ) -> Result<T, RedisError> {
        let now = u64::try_from(self.shared.origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let result = self
            .shared
            .pool
            .run(now, |con| f(con).map_err(|e| RedisError::from_redis(&e)));
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

/// The `redis` crate's client for `url`, with Nagle's algorithm off: a call is one small write
/// waiting for its answer.
pub(crate) fn open_client(url: &str) -> Result<redis::Client, RedisError> {
    let bad_url = |e: redis::RedisError| RedisError::BadOptions(format!("{url:?}: {e}"));
    let info = redis::IntoConnectionInfo::into_connection_info(url).map_err(bad_url)?;
    let tcp = info.tcp_settings().clone().set_nodelay(true);
    redis::Client::open(info.set_tcp_settings(tcp)).map_err(bad_url)
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
