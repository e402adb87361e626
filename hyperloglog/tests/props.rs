//! Properties: the registers equal a direct model of HyperLogLog through every representation,
//! merge is the union, fold equals building coarser, bytes round-trip and damage is refused.
#![cfg(not(loom))]

use std::hash::BuildHasher;

use brick_hyperloglog::{DefaultBuildHasher, Error, HyperLogLog};
use proptest::prelude::*;

/// The registers HyperLogLog defines for `hashes` at precision `p`, computed the plain way.
fn model(p: u8, hashes: &[u64]) -> Vec<u8> {
    let mut regs = vec![0u8; 1 << p];
    for &h in hashes {
        let index = (h >> (64 - u32::from(p))) as usize;
        let rank = ((h << p).leading_zeros() + 1).min(65 - u32::from(p)) as u8;
        regs[index] = regs[index].max(rank);
    }
    regs
}

fn registers<S>(hll: &HyperLogLog<S>) -> Vec<u8> {
    (0..1usize << hll.precision())
        .map(|i| hll.register(i).unwrap())
        .collect()
}

fn sketch(p: u8, hashes: &[u64]) -> HyperLogLog {
    let mut hll = HyperLogLog::with_params(p).unwrap();
    for &h in hashes {
        hll.insert_hash(h);
    }
    hll
}

/// Hashes with some structure: uniform ones, and ones with long runs of zeros after the index
/// (the rank's cap and the sparse-to-dense rank carry).
fn hashes(max: usize) -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(
        prop_oneof![
            4 => any::<u64>(),
            1 => (any::<u64>(), 0..64u32).prop_map(|(h, z)| h >> z),
            1 => (0..64u32).prop_map(|z| 1u64.checked_shl(z).unwrap_or(0)),
        ],
        0..max,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Through sparse, the promotion and dense: the registers are the model's, and `insert`
    /// says true exactly when one of them changed.
    #[test]
    fn registers_follow_the_model_through_promotion(p in 4u8..=10, hs in hashes(400)) {
        let mut hll = HyperLogLog::with_params(p).unwrap();
        let mut seen = Vec::new();
        for &h in &hs {
            let before = model(p, &seen);
            seen.push(h);
            let after = model(p, &seen);
            let was_dense = !hll.is_sparse();
            let changed = hll.insert_hash(h);
            if was_dense {
                // Dense: a change is exactly a register change.
                prop_assert_eq!(changed, before != after);
            } else if before != after {
                // Sparse registers are finer: a dense change is always a sparse change.
                prop_assert!(changed);
            }
        }
        prop_assert_eq!(registers(&hll), model(p, &hs));
    }

    /// The atomic sketch holds the same registers as the plain one, and converts both ways.
    #[test]
    fn atomic_matches_plain(p in 4u8..=10, hs in hashes(400)) {
        let atomic = brick_hyperloglog::AtomicHyperLogLog::with_params(p).unwrap();
        for &h in &hs {
            atomic.insert_hash(h);
        }
        let plain = sketch(p, &hs);
        prop_assert_eq!(registers(&atomic.to_hyperloglog()), model(p, &hs));
        let back = brick_hyperloglog::AtomicHyperLogLog::from(&plain);
        prop_assert_eq!((0..1usize << p).map(|i| back.register(i).unwrap()).collect::<Vec<_>>(), model(p, &hs));
        prop_assert_eq!(back.count(), atomic.count());
    }

    #[test]
    fn merge_is_the_union(p in 4u8..=10, a in hashes(300), b in hashes(300)) {
        let mut merged = sketch(p, &a);
        merged.merge(&sketch(p, &b)).unwrap();
        let all: Vec<u64> = a.iter().chain(&b).copied().collect();
        prop_assert_eq!(registers(&merged), model(p, &all));
        let direct = sketch(p, &all);
        prop_assert_eq!(merged.register_estimate().to_bits(), direct.register_estimate().to_bits());
    }

    #[test]
    fn fold_equals_building_coarser(p in 5u8..=12, down in 1u8..=4, hs in hashes(600)) {
        let coarse = p.saturating_sub(down).max(4);
        let folded = sketch(p, &hs).fold(coarse).unwrap();
        prop_assert_eq!(folded.precision(), coarse);
        prop_assert_eq!(registers(&folded), model(coarse, &hs));
    }

    #[test]
    fn bytes_round_trip(p in 4u8..=12, hs in hashes(600)) {
        let hll = sketch(p, &hs);
        let back: HyperLogLog = HyperLogLog::from_bytes(&hll.to_bytes()).unwrap();
        prop_assert_eq!(back.is_sparse(), hll.is_sparse());
        prop_assert_eq!(registers(&back), registers(&hll));
        prop_assert_eq!(back.estimate().to_bits(), hll.estimate().to_bits());
    }

    /// The default hasher is XXH3-64 with the seed, whatever the input's shape (a lone `u64`
    /// takes a specialised path), and gives its seed back.
    #[test]
    fn the_default_hasher_is_seeded_xxh3(seed in any::<u64>(), word in any::<u64>(), text in ".{0,80}") {
        use xxhash_rust::xxh3::xxh3_64_with_seed;
        let hasher = DefaultBuildHasher::with_seed(seed);
        prop_assert_eq!(hasher.seed(), seed);
        prop_assert_eq!(hasher.hash_one(word), xxh3_64_with_seed(&word.to_ne_bytes(), seed));
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0xff); // what `Hash for str` appends
        prop_assert_eq!(hasher.hash_one(text.as_str()), xxh3_64_with_seed(&bytes, seed));
        let pair = [word.to_ne_bytes(), word.to_ne_bytes()].concat();
        prop_assert_eq!(hasher.hash_one((word, word)), xxh3_64_with_seed(&pair, seed));
    }

    /// Any byte string is an error or a sketch, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = HyperLogLog::<DefaultBuildHasher>::from_bytes(&bytes);
    }

    /// Every damaged byte, and every truncation, of a valid sketch is refused.
    #[test]
    fn damage_is_refused(p in 4u8..=8, hs in hashes(200), flip in any::<u8>().prop_filter("nonzero", |b| *b != 0)) {
        let bytes = sketch(p, &hs).to_bytes();
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= flip;
            prop_assert!(HyperLogLog::<DefaultBuildHasher>::from_bytes(&bad).is_err(), "byte {}", i);
        }
        for len in 0..bytes.len() {
            prop_assert!(HyperLogLog::<DefaultBuildHasher>::from_bytes(&bytes[..len]).is_err());
        }
    }
}

#[test]
fn sparse_until_dense_is_smaller_and_eight_kib_after() {
    let mut hll = HyperLogLog::with_params(14).unwrap();
    let h = DefaultBuildHasher::default();
    let mut i = 0u64;
    while hll.is_sparse() {
        hll.insert_hash(h.hash_one(i));
        i += 1;
        assert!(
            hll.len_bytes() <= 8_192 + 4,
            "{} bytes sparse",
            hll.len_bytes()
        );
    }
    // Promoted when 4 bytes × entries passed 8,192: at entry 2049.
    assert!((2_049..2_200).contains(&i), "promoted after {i} inserts");
    // Half a byte a register, and 4 bytes for each of the rare registers 15 above the smallest.
    assert!(
        (8_192..=8_192 + 16).contains(&hll.len_bytes()),
        "{}",
        hll.len_bytes()
    );
    for j in i..1_000_000 {
        hll.insert_hash(h.hash_one(j));
    }
    assert!(
        hll.len_bytes() <= 8_192 + 64,
        "{} bytes at 10^6",
        hll.len_bytes()
    );
    hll.clear();
    assert!(hll.is_sparse() && hll.count() == 0 && hll.len_bytes() == 0);
}

/// Dense registers many ranks apart (the smallest rises while some overflow their nibble) keep
/// their exact values, in every operation.
#[test]
fn registers_far_above_the_smallest_keep_their_values() {
    let p = 6u8;
    let m = 1u64 << p;
    // Every register at rank 20 (the smallest rises from 0 to 20), then register 0 at 45 and
    // register 1 at 34 (overflowing), register 2 at 21.
    let at = |i: u64, rank: u32| (i << (64 - u32::from(p))) | (1u64 << (64 - u32::from(p) - rank));
    let mut hs: Vec<u64> = (0..m).map(|i| at(i, 20)).collect();
    hs.extend([at(0, 45), at(1, 34), at(2, 21), at(1, 30)]);
    let hll = sketch(p, &hs);
    assert!(!hll.is_sparse());
    assert_eq!(registers(&hll), model(p, &hs));
    assert_eq!(hll.register(0), Some(45));
    assert_eq!(hll.register(1), Some(34));
    let back: HyperLogLog = HyperLogLog::from_bytes(&hll.to_bytes()).unwrap();
    assert_eq!(registers(&back), model(p, &hs));
    let mut merged = sketch(p, &hs[..m as usize]);
    merged.merge(&hll).unwrap();
    assert_eq!(registers(&merged), model(p, &hs));
    assert_eq!(registers(&hll.fold(4).unwrap()), model(4, &hs));
}

/// At the finest precision (18) the sparse entries still determine the dense registers exactly,
/// long runs of zeros included (the entries that keep 18 bits and a rank).
#[test]
fn the_finest_precision_converts_long_runs_exactly() {
    let p = 18u8;
    let mut hs: Vec<u64> = (1..40_000u64)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .collect();
    // Bits 18..31 all zero, then runs of every length after bit 31 (and none at all).
    for (i, z) in (0..=33u32).enumerate() {
        let top = (i as u64 + 1) << 46;
        hs.push(top | (1u64 << 32).checked_shr(z).unwrap_or(0));
        hs.push(top | (1u64 << 33)); // a one at the last kept bit: an ordinary entry
    }
    let hll = sketch(p, &hs);
    assert!(!hll.is_sparse());
    assert_eq!(registers(&hll), model(p, &hs));
}

/// A sealed version-1 byte string (XXH3 seed 0): representation 0 sparse, 1 dense.
fn version_one(p: u8, representation: u8, count: u32, hip: f64, body: &[u8]) -> Vec<u8> {
    let mut bytes = b"BHLL".to_vec();
    bytes.extend([1, p, representation, 1]);
    bytes.extend(0u64.to_le_bytes());
    bytes.extend(count.to_le_bytes());
    bytes.extend(hip.to_le_bytes());
    bytes.extend(body);
    bytes.extend([0; 8]);
    reseal(bytes)
}

/// A version-1 dense byte string (6-bit packed registers) still reads, register for register.
#[test]
fn version_one_dense_bytes_read_as_their_registers() {
    let p = 6u8;
    let hs: Vec<u64> = (1..5_000u64)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (i % 50))
        .collect();
    let regs = model(p, &hs);
    let mut packed = vec![0u8; regs.len() * 6 / 8];
    for (i, &v) in regs.iter().enumerate() {
        let bit = 6 * i;
        let word = u16::from(v) << (bit % 8);
        packed[bit / 8] |= word as u8;
        if let Some(next) = packed.get_mut(bit / 8 + 1) {
            *next |= (word >> 8) as u8;
        }
    }
    let mut bytes = version_one(p, 1, 0, f64::NAN, &packed);
    let hll: HyperLogLog = HyperLogLog::from_bytes(&bytes).unwrap();
    assert_eq!(registers(&hll), regs);
    // And a register above the largest rank is refused there too.
    bytes[28] |= 63;
    assert!(HyperLogLog::<DefaultBuildHasher>::from_bytes(&reseal(bytes)).is_err());
}

/// A version-1 byte string (sparse entries of 25 hash bits) still reads: as sparse entries
/// that stand for the same dense registers, so a small input allocates little.
#[test]
fn version_one_sparse_bytes_read_as_their_registers() {
    let p = 10u8;
    let hs: Vec<u64> = (1..300u64)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (i % 40))
        .collect();
    let mut entries: Vec<u32> = Vec::new();
    for &h in &hs {
        let index = (h >> 39) as u32;
        let rank = ((h << 25).leading_zeros() + 1).min(40);
        match entries.binary_search_by_key(&index, |e| e >> 6) {
            Ok(at) => entries[at] = entries[at].max((index << 6) | rank),
            Err(at) => entries.insert(at, (index << 6) | rank),
        }
    }
    let body: Vec<u8> = entries.iter().flat_map(|e| e.to_le_bytes()).collect();
    let bytes = version_one(p, 0, entries.len() as u32, 0.0, &body);
    let hll: HyperLogLog = HyperLogLog::from_bytes(&bytes).unwrap();
    assert_eq!(hll.is_sparse(), entries.len() <= (1 << p) / 8);
    assert_eq!(registers(&hll), model(p, &hs));
    assert_eq!(hll.estimate().to_bits(), hll.register_estimate().to_bits());
    // Every coarser precision reads the same registers as a sketch built there.
    for q in 4..p {
        assert_eq!(registers(&hll.fold(q).unwrap()), model(q, &hs));
    }
}

/// The HIP estimate belongs to an insert-only history: bytes keep it, a merge drops it (the
/// union then reports Ertl's estimate of its registers), and `clear` starts it afresh.
#[test]
fn the_hip_estimate_follows_the_insert_history() {
    let mut a = HyperLogLog::with_params(12).unwrap();
    for i in 0..20_000u64 {
        a.insert(&i);
    }
    assert!(!a.is_sparse());
    assert_ne!(a.estimate().to_bits(), a.register_estimate().to_bits());
    let copy: HyperLogLog = HyperLogLog::from_bytes(&a.to_bytes()).unwrap();
    assert_eq!(copy.estimate().to_bits(), a.estimate().to_bits());
    let mut merged = a.clone();
    merged
        .merge(&HyperLogLog::with_params(12).unwrap())
        .unwrap();
    assert_eq!(merged.estimate().to_bits(), a.register_estimate().to_bits());
    let folded = a.fold(10).unwrap();
    assert_eq!(
        folded.estimate().to_bits(),
        folded.register_estimate().to_bits()
    );
    a.clear();
    for i in 0..20_000u64 {
        a.insert(&i);
    }
    assert_eq!(a.estimate().to_bits(), copy.estimate().to_bits());
}

#[test]
fn configuration_and_merge_errors_are_typed() {
    assert_eq!(
        HyperLogLog::with_params(3).unwrap_err(),
        Error::InvalidPrecision(3)
    );
    assert_eq!(
        HyperLogLog::with_params(19).unwrap_err(),
        Error::InvalidPrecision(19)
    );
    let mut a = HyperLogLog::with_params(12).unwrap();
    let b = HyperLogLog::with_params(10).unwrap();
    assert_eq!(
        a.merge(&b).unwrap_err(),
        Error::PrecisionMismatch {
            ours: 12,
            theirs: 10
        }
    );
    let seeded = HyperLogLog::with_hasher(12, DefaultBuildHasher::with_seed(7)).unwrap();
    assert_eq!(a.merge(&seeded).unwrap_err(), Error::HasherMismatch);
    assert_eq!(
        b.fold(11).unwrap_err(),
        Error::CannotRefine { from: 10, to: 11 }
    );
    assert_eq!(b.fold(3).unwrap_err(), Error::InvalidPrecision(3));
    assert!(a.merge(&b.fold(10).unwrap()).is_err());
    assert!(a.fold(10).unwrap().merge(&b).is_ok());
}

/// Re-seals `bytes` with a correct checksum, as a forger would.
fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len() - 8;
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum.to_le_bytes());
    bytes
}

#[test]
fn forged_bytes_with_a_valid_checksum_are_still_checked() {
    use brick_hyperloglog::DecodeError;
    let decode = |b: &[u8]| HyperLogLog::<DefaultBuildHasher>::from_bytes(b);
    let sparse = sketch(12, &[1 << 40, 2 << 50, 3 << 60]).to_bytes();
    assert!(decode(&reseal(sparse.clone())).is_ok());
    let entry =
        |b: &[u8], i: usize| u32::from_le_bytes(b[28 + 4 * i..32 + 4 * i].try_into().unwrap());
    let put = |b: &mut Vec<u8>, i: usize, e: u32| {
        b[28 + 4 * i..32 + 4 * i].copy_from_slice(&e.to_le_bytes())
    };

    let mut swapped = sparse.clone();
    let (e0, e1) = (entry(&sparse, 0), entry(&sparse, 1));
    put(&mut swapped, 0, e1);
    put(&mut swapped, 1, e0);
    let bad = |e| Err(Error::Decode(e));
    assert_eq!(
        decode(&reseal(swapped)).map(drop),
        bad(DecodeError::BadRegister { index: 1 })
    );
    let mut duplicate = sparse.clone();
    put(&mut duplicate, 1, e0);
    assert!(decode(&reseal(duplicate)).is_err());
    // Entry 0 is an ordinary one (31 hash bits), entries 1 and 2 long runs (18 bits, a rank).
    assert_eq!(e0 & 1, 0);
    assert_eq!(e1 & 1, 1);
    let mut no_one = sparse.clone();
    put(&mut no_one, 0, e0 & !0x3fff); // an ordinary entry needs a one among hash bits 18..31
    assert!(decode(&reseal(no_one)).is_err());
    let mut rank_zero = sparse.clone();
    put(&mut rank_zero, 1, e1 & !0x7e);
    assert!(decode(&reseal(rank_zero)).is_err());
    let mut rank_high = sparse.clone();
    put(&mut rank_high, 1, (e1 & !0x7e) | (35 << 1));
    assert!(decode(&reseal(rank_high)).is_err());
    let mut stray_bit = sparse.clone();
    put(&mut stray_bit, 1, e1 | 0x80); // a long run's hash bits 18..31 are zero
    assert!(decode(&reseal(stray_bit)).is_err());
    let mut count = sparse.clone();
    count[16] = 200;
    assert!(matches!(
        decode(&reseal(count)),
        Err(Error::Decode(DecodeError::Length { .. }))
    ));

    let mut dense_sketch = HyperLogLog::with_params(4).unwrap();
    for i in 0..100u64 {
        dense_sketch.insert(&i);
    }
    assert!(!dense_sketch.is_sparse());
    let dense = dense_sketch.to_bytes();
    let mut high = dense.clone();
    high[28] |= 63; // the base: 63, above 61, the largest rank at p = 4
    assert!(matches!(
        decode(&reseal(high)),
        Err(Error::Decode(DecodeError::BadRegister { index: 0 }))
    ));
    // The dense body: base at 28, 8 nibble bytes (16 registers), then the overflow entries.
    // An overflow entry must sit under a nibble of 15, in index order, at least base + 15 and at
    // most 61; every nibble of 15 needs one.
    let (base, count) = (
        dense[28],
        u32::from_le_bytes(dense[16..20].try_into().unwrap()),
    );
    let with_overflow = |nibble0: u8, entries: &[u32]| {
        let mut b = dense[..29].to_vec();
        b[16..20].copy_from_slice(&(entries.len() as u32).to_le_bytes());
        b.push((dense[29] & 0xf0) | nibble0);
        b.extend_from_slice(&dense[30..37]);
        for e in entries {
            b.extend_from_slice(&e.to_le_bytes());
        }
        b.extend_from_slice(&[0; 8]);
        reseal(b)
    };
    assert_eq!(count, 0, "no register of 100 items overflows at p = 4");
    let top = u32::from(base) + 15;
    let ok: HyperLogLog = decode(&with_overflow(15, &[top])).unwrap();
    assert_eq!(ok.register(0), Some(base + 15));
    let ok: HyperLogLog = decode(&with_overflow(15, &[61])).unwrap();
    assert_eq!(ok.register(0), Some(61));
    for bad in [
        with_overflow(15, &[]),                // a nibble of 15 without its entry
        with_overflow(3, &[top]),              // an entry under a nibble that is not 15
        with_overflow(15, &[top - 1]),         // below base + 15
        with_overflow(15, &[62]),              // above the largest rank
        with_overflow(15, &[top, top]),        // twice the same register
        with_overflow(15, &[(16 << 8) | top]), // past the last register
    ] {
        assert!(matches!(decode(&bad), Err(Error::Decode(_))));
    }
    let mut version = dense.clone();
    version[4] = 3;
    assert_eq!(
        decode(&reseal(version)).map(drop),
        bad(DecodeError::UnsupportedVersion(3))
    );
    let mut magic = dense.clone();
    magic[0] = b'X';
    assert_eq!(decode(&reseal(magic)).map(drop), bad(DecodeError::BadMagic));
    let mut precision = dense;
    precision[5] = 19;
    assert!(decode(&reseal(precision)).is_err());
}

mod redis_format {
    use brick_hyperloglog::{REDIS_REGISTERS, RedisHyperLogLog};
    use proptest::prelude::*;

    /// Whatever the bytes, reading them is an error or a sketch, and a sketch that was read
    /// can be counted, inserted into, merged and written without panicking.
    fn exercise(bytes: &[u8]) {
        if let Ok(mut hll) = RedisHyperLogLog::from_redis_bytes(bytes) {
            let regs = hll.registers();
            assert_eq!(regs.len(), REDIS_REGISTERS);
            assert!(regs.iter().all(|&r| r <= 51));
            let _ = hll.count();
            hll.insert(b"one more");
            let other = RedisHyperLogLog::new();
            hll.merge(&[&other]);
            let again = RedisHyperLogLog::from_redis_bytes(&hll.to_redis_bytes());
            assert!(again.is_ok(), "our own output must read back");
        }
    }

    fn valid(n: usize) -> Vec<u8> {
        let mut hll = RedisHyperLogLog::new();
        for i in 0..n {
            hll.insert(format!("e{i}").as_bytes());
        }
        hll.to_redis_bytes()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes(tail in prop::collection::vec(any::<u8>(), 0..64), sparse in any::<bool>()) {
            let mut bytes = b"HYLL".to_vec();
            bytes.extend_from_slice(&[u8::from(sparse), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            bytes.extend_from_slice(&tail);
            exercise(&bytes);
            exercise(&tail);
        }

        #[test]
        fn mutated_valid_values(n in prop_oneof![0usize..50, 2000usize..2500], at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
            let mut bytes = valid(n);
            let i = at.index(bytes.len());
            bytes[i] = byte;
            if cut {
                bytes.truncate(i);
            }
            exercise(&bytes);
        }
    }

    #[test]
    fn corrupt_values_are_refused() {
        let sparse = valid(10);
        let reject = |b: &[u8]| assert!(RedisHyperLogLog::from_redis_bytes(b).is_err(), "{b:02x?}");
        reject(b"");
        reject(b"HYLX\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
        reject(b"HYLL\x02\0\0\0\0\0\0\0\0\0\0\0\x7f\xff"); // unknown encoding
        reject(b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0"); // covers no register
        reject(b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xfe"); // 16383 registers: ends early
        reject(b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff\x00"); // runs past 16384
        reject(b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f"); // XZERO cut in half
        reject(&sparse[..sparse.len() - 1]);
        let dense = valid(5000);
        assert_eq!(dense.len(), brick_hyperloglog::REDIS_DENSE_LEN);
        reject(&dense[..dense.len() - 1]);
        let mut high = dense.clone();
        high[16] = 52; // register 0 = 52: above the largest run length, 51
        reject(&high);
        high[16] = 51;
        assert!(RedisHyperLogLog::from_redis_bytes(&high).is_ok());
    }
}

/// serde (feature `serde`) is the byte format: sketches, sparse and dense, round-trip through
/// JSON, and on damaged encodings deserializing agrees with `from_bytes`.
#[cfg(feature = "serde")]
mod serde_wire;

#[cfg(feature = "serde")]
proptest! {
    #[test]
    fn serde_is_the_byte_format(p in 4u8..=12, hs in hashes(3_000), damage in serde_wire::damage()) {
        let hll = sketch(p, &hs);
        serde_wire::round_trips(&hll, HyperLogLog::to_bytes);
        serde_wire::agrees_when_damaged(&hll.to_bytes(), &damage, HyperLogLog::<DefaultBuildHasher>::from_bytes, HyperLogLog::to_bytes);
    }
}

#[cfg(feature = "serde")]
#[test]
fn serde_refuses_values_that_are_not_bytes() {
    serde_wire::refuses_other_shapes::<HyperLogLog>();
}

proptest! {
    /// `new(relative_error)` picks the smallest precision whose standard error 1.04/√m meets
    /// the target, and the atomic sketch picks the same.
    #[test]
    fn new_picks_the_smallest_precision_meeting_the_error(error in 1.04 / 512.0f64..2.0) {
        let hll = HyperLogLog::new(error).unwrap();
        let p = hll.precision();
        let standard_error = |p: u8| 1.04 / ((1u64 << p) as f64).sqrt();
        prop_assert!(standard_error(p) <= error || p == brick_hyperloglog::MIN_PRECISION);
        prop_assert!(p == brick_hyperloglog::MIN_PRECISION || standard_error(p - 1) > error);
        prop_assert_eq!(brick_hyperloglog::AtomicHyperLogLog::new(error).unwrap().precision(), p);
    }

    /// A target no precision reaches, or one that is not a positive number, is a typed error.
    #[test]
    fn unreachable_errors_are_typed(error in prop_oneof![
        Just(f64::NAN), Just(0.0), Just(-0.01), Just(f64::NEG_INFINITY),
        (0.0f64..1.04 / 512.0 * 0.999),
    ]) {
        prop_assert_eq!(HyperLogLog::new(error).map(drop), Err(Error::InvalidRelativeError));
    }
}

// `extend` is a loop of `insert`; equality is equality of state, which `to_bytes` writes.
proptest! {
    #[test]
    fn extend_equals_inserting_and_eq_follows_the_bytes(
        a in proptest::collection::vec(any::<u64>(), 0..3000),
        b in proptest::collection::vec(any::<u64>(), 0..3000),
        merge in any::<bool>(),
    ) {
        let mut by_one = HyperLogLog::with_params(10).unwrap();
        for x in &a {
            by_one.insert(x);
        }
        let mut extended = HyperLogLog::with_params(10).unwrap();
        extended.extend(&a);
        prop_assert!(extended == by_one);
        let mut atomic = brick_hyperloglog::AtomicHyperLogLog::with_params(10).unwrap();
        atomic.extend(&a);
        for i in 0..1usize << 10 {
            prop_assert_eq!(atomic.register(i), by_one.register(i));
        }

        let mut other = HyperLogLog::with_params(10).unwrap();
        other.extend(&b);
        if merge {
            other.merge(&extended).unwrap();
        }
        prop_assert_eq!(other == extended, other.to_bytes() == extended.to_bytes());
        prop_assert!(other.clone() == other);

        let redis: brick_hyperloglog::RedisHyperLogLog =
            a.iter().map(|x| x.to_le_bytes()).collect();
        let mut redis_by_one = brick_hyperloglog::RedisHyperLogLog::new();
        for x in &a {
            redis_by_one.insert(&x.to_le_bytes());
        }
        prop_assert!(redis == redis_by_one);
    }
}
