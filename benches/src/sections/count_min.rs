//! brick-count-min against count-min-sketch, streaming_algorithms and Apache DataSketches
//! (CountMin and the frequent-items sketch).

use crate::chart::{Chart, Series};
use crate::inputs::zipf_keys;
use crate::{Contender, Ctx, Lane, Record, Section, race};
use std::hint::black_box;

/// ε and δ of the comparison (the issue's).
pub const EPSILON: f64 = 0.001;
/// See [`EPSILON`].
pub const DELTA: f64 = 0.01;

/// What every sketch in the comparison offers, statically dispatched. Built from (ε, δ), each
/// sized by its crate's own formula.
pub trait Sketch: Contender<Spec = (f64, f64)> {
    /// Conservative update (the peers count-min-sketch and streaming_algorithms always are).
    const CONSERVATIVE: bool;
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

impl Contender for Ours {
    type Spec = (f64, f64);
    const NAME: &'static str = "brick-count-min CountMinSketch";
    const OURS: bool = true;
    fn build((e, d): (f64, f64)) -> Self {
        Ours::new(e, d).expect("valid")
    }
}

impl Sketch for Ours {
    const CONSERVATIVE: bool = false;
    #[inline]
    fn inc(&mut self, key: &u64) {
        self.increment(key);
    }
    #[inline]
    fn est(&self, key: &u64) -> u64 {
        self.estimate(key)
    }
    fn counter_bytes(&self) -> usize {
        self.len_bytes()
    }
}

impl Contender for OursCu {
    type Spec = (f64, f64);
    const NAME: &'static str = "brick-count-min ConservativeCountMin";
    const OURS: bool = true;
    fn build((e, d): (f64, f64)) -> Self {
        OursCu::new(e, d).expect("valid")
    }
}

impl Sketch for OursCu {
    const CONSERVATIVE: bool = true;
    #[inline]
    fn inc(&mut self, key: &u64) {
        self.increment(key);
    }
    #[inline]
    fn est(&self, key: &u64) -> u64 {
        self.estimate(key)
    }
    fn counter_bytes(&self) -> usize {
        self.len_bytes()
    }
}

impl Contender for OursAtomic {
    type Spec = (f64, f64);
    const NAME: &'static str = "brick-count-min AtomicCountMinSketch";
    const OURS: bool = true;
    fn build((e, d): (f64, f64)) -> Self {
        OursAtomic::new(e, d).expect("valid")
    }
}

impl Sketch for OursAtomic {
    const CONSERVATIVE: bool = false;
    #[inline]
    fn inc(&mut self, key: &u64) {
        self.increment(key);
    }
    #[inline]
    fn est(&self, key: &u64) -> u64 {
        self.estimate(key)
    }
    fn counter_bytes(&self) -> usize {
        self.len_bytes()
    }
}

// count-min-sketch sizes width as next_pow2(2 / (tolerance / capacity)) and depth from the
// confidence 1 − δ; capacity 1 makes tolerance the ε of the others.
impl Contender for CmsSketch {
    type Spec = (f64, f64);
    const NAME: &'static str = "count-min-sketch";
    const OURS: bool = false;
    fn build((e, d): (f64, f64)) -> Self {
        CmsSketch::new(1, 1.0 - d, e).expect("valid")
    }
}

impl Sketch for CmsSketch {
    const CONSERVATIVE: bool = true;
    #[inline]
    fn inc(&mut self, key: &u64) {
        self.increment(key);
    }
    #[inline]
    fn est(&self, key: &u64) -> u64 {
        u64::from(self.estimate(key))
    }
    fn counter_bytes(&self) -> usize {
        CmsSketch::estimate_memory(1, 1.0 - DELTA, EPSILON).expect("valid")
    }
}

// u32 counters take streaming_algorithms' conservative path (IntersectPlusUnionIsPlus = false).
impl Contender for SaSketch {
    type Spec = (f64, f64);
    const NAME: &'static str = "streaming_algorithms";
    const OURS: bool = false;
    fn build((e, d): (f64, f64)) -> Self {
        SaSketch::new(1.0 - d, e, ())
    }
}

impl Sketch for SaSketch {
    const CONSERVATIVE: bool = true;
    #[inline]
    fn inc(&mut self, key: &u64) {
        self.push(key, &1u32);
    }
    #[inline]
    fn est(&self, key: &u64) -> u64 {
        u64::from(self.get(key))
    }
    fn counter_bytes(&self) -> usize {
        let w = (2.0 / EPSILON).round() as usize;
        w.next_power_of_two() * ((DELTA.ln() / 0.5f64.ln()).floor() as usize) * 4
    }
}

impl Contender for DsSketch {
    type Spec = (f64, f64);
    const NAME: &'static str = "datasketches";
    const OURS: bool = false;
    fn build((e, d): (f64, f64)) -> Self {
        DsSketch::new(
            DsSketch::suggest_num_hashes(1.0 - d).expect("valid"),
            DsSketch::suggest_num_buckets(e).expect("valid"),
        )
        .expect("valid")
    }
}

impl Sketch for DsSketch {
    const CONSERVATIVE: bool = false;
    #[inline]
    fn inc(&mut self, key: &u64) {
        self.update(key);
    }
    #[inline]
    fn est(&self, key: &u64) -> u64 {
        self.estimate(key)
    }
    fn counter_bytes(&self) -> usize {
        self.num_buckets() as usize * usize::from(self.num_hashes()) * 8
    }
}

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

/// Records `S`'s overestimates against the truth, and returns its lane for the timed race
/// (`increment` builds a sketch and counts the whole stream; `estimate` queries every item of
/// it on a filled sketch) with what the rest of the section compares.
fn enter<'a, S: Sketch + 'a>(
    ctx: &Ctx,
    stream: &'a [u64],
    truth: &[u64],
    out: &mut Vec<Record>,
) -> (Lane<'a>, Measured) {
    ctx.step(&format!("{} overestimates", S::NAME));
    let n = stream.len() as u64;
    let params = format!("items={n} eps={EPSILON} delta={DELTA}");
    let mut s = S::build((EPSILON, DELTA));
    stream.iter().for_each(|k| s.inc(k));
    let errors = overestimates(truth, |k| s.est(k));
    let record = |op: &str| Record::new(BRICK, S::NAME, S::NAME, S::OURS, op, params.clone());
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
    let measured = Measured {
        name: S::NAME,
        conservative: S::CONSERVATIVE,
        inc: f64::NAN,
        est: f64::NAN,
        bytes: s.counter_bytes(),
        errors,
    };
    let lane = Lane::of::<S>()
        .op("increment", n, move || {
            let mut fresh = S::build((EPSILON, DELTA));
            for k in stream {
                fresh.inc(black_box(k));
            }
            black_box(&fresh);
        })
        .op("estimate", n, move || {
            for k in stream {
                black_box(s.est(black_box(k)));
            }
        });
    (lane, measured)
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
        let entries = vec![
            enter::<Ours>(ctx, &stream, &truth, &mut out),
            enter::<OursCu>(ctx, &stream, &truth, &mut out),
            enter::<OursAtomic>(ctx, &stream, &truth, &mut out),
            enter::<CmsSketch>(ctx, &stream, &truth, &mut out),
            enter::<SaSketch>(ctx, &stream, &truth, &mut out),
            enter::<DsSketch>(ctx, &stream, &truth, &mut out),
        ];
        let (mut lanes, mut m): (Vec<Lane<'_>>, Vec<Measured>) = entries.into_iter().unzip();
        let ns = race(ctx, &mut lanes);
        let params = format!("items={n} eps={EPSILON} delta={DELTA}");
        for ((lane, x), ns) in lanes.iter().zip(m.iter_mut()).zip(&ns) {
            (x.inc, x.est) = (ns[0], ns[1]);
            for ((op, _, _), &t) in lane.ops.iter().zip(ns) {
                out.push(
                    Record::new(BRICK, lane.name, lane.name, lane.ours, op, params.clone())
                        .with_ns(t),
                );
            }
        }
        drop(lanes);
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
        let build_ss = || {
            let mut t = brick_count_min::SpaceSaving::<u64>::new(1000).expect("valid");
            stream.iter().for_each(|k| t.insert(k));
            t
        };
        let build_sa = || {
            let mut t = streaming_algorithms::Top::<u64, u32>::new(100, 1.0 - DELTA, EPSILON, ());
            stream.iter().for_each(|k| t.push(*k, &1u32));
            t
        };
        let build_ds = || {
            let mut t =
                datasketches::frequencies::FrequentItemsSketch::<u64>::new(2048).expect("valid");
            stream.iter().for_each(|k| t.update(*k));
            t
        };
        // Each pass builds one structure and counts the whole stream; the four alternate.
        let [ns_topk, ns_ss, ns_sa, ns_ds] = ctx.time_alternating(
            n as u64,
            [
                &mut || _ = black_box(build_topk()),
                &mut || _ = black_box(build_ss()),
                &mut || _ = black_box(build_sa()),
                &mut || _ = black_box(build_ds()),
            ],
        );
        let (t, bytes) = ctx.memory.measure(build_topk);
        let ns = ns_topk;
        hh(
            "brick-count-min TopK",
            true,
            ns,
            bytes,
            recall(t.top().into_iter().map(|h| h.key).collect()),
        );
        let (t, bytes) = ctx.memory.measure(build_ss);
        let ns = ns_ss;
        hh(
            "brick-count-min SpaceSaving k=1000",
            true,
            ns,
            bytes,
            recall(t.top().into_iter().take(100).map(|h| h.key).collect()),
        );
        let (t, bytes) = ctx.memory.measure(build_sa);
        let ns = ns_sa;
        hh(
            "streaming_algorithms Top",
            false,
            ns,
            bytes,
            recall(t.iter().map(|(k, _)| *k).collect()),
        );
        let (t, bytes) = ctx.memory.measure(build_ds);
        let ns = ns_ds;
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
