//! A small connection pool: a fixed number of slots, each a mutex over an optional
//! connection, chosen round-robin; a connection is opened lazily, dropped when a command says
//! so, and after a failed connect no slot tries again until a back-off has passed.
//!
//! Generic over the [`Connector`] so that the loom model (`src/loom_tests.rs`) can run it with a
//! fake connection; the Redis backend is its only user otherwise.
// `pub` so that `--cfg loom` can re-export it to the loom test; crate-private otherwise.
#![cfg_attr(not(loom), allow(unreachable_pub))]

use crate::backoff::Backoff;
use crate::sync::{AtomicU64, Mutex, Ordering};

/// Opens connections.
pub trait Connector: Send + Sync {
    /// A connection.
    type Conn: Send;
    /// Why a connect failed.
    type Error;
    /// Opens one connection.
    ///
    /// # Errors
    /// Whatever stopped it.
    fn connect(&self) -> Result<Self::Conn, Self::Error>;
}

/// Why [`Pool::run`] failed.
#[derive(Debug, PartialEq, Eq)]
pub enum PoolError<E, C> {
    /// The command failed (and the connection was dropped if it said so).
    Command(E),
    /// Connecting failed just now.
    Connect(C),
    /// A connect failed recently; none is tried until `retry_in` nanoseconds have passed.
    BackingOff {
        /// Nanoseconds until the next connect may be tried.
        retry_in: u64,
    },
}

/// The pool.
pub struct Pool<C: Connector> {
    connector: C,
    slots: Box<[Mutex<Option<C::Conn>>]>,
    next: AtomicU64,
    /// No connect while it backs off (ns, on the caller's clock).
    backoff: Backoff,
}

impl<C: Connector> std::fmt::Debug for Pool<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("slots", &self.slots.len())
            .field("backoff", &self.backoff)
            .finish()
    }
}

impl<C: Connector> Pool<C> {
    /// `slots` connections at most (at least 1), and `backoff` ns between failed connects.
    pub fn new(connector: C, slots: usize, backoff: u64) -> Self {
        Self {
            connector,
            slots: (0..slots.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicU64::new(0),
            backoff: Backoff::new(backoff),
        }
    }

    /// The connector.
    pub fn connector(&self) -> &C {
        &self.connector
    }

    /// Runs `command` on one slot's connection, opening it first if the slot has none, at
    /// time `now` (ns). The command answers `Err((error, drop_connection))` on failure.
    ///
    /// # Errors
    /// [`PoolError`]: the command's error, the connect's, or a back-off in progress.
    pub fn run<T, E>(
        &self,
        now: u64,
        command: impl FnOnce(&mut C::Conn) -> Result<T, (E, bool)>,
    ) -> Result<T, PoolError<E, C::Error>> {
        // Round-robin: checks from many threads spread over the connections.
        let i = (self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len() as u64) as usize;
        let mut slot = self.slots[i].lock();
        let mut conn = match slot.take() {
            Some(conn) => conn,
            None => {
                if let Err(retry_in) = self.backoff.check(now) {
                    return Err(PoolError::BackingOff { retry_in });
                }
                match self.connector.connect() {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Recorded before the slot's lock is released, so the next holder of
                        // this slot sees it; other slots see it soon after (relaxed).
                        self.backoff.failed(now);
                        return Err(PoolError::Connect(e));
                    }
                }
            }
        };
        match command(&mut conn) {
            Ok(value) => {
                *slot = Some(conn);
                Ok(value)
            }
            Err((e, drop_connection)) => {
                if !drop_connection {
                    *slot = Some(conn);
                }
                Err(PoolError::Command(e))
            }
        }
    }
}
