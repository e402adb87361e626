//! Criterion: brick-merkle against rs_merkle and ct-merkle on the same fixed-seed leaves, and its
//! reconciliation against riblt on the same pair of replicas.

use brick_benches::sections::merkle::{ct_root, leaves, ours_root, rs_root};
use brick_merkle::{MerkleHasher, MerkleLog, Sha256, verify_inclusion};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rs_merkle::Hasher as _;
use std::hint::black_box;

fn root(c: &mut Criterion) {
    let mut g = c.benchmark_group("merkle/root");
    g.sample_size(10);
    for n in [1_000usize, 100_000] {
        let data = leaves(n, 3);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("brick-merkle", n), &data, |b, d| {
            b.iter(|| black_box(ours_root(d)))
        });
        g.bench_with_input(BenchmarkId::new("rs_merkle", n), &data, |b, d| {
            b.iter(|| black_box(rs_root(d)))
        });
        g.bench_with_input(BenchmarkId::new("ct-merkle", n), &data, |b, d| {
            b.iter(|| black_box(ct_root(d)))
        });
    }
    g.finish();
}

fn verify(c: &mut Criterion) {
    let n = 100_000usize;
    let data = leaves(n, 3);
    let ours = MerkleLog::<Sha256>::from_leaves(&data);
    let root = ours.root();
    let i = 31_337usize;
    let proof = ours.inclusion_proof(i as u64, n as u64).expect("in range");
    let leaf = Sha256::leaf(&data[i]);
    let hashed: Vec<[u8; 32]> = data
        .iter()
        .map(|l| rs_merkle::algorithms::Sha256::hash(l))
        .collect();
    let rs = rs_merkle::MerkleTree::<rs_merkle::algorithms::Sha256>::from_leaves(&hashed);
    let rs_proof = rs.proof(&[i]);
    let rs_root_hash = rs.root().expect("non-empty");
    let mut ct = ct_merkle::mem_backed_tree::MemoryBackedTree::<sha2::Sha256, [u8; 32]>::new();
    for l in &data {
        ct.push(*l);
    }
    let ct_proof = ct.prove_inclusion(i);
    let ct_root_hash = ct.root();

    let mut g = c.benchmark_group("merkle/verify_inclusion");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("brick-merkle", n), |b| {
        b.iter(|| {
            black_box(verify_inclusion::<Sha256>(&leaf, i as u64, n as u64, &proof, &root).is_ok())
        })
    });
    g.bench_function(BenchmarkId::new("rs_merkle", n), |b| {
        b.iter(|| black_box(rs_proof.verify(rs_root_hash, &[i], &[hashed[i]], n)))
    });
    g.bench_function(BenchmarkId::new("ct-merkle", n), |b| {
        b.iter(|| {
            black_box(
                ct_root_hash
                    .verify_inclusion(&data[i], i as u64, &ct_proof)
                    .is_ok(),
            )
        })
    });
    g.finish();
}

/// One whole reconciliation of two replicas that differ in d keys: ours (rateless IBLT and the
/// Merkle descent at its default fan-out) against riblt given the exact prefix it needs.
fn reconcile(c: &mut Criterion) {
    use brick_benches::sections::merkle_sync::{
        iblt, merkle, replicas, riblt_items, riblt_once, riblt_prefix,
    };
    let n = 10_000u64;
    let mut g = c.benchmark_group("merkle/reconcile");
    g.sample_size(10);
    for d in [10u64, 100] {
        let (a, b, ka, kb) = replicas(n, d);
        let (ia, ib) = (riblt_items(&ka), riblt_items(&kb));
        let (m, _) = riblt_prefix(&ia, &ib, d);
        g.throughput(Throughput::Elements(d));
        g.bench_with_input(
            BenchmarkId::new("brick-merkle Reconciler", d),
            &d,
            |bench, _| bench.iter(|| black_box(iblt(&a, &b))),
        );
        g.bench_with_input(
            BenchmarkId::new("brick-merkle SyncSession f=16", d),
            &d,
            |bench, _| bench.iter(|| black_box(merkle(&a, &b, 16, false))),
        );
        g.bench_with_input(BenchmarkId::new("riblt", d), &d, |bench, _| {
            bench.iter(|| black_box(riblt_once(&ia, &ib, m)))
        });
    }
    g.finish();
}

criterion_group!(benches, root, verify, reconcile);
criterion_main!(benches);
