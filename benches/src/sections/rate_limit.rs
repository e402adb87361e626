//! brick-rate-limit against governor (direct and keyed).

use crate::chart::{Chart, Series};
use crate::inputs::Rng;
use crate::{Ctx, Lane, Record, Section, race};
use brick_rate_limit::{
    Algorithm, FixedWindow, Gcra, KeyedLimiter, LeakyBucket, LeakyQueue, Limiter, ManualClock,
    QuantaClock, RateLimiter, SlidingLog, SlidingWindowCounter, SystemClock, TokenBucket,
};
use governor::Quota;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::Duration;

const BRICK: &str = "rate-limit";
/// The quota every limiter gets in the speed runs: a million per second, so a tight loop of
/// checks sees both grants and denials.
pub const PER_SECOND: u32 = 1_000_000;

/// governor's quota for [`PER_SECOND`].
pub fn governor_quota() -> Quota {
    Quota::per_second(NonZeroU32::new(PER_SECOND).expect("nonzero"))
}

/// Our GCRA for [`PER_SECOND`].
pub fn gcra() -> Gcra {
    Gcra::new(PER_SECOND, Duration::from_secs(1)).expect("valid")
}

/// One pass of `n` calls of `check`, for the alternating timer: the loop is monomorphic (the
/// check inlined), only the pass is called through `dyn`.
fn checks<'a>(n: u64, check: impl Fn() -> bool + 'a) -> Box<dyn FnMut() + 'a> {
    Box::new(move || {
        for _ in 0..n {
            black_box(check());
        }
    })
}

/// One pass of two threads each calling `check` `n` times on one shared limiter: timed as wall
/// time over all 2n checks, so perfect scaling would halve the single-threaded figure.
fn contended<'a>(n: u64, check: impl Fn() -> bool + Sync + 'a) -> Box<dyn FnMut() + 'a> {
    Box::new(move || {
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    for _ in 0..n {
                        black_box(check());
                    }
                });
            }
        });
    })
}

/// A lane of one timed operation, `op`: `pass` performs `ops` of it.
fn lane<'a>(
    name: &'static str,
    ours: bool,
    op: &'static str,
    ops: u64,
    pass: Box<dyn FnMut() + 'a>,
) -> Lane<'a> {
    Lane {
        name,
        ours,
        ops: vec![(op, ops, pass)],
    }
}

/// Races the one-operation lanes (one pass of each per round) and records each; returns the ns
/// per operation in the lanes' order.
fn alternate(
    ctx: &Ctx,
    mut lanes: Vec<Lane<'_>>,
    record: &mut impl FnMut(&str, bool, &str, f64) -> f64,
) -> Vec<f64> {
    let ns = race(ctx, &mut lanes);
    lanes
        .iter()
        .zip(&ns)
        .map(|(l, t)| record(l.name, l.ours, l.ops[0].0, t[0]))
        .collect()
}

/// (time, units) of a bursty arrival trace: a steady 5 per second with bursts of 40 at 2 s,
/// 2.5 s and 6 s, over 10 s.
fn bursty_trace() -> Vec<u64> {
    let ms = 1_000_000u64;
    let mut t: Vec<u64> = (0..50).map(|i| i * 200 * ms).collect();
    for burst in [2_000, 2_500, 6_000] {
        t.extend((0..40).map(|i| burst * ms + i * ms));
    }
    t.sort_unstable();
    t
}

/// Arrival times of a trace aimed at window boundaries: 20 requests in the last 20 ms of every
/// second, and one every 10 ms throughout, over 10 s. The fixed window's worst case is the limit
/// at the end of one window and again at the start of the next; the sliding window counter's is
/// a previous window bunched at its end.
fn boundary_trace() -> Vec<u64> {
    let ms = 1_000_000u64;
    let mut t: Vec<u64> = (0..1_000).map(|i| i * 10 * ms).collect();
    for second in 1..10u64 {
        t.extend((0..20).map(|i| second * 1_000 * ms - 20 * ms + i * ms));
    }
    t.sort_unstable();
    t
}

/// Arrival times that alternate quiet and busy seconds: in even seconds, 10 requests in the last
/// 10 ms and nothing before; in odd seconds, one every 10 ms. A fixed window admits the 10 at
/// the end of one window and 10 more at the start of the next; a sliding window counter sees
/// the previous window bunched at its end, which its even-spread assumption undercounts.
fn alternating_trace() -> Vec<u64> {
    let ms = 1_000_000u64;
    let mut t = Vec::new();
    for second in 0..10u64 {
        let start = second * 1_000 * ms;
        if second % 2 == 0 {
            t.extend((0..10).map(|i| start + 990 * ms + i * ms));
        } else {
            t.extend((0..100).map(|i| start + i * 10 * ms));
        }
    }
    t
}

/// The most requests `algorithm` (10 per second) admits in any window (t − 1 s, t] over the
/// bursty, boundary and alternating traces.
fn most_in_any_window<A: Algorithm + Clone>(algorithm: A) -> u64 {
    let w = 1_000_000_000u64;
    [bursty_trace(), boundary_trace(), alternating_trace()]
        .iter()
        .map(|trace| {
            let clock = ManualClock::new();
            let limiter = Limiter::new(algorithm.clone(), clock.clone());
            let mut now = 0;
            let mut admitted = Vec::new();
            for &t in trace {
                clock.advance_nanos(t - now);
                now = t;
                if limiter.check().allowed {
                    admitted.push(t);
                }
            }
            // Two pointers: for each admission at t, those in (t − w, t].
            let mut most = 0;
            let mut first = 0;
            for (i, &t) in admitted.iter().enumerate() {
                while admitted[first] + w <= t {
                    first += 1;
                }
                most = most.max(i + 1 - first);
            }
            most as u64
        })
        .max()
        .unwrap_or(0)
}

/// Cumulative admitted requests over the bursty trace for one algorithm (10 per second).
fn admitted_curve<A: Algorithm>(algorithm: A) -> Vec<(f64, f64)> {
    let clock = ManualClock::new();
    let limiter = Limiter::new(algorithm, clock.clone());
    let mut admitted = 0.0;
    let mut now = 0;
    let mut points = vec![(0.0, 0.0)];
    for t in bursty_trace() {
        clock.advance_nanos(t - now);
        now = t;
        if limiter.check().allowed {
            admitted += 1.0;
            points.push((t as f64 / 1e9, admitted));
        }
    }
    points.push((10.0, admitted));
    points
}

/// The report section.
#[derive(Debug)]
pub struct RateLimitSection;

impl Section for RateLimitSection {
    fn brick(&self) -> &'static str {
        BRICK
    }

    fn summary(&self) -> String {
        format!(
            "Every limiter allows {PER_SECOND} per second. `check` is single-threaded calls in a \
             tight loop (both grants and denials), both on the TSC clock (ours: `QuantaClock`; governor: its default, \
             quanta; one more row of ours on `SystemClock`, i.e. `Instant`) and, to compare the algorithms alone, with \
             a manual clock (governor: `FakeRelativeClock`). Our other algorithms are called through \
             `Box<dyn RateLimiter>`, so their rows include a dynamic call. `check contended` is two threads \
             calling one limiter: wall time over all checks. `keyed` checks random keys of 10^5 \
             already present; `memory per key` is the heap growth for 10^5 keys divided by \
             10^5. The `target` rows are the issue's: GCRA ≤ 1.0× governor's direct limiter \
             (single and contended), keyed ≤ 1.0× governor's keyed, with less memory per key. \
             The chart shows the admitted requests over time for every algorithm at 10 per \
             second on one bursty trace."
        )
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let mut out = Vec::new();
        let n: u64 = ctx.mode.pick(20_000, 2_000_000, 5_000_000);
        let params = format!("checks={n} quota={PER_SECOND}/s");
        let mut record = |name: &str, ours: bool, op: &str, ns: f64| {
            out.push(Record::new(BRICK, name, name, ours, op, params.clone()).with_ns(ns));
            ns
        };
        let w = Duration::from_secs(1);

        ctx.step("rate-limit: check");
        let ours = Limiter::new(gcra(), QuantaClock::default());
        let system = Limiter::new(gcra(), SystemClock::default());
        let gov = governor::RateLimiter::direct(governor_quota());
        let others: Vec<(&str, Box<dyn RateLimiter>)> = vec![
            (
                "brick-rate-limit TokenBucket",
                Box::new(Limiter::new(
                    TokenBucket::new(PER_SECOND, PER_SECOND, w).expect("valid"),
                    QuantaClock::default(),
                )),
            ),
            (
                "brick-rate-limit LeakyBucket",
                Box::new(Limiter::new(
                    LeakyBucket::new(PER_SECOND, PER_SECOND, w).expect("valid"),
                    QuantaClock::default(),
                )),
            ),
            (
                "brick-rate-limit LeakyQueue",
                Box::new(Limiter::new(
                    LeakyQueue::new(PER_SECOND, PER_SECOND, w).expect("valid"),
                    QuantaClock::default(),
                )),
            ),
            (
                "brick-rate-limit FixedWindow",
                Box::new(Limiter::new(
                    FixedWindow::new(PER_SECOND, w).expect("valid"),
                    QuantaClock::default(),
                )),
            ),
            (
                "brick-rate-limit SlidingWindowCounter",
                Box::new(Limiter::new(
                    SlidingWindowCounter::new(PER_SECOND, w).expect("valid"),
                    QuantaClock::default(),
                )),
            ),
            (
                "brick-rate-limit SlidingLog (limit 1000/s)",
                Box::new(Limiter::new(
                    SlidingLog::new(1000, w).expect("valid"),
                    QuantaClock::default(),
                )),
            ),
        ];
        let check = |name, ours, pass| lane(name, ours, "check", n, pass);
        let mut lanes = vec![
            check(
                "brick-rate-limit Gcra",
                true,
                checks(n, || ours.check().allowed),
            ),
            check(
                "brick-rate-limit Gcra (SystemClock)",
                true,
                checks(n, || system.check().allowed),
            ),
            check("governor", false, checks(n, || gov.check().is_ok())),
        ];
        for &(name, ref l) in &others {
            lanes.push(check(name, true, checks(n, move || l.check().allowed)));
        }
        let ns = alternate(ctx, lanes, &mut record);
        let (ours_check, gov_check) = (ns[0], ns[2]);

        let manual = Limiter::new(gcra(), ManualClock::new());
        let fake = governor::RateLimiter::direct_with_clock(
            governor_quota(),
            governor::clock::FakeRelativeClock::default(),
        );
        let op = "check (manual clock)";
        alternate(
            ctx,
            vec![
                lane(
                    "brick-rate-limit Gcra",
                    true,
                    op,
                    n,
                    checks(n, || manual.check().allowed),
                ),
                lane("governor", false, op, n, checks(n, || fake.check().is_ok())),
            ],
            &mut record,
        );

        ctx.step("rate-limit: contended");
        let op = "check contended (2 threads)";
        let ns = alternate(
            ctx,
            vec![
                lane(
                    "brick-rate-limit Gcra",
                    true,
                    op,
                    2 * n,
                    contended(n, || ours.check().allowed),
                ),
                lane(
                    "governor",
                    false,
                    op,
                    2 * n,
                    contended(n, || gov.check().is_ok()),
                ),
            ],
            &mut record,
        );
        let (ours_contended, gov_contended) = (ns[0], ns[1]);

        ctx.step("rate-limit: keyed");
        let keys = ctx.mode.pick(1_000u64, 100_000, 100_000);
        let mut rng = Rng::new(5);
        let probes: Vec<u64> = (0..n).map(|_| rng.next_u64() % keys).collect();
        let (ours_keyed, ours_bytes) = ctx.memory.measure(|| {
            let k = KeyedLimiter::new(gcra(), QuantaClock::default());
            (0..keys).for_each(|key| {
                let _warmed = k.check(&key);
            });
            k
        });
        let (gov_keyed, gov_bytes) = ctx.memory.measure(|| {
            let k = governor::RateLimiter::keyed(governor_quota());
            (0..keys).for_each(|key| {
                let _ = k.check_key(&key);
            });
            k
        });
        let ns = alternate(
            ctx,
            vec![
                lane(
                    "brick-rate-limit KeyedLimiter<Gcra>",
                    true,
                    "keyed check",
                    n,
                    Box::new(|| {
                        for k in &probes {
                            black_box(ours_keyed.check(k).allowed);
                        }
                    }),
                ),
                lane(
                    "governor keyed",
                    false,
                    "keyed check",
                    n,
                    Box::new(|| {
                        for k in &probes {
                            black_box(gov_keyed.check_key(k).is_ok());
                        }
                    }),
                ),
            ],
            &mut record,
        );
        let (ours_k, gov_k) = (ns[0], ns[1]);
        let per_key = |b: Option<u64>| b.map_or(f64::NAN, |b| b as f64 / keys as f64);
        let kp = format!("keys={keys}");
        out.push(
            Record::new(
                BRICK,
                "brick-rate-limit KeyedLimiter<Gcra>",
                "brick-rate-limit KeyedLimiter<Gcra>",
                true,
                "memory per key",
                kp.clone(),
            )
            .with_bytes_opt(ours_bytes)
            .with_metric("bytes per key", per_key(ours_bytes), None),
        );
        out.push(
            Record::new(
                BRICK,
                "governor keyed",
                "governor keyed",
                false,
                "memory per key",
                kp.clone(),
            )
            .with_bytes_opt(gov_bytes)
            .with_metric("bytes per key", per_key(gov_bytes), None),
        );

        let target = |op: &str, metric: &str, value: f64| {
            Record::target(BRICK, "brick-rate-limit Gcra", op, params.clone())
                .with_metric(metric, value, Some(1.0))
                .at_most()
        };
        out.push(target(
            "check",
            "ns ratio vs governor",
            ours_check / gov_check,
        ));
        out.push(target(
            "check contended",
            "ns ratio vs governor",
            ours_contended / gov_contended,
        ));
        out.push(target(
            "keyed check",
            "ns ratio vs governor keyed",
            ours_k / gov_k,
        ));
        out.push(target(
            "memory per key",
            "bytes ratio vs governor keyed",
            per_key(ours_bytes) / per_key(gov_bytes),
        ));

        // Admitted over time on one bursty trace, every algorithm at 10 per second.
        let chart = Chart::new(
            format!(
                "Admitted requests over time, 10 per second, bursty arrivals ({} in 10 s; GCRA, \
                 token bucket and queue coincide)",
                bursty_trace().len()
            ),
            "time (s)",
            "requests admitted so far",
        )
        .with(Series::line(
            "arrivals",
            bursty_trace()
                .iter()
                .enumerate()
                .map(|(i, &t)| (t as f64 / 1e9, (i + 1) as f64))
                .collect(),
        ))
        .with(Series::line(
            "Gcra / LeakyBucket (burst 10)",
            admitted_curve(Gcra::new(10, w).expect("valid")),
        ))
        .with(Series::line(
            "TokenBucket (capacity 10)",
            admitted_curve(TokenBucket::new(10, 10, w).expect("valid")),
        ))
        .with(Series::line(
            "LeakyQueue (queue 10)",
            admitted_curve(LeakyQueue::new(10, 10, w).expect("valid")),
        ))
        .with(Series::line(
            "FixedWindow",
            admitted_curve(FixedWindow::new(10, w).expect("valid")),
        ))
        .with(Series::line(
            "SlidingLog",
            admitted_curve(SlidingLog::new(10, w).expect("valid")),
        ))
        .with(Series::line(
            "SlidingWindowCounter",
            admitted_curve(SlidingWindowCounter::new(10, w).expect("valid")),
        ));
        ctx.chart("rate_limit_admitted", &chart);

        // The most admitted in any window of length w, beside each algorithm's bound.
        ctx.step("most admitted in any window");
        let worst = |name: &str, most: u64, bound: u64| {
            Record::new(
                BRICK,
                name,
                "brick-rate-limit",
                true,
                "most_in_window",
                "limit=10/s traces=bursty+boundary+alternating",
            )
            .with_metric("admitted in (t - w, t]", most as f64, Some(bound as f64))
            .at_most()
        };
        out.push(worst(
            "Gcra (burst 10)",
            most_in_any_window(Gcra::new(10, w).expect("valid")),
            20,
        ));
        out.push(worst(
            "TokenBucket (capacity 10)",
            most_in_any_window(TokenBucket::new(10, 10, w).expect("valid")),
            20,
        ));
        out.push(worst(
            "LeakyQueue (queue 10)",
            most_in_any_window(LeakyQueue::new(10, 10, w).expect("valid")),
            20,
        ));
        out.push(worst(
            "FixedWindow",
            most_in_any_window(FixedWindow::new(10, w).expect("valid")),
            20,
        ));
        out.push(worst(
            "SlidingLog",
            most_in_any_window(SlidingLog::new(10, w).expect("valid")),
            10,
        ));
        out.push(worst(
            "SlidingWindowCounter",
            most_in_any_window(SlidingWindowCounter::new(10, w).expect("valid")),
            20,
        ));
        out
    }
}
