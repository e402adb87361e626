//! brick-count-min against count-min-sketch, streaming_algorithms and Apache DataSketches
//! (CountMin and the frequent-items sketch).

use crate::chart::{Chart, Series};
use crate::sections::lru::zipf_keys;
use crate::{Ctx, Record, Section};
use std::hint::black_box;

/// ε and δ of the comparison (the issue's).
pub const EPSILON: f64 = 0.001;
/// See [`EPSILON`].
pub const DELTA: f64 = 0.01;

/// What every sketch in the comparison offers, statically dispatched.
pub trait Sketch {
    /// Label in the report.
    const NAME: &'static str;
    /// Ours or a peer.
    const OURS: bool;
    /// Conservative update (the peers count-min-sketch and streaming_algorithms always are).
    const CONSERVATIVE: bool;
    /// The sketch for ε and δ, sized by the crate's own formula.
    fn build(epsilon: f64, delta: f64) -> Self;
    /// Counts one occurrence.
    fn inc(&mut self, key: &u64);
    /// The estimated count.
    fn est(&self, key: &u64) -> u64;
    /// Bytes of counters (width × depth × counter size).
    fn counter_bytes(&self) -> usize;
}

type CmsSketch = count_min_sketch::CountMinSketch32<u64>;
type SaSketch = streaming_algorithms::CountMinSketch<u64, u32>;
type DsSketch = datasketches::countmin::CountMinSketch<u64>;
type Ours = brick_count_min::CountMinSketch<u32>;
type OursCu = brick_count_min::ConservativeCountMin<u32>;
type OursAtomic = brick_count_min::AtomicCountMinSketch;

macro_rules! sketch {
    ($t:ty, $name:expr, $ours:expr, $cons:expr, |$e:ident, $d:ident| $build:expr,
     |$s:ident, $k:ident| inc $inc:expr, est $est:expr, bytes $bytes:expr) => {
        impl Sketch for $t {
            const NAME: &'static str = $name;
            const OURS: bool = $ours;
            const CONSERVATIVE: bool = $cons;
            fn build($e: f64, $d: f64) -> Self {
                $build
            }
            #[inline]
            fn inc(&mut self, $k: &u64) {
                let $s = self;
                $inc;
            }
            #[inline]
            fn est(&self, $k: &u64) -> u64 {
                let $s = self;
                $est
            }
            fn counter_bytes(&self) -> usize {
                #[allow(unused_variables)] // peers whose size follows from the parameters alone
                let $s = self;
                $bytes
            }
        }
    };
}

sketch!(Ours, "brick-count-min CountMinSketch", true, false,
    |e, d| Ours::new(e, d).expect("valid"),
    |s, k| inc s.increment(k), est s.estimate(k), bytes s.len_bytes());
sketch!(OursCu, "brick-count-min ConservativeCountMin", true, true,
    |e, d| OursCu::new(e, d).expect("valid"),
    |s, k| inc s.increment(k), est s.estimate(k), bytes s.len_bytes());
sketch!(OursAtomic, "brick-count-min AtomicCountMinSketch", true, false,
    |e, d| OursAtomic::new(e, d).expect("valid"),
    |s, k| inc s.increment(k), est s.estimate(k), bytes s.len_bytes());
// count-min-sketch sizes width as next_pow2(2 / (tolerance / capacity)) and depth from the
// confidence 1 − δ; capacity 1 makes tolerance the ε of the others.
sketch!(CmsSketch, "count-min-sketch", false, true,
    |e, d| CmsSketch::new(1, 1.0 - d, e).expect("valid"),
    |s, k| inc s.increment(k), est u64::from(s.estimate(k)),
    bytes CmsSketch::estimate_memory(1, 1.0 - DELTA, EPSILON).expect("valid"));
// u32 counters take streaming_algorithms' conservative path (IntersectPlusUnionIsPlus = false).
sketch!(SaSketch, "streaming_algorithms", false, true,
    |e, d| SaSketch::new(1.0 - d, e, ()),
    |s, k| inc { s.push(k, &1u32); }, est u64::from(s.get(k)),
    bytes { let w = (2.0 / EPSILON).round() as usize; w.next_power_of_two() * ((DELTA.ln() / 0.5f64.ln()).floor() as usize) * 4 });
sketch!(DsSketch, "datasketches", false, false,
    |e, d| DsSketch::new(
        DsSketch::suggest_num_hashes(1.0 - d).expect("valid"),
        DsSketch::suggest_num_buckets(e).expect("valid"),
    ).expect("valid"),
    |s, k| inc s.update(k), est s.estimate(k),
    bytes s.num_buckets() as usize * usize::from(s.num_hashes()) * 8);

/// Ours with the same bytes of `u32` counters as a peer: depth ⌈ln(1/δ)⌉, the width that fills
/// the bytes.
fn ours_at_bytes<U: brick_count_min::UpdateRule>(
    bytes: usize,
) -> brick_count_min::CountMinSketch<u32, brick_count_min::DefaultBuildHasher, U> {
    let (_, depth) = brick_count_min::dimensions(EPSILON, DELTA).expect("valid");
    let width = bytes as u64 / (depth * 4);
    brick_count_min::CountMinSketch::with_params(width, depth).expect("valid")
}

const BRICK: &str = "count-min";

/// Exact count per key of a stream over `0..universe`.
fn exact(stream: &[u64], universe: usize) -> Vec<u64> {
    let mut c = vec![0u64; universe];
    for &k in stream {
        c[k as usize] += 1;
    }
    c
}

/// Overestimates of every key that occurred, sorted.
fn overestimates(truth: &[u64], est: impl Fn(&u64) -> u64) -> Vec<u64> {
    let mut v: Vec<u64> = (0..truth.len() as u64)
        .filter(|&k| truth[k as usize] > 0)
        .map(|k| est(&k) - truth[k as usize])
        .collect();
    v.sort_unstable();
    v
}

struct Measured {
    name: &'static str,
    conservative: bool,
    inc: f64,
    est: f64,
    bytes: usize,
    errors: Vec<u64>,
}

fn measure<S: Sketch>(ctx: &Ctx, stream: &[u64], truth: &[u64], out: &mut Vec<Record>) -> Measured {
    ctx.step(&format!("{} increment/estimate", S::NAME));
    let n = stream.len() as u64;
    let params = format!("items={n} eps={EPSILON} delta={DELTA}");
    let inc = ctx.time(n, || {
        let mut s = S::build(EPSILON, DELTA);
        for k in stream {
            s.inc(black_box(k));
        }
        black_box(&s);
    });
    let mut s = S::build(EPSILON, DELTA);
    stream.iter().for_each(|k| s.inc(k));
    let est = ctx.time(n, || {
        for k in stream {
            black_box(s.est(black_box(k)));
        }
    });
    let errors = overestimates(truth, |k| s.est(k));
    let record = |op: &str| Record::new(BRICK, S::NAME, S::NAME, S::OURS, op, params.clone());
    out.push(record("increment").with_ns(inc));
    out.push(record("estimate").with_ns(est));
    let bound = EPSILON * n as f64;
    let mean = errors.iter().sum::<u64>() as f64 / errors.len().max(1) as f64;
    out.push(
        record("overestimate")
            .with_bytes(s.counter_bytes() as u64)
            .with_metric("mean", mean, Some(bound))
            .at_most(),
    );
    out.push(
        record("overestimate")
            .with_metric(
                "max",
                errors.last().copied().unwrap_or(0) as f64,
                Some(bound),
            )
            .at_most(),
    );
    out.push(
        record("overestimate")
            .with_metric(
                "fraction within εN",
                errors.iter().filter(|&&e| e as f64 <= bound).count() as f64
                    / errors.len().max(1) as f64,
                Some(1.0 - DELTA),
            )
            .at_least(),
    );
    Measured {
        name: S::NAME,
        conservative: S::CONSERVATIVE,
        inc,
        est,
        bytes: s.counter_bytes(),
        errors,
    }
}

/// Mean and max overestimate of ours (plain and conservative) with `bytes` of counters.
fn ours_errors_at(bytes: usize, stream: &[u64], truth: &[u64]) -> [(f64, u64); 2] {
    let summary = |e: Vec<u64>| {
        (
            e.iter().sum::<u64>() as f64 / e.len() as f64,
            *e.last().unwrap_or(&0),
        )
    };
    let mut plain = ours_at_bytes::<brick_count_min::Plain>(bytes);
    let mut cons = ours_at_bytes::<brick_count_min::Conservative>(bytes);
    for k in stream {
        plain.increment(k);
        cons.increment(k);
    }
    [
        summary(overestimates(truth, |k| plain.estimate(k))),
        summary(overestimates(truth, |k| cons.estimate(k))),
    ]
}

/// The exact top `k` keys of `truth`.
fn true_top(truth: &[u64], k: usize) -> std::collections::HashSet<u64> {
    let mut keys: Vec<u64> = (0..truth.len() as u64).collect();
    keys.sort_by_key(|&x| std::cmp::Reverse(truth[x as usize]));
    keys.into_iter().take(k).collect()
}

/// ns per item of `build` (which counts the whole stream of `n` items), and the structure it
/// builds with its heap bytes.
fn timed_build<T>(ctx: &Ctx, n: usize, build: impl Fn() -> T) -> (f64, T, Option<u64>) {
    let ns = ctx.time(n as u64, || {
        black_box(build());
    });
    let (built, bytes) = ctx.memory.measure(build);
    (ns, built, bytes)
}

/// The report section.
#[derive(Debug)]
pub struct CountMinSection;

impl Section for CountMinSection {
    fn brick(&self) -> &'static str {
        BRICK
    }

    fn summary(&self) -> String {
        format!(
            "A Zipf(1.1) stream of u64 keys over 10^6 keys (fixed seed). Each sketch is sized by \
             its own formula for ε = {EPSILON}, δ = {DELTA} (ours and datasketches: width ⌈e/ε⌉ = \
             2719, depth ⌈ln 1/δ⌉ = 5; count-min-sketch and streaming_algorithms: width 2048 and \
             depth 6). `increment` builds a sketch and counts the whole stream; `estimate` queries \
             every item of it. count-min-sketch and streaming_algorithms always update \
             conservatively, datasketches never; each uses its own hasher (SipHash, XXHash, \
             MurmurHash3). `overestimate` is over every key that occurred, next to the bound εN; \
             `same memory` gives ours the peer's bytes of counters. `top-100` is recall of the \
             true 100 most frequent keys (precision is the same: each list holds 100). The \
             `target` rows are the issue's: ours ≤ 0.5× the fastest peer."
        )
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let mut out = Vec::new();
        let n = ctx.mode.pick(100_000, 2_000_000, 10_000_000);
        let universe = 1_000_000;
        ctx.step("count-min: Zipf stream");
        let stream = zipf_keys(n, universe as u64, 1.1, 11);
        let truth = exact(&stream, universe);
        let m = [
            measure::<Ours>(ctx, &stream, &truth, &mut out),
            measure::<OursCu>(ctx, &stream, &truth, &mut out),
            measure::<OursAtomic>(ctx, &stream, &truth, &mut out),
            measure::<CmsSketch>(ctx, &stream, &truth, &mut out),
            measure::<SaSketch>(ctx, &stream, &truth, &mut out),
            measure::<DsSketch>(ctx, &stream, &truth, &mut out),
        ];
        let params = format!("items={n} eps={EPSILON} delta={DELTA}");
        let peers: Vec<&Measured> = m.iter().filter(|x| !x.name.starts_with("brick")).collect();
        let fastest = |f: fn(&Measured) -> f64| {
            peers
                .iter()
                .min_by(|a, b| f(a).total_cmp(&f(b)))
                .expect("peers")
        };
        // The atomic sketch has no atomic peer; its figures are shown, not held to the target.
        for ours in m
            .iter()
            .filter(|x| x.name.starts_with("brick") && !x.name.contains("Atomic"))
        {
            for (op, f) in [
                ("increment", (|x: &Measured| x.inc) as fn(&Measured) -> f64),
                ("estimate", |x: &Measured| x.est),
            ] {
                let peer = fastest(f);
                out.push(
                    Record::target(BRICK, ours.name, op, params.clone())
                        .with_metric(
                            &format!("ns ratio vs {}", peer.name),
                            f(ours) / f(peer),
                            Some(0.5),
                        )
                        .at_most(),
                );
            }
        }

        // Error at the same memory: ours given each peer's bytes of counters.
        for peer in &peers {
            ctx.step(&format!("count-min: same memory as {}", peer.name));
            let [plain, cons] = ours_errors_at(peer.bytes, &stream, &truth);
            let peer_mean = peer.errors.iter().sum::<u64>() as f64 / peer.errors.len() as f64;
            let peer_max = *peer.errors.last().unwrap_or(&0);
            let p = format!("{params} bytes={}", peer.bytes);
            let row = |who: &str, ours: bool, metric: &str, v: f64| {
                Record::new(
                    BRICK,
                    who,
                    who,
                    ours,
                    &format!("same memory as {}", peer.name),
                    p.clone(),
                )
                .with_bytes(peer.bytes as u64)
                .with_metric(metric, v, Some(EPSILON * n as f64))
                .at_most()
            };
            out.push(row(peer.name, false, "mean overestimate", peer_mean));
            out.push(row(peer.name, false, "max overestimate", peer_max as f64));
            out.push(row(
                "brick-count-min CountMinSketch",
                true,
                "mean overestimate",
                plain.0,
            ));
            out.push(row(
                "brick-count-min CountMinSketch",
                true,
                "max overestimate",
                plain.1 as f64,
            ));
            out.push(row(
                "brick-count-min ConservativeCountMin",
                true,
                "mean overestimate",
                cons.0,
            ));
            out.push(row(
                "brick-count-min ConservativeCountMin",
                true,
                "max overestimate",
                cons.1 as f64,
            ));
            let (ours_mean, who) = if peer.conservative {
                (cons.0, "brick-count-min ConservativeCountMin")
            } else {
                (plain.0, "brick-count-min CountMinSketch")
            };
            out.push(
                Record::target(BRICK, who, "mean overestimate", p.clone())
                    .with_metric(
                        &format!("ratio vs {} (same update rule, same bytes)", peer.name),
                        ours_mean / peer_mean,
                        Some(1.0),
                    )
                    .at_most(),
            );
        }

        // Heavy hitters: top-100 recall and memory.
        let top = true_top(&truth, 100);
        let recall =
            |found: Vec<u64>| found.iter().filter(|k| top.contains(k)).count() as f64 / 100.0;
        let hh_params = format!("items={n} k=100");
        let mut hh = |name: &str, ours: bool, ns: f64, bytes: Option<u64>, r: f64| {
            out.push(
                Record::new(BRICK, name, name, ours, "top-100", hh_params.clone())
                    .with_ns(ns)
                    .with_bytes_opt(bytes)
                    .with_metric("recall", r, Some(0.95))
                    .at_least(),
            );
        };
        ctx.step("count-min: heavy hitters");
        let build_topk = || {
            let mut t = brick_count_min::TopK::<u64>::new(100, EPSILON, DELTA).expect("valid");
            stream.iter().for_each(|k| t.insert(k));
            t
        };
        let (ns, t, bytes) = timed_build(ctx, n, build_topk);
        hh(
            "brick-count-min TopK",
            true,
            ns,
            bytes,
            recall(t.top().into_iter().map(|h| h.key).collect()),
        );
        let build_ss = || {
            let mut t = brick_count_min::SpaceSaving::<u64>::new(1000).expect("valid");
            stream.iter().for_each(|k| t.insert(k));
            t
        };
        let (ns, t, bytes) = timed_build(ctx, n, build_ss);
        hh(
            "brick-count-min SpaceSaving k=1000",
            true,
            ns,
            bytes,
            recall(t.top().into_iter().take(100).map(|h| h.key).collect()),
        );
        let build_sa = || {
            let mut t = streaming_algorithms::Top::<u64, u32>::new(100, 1.0 - DELTA, EPSILON, ());
            stream.iter().for_each(|k| t.push(*k, &1u32));
            t
        };
        let (ns, t, bytes) = timed_build(ctx, n, build_sa);
        hh(
            "streaming_algorithms Top",
            false,
            ns,
            bytes,
            recall(t.iter().map(|(k, _)| *k).collect()),
        );
        let build_ds = || {
            let mut t =
                datasketches::frequencies::FrequentItemsSketch::<u64>::new(2048).expect("valid");
            stream.iter().for_each(|k| t.update(*k));
            t
        };
        let (ns, t, bytes) = timed_build(ctx, n, build_ds);
        let mut rows = t.frequent_items(datasketches::frequencies::ErrorType::NoFalseNegatives);
        rows.sort_by_key(|r| std::cmp::Reverse(r.estimate()));
        hh(
            "datasketches FrequentItems 2048",
            false,
            ns,
            bytes,
            recall(rows.iter().take(100).map(|r| *r.item()).collect()),
        );

        // Chart: distribution of overestimates against εN.
        let bound = EPSILON * n as f64;
        let cdf = |e: &[u64]| -> Vec<(f64, f64)> {
            let len = e.len().max(1);
            (0..=200)
                .map(|i| {
                    let at = (i * (len - 1)) / 200;
                    (
                        (e.get(at).copied().unwrap_or(0) + 1) as f64,
                        (at + 1) as f64 / len as f64,
                    )
                })
                .collect()
        };
        let mut chart = Chart::new(
            format!("Count-Min overestimates on {n} Zipf(1.1) items (ε = {EPSILON}, δ = {DELTA})"),
            "overestimate + 1 (log)",
            "fraction of keys at or below",
        )
        .log(true, false)
        .with(Series::line(
            format!("bound εN = {bound:.0}"),
            vec![(bound + 1.0, 0.0), (bound + 1.0, 1.0)],
        ));
        for x in m
            .iter()
            .filter(|x| x.name != "brick-count-min AtomicCountMinSketch")
        {
            chart = chart.with(Series::line(x.name, cdf(&x.errors)));
        }
        ctx.chart("count_min_overestimate", &chart);
        out
    }
}
