//! Bad input: extreme limits, windows, bursts, costs and clock values. No limiter panics (in
//! debug builds too), none over-admits through an overflow, `check_n(0)` is a no-op answered
//! from the current state, and the headers saturate.

use brick_rate_limit::{
    Algorithm, Decision, Error, FixedWindow, Gcra, LeakyBucket, LeakyQueue, Limiter, ManualClock,
    RateLimiter, SlidingLog, SlidingWindowCounter, TokenBucket,
};
use proptest::prelude::*;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);

fn allowed_of<R: RateLimiter + ?Sized>(limiter: &R, checks: usize) -> usize {
    (0..checks).filter(|_| limiter.check().allowed).count()
}

/// The configurations the probes found: each either a typed error or a limiter that admits
/// no more than its burst at one instant.
#[test]
fn gcra_configurations_past_u64_nanoseconds_are_refused() {
    assert_eq!(Gcra::with_burst(1, DAY, 1_000_000), Err(Error::TooLong));
    assert_eq!(
        Gcra::with_burst(1, Duration::from_nanos(1 << 63), 2),
        Err(Error::TooLong)
    );
    assert_eq!(LeakyBucket::new(1_000_000, 1, DAY), Err(Error::TooLong));
    assert_eq!(LeakyQueue::new(1_000_000, 1, DAY), Err(Error::TooLong));
    // The largest horizon that fits: one unit per u64::MAX ns passes once, then never again
    // within the clock's range.
    let clock = ManualClock::new();
    let limiter = Limiter::new(
        Gcra::new(1, Duration::from_nanos(u64::MAX)).unwrap(),
        clock.clone(),
    );
    assert_eq!(allowed_of(&limiter, 100), 1);
    let denied = limiter.check();
    assert!(!denied.allowed);
    assert_eq!(denied.retry_after, Duration::MAX);
}

/// A clock near u64::MAX admitted 100 of a burst of 10: no sum may saturate into a pass.
#[test]
fn a_clock_near_its_end_never_over_admits() {
    for start in [u64::MAX, u64::MAX - 1, u64::MAX - 1_000_000, 1 << 63] {
        let clock = ManualClock::new();
        clock.set_nanos(start);
        let gcra = Limiter::new(
            Gcra::new(10, Duration::from_secs(1)).unwrap(),
            clock.clone(),
        );
        assert!(allowed_of(&gcra, 100) <= 10, "GCRA at {start}");
        let leaky = Limiter::new(
            LeakyQueue::new(10, 10, Duration::from_secs(1)).unwrap(),
            clock.clone(),
        );
        assert!(allowed_of(&leaky, 100) <= 10, "leaky queue at {start}");
        let limiters: Vec<Box<dyn RateLimiter>> = vec![
            Box::new(Limiter::new(
                TokenBucket::new(10, 10, Duration::from_secs(1)).unwrap(),
                clock.clone(),
            )),
            Box::new(Limiter::new(
                FixedWindow::new(10, Duration::from_secs(1)).unwrap(),
                clock.clone(),
            )),
            Box::new(Limiter::new(
                SlidingLog::new(10, Duration::from_secs(1)).unwrap(),
                clock.clone(),
            )),
            Box::new(Limiter::new(
                SlidingWindowCounter::new(10, Duration::from_secs(1)).unwrap(),
                clock.clone(),
            )),
        ];
        for l in &limiters {
            assert!(allowed_of(l.as_ref(), 100) <= 10, "at {start}");
        }
    }
}

/// Windows of 2^63 + 1 ns and more: no panic in debug builds (2·w overflowed) and no more than
/// the limit in the window.
#[test]
fn windows_near_the_end_of_u64_work() {
    for w in [(1u64 << 63) + 1, u64::MAX, u64::MAX - 1] {
        for start in [0, w - 1, u64::MAX - 5] {
            let clock = ManualClock::new();
            clock.set_nanos(start);
            let window = Duration::from_nanos(w);
            let counter =
                Limiter::new(SlidingWindowCounter::new(1, window).unwrap(), clock.clone());
            let fixed = Limiter::new(FixedWindow::new(1, window).unwrap(), clock.clone());
            let log = Limiter::new(SlidingLog::new(1, window).unwrap(), clock.clone());
            for l in [&counter as &dyn RateLimiter, &fixed, &log] {
                assert!(allowed_of(l, 50) <= 1);
                let d = l.check();
                let _ = d.headers();
            }
        }
    }
}

/// `Retry-After` of an unbounded wait rounded up around to 0, telling clients to retry at once.
#[test]
fn headers_saturate_at_the_extremes() {
    for (retry, expected) in [
        (Duration::MAX, u64::MAX),
        (Duration::from_secs(u64::MAX), u64::MAX),
        (Duration::from_nanos(1), 1),
        (Duration::ZERO, 0),
        (Duration::from_millis(1_001), 2),
    ] {
        let d = Decision {
            allowed: false,
            limit: u64::MAX,
            window: Duration::MAX,
            remaining: 0,
            reset_after: Duration::MAX,
            retry_after: retry,
            wait: Duration::ZERO,
        };
        let headers = d.headers();
        let value = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            value("Retry-After"),
            Some(expected.to_string()),
            "{retry:?}"
        );
        assert_eq!(value("X-RateLimit-Reset"), Some(u64::MAX.to_string()));
    }
}

/// Every limiter, twice: one also answers 10^4 zero-unit checks between its real ones. The
/// real decisions are identical, every zero-unit check is allowed, and the sliding log holds
/// no more entries than its limit.
#[test]
fn zero_units_are_a_no_op_for_every_limiter() {
    fn twins<A: Algorithm + Clone>(algorithm: A) {
        let clock = ManualClock::new();
        let plain = Limiter::new(algorithm.clone(), clock.clone());
        let asked = Limiter::new(algorithm, clock.clone());
        for step in 0..200u64 {
            for _ in 0..50 {
                let zero = asked.check_n(0).unwrap();
                assert!(zero.allowed);
            }
            let n = (step % 3) as u32 + 1;
            assert_eq!(plain.check_n(n), asked.check_n(n), "step {step}");
            clock.advance(Duration::from_millis(7 * (step % 5)));
        }
    }
    let w = Duration::from_secs(1);
    twins(Gcra::new(10, w).unwrap());
    twins(LeakyBucket::new(10, 10, w).unwrap());
    twins(LeakyQueue::new(10, 10, w).unwrap());
    twins(TokenBucket::new(10, 10, w).unwrap());
    twins(FixedWindow::new(10, w).unwrap());
    twins(SlidingWindowCounter::new(10, w).unwrap());
    twins(SlidingLog::new(10, w).unwrap());
    let log = Limiter::new(SlidingLog::new(10, w).unwrap(), ManualClock::new());
    for _ in 0..100_000 {
        let _ = log.check_n(0);
    }
    assert!(log.check().allowed);
    assert!(log.state().entries() <= 10, "{}", log.state().entries());
}

/// GCRA exactly, in u128: a request of n passes iff max(TAT, now) + n·T ≤ now + burst·T and
/// the new TAT is a u64.
struct Model {
    t: u128,
    horizon: u128,
    tat: u128,
}

impl Model {
    fn check(&mut self, now: u64, n: u32) -> bool {
        let base = self.tat.max(u128::from(now));
        let new = base + u128::from(n) * self.t;
        let ok = n == 0 || (new <= u128::from(now) + self.horizon && new <= u128::from(u64::MAX));
        if ok && n > 0 {
            self.tat = new;
        }
        ok
    }
}

fn extreme_u32() -> impl Strategy<Value = u32> {
    prop_oneof![Just(1u32), Just(2), Just(u32::MAX), 1u32..20, any::<u32>()]
}

fn extreme_nanos() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(1u64),
        Just(u64::MAX),
        Just(1 << 63),
        Just((1 << 63) + 1),
        1u64..1_000_000_000,
        any::<u64>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// GCRA and both leaky variants against the u128 model, from any clock start with any
    /// steps (clock jumps included), for any limit, window and burst.
    #[test]
    fn gcra_matches_its_u128_model(limit in extreme_u32(), window in extreme_nanos(), burst in extreme_u32(), start in extreme_nanos(), steps in prop::collection::vec((prop_oneof![Just(0u64), 0u64..1_000_000, extreme_nanos()], 0u32..30), 1..40)) {
        let window = Duration::from_nanos(window);
        let Ok(gcra) = Gcra::with_burst(limit, window, burst) else {
            // Refused: T < 1 ns, or burst·T past u64.
            let t = window.as_nanos() / u128::from(limit);
            prop_assert!(t == 0 || t * u128::from(burst) > u128::from(u64::MAX));
            return Ok(());
        };
        let t = window.as_nanos() / u128::from(limit);
        let clock = ManualClock::new();
        clock.set_nanos(start);
        let limiter = Limiter::new(gcra, clock.clone());
        let queue = Limiter::new(LeakyQueue::new(burst, limit, window).unwrap(), clock.clone());
        let mut model = Model { t, horizon: t * u128::from(burst), tat: u128::from(start) };
        let mut queue_model = Model { t, horizon: t * u128::from(burst), tat: u128::from(start) };
        for (step, n) in steps {
            clock.advance_nanos(step);
            match limiter.check_n(n) {
                Ok(d) => {
                    let now = clock_now(&clock);
                    prop_assert_eq!(d.allowed, model.check(now, n), "n {} at {}", n, now);
                    let _ = d.headers();
                }
                Err(e) => prop_assert!(u64::from(n) > u64::from(burst) && e.capacity == u64::from(burst)),
            }
            if let Ok(d) = queue.check_n(n) {
                prop_assert_eq!(d.allowed, queue_model.check(clock_now(&clock), n));
            }
        }
    }

    /// The others: from any clock start, in any stretch of one window, no limiter admits more
    /// than its bound (sliding log: the limit; sliding window counter and fixed window: twice
    /// the limit; token bucket: capacity plus what one window refills), and none panics.
    #[test]
    fn window_limiters_stay_within_their_bounds(limit in 1u32..20, window in prop_oneof![1u64..10_000, extreme_nanos()], start in extreme_nanos(), steps in prop::collection::vec((0u64..3_000, 0u32..4), 1..120)) {
        let w = Duration::from_nanos(window);
        let clock = ManualClock::new();
        clock.set_nanos(start);
        let mut all: Vec<(Box<dyn RateLimiter>, u64)> = Vec::new();
        if let Ok(a) = SlidingLog::new(limit, w) {
            all.push((Box::new(Limiter::new(a, clock.clone())), u64::from(limit)));
        }
        if let Ok(a) = SlidingWindowCounter::new(limit, w) {
            all.push((Box::new(Limiter::new(a, clock.clone())), 2 * u64::from(limit)));
        }
        if let Ok(a) = FixedWindow::new(limit, w) {
            all.push((Box::new(Limiter::new(a, clock.clone())), 2 * u64::from(limit)));
        }
        if let Ok(a) = TokenBucket::new(limit, limit, w) {
            all.push((Box::new(Limiter::new(a, clock.clone())), 2 * u64::from(limit)));
        }
        let mut admitted: Vec<Vec<(u64, u64)>> = vec![Vec::new(); all.len()];
        for (step, n) in steps {
            clock.advance_nanos(step);
            let now = clock_now(&clock);
            for (i, (l, _)) in all.iter().enumerate() {
                if let Ok(d) = l.check_n(n)
                    && d.allowed && n > 0 {
                        admitted[i].push((now, u64::from(n)));
                    }
            }
        }
        for (i, (_, bound)) in all.iter().enumerate() {
            let log = &admitted[i];
            for (j, &(t0, _)) in log.iter().enumerate() {
                // Units admitted in [t0, t0 + w).
                let end = u128::from(t0) + u128::from(window);
                let sum: u64 = log[j..].iter().take_while(|(t, _)| u128::from(*t) < end).map(|(_, n)| n).sum();
                prop_assert!(sum <= *bound, "limiter {}: {} units in one window, bound {}", i, sum, bound);
            }
        }
    }
}

fn clock_now(clock: &ManualClock) -> u64 {
    use brick_rate_limit::Clock;
    clock.now_nanos()
}
