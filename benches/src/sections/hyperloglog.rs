//! brick-hyperloglog against hyperloglogplus, cardinality-estimator, hyperloglockless,
//! DataSketches HLL (4, 6 and 8 bits) and amadeus-streaming, all at p = lg_k = 14.

use crate::chart::{Chart, Series};
use crate::{Contender, Ctx, Lane, Record, Section, race};
use brick_hyperloglog::{AtomicHyperLogLog, HyperLogLog};
use cardinality_estimator::CardinalityEstimator;
use datasketches::hll::{HllSketch, HllType};
use hyperloglogplus::{HyperLogLog as _, HyperLogLogPlus};
use std::collections::hash_map::RandomState;
use std::hint::black_box;

const BRICK: &str = "hyperloglog";
/// Precision of every sketch: 2^14 registers, 0.81 % standard error.
pub const P: u8 = 14;
/// The cardinalities the report measures memory and error at.
pub const CARDINALITIES: [u64; 6] = [10, 100, 1_000, 10_000, 100_000, 1_000_000];

/// What every sketch here does: add a u64, estimate. Built at p = [`P`] (the spec is `()`).
pub trait Sketch: Contender<Spec = ()> {
    /// Adds an item.
    fn add(&mut self, item: u64);
    /// The estimate.
    fn estimate(&mut self) -> f64;
}

/// cardinality-estimator at P = 14, W = 6, with its default hasher.
pub type Cardinality = CardinalityEstimator<u64, wyhash::WyHash, 14, 6>;

/// A DataSketches HLL sketch with `BITS`-bit registers (4, 6 or 8): one type per register
/// width, so each is a contender of its own.
#[derive(Debug)]
pub struct Datasketches<const BITS: u8>(HllSketch);

impl Contender for HyperLogLog {
    type Spec = ();
    const NAME: &'static str = "brick-hyperloglog HyperLogLog";
    const OURS: bool = true;
    fn build((): ()) -> Self {
        HyperLogLog::with_params(P).expect("valid")
    }
}

impl Sketch for HyperLogLog {
    #[inline]
    fn add(&mut self, item: u64) {
        self.insert(&item);
    }
    fn estimate(&mut self) -> f64 {
        self.count() as f64
    }
}

impl Contender for AtomicHyperLogLog {
    type Spec = ();
    const NAME: &'static str = "brick-hyperloglog AtomicHyperLogLog";
    const OURS: bool = true;
    fn build((): ()) -> Self {
        AtomicHyperLogLog::with_params(P).expect("valid")
    }
}

impl Sketch for AtomicHyperLogLog {
    #[inline]
    fn add(&mut self, item: u64) {
        self.insert(&item);
    }
    fn estimate(&mut self) -> f64 {
        self.count() as f64
    }
}

impl Contender for HyperLogLogPlus<u64, RandomState> {
    type Spec = ();
    const NAME: &'static str = "hyperloglogplus";
    const OURS: bool = false;
    fn build((): ()) -> Self {
        HyperLogLogPlus::new(P, RandomState::new()).expect("valid")
    }
}

impl Sketch for HyperLogLogPlus<u64, RandomState> {
    #[inline]
    fn add(&mut self, item: u64) {
        self.insert(&item);
    }
    fn estimate(&mut self) -> f64 {
        self.count()
    }
}

impl Contender for Cardinality {
    type Spec = ();
    const NAME: &'static str = "cardinality-estimator";
    const OURS: bool = false;
    fn build((): ()) -> Self {
        Cardinality::new()
    }
}

impl Sketch for Cardinality {
    #[inline]
    fn add(&mut self, item: u64) {
        self.insert(&item);
    }
    fn estimate(&mut self) -> f64 {
        CardinalityEstimator::estimate(self) as f64
    }
}

impl Contender for hyperloglockless::HyperLogLog {
    type Spec = ();
    const NAME: &'static str = "hyperloglockless";
    const OURS: bool = false;
    fn build((): ()) -> Self {
        hyperloglockless::HyperLogLog::new(P)
    }
}

impl Sketch for hyperloglockless::HyperLogLog {
    #[inline]
    fn add(&mut self, item: u64) {
        self.insert(&item);
    }
    fn estimate(&mut self) -> f64 {
        self.raw_count()
    }
}

impl Contender for Datasketches<4> {
    type Spec = ();
    const NAME: &'static str = "datasketches HLL_4";
    const OURS: bool = false;
    fn build((): ()) -> Self {
        Self(HllSketch::new(P, HllType::Hll4).expect("lg_k 14"))
    }
}

impl Sketch for Datasketches<4> {
    #[inline]
    fn add(&mut self, item: u64) {
        self.0.update(item);
    }
    fn estimate(&mut self) -> f64 {
        self.0.estimate()
    }
}

impl Contender for Datasketches<6> {
    type Spec = ();
    const NAME: &'static str = "datasketches HLL_6";
    const OURS: bool = false;
    fn build((): ()) -> Self {
        Self(HllSketch::new(P, HllType::Hll6).expect("lg_k 14"))
    }
}

impl Sketch for Datasketches<6> {
    #[inline]
    fn add(&mut self, item: u64) {
        self.0.update(item);
    }
    fn estimate(&mut self) -> f64 {
        self.0.estimate()
    }
}

impl Contender for Datasketches<8> {
    type Spec = ();
    const NAME: &'static str = "datasketches HLL_8";
    const OURS: bool = false;
    fn build((): ()) -> Self {
        Self(HllSketch::new(P, HllType::Hll8).expect("lg_k 14"))
    }
}

impl Sketch for Datasketches<8> {
    #[inline]
    fn add(&mut self, item: u64) {
        self.0.update(item);
    }
    fn estimate(&mut self) -> f64 {
        self.0.estimate()
    }
}

impl Contender for amadeus_streaming::HyperLogLog<u64> {
    type Spec = ();
    const NAME: &'static str = "amadeus-streaming";
    const OURS: bool = false;
    fn build((): ()) -> Self {
        amadeus_streaming::HyperLogLog::new(AMADEUS_ERROR)
    }
}

impl Sketch for amadeus_streaming::HyperLogLog<u64> {
    #[inline]
    fn add(&mut self, item: u64) {
        self.push(&item);
    }
    fn estimate(&mut self) -> f64 {
        self.len()
    }
}

/// amadeus-streaming takes an error rate and picks p = ⌈2 log2(1.04 / error)⌉: 14 for this.
pub const AMADEUS_ERROR: f64 = 0.0082;

/// A sketch behind `dyn`, for the untimed accuracy and memory runs.
trait DynSketch {
    fn add(&mut self, item: u64);
    fn estimate(&mut self) -> f64;
}

impl<S: Sketch> DynSketch for S {
    fn add(&mut self, item: u64) {
        Sketch::add(self, item);
    }
    fn estimate(&mut self) -> f64 {
        Sketch::estimate(self)
    }
}

/// One contender for the untimed runs: its name, whether it is ours, and a constructor.
struct Entry {
    name: &'static str,
    ours: bool,
    make: fn() -> Box<dyn DynSketch>,
}

/// `S`'s entry for the untimed runs, and its lane for the race: `insert` adds `items` (distinct)
/// to a fresh sketch, so the sparse phase and the promotion are included; `count` is one
/// estimate of a sketch holding the first 10^6 of them.
fn enter<'a, S: Sketch + 'static>(items: &'a [u64]) -> (Lane<'a>, Entry) {
    let mut counted = S::build(());
    for &x in &items[..items.len().min(1_000_000)] {
        counted.add(x);
    }
    let lane = Lane::of::<S>()
        .op("insert", items.len() as u64, move || {
            let mut sketch = S::build(());
            for &x in items {
                sketch.add(black_box(x));
            }
            black_box(&mut sketch);
        })
        .op("count", 1_000, move || {
            for _ in 0..1_000 {
                black_box(counted.estimate());
            }
        });
    let entry = Entry {
        name: S::NAME,
        ours: S::OURS,
        make: || Box::new(S::build(())),
    };
    (lane, entry)
}

/// Relative RMSE over `trials` streams of `n` distinct items (stream t: items t·2^40 + i).
fn rmse(c: &Entry, n: u64, trials: u64) -> f64 {
    let mut sq = 0.0;
    for t in 0..trials {
        let mut s = (c.make)();
        for i in 0..n {
            s.add((t << 40) + i);
        }
        let rel = s.estimate() / n as f64 - 1.0;
        sq += rel * rel;
    }
    (sq / trials as f64).sqrt()
}

/// The report section.
#[derive(Debug)]
pub struct HyperLogLogSection;

impl Section for HyperLogLogSection {
    fn brick(&self) -> &'static str {
        BRICK
    }

    fn summary(&self) -> String {
        "Every sketch at p = lg_k = 14 (16,384 registers; amadeus-streaming through its error \
         rate 0.0082, which gives p = 14). `insert` adds distinct u64 keys to a fresh sketch, so \
         the sparse phase and the promotion are included; each implementation hashes with its \
         own default (ours: seeded XXH3; hyperloglogplus: std's RandomState, as its docs use). \
         Estimates are each crate's own: ours is `count()` (HIP on a sketch fed by inserts, as \
         DataSketches), cardinality-estimator's a rounded count. \
         `count` is one estimate after those inserts. `bytes` is the heap growth of a sketch \
         holding n distinct items. `RMSE` is the relative root-mean-square error over \
         independent streams, next to the bound 1.04/√m = 0.81 %. Targets: insert ≤ 0.5× the \
         fastest peer; RMSE no worse than any peer's at every n; memory ≤ every peer's at every n. \
         The chart plots RMSE against n."
            .to_owned()
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let mut out = Vec::new();
        let n: u64 = ctx.mode.pick(100_000, 10_000_000, 10_000_000);
        let items: Vec<u64> = (0..n).collect();
        let params = format!("n={n} p={P}");

        ctx.step("hyperloglog: sketches");
        let (mut lanes, contenders): (Vec<Lane<'_>>, Vec<Entry>) = vec![
            enter::<HyperLogLog>(&items),
            enter::<AtomicHyperLogLog>(&items),
            enter::<HyperLogLogPlus<u64, RandomState>>(&items),
            enter::<Cardinality>(&items),
            enter::<hyperloglockless::HyperLogLog>(&items),
            enter::<Datasketches<4>>(&items),
            enter::<Datasketches<6>>(&items),
            enter::<Datasketches<8>>(&items),
            enter::<amadeus_streaming::HyperLogLog<u64>>(&items),
        ]
        .into_iter()
        .unzip();
        let ns = race(ctx, &mut lanes);
        for (lane, ns) in lanes.iter().zip(&ns) {
            out.push(
                Record::new(
                    BRICK,
                    lane.name,
                    lane.name,
                    lane.ours,
                    "insert",
                    params.clone(),
                )
                .with_ns(ns[0]),
            );
            out.push(
                Record::new(
                    BRICK,
                    lane.name,
                    lane.name,
                    lane.ours,
                    "count",
                    "n=1000000 p=14",
                )
                .with_ns(ns[1]),
            );
        }
        drop(lanes);
        let inserts: Vec<f64> = ns.iter().map(|t| t[0]).collect();

        ctx.step("hyperloglog: memory");
        let mut bytes_at: Vec<(u64, Vec<Option<u64>>)> = Vec::new();
        for size in [100u64, 10_000, 1_000_000] {
            let row = contenders
                .iter()
                .map(|c| {
                    let (sketch, bytes) = ctx.memory.measure(|| {
                        let mut s = (c.make)();
                        for i in 0..size {
                            s.add(i);
                        }
                        s
                    });
                    drop(sketch);
                    out.push(
                        Record::new(
                            BRICK,
                            c.name,
                            c.name,
                            c.ours,
                            "bytes",
                            format!("n={size} p=14"),
                        )
                        .with_bytes_opt(bytes),
                    );
                    bytes
                })
                .collect();
            bytes_at.push((size, row));
        }

        ctx.step("hyperloglog: accuracy");
        let trials = ctx.mode.pick(5u64, 200, 500);
        let bound = 1.04 / f64::from(1u32 << P).sqrt();
        let sizes: Vec<u64> = CARDINALITIES
            .iter()
            .copied()
            .filter(|&s| ctx.mode.pick(s <= 10_000, true, true))
            .collect();
        let mut curves: Vec<Vec<(f64, f64)>> = vec![Vec::new(); contenders.len()];
        let mut worst_ratio: f64 = 0.0;
        for &size in &sizes {
            let errors: Vec<f64> = contenders.iter().map(|c| rmse(c, size, trials)).collect();
            for ((c, &e), curve) in contenders.iter().zip(&errors).zip(&mut curves) {
                curve.push((size as f64, e * 100.0));
                out.push(
                    Record::new(
                        BRICK,
                        c.name,
                        c.name,
                        c.ours,
                        "RMSE",
                        format!("n={size} p=14 trials={trials}"),
                    )
                    .with_metric("relative RMSE", e, Some(bound))
                    .at_most(),
                );
            }
            let best_peer = errors[2..].iter().copied().fold(f64::INFINITY, f64::min);
            // Exact where the best peer is exact too: equal, not 0/0.
            let ratio = if errors[0] == 0.0 {
                0.0
            } else {
                errors[0] / best_peer
            };
            worst_ratio = worst_ratio.max(ratio);
        }

        let best_peer_insert = inserts[2..].iter().copied().fold(f64::INFINITY, f64::min);
        let target = |what: &str, metric: &str, value: f64, bound: f64| {
            Record::target(BRICK, "brick-hyperloglog HyperLogLog", what, params.clone())
                .with_metric(metric, value, Some(bound))
                .at_most()
        };
        out.push(target(
            "insert",
            "ns ratio vs fastest peer",
            inserts[0] / best_peer_insert,
            0.5,
        ));
        out.push(target(
            "RMSE",
            "worst ratio vs the most accurate peer over n",
            worst_ratio,
            1.0,
        ));
        let worst_memory = bytes_at
            .iter()
            .filter_map(|(_, row)| {
                let ours = row[0]? as f64;
                let least = row[2..].iter().flatten().min().copied()? as f64;
                Some(ours / least)
            })
            .fold(0.0, f64::max);
        out.push(target(
            "memory",
            "worst bytes ratio vs the smallest peer over n",
            worst_memory,
            1.0,
        ));

        let mut chart = Chart::new(
            "Relative RMSE against cardinality, p = 14",
            "distinct items n",
            "relative RMSE (%)",
        )
        .log(true, false)
        .with(Series::line(
            "1.04/√m",
            sizes.iter().map(|&s| (s as f64, bound * 100.0)).collect(),
        ));
        for (c, curve) in contenders.iter().zip(curves) {
            chart = chart.with(Series::line(c.name, curve));
        }
        ctx.chart("hyperloglog_rmse", &chart);
        out
    }
}
