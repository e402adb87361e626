//! Criterion: brick-consistent-hash against hashring, mpchash, jumphash, rendezvous_hash and
//! maglev, on the same fixed-seed keys.

use brick_benches::sections::consistent_hash::{
    keys, mpc_ring, ours_hrw, ours_jump, ours_maglev, ours_ring, peer_hrw, peer_ring,
};
use brick_consistent_hash::DefaultBuildHasher;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use maglev::ConsistentHasher as _;
use std::hint::black_box;

/// Keys per timed batch.
const BATCH: usize = 10_000;

/// Times `f` over a window of `batch` keys that slides through `keys` (10^6 of them), so no
/// key repeats for 100 iterations: reusing one small batch lets the branch predictor learn the
/// keys' loop exits and made jump look 3× faster than on fresh keys.
fn sliding(b: &mut criterion::Bencher, keys: &[u64], batch: usize, f: impl Fn(&u64)) {
    let mut at = 0;
    b.iter(|| {
        at = (at + batch) % (keys.len() - batch);
        keys[at..at + batch].iter().for_each(&f)
    })
}

fn lookups(c: &mut Criterion) {
    let all = keys(1_000_000);
    let ks = &all[..BATCH];
    let h = DefaultBuildHasher::default();
    for n in [10u32, 100, 1000] {
        let mut g = c.benchmark_group("consistent-hash/ring_lookup");
        g.throughput(Throughput::Elements(ks.len() as u64));
        let (ours, peer, mpc) = (ours_ring(n), peer_ring(n), mpc_ring(n));
        g.bench_function(BenchmarkId::new("brick-consistent-hash", n), |b| {
            sliding(b, &all, BATCH, |k| _ = black_box(ours.get(k)))
        });
        g.bench_function(BenchmarkId::new("hashring", n), |b| {
            sliding(b, &all, BATCH, |k| _ = black_box(peer.get(k)))
        });
        g.bench_function(BenchmarkId::new("mpchash", n), |b| {
            sliding(b, &all, BATCH, |k| _ = black_box(mpc.node(k).is_some()))
        });
        g.finish();

        let mut g = c.benchmark_group("consistent-hash/jump");
        g.throughput(Throughput::Elements(ks.len() as u64));
        let jh = jumphash::JumpHasher::new_with_keys(0, 0);
        g.bench_function(BenchmarkId::new("brick-consistent-hash", n), |b| {
            sliding(b, &all, BATCH, |k| _ = black_box(ours_jump(&h, k, n)))
        });
        g.bench_function(BenchmarkId::new("jumphash", n), |b| {
            sliding(b, &all, BATCH, |k| _ = black_box(jh.slot(k, n)))
        });
        g.finish();

        let mut g = c.benchmark_group("consistent-hash/rendezvous");
        let few = &ks[..1000];
        g.throughput(Throughput::Elements(few.len() as u64));
        let (ours, peer) = (ours_hrw(n), peer_hrw(n));
        g.bench_function(BenchmarkId::new("brick-consistent-hash", n), |b| {
            sliding(b, &all, few.len(), |k| _ = black_box(ours.get(k)))
        });
        g.bench_function(BenchmarkId::new("rendezvous_hash", n), |b| {
            sliding(b, &all, few.len(), |k| {
                _ = black_box(peer.calc_candidates(k).next())
            })
        });
        g.finish();

        let mut g = c.benchmark_group("consistent-hash/maglev");
        g.throughput(Throughput::Elements(ks.len() as u64));
        let (ours, peer) = (ours_maglev(n), maglev::Maglev::new(0..n));
        g.bench_function(BenchmarkId::new("brick-consistent-hash", n), |b| {
            sliding(b, &all, BATCH, |k| _ = black_box(ours.get(k)))
        });
        g.bench_function(BenchmarkId::new("maglev", n), |b| {
            sliding(b, &all, BATCH, |k| _ = black_box(peer.get(k)))
        });
        g.finish();
    }
}

criterion_group!(benches, lookups);
criterion_main!(benches);
