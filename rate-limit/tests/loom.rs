//! loom models (STYLE.md §4): every interleaving of two threads racing on one limiter.
//!
//! Run: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=2
//! cargo test --release -p brick-rate-limit --test loom`.
#![cfg(loom)]

use std::time::Duration;

use brick_rate_limit::{
    Algorithm, FixedWindow, Gcra, KeyedLimiter, LeakyQueue, Limiter, ManualClock, RateLimiter,
    SlidingLog, SlidingWindowCounter, TokenBucket,
};
use loom::sync::Arc;
use loom::thread;

/// Two threads race for the only unit of a limiter whose clock is frozen: exactly one wins.
fn race_for_the_last_unit<A: Algorithm + 'static>(make: fn() -> A) {
    loom::model(move || {
        let limiter = Arc::new(Limiter::new(make(), ManualClock::new()));
        let other = Arc::clone(&limiter);
        let t = thread::spawn(move || other.check().allowed);
        let mine = limiter.check().allowed;
        let theirs = t.join().unwrap();
        assert!(mine ^ theirs, "exactly one of two racing checks passes");
    });
}

const W: Duration = Duration::from_secs(1);

#[test]
fn gcra_last_unit_goes_to_exactly_one() {
    race_for_the_last_unit(|| Gcra::new(1, W).unwrap());
}

#[test]
fn token_bucket_last_unit_goes_to_exactly_one() {
    race_for_the_last_unit(|| TokenBucket::new(1, 1, W).unwrap());
}

#[test]
fn fixed_window_last_unit_goes_to_exactly_one() {
    race_for_the_last_unit(|| FixedWindow::new(1, W).unwrap());
}

#[test]
fn sliding_log_last_unit_goes_to_exactly_one() {
    race_for_the_last_unit(|| SlidingLog::new(1, W).unwrap());
}

#[test]
fn sliding_window_last_unit_goes_to_exactly_one() {
    race_for_the_last_unit(|| SlidingWindowCounter::new(1, W).unwrap());
}

#[test]
fn leaky_queue_last_slot_goes_to_exactly_one() {
    race_for_the_last_unit(|| LeakyQueue::new(1, 1, W).unwrap());
}

/// GCRA's compare-and-swap never admits more than the burst: two threads check twice each
/// against a burst of 3, and exactly 3 pass (a load-then-store update admits 4).
#[test]
fn gcra_never_admits_more_than_its_burst() {
    loom::model(|| {
        let limiter = Arc::new(Limiter::new(Gcra::new(3, W).unwrap(), ManualClock::new()));
        let other = Arc::clone(&limiter);
        let t = thread::spawn(move || {
            u32::from(other.check().allowed) + u32::from(other.check().allowed)
        });
        let mine = u32::from(limiter.check().allowed) + u32::from(limiter.check().allowed);
        assert_eq!(mine + t.join().unwrap(), 3);
    });
}

/// Two threads meet a new key at once: one state is created, and of its single unit exactly
/// one thread gets it.
#[test]
fn keyed_creation_race_creates_one_limiter() {
    loom::model(|| {
        let keyed = Arc::new(KeyedLimiter::new(
            Gcra::new(1, W).unwrap(),
            ManualClock::new(),
        ));
        let other = Arc::clone(&keyed);
        let t = thread::spawn(move || other.check(&7u8).allowed);
        let mine = keyed.check(&7u8).allowed;
        assert!(mine ^ t.join().unwrap());
        assert_eq!(keyed.len(), 1);
    });
}

/// A hierarchy racing another on a shared global limit of 1: thread A's own limit is spent, so
/// A is denied and must give back the global unit it took on the way; thread B may be denied
/// only while A holds that unit. Afterwards the global limit is spent exactly when B passed.
#[test]
fn hierarchy_denial_returns_what_it_took() {
    use brick_rate_limit::Hierarchy;
    loom::model(|| {
        let clock = ManualClock::new();
        let global = Arc::new(Limiter::new(Gcra::new(1, W).unwrap(), clock.clone()));
        let user_a = Limiter::new(Gcra::new(1, W).unwrap(), clock.clone());
        assert!(user_a.check().allowed); // A's own quota is spent before the race
        let g = Arc::clone(&global);
        let b = thread::spawn(move || {
            let user_b = Limiter::new(Gcra::new(1, W).unwrap(), ManualClock::new());
            Hierarchy::new(vec![&*g as &dyn RateLimiter, &user_b])
                .check()
                .allowed
        });
        let a = Hierarchy::new(vec![&*global as &dyn RateLimiter, &user_a])
            .check()
            .allowed;
        let b = b.join().unwrap();
        assert!(!a);
        assert_eq!(
            global.check().allowed,
            !b,
            "the global unit is free unless B holds it"
        );
    });
}

/// The Redis clients' back-off (the blocking pool's and the async client's, one type).
mod backoff {
    use super::*;
    use brick_rate_limit::Backoff;

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
    use brick_rate_limit::{Connector, Pool, PoolError};
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
