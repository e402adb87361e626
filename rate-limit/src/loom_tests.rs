//! loom models: every interleaving of two threads racing on one limiter.
//!
//! Run: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=2
//! cargo test --release -p brick-rate-limit --lib loom_tests`.
#![cfg(all(test, loom))]

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

// The Redis clients' back-off and pool: the same models in every brick that has the pool.
#[path = "../tests/pool_loom/mod.rs"]
mod pool_loom;
