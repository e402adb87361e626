//! Both reconciliation protocols recover exactly the symmetric difference of any two sets, and
//! the Merkle descent never costs more than a full exchange plus its stated slack.

use brick_merkle::{Difference, Frame, Reconciler, SymbolFrame, SyncSession, SyncTree, Xxh3_128};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

type Tree = SyncTree<Xxh3_128>;
type Map = BTreeMap<Vec<u8>, u8>;

fn tree(m: &Map, depth: u8) -> Tree {
    let mut t = Tree::new(depth).unwrap();
    for (k, v) in m {
        t.insert(k, &[*v]);
    }
    t
}

/// The differences from `a`'s side, by walking both maps.
fn expected(a: &Map, b: &Map) -> Vec<Difference> {
    let keys: BTreeSet<&Vec<u8>> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        match (a.get(k), b.get(k)) {
            (Some(x), Some(y)) if x != y => out.push(Difference::ValueDiffers(k.clone())),
            (Some(_), None) => out.push(Difference::MissingThere(k.clone())),
            (None, Some(_)) => out.push(Difference::MissingHere(k.clone())),
            _ => {}
        }
    }
    out.sort();
    out
}

fn flip(d: &[Difference]) -> Vec<Difference> {
    let mut out: Vec<Difference> = d
        .iter()
        .map(|d| match d {
            Difference::MissingHere(k) => Difference::MissingThere(k.clone()),
            Difference::MissingThere(k) => Difference::MissingHere(k.clone()),
            Difference::ValueDiffers(k) => Difference::ValueDiffers(k.clone()),
        })
        .collect();
    out.sort();
    out
}

/// A whole Merkle session over the wire; (A's view, B's view, bytes, messages).
fn merkle(
    a: &Tree,
    b: &Tree,
    fanout: u32,
    full: bool,
) -> (Vec<Difference>, Vec<Difference>, u64, usize) {
    let mut sa = SyncSession::with_fanout(a, fanout).unwrap();
    let mut sb = SyncSession::with_fanout(b, fanout).unwrap();
    let first = if full { sa.start_full() } else { sa.start() };
    let mut wire = Some(first.to_bytes());
    let (mut bytes, mut messages, mut to_b) = (0u64, 0usize, true);
    while let Some(w) = wire {
        bytes += w.len() as u64;
        messages += 1;
        assert_eq!(
            Frame::<[u8; 16]>::from_bytes(&w).unwrap().encoded_len(),
            w.len()
        );
        wire = if to_b {
            sb.handle_bytes(&w)
        } else {
            sa.handle_bytes(&w)
        }
        .unwrap();
        to_b = !to_b;
    }
    assert_eq!(sa.bytes(), bytes);
    assert_eq!(sb.bytes(), bytes);
    (
        sa.differences().unwrap().to_vec(),
        sb.differences().unwrap().to_vec(),
        bytes,
        messages,
    )
}

/// A whole IBLT reconciliation, acknowledgements delivered as they are sent; (A's view,
/// bytes, symbols).
fn iblt(a: &Tree, b: &Tree, salt: u64) -> (Vec<Difference>, u64, u64) {
    let mut ra = Reconciler::new(a).with_salt(salt);
    let mut rb = Reconciler::new(b);
    let request = ra.start().to_bytes();
    let mut bytes = request.len() as u64;
    let mut next = rb.handle_bytes(&request).unwrap();
    while !ra.is_done() {
        let w = next.expect("the responder streams until stopped");
        bytes += w.len() as u64;
        assert_eq!(
            SymbolFrame::<[u8; 16]>::from_bytes(&w)
                .unwrap()
                .encoded_len(),
            w.len()
        );
        if let Some(reply) = ra.handle_bytes(&w).unwrap() {
            bytes += reply.len() as u64;
            assert_eq!(rb.handle_bytes(&reply).unwrap(), None);
        }
        next = rb.next_frame().map(|f| f.to_bytes());
    }
    assert!(rb.is_done());
    (ra.differences().unwrap().to_vec(), bytes, ra.symbols())
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..12)
}

/// Two maps from one base: edits on either side, including the same key with other values,
/// and the extremes (one side empty, disjoint sets, identical sets).
fn pair() -> impl Strategy<Value = (Map, Map)> {
    (
        prop::collection::btree_map(key(), any::<u8>(), 0..150),
        prop::collection::vec((key(), prop::option::of(any::<u8>()), any::<bool>()), 0..60),
        0u8..5,
    )
        .prop_map(|(base, edits, shape)| match shape {
            0 => (base.clone(), base),
            1 => (base, Map::new()),
            2 => {
                let b: Map = base
                    .iter()
                    .map(|(k, v)| ([k.as_slice(), b"'"].concat(), *v))
                    .collect();
                (base, b)
            }
            _ => {
                let (mut a, mut b) = (base.clone(), base);
                for (k, v, on_a) in edits {
                    let m = if on_a { &mut a } else { &mut b };
                    match v {
                        Some(v) => {
                            m.insert(k, v);
                        }
                        None => {
                            m.remove(&k);
                        }
                    }
                }
                (a, b)
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn merkle_recovers_exactly_the_difference_within_a_full_exchange_plus_slack(
        (a, b) in pair(), depth in 1u8..9, fanout_log2 in 1u32..9,
    ) {
        let (ta, tb) = (tree(&a, depth), tree(&b, depth));
        let fanout = 1 << fanout_log2;
        let (da, db, bytes, messages) = merkle(&ta, &tb, fanout, false);
        let want = expected(&a, &b);
        prop_assert_eq!(&da, &want);
        prop_assert_eq!(db, flip(&want));
        let (fa, fb, full, _) = merkle(&ta, &tb, fanout, true);
        prop_assert_eq!(&fa, &want);
        prop_assert_eq!(fb, flip(&want));
        let mut probe = SyncSession::with_fanout(&ta, fanout).unwrap();
        let _ = probe.start();
        let slack = probe.slack();
        // The slack is fixed by the trees (never by d): at most max(64 KiB, full / 64), or the
        // floor of two steps of hashes.
        let stated = brick_merkle::SLACK.max(full / brick_merkle::SLACK_FRACTION);
        prop_assert!(slack <= stated.max(2 * (u64::from(fanout) * 30 + 64)));
        prop_assert!(bytes <= full + slack, "{} bytes against a full exchange of {} + {}", bytes, full, slack);
        let steps = usize::from(depth).div_ceil(fanout_log2 as usize);
        prop_assert!(messages <= steps + 4, "{} messages for {} steps", messages, steps);
    }

    #[test]
    fn iblt_recovers_exactly_the_difference((a, b) in pair(), salt in any::<u64>()) {
        let (ta, tb) = (tree(&a, 3), tree(&b, 3));
        let (da, _, _) = iblt(&ta, &tb, salt);
        prop_assert_eq!(da, expected(&a, &b));
    }
}
