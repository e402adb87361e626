//! Two replicas of 1,000,000 keys drift apart by d keys; a sync over serialized frames finds
//! exactly the differing keys (so does a rateless IBLT), the repair makes them equal, and the
//! bytes exchanged stay within a full exchange plus the slack (reported against d · log2(n)
//! hashes too).

use brick_merkle::{Difference, Frame, Reconciler, SyncSession, SyncTree};
use std::collections::BTreeMap;

type Data = BTreeMap<Vec<u8>, Vec<u8>>;

struct Replica {
    data: Data,
    tree: SyncTree,
}

impl Replica {
    fn set(&mut self, k: &[u8], v: &[u8]) {
        self.data.insert(k.to_vec(), v.to_vec());
        self.tree.insert(k, v);
    }
    fn delete(&mut self, k: &[u8]) {
        self.data.remove(k);
        self.tree.remove(k);
    }
}

/// Runs the protocol; returns (A's differences, messages, bytes).
fn sync(a: &SyncTree, b: &SyncTree) -> (Vec<Difference>, usize, usize) {
    let (mut sa, mut sb) = (SyncSession::new(a), SyncSession::new(b));
    let (mut messages, mut bytes) = (0, 0);
    let mut next = Some(sa.start());
    let mut to_b = true;
    while let Some(frame) = next {
        let wire = frame.to_bytes();
        messages += 1;
        bytes += wire.len();
        let frame = Frame::from_bytes(&wire).expect("well-formed");
        next = if to_b {
            sb.handle(&frame)
        } else {
            sa.handle(&frame)
        }
        .expect("valid protocol");
        to_b = !to_b;
    }
    let da = sa.differences().expect("done").to_vec();
    let db = sb.differences().expect("done");
    // Both sides found the same keys, each from its own point of view.
    assert_eq!(da.len(), db.len());
    (da, messages, bytes)
}

/// The bytes of a plain full exchange between the two trees, and the slack a descent may add.
fn full_exchange_bytes(a: &SyncTree, b: &SyncTree) -> (u64, u64) {
    let (mut sa, mut sb) = (SyncSession::new(a), SyncSession::new(b));
    let keys = sa.start_full();
    let delta = sb.handle(&keys).expect("valid").expect("a delta");
    sa.handle(&delta).expect("valid");
    (sa.bytes(), sa.slack())
}

/// A's differences found by rateless IBLT reconciliation.
fn iblt(a: &SyncTree, b: &SyncTree) -> Vec<Difference> {
    let (mut ra, mut rb) = (Reconciler::new(a), Reconciler::new(b));
    let mut next = rb.handle(&ra.start()).expect("valid request");
    while !ra.is_done() {
        if let Some(reply) = ra.handle(&next.expect("streaming")).expect("valid stream") {
            rb.handle(&reply).expect("valid reply");
        }
        next = rb.next_frame();
    }
    ra.differences().expect("done").to_vec()
}

/// The exact differences from A's side, by walking both maps.
fn exact_diff(a: &Data, b: &Data) -> Vec<Difference> {
    let mut out = Vec::new();
    for (k, v) in a {
        match b.get(k) {
            None => out.push(Difference::MissingThere(k.clone())),
            Some(w) if w != v => out.push(Difference::ValueDiffers(k.clone())),
            _ => {}
        }
    }
    out.extend(
        b.keys()
            .filter(|k| !a.contains_key(*k))
            .map(|k| Difference::MissingHere(k.clone())),
    );
    out.sort();
    out
}

#[test]
fn a_million_keys_sync_exactly_and_cheaply() {
    let n: u64 = 1_000_000;
    let mut base = Replica {
        data: Data::new(),
        tree: SyncTree::with_expected_keys(n),
    };
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = (0..n)
        .map(|i| {
            (
                format!("user:{i:08}").into_bytes(),
                format!("profile-{}", i * 7919 % 1_000_003).into_bytes(),
            )
        })
        .collect();
    base.tree
        .extend(pairs.iter().map(|(k, v)| (k.as_slice(), v.as_slice())));
    base.data.extend(pairs);
    let depth = base.tree.depth();
    let log2n = 64 - (n - 1).leading_zeros() as usize;
    println!("n = {n}, depth = {depth}");
    println!("| d | messages | bytes | bytes / full | bytes / (d·log2 n·32) |");

    for d in [0u64, 1, 10, 1000, 100_000] {
        let mut a = Replica {
            data: base.data.clone(),
            tree: base.tree.clone(),
        };
        let mut b = Replica {
            data: base.data.clone(),
            tree: base.tree.clone(),
        };
        // d edits spread over the key space: a third updated on B, a third deleted on A, a third
        // new on B.
        for j in 0..d {
            let key = format!("user:{:08}", j * (n / d.max(1))).into_bytes();
            match j % 3 {
                0 => b.set(&key, b"updated"),
                1 => a.delete(&key),
                _ => b.set(format!("new:{j:08}").as_bytes(), b"fresh"),
            }
        }
        let (diff, messages, bytes) = sync(&a.tree, &b.tree);
        assert_eq!(diff, exact_diff(&a.data, &b.data), "d = {d}");
        assert_eq!(diff.len() as u64, d);

        let reference = (d as usize * log2n * 32).max(1);
        let (full_bytes, slack) = full_exchange_bytes(&a.tree, &b.tree);
        println!(
            "| {d} | {messages} | {bytes} | {:.5} | {:.2} |",
            bytes as f64 / full_bytes as f64,
            bytes as f64 / reference as f64
        );
        // The default fan-out (16) takes ⌈depth / 4⌉ steps, plus hello, keys and delta.
        assert!(
            messages <= usize::from(depth).div_ceil(4) + 4,
            "{messages} messages"
        );
        if d == 0 {
            // Roots match: one Hello, one Equal.
            assert_eq!(messages, 2);
        } else {
            // Never more than a full exchange plus the stated slack, and far below one while
            // d ≪ n.
            assert!(bytes as u64 <= full_bytes + slack, "d = {d}: {bytes} bytes");
            if d <= 1000 {
                // d/n ≤ 0.1 %: well under a tenth of a full exchange.
                assert!(bytes * 10 < full_bytes as usize, "d = {d}: {bytes} bytes");
            }
        }
        // The IBLT finds the same differences, from A's side.
        assert_eq!(iblt(&a.tree, &b.tree), diff, "d = {d}");

        // Repair: union, B's value winning a conflict (no tombstones here, so A's deletes come back).
        for delta in &diff {
            let k = delta.key();
            match delta {
                Difference::MissingHere(_) | Difference::ValueDiffers(_) => {
                    let v = b.data[k].clone();
                    a.set(k, &v);
                }
                Difference::MissingThere(_) => {
                    let v = a.data[k].clone();
                    b.set(k, &v);
                }
            }
        }
        assert_eq!(a.data, b.data);
        assert_eq!(a.tree.root(), b.tree.root());
        assert!(sync(&a.tree, &b.tree).0.is_empty());
    }
}
