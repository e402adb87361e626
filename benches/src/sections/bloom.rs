//! brick-bloom against fastbloom, bloomfilter, Apache DataSketches and probabilistic-collections.

use crate::chart::{Chart, Series};
use crate::{Ctx, Record, Section};
use std::hint::black_box;

/// `n` fixed-seed keys (splitmix64); `absent` keys have the top bit set and present ones not,
/// so the two sets never meet.
pub fn keys(n: usize, seed: u64, absent: bool) -> Vec<u64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            if absent { z | 1 << 63 } else { z & !(1 << 63) }
        })
        .collect()
}

/// The operations every filter in the comparison offers, so one generic driver times them all
/// (statically dispatched: each filter's own code is inlined as in a real caller).
pub trait Filter {
    /// Adds a key.
    fn put(&mut self, key: &u64);
    /// Whether the key is possibly present.
    fn has(&self, key: &u64) -> bool;
}

/// How each implementation is built for `n` items at rate `p`, with its default hasher.
pub trait Build: Filter + Sized {
    /// Label in the report.
    const NAME: &'static str;
    /// Ours or a peer.
    const OURS: bool;
    /// A filter for `n` items at false-positive rate `p`.
    fn build(n: usize, p: f64) -> Self;
}

macro_rules! filter {
    ($t:ty, $name:expr, $ours:expr, |$n:ident, $p:ident| $build:expr, |$f:ident, $k:ident| put $put:expr, has $has:expr) => {
        impl Filter for $t {
            #[inline]
            fn put(&mut self, $k: &u64) {
                let $f = self;
                $put;
            }
            #[inline]
            fn has(&self, $k: &u64) -> bool {
                let $f = self;
                $has
            }
        }
        impl Build for $t {
            const NAME: &'static str = $name;
            const OURS: bool = $ours;
            fn build($n: usize, $p: f64) -> Self {
                $build
            }
        }
    };
}

filter!(brick_bloom::BloomFilter, "brick-bloom BloomFilter", true,
    |n, p| brick_bloom::BloomFilter::new(n as u64, p).expect("valid"),
    |f, k| put { f.insert(k); }, has f.contains(k));
filter!(brick_bloom::BlockedBloomFilter, "brick-bloom BlockedBloomFilter", true,
    |n, p| brick_bloom::BlockedBloomFilter::new(n as u64, p).expect("valid"),
    |f, k| put { f.insert(k); }, has f.contains(k));
filter!(brick_bloom::AtomicBloomFilter, "brick-bloom AtomicBloomFilter", true,
    |n, p| brick_bloom::AtomicBloomFilter::new(n as u64, p).expect("valid"),
    |f, k| put { f.insert(k); }, has f.contains(k));
filter!(fastbloom::BloomFilter, "fastbloom", false,
    |n, p| fastbloom::BloomFilter::with_false_pos(p).seed(&42).expected_items(n),
    |f, k| put { f.insert(k); }, has f.contains(k));
filter!(fastbloom::AtomicBloomFilter, "fastbloom AtomicBloomFilter", false,
    |n, p| fastbloom::AtomicBloomFilter::with_false_pos(p).seed(&42).expected_items(n),
    |f, k| put { f.insert(k); }, has f.contains(k));
filter!(bloomfilter::Bloom<u64>, "bloomfilter", false,
    |n, p| bloomfilter::Bloom::new_for_fp_rate_with_seed(n, p, &[7; 32]).expect("valid"),
    |f, k| put f.set(k), has f.check(k));
filter!(datasketches::bloom::BloomFilter, "datasketches", false,
    |n, p| datasketches::bloom::BloomFilterBuilder::with_accuracy(n as u64, p).seed(42).build().expect("valid"),
    |f, k| put f.insert(k), has f.contains(k));
filter!(probabilistic_collections::bloom::BloomFilter<u64>, "probabilistic-collections", false,
    |n, p| probabilistic_collections::bloom::BloomFilter::new(n, p),
    |f, k| put f.insert(k), has f.contains(k));

/// A filled filter of type `F` for `present`.
pub fn filled<F: Build>(present: &[u64], p: f64) -> F {
    let mut f = F::build(present.len(), p);
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

fn measure<F: Build>(
    ctx: &Ctx,
    present: &[u64],
    absent: &[u64],
    p: f64,
    out: &mut Vec<Record>,
) -> Measured {
    let n = present.len();
    let params = format!("n={n} p={p}");
    ctx.step(&format!("{} n={n}", F::NAME));
    let insert = ctx.time(n as u64, || {
        black_box(filled::<F>(present, p));
    });
    let (f, bytes) = ctx.memory.measure(|| filled::<F>(present, p));
    let hit = ctx.time(n as u64, || {
        for k in present {
            black_box(f.has(black_box(k)));
        }
    });
    let miss = ctx.time(absent.len() as u64, || {
        for k in absent {
            black_box(f.has(black_box(k)));
        }
    });
    let fpr = false_positive_rate(&f, absent);
    let record = |op: &str, ns: f64| {
        Record::new(BRICK, F::NAME, F::NAME, F::OURS, op, params.clone()).with_ns(ns)
    };
    out.push(record("insert", insert));
    out.push(record("contains_present", hit));
    out.push(record("contains_absent", miss));
    let bits_per_item = bytes.map_or(f64::NAN, |b| b as f64 * 8.0 / n as f64);
    out.push(
        Record::new(BRICK, F::NAME, F::NAME, F::OURS, "accuracy", params.clone())
            .with_bytes_opt(bytes)
            .with_metric("fpr", fpr, Some(p))
            .at_most(),
    );
    out.push(
        Record::new(BRICK, F::NAME, F::NAME, F::OURS, "memory", params.clone()).with_metric(
            "bits_per_item",
            bits_per_item,
            None,
        ),
    );
    Measured {
        name: F::NAME,
        insert,
        hit,
        miss,
    }
}

/// (bits per item, measured FPR) of `F` at each target rate.
fn curve<F: Build>(ctx: &Ctx, present: &[u64], absent: &[u64], rates: &[f64]) -> Vec<(f64, f64)> {
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
        let m = [
            measure::<brick_bloom::BloomFilter>(ctx, &present, &absent, p, &mut out),
            measure::<brick_bloom::BlockedBloomFilter>(ctx, &present, &absent, p, &mut out),
            measure::<brick_bloom::AtomicBloomFilter>(ctx, &present, &absent, p, &mut out),
            measure::<fastbloom::BloomFilter>(ctx, &present, &absent, p, &mut out),
            measure::<fastbloom::AtomicBloomFilter>(ctx, &present, &absent, p, &mut out),
            measure::<bloomfilter::Bloom<u64>>(ctx, &present, &absent, p, &mut out),
            measure::<datasketches::bloom::BloomFilter>(ctx, &present, &absent, p, &mut out),
            measure::<probabilistic_collections::bloom::BloomFilter<u64>>(
                ctx, &present, &absent, p, &mut out,
            ),
        ];
        let by = |name: &str| m.iter().find(|x| x.name == name).expect("measured");
        let params = format!("n={n} p={p}");
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
