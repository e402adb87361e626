//! Bad input: hostile sync messages (keys listed under the wrong bucket, duplicated, or
//! arbitrary frames) are typed errors, never a reported difference for a key both replicas hold
//! alike; proofs checked through a `TreeHead` cannot take their size from elsewhere; and every
//! public operation with arbitrary sizes and indices answers or errs, never panics.

use brick_merkle::{
    BucketDelta, BucketEntries, Difference, Error, Frame, MerkleHasher, MerkleLog, Message, Sha256,
    SyncSession, SyncTree, TreeHead, verify_inclusion,
};
use proptest::prelude::*;

type Tree = SyncTree<Sha256>;
type Digest = <Sha256 as MerkleHasher>::Digest;

/// Runs `a` (initiator) against `b` (responder), letting `to_b` rewrite every frame `a` sends
/// and `to_a` every frame `b` sends; returns the first error either side answered, or each
/// side's differences.
fn sync_tampered(
    a: &Tree,
    b: &Tree,
    mut to_b: impl FnMut(&mut Frame<Digest>),
    mut to_a: impl FnMut(&mut Frame<Digest>),
) -> Result<(Vec<Difference>, Vec<Difference>), Error> {
    let mut sa = SyncSession::new(a);
    let mut sb = SyncSession::new(b);
    let mut frame = Some(sa.start());
    while let Some(mut f) = frame.take() {
        to_b(&mut f);
        let Some(mut reply) = sb.handle(&f)? else {
            break;
        };
        to_a(&mut reply);
        frame = sa.handle(&reply)?;
    }
    let done = |s: &SyncSession<'_>| s.differences().map(<[_]>::to_vec).unwrap_or_default();
    Ok((done(&sa), done(&sb)))
}

/// Two replicas that differ in one key (built once: hashing them takes a while in debug builds).
fn pair() -> &'static (Tree, Tree) {
    static PAIR: std::sync::OnceLock<(Tree, Tree)> = std::sync::OnceLock::new();
    PAIR.get_or_init(build_pair)
}

fn build_pair() -> (Tree, Tree) {
    let mut a = Tree::new(6).unwrap();
    let mut b = Tree::new(6).unwrap();
    for i in 0..500u32 {
        let (k, v) = (format!("key{i}"), format!("value{i}"));
        a.insert(k.as_bytes(), v.as_bytes());
        b.insert(k.as_bytes(), v.as_bytes());
    }
    b.insert(b"only-b", b"x");
    (a, b)
}

/// A `Keys` message listing a key under a bucket it does not hash to was accepted, and the
/// receiver then reported a difference for a key it holds with the same value.
#[test]
fn a_key_listed_under_the_wrong_bucket_is_refused() {
    let (a, b) = pair();
    let (da, db) = sync_tampered(a, b, |_| {}, |_| {}).unwrap();
    assert_eq!((da.len(), db.len()), (1, 1));
    // Move a key both hold alike into the first listed bucket, where it does not belong.
    let keys_of = |f: &mut Frame<Digest>, edit: &mut dyn FnMut(&mut Vec<BucketEntries<Digest>>)| {
        if let Message::Keys { buckets, .. } = &mut f.message {
            edit(buckets);
        }
    };
    let got = sync_tampered(
        a,
        b,
        |f| {
            keys_of(f, &mut |buckets| {
                let bucket = buckets[0].0;
                let stray = (0..500u32)
                    .map(|i| format!("key{i}"))
                    .find(|k| a.bucket_of(k.as_bytes()) != bucket)
                    .unwrap();
                let hash = a.entry_hash(stray.as_bytes()).unwrap();
                buckets[0].1.push((stray.into_bytes(), hash));
                buckets[0].1.sort();
            })
        },
        |_| {},
    );
    assert!(matches!(got, Err(Error::MisplacedKey { .. })), "{got:?}");
    // The same key twice in its own bucket is refused too.
    let got = sync_tampered(
        a,
        b,
        |f| {
            keys_of(f, &mut |buckets| {
                let first = buckets[0].1[0].clone();
                buckets[0].1.insert(0, first);
            })
        },
        |_| {},
    );
    assert!(matches!(got, Err(Error::MisplacedKey { .. })), "{got:?}");
}

/// A `Delta` that contradicts the initiator's own entries (an entry equal to ours, a position
/// past the bucket's list) is refused, never turned into a difference.
#[test]
fn a_delta_contradicting_our_entries_is_refused() {
    let (a, b) = pair();
    // The differing bucket is the one the initiator's entries cover; pick a key both hold there.
    let bucket = b.bucket_of(b"only-b");
    let shared = (0..500u32)
        .map(|i| format!("key{i}").into_bytes())
        .find(|k| a.bucket_of(k) == bucket)
        .unwrap();
    let hash = a.entry_hash(&shared).unwrap();
    let forge = |missing: Vec<u32>, entries: Vec<(Vec<u8>, Digest)>| {
        sync_tampered(
            a,
            b,
            |_| {},
            |f| {
                if let Message::Delta { buckets } = &mut f.message {
                    *buckets = vec![BucketDelta {
                        bucket,
                        entries: entries.clone(),
                        missing: missing.clone(),
                    }];
                }
            },
        )
    };
    let bad = Err(Error::InconsistentDelta { bucket });
    assert_eq!(forge(vec![], vec![(shared.clone(), hash)]), bad);
    assert_eq!(forge(vec![u32::MAX], vec![]), bad);
    assert_eq!(forge(vec![1, 0], vec![]), bad);
    // A bucket outside what the initiator sent cannot be answered about at all.
    let elsewhere = (0..64).find(|&x| x != bucket).unwrap();
    let got = sync_tampered(
        a,
        b,
        |_| {},
        |f| {
            if let Message::Delta { buckets } = &mut f.message {
                buckets[0].bucket = elsewhere;
            }
        },
    );
    assert_eq!(got, Err(Error::UnexpectedNodes));
}

#[test]
fn a_tree_head_binds_the_size_to_the_root() {
    let log: MerkleLog = MerkleLog::from_leaves((0..8u8).map(|i| [i]));
    let proof = log.inclusion_proof(1, 8).unwrap();
    let leaf = Sha256::leaf(&[1]);
    let head = log.tree_head();
    assert_eq!(head, TreeHead::new(8, log.root()));
    head.verify_inclusion::<Sha256>(&leaf, 1, &proof).unwrap();
    assert!(verify_inclusion::<Sha256>(&leaf, 1, 7, &proof, &log.root()).is_ok());
    let forged = TreeHead::new(7, log.root());
    assert_ne!(forged, head, "a head for size 7 is another statement");
    // A head of the real size 7 has another root: the proof fails against it.
    let seven = TreeHead::new(7, log.root_at(7).unwrap());
    assert!(seven.verify_inclusion::<Sha256>(&leaf, 1, &proof).is_err());
    let old = TreeHead::new(5, log.root_at(5).unwrap());
    old.verify_consistency::<Sha256>(&head, &log.consistency_proof(5, 8).unwrap())
        .unwrap();
    assert!(
        old.verify_consistency::<Sha256>(&seven, &log.consistency_proof(5, 8).unwrap())
            .is_err()
    );
}

fn weird_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(u64::MAX),
        Just(1 << 63),
        0u64..40,
        any::<u64>()
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Log operations with arbitrary sizes and indices: typed errors out of range, proofs that
    /// verify in range.
    #[test]
    fn log_calls_with_arbitrary_sizes(n in 0u8..40, index in weird_u64(), size in weird_u64(), old in weird_u64()) {
        let log: MerkleLog = MerkleLog::from_leaves((0..n).map(|i| [i]));
        let len = log.len();
        prop_assert_eq!(log.root_at(size).is_ok(), size <= len);
        match log.inclusion_proof(index, size) {
            Ok(p) => {
                prop_assert!(index < size && size <= len);
                let head = TreeHead::new(size, log.root_at(size).unwrap());
                prop_assert!(head.verify_inclusion::<Sha256>(&log.leaf_hash(index).unwrap(), index, &p).is_ok());
            }
            Err(_) => prop_assert!(index >= size || size > len),
        }
        match log.consistency_proof(old, size) {
            Ok(p) => {
                prop_assert!(old <= size && size <= len);
                if old > 0 {
                    let a = TreeHead::new(old, log.root_at(old).unwrap());
                    let b = TreeHead::new(size, log.root_at(size).unwrap());
                    prop_assert!(a.verify_consistency::<Sha256>(&b, &p).is_ok());
                }
            }
            Err(_) => prop_assert!(old > size || size > len || old == 0),
        }
        // Depths 13..=24 are valid but allocate up to 1.5 GiB each: not built here.
        let depth = index as u8;
        if !(13..=24).contains(&depth) {
            match SyncTree::<Sha256>::new(depth) {
                Ok(t) => prop_assert!((1..=12).contains(&depth) && t.depth() == depth),
                Err(e) => prop_assert_eq!(e, Error::InvalidDepth(depth)),
            }
        }
    }

    /// Arbitrary frames thrown at a session mid-protocol: a typed error or a valid step, never
    /// a panic, and a session that erred can be reset and still syncs correctly.
    #[test]
    fn arbitrary_frames_mid_session(noise in prop::collection::vec(any::<u8>(), 0..200), steps in 0usize..4) {
        let (a, b) = pair();
        let mut ours = SyncSession::new(a);
        let mut theirs = SyncSession::new(b);
        let mut frame = Some(ours.start());
        for _ in 0..steps {
            let Some(f) = frame.take() else { break };
            let Ok(Some(reply)) = theirs.handle(&f) else { break };
            frame = ours.handle(&reply).ok().flatten();
        }
        let _ = ours.handle_bytes(&noise);
        let _ = theirs.handle_bytes(&noise);
        ours.reset();
        prop_assert_eq!(sync_tampered(a, b, |_| {}, |_| {}).unwrap().0.len(), 1);
    }
}

/// An honest session's frames in order: (frame, whether it goes to the responder).
fn transcript(a: &Tree, b: &Tree, fanout: u32) -> Vec<(Vec<u8>, bool)> {
    let mut sa = SyncSession::with_fanout(a, fanout).unwrap();
    let mut sb = SyncSession::with_fanout(b, fanout).unwrap();
    let mut out = Vec::new();
    let mut next = Some((sa.start().to_bytes(), true));
    while let Some((wire, to_b)) = next {
        let reply = if to_b {
            sb.handle_bytes(&wire)
        } else {
            sa.handle_bytes(&wire)
        }
        .unwrap();
        out.push((wire, to_b));
        next = reply.map(|r| (r, !to_b));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A Merkle session fed a replayed, skipped-ahead or misdirected frame instead of the one it
    /// waits for refuses it with a typed error, is left as it was, and still finishes with the
    /// right result when the right frame follows; every proper prefix of every frame it sends
    /// is malformed.
    #[test]
    fn replayed_and_reordered_sync_frames_are_refused(step in any::<prop::sample::Index>(), other in any::<prop::sample::Index>(),
                                                       cut in any::<prop::sample::Index>(), fanout_log2 in 1u32..5) {
        let (a, b) = pair();
        let fanout = 1 << fanout_log2;
        let frames = transcript(a, b, fanout);
        let (i, j) = (step.index(frames.len()), other.index(frames.len()));
        let mut sa = SyncSession::with_fanout(a, fanout).unwrap();
        let mut sb = SyncSession::with_fanout(b, fanout).unwrap();
        let _ = sa.start();
        for (k, (wire, to_b)) in frames.iter().enumerate() {
            let s = if *to_b { &mut sb } else { &mut sa };
            if k == i && frames[j].0 != *wire {
                prop_assert!(s.handle_bytes(&frames[j].0).is_err(), "frame {} accepted at step {}", j, i);
            }
            let reply = s.handle_bytes(wire).unwrap();
            prop_assert_eq!(reply.as_ref(), frames.get(k + 1).map(|f| &f.0));
        }
        prop_assert_eq!(sa.differences().map(<[_]>::len), Some(1));
        let bytes = &frames[i].0;
        prop_assert!(matches!(Frame::<Digest>::from_bytes(&bytes[..cut.index(bytes.len())]), Err(Error::Decode(_))));
    }
}
