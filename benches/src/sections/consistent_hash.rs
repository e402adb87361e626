//! brick-consistent-hash against hashring, mpchash, jumphash, rendezvous_hash and maglev.

use crate::chart::{Chart, Series};
use crate::{Ctx, Record, Section};
use brick_consistent_hash::{
    DefaultBuildHasher, HashRing, Maglev, Rendezvous, distribution, jump, moved,
};
use maglev::ConsistentHasher as _;
use std::hash::BuildHasher;
use std::hint::black_box;

const BRICK: &str = "consistent-hash";
const OURS: &str = "brick-consistent-hash";
/// Virtual nodes per node for every ring, ours and peers.
pub const VNODES: u32 = 160;

/// Fixed-seed u64 keys (the shared input stream of [`crate::inputs::keys`]).
pub fn keys(n: usize) -> Vec<u64> {
    crate::inputs::keys(n, 0x243f_6a88_85a3_08d3, false)
}

/// The busiest node's load over the mean that a ring of `n` nodes with `v` points each exceeds
/// in at most 0.1 % of rings, with `keys` keys. A node's share is a sum of v arcs, a Gamma(v)
/// variable of mean 1 and relative variance 1/v; sampling `keys` keys adds n/keys to that. The
/// load is taken as Gamma with that variance (shape s = ⌊1/(1/v + n/keys)⌋, rounded down so its
/// tail is the heavier), whose tail for whole s is a Poisson sum,
/// P(load > t) = P(Poisson(s·t) < s), and the union bound over n nodes gives the t with
/// n·P(load > t) = 0.001. It grows with n and falls with v.
pub fn max_load_bound(n: u32, v: u32, keys: usize) -> f64 {
    let nodes = f64::from(n);
    let shape = (1.0 / (1.0 / f64::from(v) + nodes / keys.max(1) as f64))
        .floor()
        .max(1.0);
    // P(Poisson(λ) < s) = Σ_{i<s} e^−λ λ^i / i!, summed in log space.
    let below = |lambda: f64| {
        let mut log_term = -lambda;
        let mut sum = log_term.exp();
        for i in 1..shape as u64 {
            log_term += lambda.ln() - (i as f64).ln();
            sum += log_term.exp();
        }
        sum
    };
    let (mut lo, mut hi) = (1.0f64, 64.0f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if nodes * below(shape * mid) > 0.001 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// What more virtual nodes cost a 100-node ring: memory, the time to build it (100 adds, each
/// re-sorting the points), and the lookup, which stays O(1) (the prefix index keeps the search
/// to one bucket) but reads a larger array, so it leaves the caches sooner.
fn vnode_costs(ctx: &Ctx, ks: &[u64], out: &mut Vec<Record>) {
    ctx.step("virtual node costs");
    let n = 100u32;
    let lookups = &ks[..ks.len().min(200_000)];
    for v in [1u32, 10, 40, 160, 640] {
        let build = || {
            let mut r = HashRing::new(v).expect("vnodes > 0");
            (0..n).for_each(|i| r.add(i, 1).expect("distinct"));
            r
        };
        let (ring, bytes) = ctx.memory.measure(build);
        let build_ns = ctx.time(1, || _ = black_box(build()));
        let lookup_ns = ctx.time(lookups.len() as u64, || {
            lookups.iter().for_each(|k| _ = black_box(ring.get(k)))
        });
        let spread = distribution(ks.iter(), 0..n, |k| ring.get(*k).copied());
        let p = format!("nodes={n} vnodes={v}");
        out.push(
            Record::with_bytes_opt(
                Record::new(BRICK, "HashRing", OURS, true, "vnodes_lookup", p.clone())
                    .with_ns(lookup_ns),
                bytes,
            )
            .with_metric(
                "max/mean",
                spread.max_over_mean,
                Some(max_load_bound(n, v, ks.len())),
            )
            .at_most(),
        );
        out.push(
            Record::new(BRICK, "HashRing", OURS, true, "vnodes_build", p)
                .with_ns(build_ns)
                .with_metric("points", f64::from(n * v), None),
        );
    }
}

/// Our ring of `n` equal nodes.
pub fn ours_ring(n: u32) -> HashRing<u32> {
    let mut r = HashRing::new(VNODES).expect("vnodes > 0");
    for i in 0..n {
        r.add(i, 1).expect("distinct nodes");
    }
    r
}

/// The `hashring` crate with the same number of caller-made virtual nodes.
pub fn peer_ring(n: u32) -> hashring::HashRing<(u32, u32)> {
    let mut r = hashring::HashRing::new();
    // batch_add sorts once; add() one by one keeps the vector sorted at every step.
    r.batch_add(
        (0..n)
            .flat_map(|i| (0..VNODES).map(move |v| (i, v)))
            .collect(),
    );
    r
}

/// mpchash (multi-probe, no virtual nodes).
pub fn mpc_ring(n: u32) -> mpchash::HashRing<u32> {
    let r = mpchash::HashRing::new();
    for i in 0..n {
        r.add(i);
    }
    r
}

/// Our rendezvous over `n` equal nodes.
pub fn ours_hrw(n: u32) -> Rendezvous<u32> {
    let mut r = Rendezvous::new();
    for i in 0..n {
        r.add(i, 1.0).expect("positive weight");
    }
    r
}

/// rendezvous_hash's nodes.
pub fn peer_hrw(
    n: u32,
) -> rendezvous_hash::RendezvousNodes<
    rendezvous_hash::IdNode<u32>,
    rendezvous_hash::DefaultNodeHasher,
> {
    let mut r = rendezvous_hash::RendezvousNodes::new(rendezvous_hash::DefaultNodeHasher::new());
    for i in 0..n {
        r.insert(rendezvous_hash::IdNode::new(i));
    }
    r
}

/// Our Maglev with the default 65537-slot table.
pub fn ours_maglev(n: u32) -> Maglev<u32> {
    let mut m = Maglev::new(brick_consistent_hash::DEFAULT_TABLE_SIZE).expect("prime");
    for i in 0..n {
        m.add(i).expect("fits");
    }
    m
}

/// Our jump with the key hashed first (the peer hashes too). Inlined like the peer's generic
/// `slot`, so the timing loop does not pay a cross-crate call the peer does not.
#[inline]
pub fn ours_jump(h: &DefaultBuildHasher, key: &u64, n: u32) -> u32 {
    jump(h.hash_one(key), n).expect("n > 0")
}

/// Fraction of `keys` whose node differs between `before` and `after`.
fn moved_fraction<N: PartialEq>(
    keys: &[u64],
    mut before: impl FnMut(&u64) -> Option<N>,
    mut after: impl FnMut(&u64) -> Option<N>,
) -> f64 {
    moved(keys.iter(), |k| before(k), |k| after(k)) as f64 / keys.len().max(1) as f64
}

/// The report section.
#[derive(Debug)]
pub struct ConsistentHashSection;

impl Section for ConsistentHashSection {
    fn brick(&self) -> &'static str {
        BRICK
    }

    fn summary(&self) -> String {
        format!(
            "Lookups of the same fixed-seed u64 keys at 10, 100 and 1000 equal nodes; rings use {VNODES} \
             virtual nodes per node (the `hashring` crate gets them as {VNODES} caller-made nodes each; mpchash \
             uses multi-probe instead). Every lookup hashes the key. `bytes` is the structure's memory; \
             `max/mean` the busiest node's load over the mean on the keys, with its bound: the value a \
             ring of n nodes and v virtual nodes exceeds in at most 0.1 % of rings (each node's share a \
             Gamma sum of v arcs, plus the keys' sampling, union bound over the n nodes), so it grows \
             with n and falls like 1/√v; `moved` the fraction of keys that change node when node n+1 \
             joins (ideal 1/(n+1); maglev's peer sizes its table from the node count). `vnodes_lookup` \
             and `vnodes_build` show what more virtual nodes cost a 100-node ring: bytes, the lookup, \
             and the time to build it by 100 adds."
        )
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let mut out = Vec::new();
        let ks = keys(ctx.mode.pick(10_000, 200_000, 1_000_000));
        let ops = ks.len() as u64;
        let hasher = DefaultBuildHasher::default();
        let mut curves: Vec<(&str, Vec<(f64, f64)>)> = Vec::new();
        let mut curve =
            |name: &'static str, n: u32, ns: f64| match curves.iter_mut().find(|(c, _)| *c == name)
            {
                Some((_, v)) => v.push((f64::from(n), ns)),
                None => curves.push((name, vec![(f64::from(n), ns)])),
            };
        for n in [10u32, 100, 1000] {
            ctx.step(&format!("lookups, {n} nodes"));
            let p = format!("nodes={n}");
            let with_bytes = Record::with_bytes_opt;
            // Rings.
            // Every pair or trio of contenders is timed alternately (one pass each per round).
            let (ring, b) = ctx.memory.measure(|| ours_ring(n));
            let (peer, peer_b) = ctx.memory.measure(|| peer_ring(n));
            let (mpc, mpc_b) = ctx.memory.measure(|| mpc_ring(n));
            let [t, peer_t, mpc_t] = ctx.time_alternating(
                ops,
                [
                    &mut || ks.iter().for_each(|k| _ = black_box(ring.get(k))),
                    &mut || ks.iter().for_each(|k| _ = black_box(peer.get(k))),
                    &mut || ks.iter().for_each(|k| _ = black_box(mpc.node(k).is_some())),
                ],
            );
            let lm = distribution(ks.iter(), 0..n, |k| ring.get(*k).copied());
            curve("brick HashRing", n, t);
            out.push(
                with_bytes(
                    Record::new(BRICK, "HashRing", OURS, true, "ring_lookup", p.clone()).with_ns(t),
                    b,
                )
                .with_metric(
                    "max/mean",
                    lm.max_over_mean,
                    Some(max_load_bound(n, VNODES, ks.len())),
                )
                .at_most(),
            );
            let (t, b) = (peer_t, peer_b);
            let lm = distribution(ks.iter(), 0..n, |k| peer.get(*k).map(|(node, _)| *node));
            curve("hashring", n, t);
            out.push(
                with_bytes(
                    Record::new(
                        BRICK,
                        "HashRing",
                        "hashring",
                        false,
                        "ring_lookup",
                        p.clone(),
                    )
                    .with_ns(t),
                    b,
                )
                .with_metric("max/mean", lm.max_over_mean, None),
            );
            let (t, b) = (mpc_t, mpc_b);
            curve("mpchash", n, t);
            out.push(with_bytes(
                Record::new(
                    BRICK,
                    "HashRing",
                    "mpchash",
                    false,
                    "ring_lookup",
                    p.clone(),
                )
                .with_ns(t),
                b,
            ));

            // Jump.
            let jh = jumphash::JumpHasher::new_with_keys(0, 0);
            let [t, jh_t] = ctx.time_alternating(
                ops,
                [
                    &mut || {
                        ks.iter()
                            .for_each(|k| _ = black_box(ours_jump(&hasher, k, n)))
                    },
                    &mut || ks.iter().for_each(|k| _ = black_box(jh.slot(k, n))),
                ],
            );
            curve("brick jump", n, t);
            out.push(Record::new(BRICK, "jump", OURS, true, "jump", p.clone()).with_ns(t));
            let t = jh_t;
            curve("jumphash", n, t);
            out.push(
                Record::new(BRICK, "JumpHasher", "jumphash", false, "jump", p.clone()).with_ns(t),
            );

            // Rendezvous: O(n) per key, so fewer keys at 1000 nodes.
            let hk = &ks[..ks
                .len()
                .min(ctx.mode.pick(2_000, 20_000, 50_000) * 10 / n as usize)];
            let hrw = ours_hrw(n);
            let peer_h = peer_hrw(n);
            let [t, peer_h_t] = ctx.time_alternating(
                hk.len() as u64,
                [
                    &mut || hk.iter().for_each(|k| _ = black_box(hrw.get(k))),
                    &mut || {
                        hk.iter()
                            .for_each(|k| _ = black_box(peer_h.calc_candidates(k).next()))
                    },
                ],
            );
            curve("brick Rendezvous", n, t);
            out.push(
                Record::new(BRICK, "Rendezvous", OURS, true, "rendezvous", p.clone()).with_ns(t),
            );
            let t = peer_h_t;
            curve("rendezvous_hash", n, t);
            out.push(
                Record::new(
                    BRICK,
                    "RendezvousNodes",
                    "rendezvous_hash",
                    false,
                    "rendezvous",
                    p.clone(),
                )
                .with_ns(t),
            );

            // Maglev.
            let (m, b) = ctx.memory.measure(|| ours_maglev(n));
            let (pm, pm_b) = ctx.memory.measure(|| maglev::Maglev::new(0..n));
            let [t, pm_t] = ctx.time_alternating(
                ops,
                [
                    &mut || ks.iter().for_each(|k| _ = black_box(m.get(k))),
                    &mut || ks.iter().for_each(|k| _ = black_box(pm.get(k))),
                ],
            );
            let lm = distribution(ks.iter(), 0..n, |k| m.get(*k).copied());
            curve("brick Maglev", n, t);
            out.push(
                with_bytes(
                    Record::new(BRICK, "Maglev", OURS, true, "maglev", p.clone()).with_ns(t),
                    b,
                )
                .with_metric("max/mean", lm.max_over_mean, None),
            );
            let (t, b) = (pm_t, pm_b);
            curve("maglev crate", n, t);
            out.push(with_bytes(
                Record::new(BRICK, "Maglev", "maglev", false, "maglev", p.clone()).with_ns(t),
                b,
            ));

            // Movement when node n joins.
            let mk = &ks[..ks.len().min(100_000)];
            let ideal = 1.0 / f64::from(n + 1);
            let moved_record =
                |structure: &str, implementation: &str, ours: bool, fraction: f64| {
                    Record::new(
                        BRICK,
                        structure,
                        implementation,
                        ours,
                        "moved_on_add",
                        p.clone(),
                    )
                    .with_metric("moved", fraction, Some(ideal))
                };
            let grown = ours_ring(n + 1);
            let f = moved_fraction(mk, |k| ring.get(k).copied(), |k| grown.get(k).copied());
            out.push(moved_record("HashRing", OURS, true, f));
            let grown_peer = peer_ring(n + 1);
            let f = moved_fraction(
                mk,
                |k| peer.get(k).map(|x| x.0),
                |k| grown_peer.get(k).map(|x| x.0),
            );
            out.push(moved_record("HashRing", "hashring", false, f));
            let grown_m = ours_maglev(n + 1);
            let f = moved_fraction(mk, |k| m.get(k).copied(), |k| grown_m.get(k).copied());
            out.push(moved_record("Maglev", OURS, true, f));
            let grown_pm = maglev::Maglev::new(0..n + 1);
            let f = moved_fraction(mk, |k| pm.get(k).copied(), |k| grown_pm.get(k).copied());
            out.push(moved_record("Maglev", "maglev", false, f));
            let f = moved_fraction(
                mk,
                |k| Some(ours_jump(&hasher, k, n)),
                |k| Some(ours_jump(&hasher, k, n + 1)),
            );
            out.push(moved_record("jump", OURS, true, f));
        }
        let mut chart =
            Chart::new("Lookup time against node count", "nodes", "ns per lookup").log(true, true);
        for (name, pts) in curves {
            chart = chart.with(Series::line(name, pts));
        }
        ctx.chart("consistent_hash_lookup", &chart);

        // Load per node, sorted, at 100 nodes.
        ctx.step("load per node");
        let n = 100u32;
        // Each node's load over the mean, busiest first.
        let sorted_loads = |keys: &[u64], assign: &dyn Fn(&u64) -> u32| {
            let mut counts = vec![0f64; n as usize];
            for k in keys {
                counts[assign(k) as usize] += 1.0;
            }
            let mean = keys.len() as f64 / f64::from(n);
            counts.sort_by(|a, b| b.total_cmp(a));
            counts
                .iter()
                .enumerate()
                .map(|(i, c)| (i as f64, c / mean))
                .collect::<Vec<_>>()
        };
        let ring = ours_ring(n);
        let hrw = ours_hrw(n);
        let m = ours_maglev(n);
        let one_vnode = {
            let mut r = HashRing::new(1).expect("vnodes > 0");
            (0..n).for_each(|i| r.add(i, 1).expect("distinct"));
            r
        };
        let hk = &ks[..ks.len().min(50_000)];
        vnode_costs(ctx, &ks, &mut out);
        ctx.chart(
            "consistent_hash_load",
            &Chart::new(
                "Load per node (sorted), 100 nodes",
                "node rank",
                "load / mean",
            )
            .with(Series::line(
                "HashRing, 1 vnode",
                sorted_loads(&ks, &|k| *one_vnode.get(k).expect("non-empty")),
            ))
            .with(Series::line(
                format!("HashRing, {VNODES} vnodes"),
                sorted_loads(&ks, &|k| *ring.get(k).expect("non-empty")),
            ))
            .with(Series::line(
                "Rendezvous",
                sorted_loads(hk, &|k| *hrw.get(k).expect("non-empty")),
            ))
            .with(Series::line(
                "Maglev 65537",
                sorted_loads(&ks, &|k| *m.get(k).expect("non-empty")),
            ))
            .with(Series::line(
                "jump",
                sorted_loads(&ks, &|k| ours_jump(&hasher, k, n)),
            )),
        );
        out
    }
}
