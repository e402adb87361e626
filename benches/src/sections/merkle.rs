//! brick-merkle against rs_merkle and ct-merkle (SHA-256), and the sync protocol's bytes.

use crate::inputs::Rng;
use crate::{Ctx, Record, Section};
use brick_merkle::{MerkleHasher, MerkleLog, Sha256, verify_consistency, verify_inclusion};
use ct_merkle::mem_backed_tree::MemoryBackedTree;
use rs_merkle::Hasher as _;
use std::hint::black_box;

const BRICK: &str = "merkle";
const OURS: &str = "brick-merkle";
type CtTree = MemoryBackedTree<sha2::Sha256, [u8; 32]>;

/// A timed record: ours when `implementation` is this brick.
fn timed(structure: &str, implementation: &str, operation: &str, params: &str, ns: f64) -> Record {
    Record::new(
        BRICK,
        structure,
        implementation,
        implementation == OURS,
        operation,
        params,
    )
    .with_ns(ns)
}

/// `n` pseudo-random 32-byte leaves (fixed seed).
pub fn leaves(n: usize, seed: u64) -> Vec<[u8; 32]> {
    let mut r = Rng::new(seed);
    (0..n)
        .map(|_| {
            let mut l = [0u8; 32];
            for chunk in l.chunks_mut(8) {
                chunk.copy_from_slice(&((r.next_f64() * (1u64 << 53) as f64) as u64).to_le_bytes());
            }
            l
        })
        .collect()
}

/// Ours: the RFC 6962 root of the leaves (leaf hashing included).
pub fn ours_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    MerkleLog::<Sha256>::from_leaves(leaves).root()
}

/// rs_merkle: leaves hashed with its SHA-256, then the tree and its root.
pub fn rs_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    let hashed: Vec<[u8; 32]> = leaves
        .iter()
        .map(|l| rs_merkle::algorithms::Sha256::hash(l))
        .collect();
    rs_merkle::MerkleTree::<rs_merkle::algorithms::Sha256>::from_leaves(&hashed)
        .root()
        .unwrap_or_default()
}

/// ct-merkle: push every leaf, then the root.
pub fn ct_root(leaves: &[[u8; 32]]) -> Vec<u8> {
    let mut t = CtTree::new();
    for l in leaves {
        t.push(*l);
    }
    t.root().as_bytes().to_vec()
}

/// The report section.
#[derive(Debug)]
pub struct MerkleSection;

impl Section for MerkleSection {
    fn brick(&self) -> &'static str {
        BRICK
    }

    fn summary(&self) -> String {
        "SHA-256 everywhere, the same fixed-seed 32-byte leaves for every crate. `root` builds the tree \
         from raw leaves (leaf hashing included) and reads the root, per leaf; `push_root` appends one \
         leaf to the built tree and reads the new root; `inclusion` produces a proof for a random leaf \
         and verifies it; `verify_inclusion` verifies a precomputed proof; `consistency` produces and \
         verifies a proof from a random older size (rs_merkle has none). `bytes` is what the built tree \
         holds. Replica sync is the `merkle-sync` section."
            .to_owned()
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let mut out = Vec::new();
        let n = ctx.mode.pick(10_000, 1_000_000, 1_000_000);
        let data = leaves(n, 3);
        let params = format!("n={n}");
        let per_leaf = n as u64;

        ctx.step("root");
        // Every trio of contenders is timed alternately (one pass each per round).
        let [t_ours, t_rs, t_ct] = ctx.time_alternating(
            per_leaf,
            [
                &mut || _ = black_box(ours_root(&data)),
                &mut || _ = black_box(rs_root(&data)),
                &mut || _ = black_box(ct_root(&data)),
            ],
        );
        let (ours, b_ours) = ctx
            .memory
            .measure(|| MerkleLog::<Sha256>::from_leaves(&data));
        let (rs, b_rs) = ctx.memory.measure(|| {
            let hashed: Vec<[u8; 32]> = data
                .iter()
                .map(|l| rs_merkle::algorithms::Sha256::hash(l))
                .collect();
            rs_merkle::MerkleTree::<rs_merkle::algorithms::Sha256>::from_leaves(&hashed)
        });
        let (mut ct, b_ct) = ctx.memory.measure(|| {
            let mut t = CtTree::new();
            for l in &data {
                t.push(*l);
            }
            t
        });
        let with = Record::with_bytes_opt;
        out.push(with(
            timed("MerkleLog", OURS, "root", &params, t_ours),
            b_ours,
        ));
        out.push(with(
            timed("MerkleTree", "rs_merkle", "root", &params, t_rs),
            b_rs,
        ));
        out.push(with(
            timed("MemoryBackedTree", "ct-merkle", "root", &params, t_ct),
            b_ct,
        ));

        ctx.step("push + root");
        let extra = leaves(ctx.mode.pick(100, 1_000, 1_000), 5);
        // rs_merkle's commit rebuilds its tree (O(n) per append): a few appends say enough.
        let rs_extra = &extra[..ctx.mode.pick(5, 5, 20)];
        let p = format!("n={n}");
        // Each tree keeps growing across the timed runs (a few thousand leaves on n: noise).
        let mut log = ours.clone();
        let mut rs_grown = rs.clone();
        let mut ct_grown = ct.clone();
        let times = ctx.time_alternating_each(&mut [
            (extra.len() as u64, &mut || {
                for l in &extra {
                    log.push(l);
                    black_box(log.root());
                }
            }),
            (rs_extra.len() as u64, &mut || {
                for l in rs_extra {
                    rs_grown
                        .insert(rs_merkle::algorithms::Sha256::hash(l))
                        .commit();
                    black_box(rs_grown.root());
                }
            }),
            (extra.len() as u64, &mut || {
                for l in &extra {
                    ct_grown.push(*l);
                    black_box(ct_grown.root());
                }
            }),
        ]);
        let (t_ours, t_rs, t_ct) = (times[0], times[1], times[2]);
        drop((log, rs_grown, ct_grown));
        out.push(timed("MerkleLog", OURS, "push_root", &p, t_ours));
        out.push(timed("MerkleTree", "rs_merkle", "push_root", &p, t_rs));
        out.push(timed(
            "MemoryBackedTree",
            "ct-merkle",
            "push_root",
            &p,
            t_ct,
        ));

        ctx.step("inclusion proofs");
        let mut r = Rng::new(9);
        let idx: Vec<usize> = (0..1000)
            .map(|_| (r.next_f64() * n as f64) as usize)
            .collect();
        let q = idx.len() as u64;
        let size = n as u64;
        let root = ours.root();
        let rs_root_hash = rs.root().unwrap_or_default();
        let ct_root_hash = ct.root();
        let [t_ours, t_rs, t_ct] = ctx.time_alternating(
            q,
            [
                &mut || {
                    for &i in &idx {
                        let proof = ours.inclusion_proof(i as u64, size).expect("in range");
                        let leaf = Sha256::leaf(&data[i]);
                        black_box(
                            verify_inclusion::<Sha256>(&leaf, i as u64, size, &proof, &root)
                                .is_ok(),
                        );
                    }
                },
                &mut || {
                    for &i in &idx {
                        let proof = rs.proof(&[i]);
                        let leaf = rs_merkle::algorithms::Sha256::hash(&data[i]);
                        black_box(proof.verify(rs_root_hash, &[i], &[leaf], n));
                    }
                },
                &mut || {
                    for &i in &idx {
                        let proof = ct.prove_inclusion(i);
                        black_box(
                            ct_root_hash
                                .verify_inclusion(&data[i], i as u64, &proof)
                                .is_ok(),
                        );
                    }
                },
            ],
        );
        out.push(timed("MerkleLog", OURS, "inclusion", &params, t_ours));
        out.push(timed("MerkleTree", "rs_merkle", "inclusion", &params, t_rs));
        out.push(timed(
            "MemoryBackedTree",
            "ct-merkle",
            "inclusion",
            &params,
            t_ct,
        ));

        // Verification alone, on precomputed proofs.
        let ours_proofs: Vec<_> = idx
            .iter()
            .map(|&i| {
                (
                    Sha256::leaf(&data[i]),
                    ours.inclusion_proof(i as u64, size).expect("in range"),
                )
            })
            .collect();
        let rs_proofs: Vec<_> = idx
            .iter()
            .map(|&i| {
                (
                    rs_merkle::algorithms::Sha256::hash(&data[i]),
                    rs.proof(&[i]),
                )
            })
            .collect();
        let ct_proofs: Vec<_> = idx.iter().map(|&i| ct.prove_inclusion(i)).collect();
        let [t_ours, t_rs, t_ct] = ctx.time_alternating(
            q,
            [
                &mut || {
                    for (&i, (leaf, proof)) in idx.iter().zip(&ours_proofs) {
                        black_box(
                            verify_inclusion::<Sha256>(leaf, i as u64, size, proof, &root).is_ok(),
                        );
                    }
                },
                &mut || {
                    for (&i, (leaf, proof)) in idx.iter().zip(&rs_proofs) {
                        black_box(proof.verify(rs_root_hash, &[i], &[*leaf], n));
                    }
                },
                &mut || {
                    for (&i, proof) in idx.iter().zip(&ct_proofs) {
                        black_box(
                            ct_root_hash
                                .verify_inclusion(&data[i], i as u64, proof)
                                .is_ok(),
                        );
                    }
                },
            ],
        );
        out.push(timed(
            "verify_inclusion",
            OURS,
            "verify_inclusion",
            &params,
            t_ours,
        ));
        out.push(timed(
            "MerkleProof::verify",
            "rs_merkle",
            "verify_inclusion",
            &params,
            t_rs,
        ));
        out.push(timed(
            "RootHash::verify_inclusion",
            "ct-merkle",
            "verify_inclusion",
            &params,
            t_ct,
        ));

        ctx.step("consistency proofs");
        let olds: Vec<u64> = (0..200)
            .map(|_| 1 + (r.next_f64() * (n - 1) as f64) as u64)
            .collect();
        let roots_at: Vec<[u8; 32]> = olds
            .iter()
            .map(|&m| ours.root_at(m).expect("in range"))
            .collect();
        let q = olds.len() as u64;
        // ct-merkle proves from (len − additions) to len; its old roots come from prefix trees,
        // built outside the timing (a handful of sizes).
        let ct_olds: Vec<(u64, ct_merkle::RootHash<sha2::Sha256>)> = olds
            .iter()
            .take(ctx.mode.pick(3, 5, 10))
            .map(|&m| {
                let mut t = CtTree::new();
                for l in &data[..m as usize] {
                    t.push(*l);
                }
                (m, t.root())
            })
            .collect();
        let times = ctx.time_alternating_each(&mut [
            (q, &mut || {
                for (&m, old_root) in olds.iter().zip(&roots_at) {
                    let proof = ours.consistency_proof(m, size).expect("in range");
                    black_box(
                        verify_consistency::<Sha256>(m, size, old_root, &root, &proof).is_ok(),
                    );
                }
            }),
            (ct_olds.len() as u64, &mut || {
                for (m, old_root) in &ct_olds {
                    let proof = ct.prove_consistency((size - m) as usize);
                    black_box(ct_root_hash.verify_consistency(old_root, &proof).is_ok());
                }
            }),
        ]);
        let (t_ours, t_ct) = (times[0], times[1]);
        out.push(timed("MerkleLog", OURS, "consistency", &params, t_ours));
        out.push(timed(
            "MemoryBackedTree",
            "ct-merkle",
            "consistency",
            &params,
            t_ct,
        ));
        // Keep the ct tree alive and mutable to the end (its push borrows mutably above).
        ct.push([0u8; 32]);
        black_box(&ct);

        out
    }
}
