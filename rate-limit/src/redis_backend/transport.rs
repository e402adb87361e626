//! What a limiter needs of its client beyond the shared Redis client files: the
//! [`RedisTransport`] trait that fixes whether a limiter checks blocking or async, and the
//! `on_degraded` hook each client carries in its [`ClientExtra`].

#[cfg(feature = "tokio")]
use super::AsyncRedisClient;
use super::{RedisClient, RedisError, RedisOptions};
use crate::sync::Arc;

/// A callback told of every decision the failure policy made because Redis could not (see
/// [`RedisClient::on_degraded`]).
pub(crate) type DegradedHook = Arc<dyn Fn(&RedisError) + Send + Sync>;

/// What a rate limiter keeps beside a client's connections.
#[derive(Default)]
pub(crate) struct ClientExtra {
    on_degraded: Option<DegradedHook>,
}

/// How a limiter reaches Redis: the blocking [`RedisClient`], or the `AsyncRedisClient` of
/// feature `tokio`. Sealed; it fixes which of `check` and `check_async` a limiter has.
pub trait RedisTransport: Clone + Send + Sync + 'static + sealed::Sealed {}

pub(crate) mod sealed {
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

/// Both clients implement the trait through the same calls of the shared client files.
macro_rules! transport {
    ($client:ty) => {
        impl RedisTransport for $client {}

        impl sealed::Sealed for $client {
            fn options(&self) -> RedisOptions {
                <$client>::options(self)
            }
            fn same(&self, other: &Self) -> bool {
                <$client>::same(self, other)
            }
            fn degraded_hook(&self) -> Option<&DegradedHook> {
                self.extra().on_degraded.as_ref()
            }
        }
    };
}

transport!(RedisClient);
#[cfg(feature = "tokio")]
transport!(AsyncRedisClient);

impl RedisClient {
    /// The same client, calling `hook` with the error each time a limiter on it answers by its
    /// [`FailurePolicy`](crate::FailurePolicy) because Redis could not (so a fail-open outage
    /// is never silent): count it, log it, page someone. The hook runs on the checking thread,
    /// after the decision is made; keep it short. The new client has a pool of its own.
    ///
    /// Call it before building limiters: they keep the client they were given.
    ///
    /// Computes in **O(1)** time (no I/O).
    #[must_use]
    pub fn on_degraded(self, hook: impl Fn(&RedisError) + Send + Sync + 'static) -> Self {
        self.with_extra(ClientExtra {
            on_degraded: Some(Arc::new(hook)),
        })
    }
}

#[cfg(feature = "tokio")]
impl AsyncRedisClient {
    /// The same connection, calling `hook` with the error each time a limiter on this client
    /// answers by its failure policy (see [`RedisClient::on_degraded`]). Call it before
    /// building limiters: they keep the client they were given.
    ///
    /// Computes in **O(1)** time (no I/O).
    #[must_use]
    pub fn on_degraded(self, hook: impl Fn(&RedisError) + Send + Sync + 'static) -> Self {
        self.with_extra(ClientExtra {
            on_degraded: Some(Arc::new(hook)),
        })
    }
}
