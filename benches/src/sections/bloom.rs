//! brick-bloom against fastbloom, bloomfilter, Apache DataSketches and probabilistic-collections.

use crate::chart::{Chart, Series};
use crate::inputs::keys;
use crate::{Contender, Ctx, Lane, Record, Section, race};
use std::hint::black_box;
use std::rc::Rc;

/// What every filter in the comparison offers, statically dispatched (each filter's own code is
/// inlined as in a real caller). Built from (n items, false-positive rate p).
pub trait Filter: Contender<Spec = (usize, f64)> {
    /// Adds a key.
    fn put(&mut self, key: &u64);
    /// Whether the key is possibly present.
    fn has(&self, key: &u64) -> bool;
}

impl Contender for brick_bloom::BloomFilter {
    type Spec = (usize, f64);
    const NAME: &'static str = "brick-bloom BloomFilter";
    const OURS: bool = true;
    fn build((n, p): (usize, f64)) -> Self {
        Self::new(n as u64, p).expect("valid")
    }
}

impl Filter for brick_bloom::BloomFilter {
    #[inline]
    fn put(&mut self, key: &u64) {
        self.insert(key);
    }
    #[inline]
    fn has(&self, key: &u64) -> bool {
        self.contains(key)
    }
}

impl Contender for brick_bloom::BlockedBloomFilter {
    type Spec = (usize, f64);
    const NAME: &'static str = "brick-bloom BlockedBloomFilter";
    const OURS: bool = true;
    fn build((n, p): (usize, f64)) -> Self {
        Self::new(n as u64, p).expect("valid")
    }
}

impl Filter for brick_bloom::BlockedBloomFilter {
    #[inline]
    fn put(&mut self, key: &u64) {
        self.insert(key);
    }
    #[inline]
    fn has(&self, key: &u64) -> bool {
        self.contains(key)
    }
}

impl Contender for brick_bloom::AtomicBloomFilter {
    type Spec = (usize, f64);
    const NAME: &'static str = "brick-bloom AtomicBloomFilter";
    const OURS: bool = true;
    fn build((n, p): (usize, f64)) -> Self {
        Self::new(n as u64, p).expect("valid")
    }
}

impl Filter for brick_bloom::AtomicBloomFilter {
    #[inline]
    fn put(&mut self, key: &u64) {
        self.insert(key);
    }
    #[inline]
    fn has(&self, key: &u64) -> bool {
        self.contains(key)
    }
}

impl Contender for fastbloom::BloomFilter {
    type Spec = (usize, f64);
    const NAME: &'static str = "fastbloom";
    const OURS: bool = false;
    fn build((n, p): (usize, f64)) -> Self {
        Self::with_false_pos(p).seed(&42).expected_items(n)
    }
}

impl Filter for fastbloom::BloomFilter {
    #[inline]
    fn put(&mut self, key: &u64) {
        self.insert(key);
    }
    #[inline]
    fn has(&self, key: &u64) -> bool {
        self.contains(key)
    }
}

impl Contender for fastbloom::AtomicBloomFilter {
    type Spec = (usize, f64);
    const NAME: &'static str = "fastbloom AtomicBloomFilter";
    const OURS: bool = false;
    fn build((n, p): (usize, f64)) -> Self {
        Self::with_false_pos(p).seed(&42).expected_items(n)
    }
}

impl Filter for fastbloom::AtomicBloomFilter {
    #[inline]
    fn put(&mut self, key: &u64) {
        self.insert(key);
    }
    #[inline]
    fn has(&self, key: &u64) -> bool {
        self.contains(key)
    }
}

impl Contender for bloomfilter::Bloom<u64> {
    type Spec = (usize, f64);
    const NAME: &'static str = "bloomfilter";
    const OURS: bool = false;
    fn build((n, p): (usize, f64)) -> Self {
        Self::new_for_fp_rate_with_seed(n, p, &[7; 32]).expect("valid")
    }
}

impl Filter for bloomfilter::Bloom<u64> {
    #[inline]
    fn put(&mut self, key: &u64) {
        self.set(key);
    }
    #[inline]
    fn has(&self, key: &u64) -> bool {
        self.check(key)
    }
}

impl Contender for datasketches::bloom::BloomFilter {
    type Spec = (usize, f64);
    const NAME: &'static str = "datasketches";
    const OURS: bool = false;
    fn build((n, p): (usize, f64)) -> Self {
        datasketches::bloom::BloomFilterBuilder::with_accuracy(n as u64, p)
            .seed(42)
            .build()
            .expect("valid")
    }
}

impl Filter for datasketches::bloom::BloomFilter {
    #[inline]
    fn put(&mut self, key: &u64) {
        self.insert(key);
    }
    #[inline]
    fn has(&self, key: &u64) -> bool {
        self.contains(key)
    }
}

impl Contender for probabilistic_collections::bloom::BloomFilter<u64> {
    type Spec = (usize, f64);
    const NAME: &'static str = "probabilistic-collections";
    const OURS: bool = false;
    fn build((n, p): (usize, f64)) -> Self {
        Self::new(n, p)
    }
}

impl Filter for probabilistic_collections::bloom::BloomFilter<u64> {
    #[inline]
    fn put(&mut self, key: &u64) {
        self.insert(key);
    }
    #[inline]
    fn has(&self, key: &u64) -> bool {
        self.contains(key)
    }
}

/// A filled filter of type `F` for `present`.
pub fn filled<F: Filter>(present: &[u64], p: f64) -> F {
    let mut f = F::build((present.len(), p));
    present.iter().for_each(|k| f.put(k));
    f
}

/// Fraction of `absent` the filter calls present.
pub fn false_positive_rate<F: Filter>(f: &F, absent: &[u64]) -> f64 {
    absent.iter().filter(|k| f.has(k)).count() as f64 / absent.len() as f64
}

const BRICK: &str = "bloom";

/// What one implementation measured at the main point.
struct Measured {
    name: &'static str,
    insert: f64,
    hit: f64,
    miss: f64,
}

/// Records `F`'s accuracy and memory at the main point, and returns its lane for the timed race:
/// `insert` builds and fills a fresh filter (allocation included), the two queries ask a
/// filled one.
fn enter<'a, F: Filter + 'a>(
    ctx: &Ctx,
    present: &'a [u64],
    absent: &'a [u64],
    p: f64,
    out: &mut Vec<Record>,
) -> Lane<'a> {
    let n = present.len();
    let params = format!("n={n} p={p}");
    ctx.step(&format!("{} n={n}", F::NAME));
    let (f, bytes) = ctx.memory.measure(|| filled::<F>(present, p));
    let fpr = false_positive_rate(&f, absent);
    let bits_per_item = bytes.map_or(f64::NAN, |b| b as f64 * 8.0 / n as f64);
    out.push(
        Record::new(BRICK, F::NAME, F::NAME, F::OURS, "accuracy", params.clone())
            .with_bytes_opt(bytes)
            .with_metric("fpr", fpr, Some(p))
            .at_most(),
    );
    out.push(
        Record::new(BRICK, F::NAME, F::NAME, F::OURS, "memory", params).with_metric(
            "bits_per_item",
            bits_per_item,
            None,
        ),
    );
    let hit = Rc::new(f);
    let miss = Rc::clone(&hit);
    Lane::of::<F>()
        .op("insert", n as u64, move || {
            black_box(filled::<F>(present, p));
        })
        .op("contains_present", n as u64, move || {
            for k in present {
                black_box(hit.has(black_box(k)));
            }
        })
        .op("contains_absent", absent.len() as u64, move || {
            for k in absent {
                black_box(miss.has(black_box(k)));
            }
        })
}

/// (bits per item, measured FPR) of `F` at each target rate.
fn curve<F: Filter>(ctx: &Ctx, present: &[u64], absent: &[u64], rates: &[f64]) -> Vec<(f64, f64)> {
    ctx.step(&format!("FPR curve {}", F::NAME));
    rates
        .iter()
        .map(|&p| {
            let (f, bytes) = ctx.memory.measure(|| filled::<F>(present, p));
            let bits = bytes.map_or(f64::NAN, |b| b as f64 * 8.0 / present.len() as f64);
            // A rate of 0 has no place on a log axis; one false positive in the sample is its floor.
            (
                bits,
                false_positive_rate(&f, absent).max(1.0 / absent.len() as f64),
            )
        })
        .collect()
}

/// The report section.
#[derive(Debug)]
pub struct BloomSection;

impl Section for BloomSection {
    fn brick(&self) -> &'static str {
        BRICK
    }

    fn summary(&self) -> String {
        "n fixed-seed random u64 keys inserted into a fresh filter sized for n at p = 1 % \
         (`insert`, including the filter's allocation), then n present and n absent keys queried. \
         Each crate uses its own default hasher (ours: seeded XXH3; fastbloom: its own; bloomfilter \
         and probabilistic-collections: SipHash; datasketches: XXHash64). `fpr` is measured on the n \
         absent keys, with the target as its bound; `bits_per_item` is the heap the filled filter \
         holds. The `target` rows are the issue's ratios: BlockedBloomFilter against fastbloom \
         (≤ 0.6), BloomFilter against bloomfilter (≤ 1.0), BloomFilter's bits against \
         `optimal_bits` (≤ 1.01)."
            .to_owned()
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let mut out = Vec::new();
        let n = ctx.mode.pick(20_000, 1_000_000, 1_000_000);
        let p = 0.01;
        let present = keys(n, 1, false);
        let absent = keys(n, 2, true);
        let mut lanes = vec![
            enter::<brick_bloom::BloomFilter>(ctx, &present, &absent, p, &mut out),
            enter::<brick_bloom::BlockedBloomFilter>(ctx, &present, &absent, p, &mut out),
            enter::<brick_bloom::AtomicBloomFilter>(ctx, &present, &absent, p, &mut out),
            enter::<fastbloom::BloomFilter>(ctx, &present, &absent, p, &mut out),
            enter::<fastbloom::AtomicBloomFilter>(ctx, &present, &absent, p, &mut out),
            enter::<bloomfilter::Bloom<u64>>(ctx, &present, &absent, p, &mut out),
            enter::<datasketches::bloom::BloomFilter>(ctx, &present, &absent, p, &mut out),
            enter::<probabilistic_collections::bloom::BloomFilter<u64>>(
                ctx, &present, &absent, p, &mut out,
            ),
        ];
        let ns = race(ctx, &mut lanes);
        let params = format!("n={n} p={p}");
        let mut m = Vec::new();
        for (lane, ns) in lanes.iter().zip(&ns) {
            for ((op, _, _), &t) in lane.ops.iter().zip(ns) {
                out.push(
                    Record::new(BRICK, lane.name, lane.name, lane.ours, op, params.clone())
                        .with_ns(t),
                );
            }
            m.push(Measured {
                name: lane.name,
                insert: ns[0],
                hit: ns[1],
                miss: ns[2],
            });
        }
        drop(lanes);
        let by = |name: &str| m.iter().find(|x| x.name == name).expect("measured");
        let mut target = |ours: &Measured, peer: &Measured, bound: f64| {
            for (op, a, b) in [
                ("insert", ours.insert, peer.insert),
                ("contains_present", ours.hit, peer.hit),
                ("contains_absent", ours.miss, peer.miss),
            ] {
                out.push(
                    Record::target(BRICK, ours.name, op, params.clone())
                        .with_metric(&format!("ns ratio vs {}", peer.name), a / b, Some(bound))
                        .at_most(),
                );
            }
        };
        target(by("brick-bloom BlockedBloomFilter"), by("fastbloom"), 0.6);
        target(by("brick-bloom BloomFilter"), by("bloomfilter"), 1.0);
        target(
            by("brick-bloom AtomicBloomFilter"),
            by("fastbloom AtomicBloomFilter"),
            1.0,
        );
        let optimal = brick_bloom::optimal_bits(n as u64, p).expect("valid");
        let (_, bytes) = ctx
            .memory
            .measure(|| brick_bloom::BloomFilter::new(n as u64, p).expect("valid"));
        if let Some(bytes) = bytes {
            let payload = bytes - size_of::<brick_bloom::BloomFilter>() as u64;
            out.push(
                Record::target(BRICK, "brick-bloom BloomFilter", "memory", params.clone())
                    .with_metric(
                        "bytes / optimal_bits bytes",
                        payload as f64 * 8.0 / optimal as f64,
                        Some(1.01),
                    )
                    .at_most(),
            );
        }
        let blocked = brick_bloom::Params::blocked(n as u64, p).expect("valid");
        out.push(
            Record::new(
                BRICK,
                "brick-bloom BlockedBloomFilter",
                "brick-bloom BlockedBloomFilter",
                true,
                "extra bits for blocking",
                params,
            )
            .with_metric(
                "blocked bits / standard bits",
                blocked.bits as f64
                    / brick_bloom::Params::optimal(n as u64, p)
                        .expect("valid")
                        .bits as f64,
                None,
            )
            .at_most(),
        );

        // FPR against bits per item: theory and every implementation, at several targets.
        let nc = ctx.mode.pick(5_000, 200_000, 1_000_000);
        let (present, absent) = (keys(nc, 3, false), keys(nc, 4, true));
        let rates = [0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001];
        let theory: Vec<(f64, f64)> = (6..=36)
            .map(|b| {
                let bits = f64::from(b) / 2.0;
                (bits, (-bits * std::f64::consts::LN_2.powi(2)).exp())
            })
            .collect();
        let chart = Chart::new(
            format!("Bloom filters: false-positive rate against memory (n = {nc})"),
            "bits per item",
            "measured false-positive rate",
        )
        .log(false, true)
        .with(Series::line("theory, optimal k: e^(−(m/n)·ln²2)", theory))
        .with(Series::line(
            "brick-bloom BloomFilter",
            curve::<brick_bloom::BloomFilter>(ctx, &present, &absent, &rates),
        ))
        .with(Series::line(
            "brick-bloom BlockedBloomFilter",
            curve::<brick_bloom::BlockedBloomFilter>(ctx, &present, &absent, &rates),
        ))
        .with(Series::markers(
            "fastbloom",
            curve::<fastbloom::BloomFilter>(ctx, &present, &absent, &rates),
        ))
        .with(Series::markers(
            "bloomfilter",
            curve::<bloomfilter::Bloom<u64>>(ctx, &present, &absent, &rates),
        ))
        .with(Series::markers(
            "datasketches",
            curve::<datasketches::bloom::BloomFilter>(ctx, &present, &absent, &rates),
        ))
        .with(Series::markers(
            "probabilistic-collections",
            curve::<probabilistic_collections::bloom::BloomFilter<u64>>(
                ctx, &present, &absent, &rates,
            ),
        ));
        ctx.chart("bloom_fpr", &chart);
        out
    }
}
