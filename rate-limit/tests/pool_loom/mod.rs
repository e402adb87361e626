//! Loom models of the Redis clients' back-off and connection pool (`src/backoff.rs`,
//! `src/pool.rs`). This file is the same in every brick that has them; `src/loom_tests.rs`
//! includes it, inside the library, which exports the two under `cfg(loom)`.

use loom::sync::Arc;
use loom::thread;

/// The Redis clients' back-off (the blocking pool's and the async client's, one type).
mod backoff {
    use super::*;
    use crate::Backoff;

    /// Two failures reported in either order by two threads: the back-off lasts until the
    /// later failure's end, never the earlier one's (a plain store would let a slow thread's
    /// late report of an old failure shorten it).
    #[test]
    fn racing_failures_keep_the_later_end() {
        loom::model(|| {
            let backoff = Arc::new(Backoff::new(100));
            let other = Arc::clone(&backoff);
            let t = thread::spawn(move || other.failed(50));
            backoff.failed(10);
            t.join().unwrap();
            assert_eq!(backoff.check(60), Err(90));
            assert_eq!(backoff.check(150), Ok(()));
        });
    }

    /// A check racing a failure either sees no back-off or the whole of it, never a torn or
    /// partial value; after the failure is known (joined), every check backs off.
    #[test]
    fn a_check_sees_all_or_nothing_of_a_racing_failure() {
        loom::model(|| {
            let backoff = Arc::new(Backoff::new(100));
            let other = Arc::clone(&backoff);
            let t = thread::spawn(move || other.check(20));
            backoff.failed(10);
            let seen = t.join().unwrap();
            assert!(seen == Ok(()) || seen == Err(90), "{seen:?}");
            assert_eq!(backoff.check(20), Err(90));
        });
    }
}

/// The Redis backend's connection pool, with a fake connection: what it promises does not
/// depend on the network.
mod pool {
    use super::*;
    use crate::{Connector, Pool, PoolError};
    use loom::sync::atomic::{AtomicUsize, Ordering};

    /// Counts connects; fails them all when `fail`.
    struct Fake {
        connects: AtomicUsize,
        fail: bool,
    }

    /// A connection that remembers whether a command broke it.
    struct Conn {
        broken: bool,
    }

    impl Connector for Fake {
        type Conn = Conn;
        type Error = ();
        fn connect(&self) -> Result<Conn, ()> {
            self.connects.fetch_add(1, Ordering::Relaxed);
            if self.fail {
                Err(())
            } else {
                Ok(Conn { broken: false })
            }
        }
    }

    fn pool(slots: usize, fail: bool) -> Arc<Pool<Fake>> {
        let fake = Fake {
            connects: AtomicUsize::new(0),
            fail,
        };
        Arc::new(Pool::new(fake, slots, 1_000))
    }

    /// A command that succeeds, or breaks its connection (asking the pool to drop it).
    fn command(conn: &mut Conn, breaks: bool) -> Result<(), ((), bool)> {
        assert!(!conn.broken, "a broken connection was used again");
        if breaks {
            conn.broken = true;
            return Err(((), true));
        }
        Ok(())
    }

    /// Two checks at the same instant against a dead server through one slot: one connect is
    /// tried, and the other check backs off instead of trying (and waiting) again.
    #[test]
    fn a_failed_connect_makes_the_next_check_back_off() {
        loom::model(|| {
            let pool = pool(1, true);
            let other = Arc::clone(&pool);
            let t = thread::spawn(move || other.run(10, |c| command(c, false)));
            let mine = pool.run(10, |c| command(c, false));
            let theirs = t.join().unwrap();
            assert_eq!(pool.connector().connects.load(Ordering::Relaxed), 1);
            let outcomes = [mine, theirs];
            assert!(outcomes.contains(&Err(PoolError::Connect(()))));
            assert!(outcomes.contains(&Err(PoolError::BackingOff { retry_in: 1_000 })));
        });
    }

    /// Two concurrent checks on a two-slot pool take one slot each: two connections.
    #[test]
    fn concurrent_checks_spread_over_the_slots() {
        loom::model(|| {
            let pool = pool(2, false);
            let other = Arc::clone(&pool);
            let t = thread::spawn(move || other.run(0, |c| command(c, false)));
            pool.run(0, |c| command(c, false)).unwrap();
            t.join().unwrap().unwrap();
            assert_eq!(pool.connector().connects.load(Ordering::Relaxed), 2);
        });
    }

    /// A command that breaks its connection drops it, in any interleaving with a check that
    /// succeeds: no later check uses it (the assertion in `command`), and the slot reconnects.
    #[test]
    fn a_broken_connection_is_never_reused() {
        loom::model(|| {
            let pool = pool(1, false);
            let other = Arc::clone(&pool);
            let t = thread::spawn(move || other.run(0, |c| command(c, true)));
            let mine = pool.run(0, |c| command(c, false));
            let theirs = t.join().unwrap();
            assert_eq!(mine, Ok(()));
            assert_eq!(theirs, Err(PoolError::Command(())));
            pool.run(0, |c| command(c, false)).unwrap();
            let connects = pool.connector().connects.load(Ordering::Relaxed);
            assert_eq!(connects, 2);
        });
    }
}
