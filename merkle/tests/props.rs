//! One property per promise: proofs verify, every tampering is caught, prefixes agree, and sync
//! finds exactly the differing keys.

use brick_merkle::{
    BucketDelta, DecodeError, Difference, Error, Frame, MerkleHasher, MerkleLog, Message,
    NodeGroup, Proof, Sha256, SyncSession, SyncTree, Xxh3_128, consistency_proof_len,
    inclusion_proof_len, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn log_of(n: u64) -> MerkleLog {
    MerkleLog::from_leaves((0..n).map(|i| format!("record {i}")))
}

/// The left/right decisions RFC 9162 §2.1.3.2 makes for (index, size) over `len` hashes, or
/// `None` where it must fail on the sizes alone. Verification can only tell two sizes apart when
/// their shapes differ: a root is bound to its size by the signed tree head, not by the proof.
fn inclusion_shape(index: u64, size: u64, len: usize) -> Option<Vec<bool>> {
    if index >= size || inclusion_proof_len(index, size) != len {
        return None;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut shape = Vec::new();
    for _ in 0..len {
        let left = f & 1 == 1 || f == s;
        shape.push(left);
        if left && f & 1 == 0 {
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        }
        f >>= 1;
        s >>= 1;
    }
    Some(shape)
}

/// The same for RFC 9162 §2.1.4.2 consistency verification: (prepends the old root?, for each
/// hash: does it update both roots?).
fn consistency_shape(old: u64, new: u64, len: usize) -> Option<(bool, Vec<bool>)> {
    if old == 0 || old >= new || consistency_proof_len(old, new) != len {
        return None;
    }
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let prepend = old.is_power_of_two();
    let steps = len + usize::from(prepend) - 1;
    let mut shape = Vec::new();
    for _ in 0..steps {
        let both = f & 1 == 1 || f == s;
        shape.push(both);
        if both && f & 1 == 0 {
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        }
        f >>= 1;
        s >>= 1;
    }
    Some((prepend, shape))
}

fn flip(d: &[u8; 32], bit: usize) -> [u8; 32] {
    let mut d = *d;
    d[bit / 8 % 32] ^= 1 << (bit % 8);
    d
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// An inclusion proof has at most ⌈log₂ n⌉ hashes, as the crate docs say, and exactly that
    /// many for every leaf of a power-of-two tree.
    #[test]
    fn inclusion_proofs_have_at_most_ceil_log2_n_hashes(size in 1u64..1 << 40, at in any::<prop::sample::Index>()) {
        let index = at.index(size as usize) as u64;
        let ceil_log2 = (64 - (size - 1).leading_zeros()) as usize;
        let len = brick_merkle::inclusion_proof_len(index, size);
        prop_assert!(len <= ceil_log2, "{} > {}", len, ceil_log2);
        if size.is_power_of_two() {
            prop_assert_eq!(len, ceil_log2);
        }
    }

    #[test]
    fn every_inclusion_proof_verifies(n in 1u64..300, i in any::<u64>(), s in any::<u64>()) {
        let log = log_of(n);
        let size = 1 + s % n;
        let index = i % size;
        let proof = log.inclusion_proof(index, size).unwrap();
        prop_assert_eq!(proof.hashes.len(), inclusion_proof_len(index, size));
        let leaf = log.leaf_hash(index).unwrap();
        prop_assert_eq!(verify_inclusion::<Sha256>(&leaf, index, size, &proof, &log.root_at(size).unwrap()), Ok(()));
    }

    #[test]
    fn tampering_with_an_inclusion_proof_fails(n in 2u64..200, i in any::<u64>(), bit in 0usize..256, what in 0u8..6) {
        let log = log_of(n);
        let index = i % n;
        let mut proof = log.inclusion_proof(index, n).unwrap();
        let mut leaf = log.leaf_hash(index).unwrap();
        let mut root = log.root();
        let (mut idx, mut size) = (index, n);
        match what {
            0 => { let k = bit % proof.hashes.len(); proof.hashes[k] = flip(&proof.hashes[k], bit); }
            1 => leaf = flip(&leaf, bit),
            2 => root = flip(&root, bit),
            3 => idx ^= 1 << (bit % 8),
            4 => size ^= 1 << (bit % 9),
            _ => { proof.hashes.pop(); }
        }
        let result = verify_inclusion::<Sha256>(&leaf, idx, size, &proof, &root);
        if what == 4 && inclusion_shape(idx, size, proof.hashes.len()) == inclusion_shape(index, n, proof.hashes.len()) {
            // Same audit-path shape: no verifier can tell these sizes apart from the proof.
            prop_assert_eq!(result, Ok(()));
        } else {
            prop_assert!(result.is_err(), "tampering {} at bit {} passed", what, bit);
        }
    }

    #[test]
    fn every_consistency_proof_verifies(n in 1u64..300, m in any::<u64>()) {
        let log = log_of(n);
        let old = 1 + m % n;
        let proof = log.consistency_proof(old, n).unwrap();
        prop_assert_eq!(proof.hashes.len(), consistency_proof_len(old, n));
        prop_assert_eq!(verify_consistency::<Sha256>(old, n, &log.root_at(old).unwrap(), &log.root(), &proof), Ok(()));
    }

    #[test]
    fn tampering_with_a_consistency_proof_fails(n in 2u64..200, m in any::<u64>(), bit in 0usize..256, what in 0u8..6) {
        let log = log_of(n);
        let old = 1 + m % (n - 1);
        let mut proof = log.consistency_proof(old, n).unwrap();
        let (mut old_root, mut new_root) = (log.root_at(old).unwrap(), log.root());
        let (mut o, mut s) = (old, n);
        match what {
            0 => { let k = bit % proof.hashes.len(); proof.hashes[k] = flip(&proof.hashes[k], bit); }
            1 => old_root = flip(&old_root, bit),
            2 => new_root = flip(&new_root, bit),
            3 => o ^= 1 << (bit % 8),
            4 => s ^= 1 << (bit % 9),
            _ => { proof.hashes.pop(); }
        }
        let result = verify_consistency::<Sha256>(o, s, &old_root, &new_root, &proof);
        if (3..=4).contains(&what) && consistency_shape(o, s, proof.hashes.len()) == consistency_shape(old, n, proof.hashes.len()) {
            // Same proof shape: the sizes cannot be told apart from the proof alone.
            prop_assert_eq!(result, Ok(()));
        } else {
            prop_assert!(result.is_err(), "tampering {} at bit {} passed", what, bit);
        }
    }

    #[test]
    fn root_at_equals_the_root_of_the_prefix(n in 0u64..300, k in any::<u64>()) {
        let log = log_of(n);
        let k = if n == 0 { 0 } else { k % (n + 1) };
        prop_assert_eq!(log.root_at(k).unwrap(), log_of(k).root());
    }

    #[test]
    fn sync_tree_root_ignores_insertion_order(mut pairs in prop::collection::btree_map(any::<u16>(), any::<u8>(), 0..60), seed in any::<u64>()) {
        let mut a: SyncTree<Sha256> = SyncTree::new(4).unwrap();
        for (k, v) in &pairs { a.insert(&k.to_le_bytes(), &[*v]); }
        let mut entries: Vec<_> = std::mem::take(&mut pairs).into_iter().collect();
        let len = entries.len().max(1);
        entries.rotate_left((seed as usize) % len);
        entries.reverse();
        let mut b: SyncTree<Sha256> = SyncTree::new(4).unwrap();
        let keys: Vec<[u8; 2]> = entries.iter().map(|(k, _)| k.to_le_bytes()).collect();
        let vals: Vec<[u8; 1]> = entries.iter().map(|(_, v)| [*v]).collect();
        b.extend(keys.iter().zip(&vals).map(|(k, v)| (&k[..], &v[..])));
        prop_assert_eq!(a.root(), b.root());
        // Insert then remove restores the root exactly.
        let before = a.root();
        a.insert(b"fresh key", b"x");
        prop_assert_ne!(a.root(), before);
        a.remove(b"fresh key");
        prop_assert_eq!(a.root(), before);
    }

    #[test]
    fn sync_finds_exactly_the_differing_keys(
        base in prop::collection::btree_map(any::<u16>(), any::<u8>(), 0..200),
        edits in prop::collection::vec((any::<u16>(), prop::option::of(any::<u8>()), any::<bool>()), 0..20),
        depth in 1u8..8,
    ) {
        let mut ma = base.clone();
        let mut mb = base;
        for (k, v, on_a) in edits {
            let m = if on_a { &mut ma } else { &mut mb };
            match v { Some(v) => { m.insert(k, v); } None => { m.remove(&k); } }
        }
        let build = |m: &BTreeMap<u16, u8>| {
            let mut t: SyncTree<Xxh3_128> = SyncTree::new(depth).unwrap();
            for (k, v) in m { t.insert(&k.to_le_bytes(), &[*v]); }
            t
        };
        let (ta, tb) = (build(&ma), build(&mb));
        let (da, db) = run_sync(&ta, &tb);
        let mut want_a = Vec::new();
        let mut want_b = Vec::new();
        let keys: std::collections::BTreeSet<u16> = ma.keys().chain(mb.keys()).copied().collect();
        for k in keys {
            let kb = k.to_le_bytes().to_vec();
            match (ma.get(&k), mb.get(&k)) {
                (Some(x), Some(y)) if x != y => { want_a.push(Difference::ValueDiffers(kb.clone())); want_b.push(Difference::ValueDiffers(kb)); }
                (Some(_), None) => { want_a.push(Difference::MissingThere(kb.clone())); want_b.push(Difference::MissingHere(kb)); }
                (None, Some(_)) => { want_a.push(Difference::MissingHere(kb.clone())); want_b.push(Difference::MissingThere(kb)); }
                _ => {}
            }
        }
        want_a.sort();
        want_b.sort();
        prop_assert_eq!(da, want_a);
        prop_assert_eq!(db, want_b);
    }

    #[test]
    fn frames_round_trip(level in 1u8..25, bits in 1u8..9, parents in prop::collection::btree_set(1u32..1 << 12, 0..6),
                         weighted in any::<bool>(), weight in any::<u64>(),
                         keys in prop::collection::vec((any::<u32>(), prop::collection::vec((prop::collection::vec(any::<u8>(), 0..20), any::<[u8; 16]>()), 0..4)), 0..4),
                         covers in prop::collection::vec(any::<u32>(), 0..5), missing in prop::collection::vec(any::<u32>(), 0..5)) {
        // Groups of the size a parent's level implies (parents above `level` by 1..=bits).
        let groups: Vec<NodeGroup<[u8; 16]>> = parents.iter().filter_map(|&p| {
            let up = 31 - p.leading_zeros() as u8;
            let k = level.checked_sub(up).filter(|k| (1..=bits).contains(k))?;
            let size = 1usize << k;
            Some(NodeGroup { parent: p, hashes: (0..size).map(|i| [i as u8; 16]).collect(),
                             weights: if weighted { (0..size as u64).map(|i| i.wrapping_mul(weight) % 1_000_003).collect() } else { vec![] } })
        }).collect();
        let delta = keys.iter().map(|(b, e)| BucketDelta { bucket: *b, entries: e.clone(), missing: missing.clone() }).collect();
        for message in [Message::Hello { root: [7u8; 16], weight }, Message::Nodes { level, groups: groups.clone() },
                        Message::Keys { covers: covers.clone(), buckets: keys.clone() }, Message::Pull { nodes: covers.clone() },
                        Message::Delta { buckets: delta }, Message::Equal] {
            let f = Frame { hasher: 2, depth: 24, fanout_log2: bits, message };
            let bytes = f.to_bytes();
            prop_assert_eq!(bytes.len(), f.encoded_len());
            prop_assert_eq!(Frame::<[u8; 16]>::from_bytes(&bytes).unwrap(), f);
        }
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200), prefix in any::<bool>()) {
        let mut input = if prefix { b"BMK\x02\x01\x05\x04".to_vec() } else { Vec::new() };
        input.extend(bytes);
        let _ = Frame::<[u8; 32]>::from_bytes(&input);
    }

    #[test]
    fn truncated_frames_are_errors(cut in any::<prop::sample::Index>()) {
        let mut t: SyncTree<Sha256> = SyncTree::new(3).unwrap();
        t.insert(b"k", b"v");
        let mut s = SyncSession::new(&t);
        let bytes = s.start().to_bytes();
        let cut = cut.index(bytes.len());
        prop_assert!(Frame::<[u8; 32]>::from_bytes(&bytes[..cut]).is_err());
    }
}

/// Runs a whole session between two trees; returns each side's differences.
fn run_sync<H: MerkleHasher>(
    a: &SyncTree<H>,
    b: &SyncTree<H>,
) -> (Vec<Difference>, Vec<Difference>) {
    let mut sa = SyncSession::new(a);
    let mut sb = SyncSession::new(b);
    let mut msg = Some(sa.start());
    let mut to_b = true;
    let mut rounds = 0;
    while let Some(m) = msg {
        // Every frame crosses the "wire" as bytes.
        let m = Frame::from_bytes(&m.to_bytes()).unwrap();
        msg = if to_b {
            sb.handle(&m).unwrap()
        } else {
            sa.handle(&m).unwrap()
        };
        to_b = !to_b;
        rounds += 1;
        assert!(
            rounds <= usize::from(a.depth()).div_ceil(4) + 4,
            "too many messages"
        );
    }
    (
        sa.differences().unwrap().to_vec(),
        sb.differences().unwrap().to_vec(),
    )
}

#[test]
fn peers_bugs_are_typed_errors_here() {
    let log = log_of(5);
    // rs_merkle hands out a proof for an index past the end; ct-merkle panics.
    assert_eq!(
        log.inclusion_proof(5, 5),
        Err(Error::IndexOutOfRange { index: 5, size: 5 })
    );
    assert_eq!(
        log.inclusion_proof(0, 6),
        Err(Error::SizeOutOfRange { size: 6, len: 5 })
    );
    // rs_merkle verifies a proof against the wrong leaf count as true.
    let proof = log.inclusion_proof(2, 5).unwrap();
    let leaf = log.leaf_hash(2).unwrap();
    assert!(matches!(
        verify_inclusion::<Sha256>(&leaf, 2, 4, &proof, &log.root()),
        Err(Error::WrongProofLength { .. })
    ));
    assert!(matches!(
        verify_inclusion::<Sha256>(&leaf, 2, 3, &proof, &log.root()),
        Err(Error::WrongProofLength { .. })
    ));
    let p1 = log.inclusion_proof(1, 5).unwrap();
    let leaf1 = log.leaf_hash(1).unwrap();
    assert_eq!(
        verify_inclusion::<Sha256>(
            &leaf1,
            1,
            2,
            &Proof {
                hashes: p1.hashes[..1].to_vec()
            },
            &log.root()
        ),
        Err(Error::RootMismatch)
    );
    assert_eq!(
        verify_inclusion::<Sha256>(&leaf, 5, 5, &proof, &log.root()),
        Err(Error::IndexOutOfRange { index: 5, size: 5 })
    );
    assert_eq!(
        verify_inclusion::<Sha256>(&leaf, 0, 0, &Proof::default(), &log.root()),
        Err(Error::IndexOutOfRange { index: 0, size: 0 })
    );
    let long = Proof {
        hashes: [proof.hashes.clone(), vec![[0u8; 32]]].concat(),
    };
    assert!(matches!(
        verify_inclusion::<Sha256>(&leaf, 2, 5, &long, &log.root()),
        Err(Error::WrongProofLength { .. })
    ));
    assert_eq!(
        log.consistency_proof(4, 3),
        Err(Error::OldAfterNew { old: 4, new: 3 })
    );
    assert_eq!(log.consistency_proof(0, 3), Err(Error::EmptyOldTree));
    let c = log.consistency_proof(2, 5).unwrap();
    assert_eq!(
        verify_consistency::<Sha256>(0, 5, &Sha256::empty(), &log.root(), &c),
        Err(Error::EmptyOldTree)
    );
    assert_eq!(
        verify_consistency::<Sha256>(5, 2, &log.root(), &log.root(), &c),
        Err(Error::OldAfterNew { old: 5, new: 2 })
    );
    // Equal sizes: only the empty proof and equal roots pass.
    assert_eq!(
        verify_consistency::<Sha256>(5, 5, &log.root(), &log.root(), &Proof::default()),
        Ok(())
    );
    assert!(verify_consistency::<Sha256>(5, 5, &log.root(), &log.root(), &c).is_err());
    assert_eq!(
        verify_consistency::<Sha256>(
            5,
            5,
            &log.root(),
            &log.root_at(4).unwrap(),
            &Proof::default()
        ),
        Err(Error::RootMismatch)
    );
    // Every consistency proof between every pair of sizes up to 64 verifies.
    let big = log_of(64);
    for n in 1..=64 {
        for m in 1..=n {
            let p = big.consistency_proof(m, n).unwrap();
            verify_consistency::<Sha256>(
                m,
                n,
                &big.root_at(m).unwrap(),
                &big.root_at(n).unwrap(),
                &p,
            )
            .unwrap();
        }
    }
}

#[test]
fn sessions_refuse_bad_peers_and_can_restart() {
    let mut a: SyncTree<Sha256> = SyncTree::new(3).unwrap();
    let mut b: SyncTree<Sha256> = SyncTree::new(3).unwrap();
    a.insert(b"x", b"1");
    b.insert(b"x", b"2");
    let c: SyncTree<Sha256> = SyncTree::new(4).unwrap();
    let mut sa = SyncSession::new(&a);
    let hello = sa.start();
    let mut sc = SyncSession::new(&c);
    assert_eq!(
        sc.handle(&hello),
        Err(Error::DepthMismatch { ours: 4, theirs: 3 })
    );
    let forged = Frame {
        hasher: Xxh3_128::ID,
        ..hello.clone()
    };
    let mut sb = SyncSession::new(&b);
    assert_eq!(
        sb.handle(&forged),
        Err(Error::HasherMismatch { ours: 1, theirs: 2 })
    );
    // Out of order: a delta before anything else.
    let delta = Frame {
        hasher: 1,
        depth: 3,
        fanout_log2: 4,
        message: Message::Delta { buckets: vec![] },
    };
    assert!(matches!(
        sb.handle(&delta),
        Err(Error::UnexpectedMessage { .. })
    ));
    // Another fan-out is refused.
    let mut s2 = SyncSession::with_fanout(&b, 2).unwrap();
    assert_eq!(
        s2.handle(&hello),
        Err(Error::FanoutMismatch {
            ours: 2,
            theirs: 16
        })
    );
    assert_eq!(
        SyncSession::with_fanout(&b, 3).map(|_| ()),
        Err(Error::InvalidFanout(3))
    );
    // A forged Pull naming nodes nobody sent.
    let reply = sb.handle(&hello).unwrap().unwrap();
    let forged = Frame {
        message: Message::Pull { nodes: vec![9] },
        ..reply.clone()
    };
    assert_eq!(sa.handle(&forged), Err(Error::UnexpectedNodes));
    // The error left the session where it was: the genuine reply still works, and so does a restart.
    assert!(sa.handle(&reply).unwrap().is_some());
    sa.reset();
    assert!(matches!(
        sa.handle(&reply),
        Err(Error::UnexpectedMessage { .. })
    ));
    let (da, db) = run_sync(&a, &b);
    assert_eq!(da, vec![Difference::ValueDiffers(b"x".to_vec())]);
    assert_eq!(db, da);
    // Malformed bytes.
    assert_eq!(
        Frame::<[u8; 32]>::from_bytes(b"XYZ\x01"),
        Err(Error::Decode(DecodeError::BadMagic))
    );
    assert_eq!(
        Frame::<[u8; 32]>::from_bytes(b"BMK\x09\x01\x03\x04"),
        Err(Error::Decode(DecodeError::UnsupportedVersion(9)))
    );
    assert_eq!(
        Frame::<[u8; 32]>::from_bytes(b"BMK\x02\x01\x03\x04\x07"),
        Err(Error::Decode(DecodeError::UnknownType(7)))
    );
    assert_eq!(
        Frame::<[u8; 32]>::from_bytes(b"BMK\x02\x01\x03\x04\x04\x00"),
        Err(Error::Decode(DecodeError::Length { needed: 8, got: 9 }))
    );
    assert!(matches!(
        Frame::<[u8; 32]>::from_bytes(b"BMK\x02\x01\x03\x04\x02\x04\x00\xff\xff\xff\xff"),
        Err(Error::Decode(DecodeError::BadLength(_)))
    ));
    assert_eq!(
        SyncTree::<Sha256>::new(0).unwrap_err(),
        Error::InvalidDepth(0)
    );
    assert_eq!(
        SyncTree::<Sha256>::new(25).unwrap_err(),
        Error::InvalidDepth(25)
    );
}

proptest! {
    /// The stored formats of logs, proofs and tree heads: each reads back as the value that
    /// wrote it (a log with the same root and proofs), and a log of another hasher, digests of
    /// another size, a truncation or trailing bytes are typed errors.
    #[test]
    fn logs_proofs_and_heads_read_back(n in 1u64..300, i in any::<prop::sample::Index>(), extra in 1usize..8) {
        let log = log_of(n);
        let back = MerkleLog::<Sha256>::from_bytes(&log.to_bytes()).unwrap();
        prop_assert_eq!(back.tree_head(), log.tree_head());
        let index = i.index(n as usize) as u64;
        prop_assert_eq!(back.inclusion_proof(index, n).unwrap(), log.inclusion_proof(index, n).unwrap());
        let proof = log.inclusion_proof(index, n).unwrap();
        prop_assert_eq!(Proof::from_bytes(&proof.to_bytes()).unwrap(), proof.clone());
        let head = log.tree_head();
        prop_assert_eq!(brick_merkle::TreeHead::from_bytes(&head.to_bytes()).unwrap(), head);
        let other_hasher = matches!(
            MerkleLog::<Xxh3_128>::from_bytes(&log.to_bytes()),
            Err(Error::HasherMismatch { .. })
        );
        prop_assert!(other_hasher);
        let other_size = matches!(
            Proof::<[u8; 16]>::from_bytes(&proof.to_bytes()),
            Err(Error::Decode(DecodeError::DigestLength { expected: 16, got: 32 }))
        );
        prop_assert!(other_size);
        for bytes in [log.to_bytes(), proof.to_bytes(), head.to_bytes()] {
            let mut long = bytes.clone();
            long.extend(std::iter::repeat_n(0, extra));
            let short = &bytes[..bytes.len() - extra.min(bytes.len())];
            prop_assert!(MerkleLog::<Sha256>::from_bytes(short).is_err());
            prop_assert!(Proof::<[u8; 32]>::from_bytes(short).is_err());
            prop_assert!(brick_merkle::TreeHead::<[u8; 32]>::from_bytes(short).is_err());
            prop_assert!(MerkleLog::<Sha256>::from_bytes(&long).is_err());
            prop_assert!(Proof::<[u8; 32]>::from_bytes(&long).is_err());
            prop_assert!(brick_merkle::TreeHead::<[u8; 32]>::from_bytes(&long).is_err());
        }
    }

    /// Arbitrary bytes never panic any of the three readers.
    #[test]
    fn stored_formats_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200), kind in 0u8..3) {
        let mut bytes = bytes;
        if bytes.len() >= 4 {
            bytes[..3].copy_from_slice([b"BML", b"BMP", b"BMT"][usize::from(kind)]);
            bytes[3] = 1;
        }
        let _ = MerkleLog::<Sha256>::from_bytes(&bytes);
        let _ = Proof::<[u8; 32]>::from_bytes(&bytes);
        let _ = brick_merkle::TreeHead::<[u8; 32]>::from_bytes(&bytes);
    }
}

/// serde (feature `serde`) is the byte format: logs, proofs and heads round-trip through
/// JSON, and on damaged encodings deserializing agrees with `from_bytes`.
#[cfg(feature = "serde")]
mod serde_wire;

#[cfg(feature = "serde")]
proptest! {
    #[test]
    fn serde_is_the_byte_format(n in 1u64..200, i in any::<prop::sample::Index>(), damage in serde_wire::damage()) {
        let log = log_of(n);
        let proof = log.inclusion_proof(i.index(n as usize) as u64, n).unwrap();
        let head = log.tree_head();
        serde_wire::round_trips(&log, MerkleLog::to_bytes);
        serde_wire::round_trips(&proof, Proof::to_bytes);
        serde_wire::round_trips(&head, brick_merkle::TreeHead::to_bytes);
        serde_wire::agrees_when_damaged(&log.to_bytes(), &damage, MerkleLog::<Sha256>::from_bytes, MerkleLog::to_bytes);
        serde_wire::agrees_when_damaged(&proof.to_bytes(), &damage, Proof::<[u8; 32]>::from_bytes, Proof::to_bytes);
        serde_wire::agrees_when_damaged(&head.to_bytes(), &damage, brick_merkle::TreeHead::<[u8; 32]>::from_bytes, brick_merkle::TreeHead::to_bytes);
    }
}

#[cfg(feature = "serde")]
#[test]
fn serde_refuses_values_that_are_not_bytes() {
    serde_wire::refuses_other_shapes::<MerkleLog>();
    serde_wire::refuses_other_shapes::<Proof<[u8; 32]>>();
    serde_wire::refuses_other_shapes::<brick_merkle::TreeHead<[u8; 32]>>();
}

// `extend` is a loop of `push`, `collect` is `from_leaves`, and equal logs are logs of the same
// leaves: equal roots at every size. Sync trees: `extend` is a loop of `insert`, and equality
// is equality of contents, whatever the order they came in.
proptest! {
    #[test]
    fn extend_collect_and_eq_agree_with_push(
        leaves in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..8), 0..60),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut pushed = MerkleLog::<Sha256>::new();
        for l in &leaves {
            pushed.push(l);
        }
        let mut extended = MerkleLog::<Sha256>::new();
        extended.extend(&leaves);
        let collected: MerkleLog<Sha256> = leaves.iter().collect();
        prop_assert!(extended == pushed && collected == pushed);
        prop_assert_eq!(collected.root(), pushed.root());
        if !leaves.is_empty() {
            let shorter: MerkleLog<Sha256> = leaves[..cut.index(leaves.len())].iter().collect();
            prop_assert!(shorter != pushed);
        }

        let pairs: Vec<(Vec<u8>, Vec<u8>)> = leaves.iter().map(|l| (l.clone(), l.repeat(2))).collect();
        let mut inserted = SyncTree::<Sha256>::new(4).unwrap();
        for (k, v) in &pairs {
            inserted.insert(k, v);
        }
        let mut extended = SyncTree::<Sha256>::new(4).unwrap();
        extended.extend(pairs.iter().rev().map(|(k, v)| (k.as_slice(), v.as_slice())));
        // Reversed, a key given twice ends at its first value: equal only if every key is
        // given once, or twice with the same value (here a value is the key twice over).
        prop_assert!(extended == inserted);
        prop_assert_eq!(extended.root(), inserted.root());
        if let Some((k, _)) = pairs.first() {
            extended.insert(k, b"changed");
            prop_assert!(extended != inserted);
        }
    }
}
