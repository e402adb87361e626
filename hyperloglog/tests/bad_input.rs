//! Bad input over the whole public surface: every call answers (a value or a typed error), no
//! call panics, and every byte string the decoder accepts describes a sketch some insert
//! history can produce, written canonically.
#![cfg(not(loom))]

use brick_hyperloglog::{AtomicHyperLogLog, DecodeError, Error, HyperLogLog};
use proptest::prelude::*;

type Hll = HyperLogLog;

fn decode(bytes: &[u8]) -> Result<Hll, Error> {
    HyperLogLog::from_bytes(bytes)
}

/// Re-seals `bytes` with a correct checksum, as a forger would.
fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len() - 8;
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum.to_le_bytes());
    bytes
}

fn with_hip(bytes: &[u8], hip: f64) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[20..28].copy_from_slice(&hip.to_bits().to_le_bytes());
    reseal(b)
}

fn filled(p: u8, n: u64) -> Hll {
    let mut hll = HyperLogLog::with_params(p).unwrap();
    for i in 0..n {
        hll.insert(&i);
    }
    hll
}

/// Out-of-range register reads have one answer in both variants and both representations.
#[test]
fn a_register_past_the_last_is_none_everywhere() {
    for p in [4u8, 10, 18] {
        let m = 1usize << p;
        let sparse = filled(p, 1);
        let dense = filled(p, 20 * m as u64);
        assert!(sparse.is_sparse() && !dense.is_sparse());
        let atomic = AtomicHyperLogLog::with_params(p).unwrap();
        for hll in [&sparse, &dense] {
            assert!(hll.register(m - 1).is_some());
            for i in [m, m + 1, usize::MAX] {
                assert_eq!(hll.register(i), None);
            }
        }
        assert_eq!(atomic.register(m - 1), Some(0));
        for i in [m, usize::MAX] {
            assert_eq!(atomic.register(i), None);
        }
    }
}

/// A HIP estimate no history can reach beside its registers is refused: below the number of
/// nonzero registers (each change adds at least 1), or past any sum the update rule allows.
#[test]
fn a_hip_estimate_the_registers_rule_out_is_refused() {
    let hll = filled(12, 30_000);
    assert!(!hll.is_sparse());
    let bytes = hll.to_bytes();
    assert!(decode(&bytes).is_ok());
    let nonzero = (0..1 << 12).filter(|&i| hll.register(i) != Some(0)).count() as f64;
    for forged in [0.0, 1.0, nonzero * 0.999, 1e12, 1e300, f64::MAX] {
        assert_eq!(
            decode(&with_hip(&bytes, forged)).map(drop),
            Err(Error::Decode(DecodeError::BadEstimate)),
            "HIP {forged}"
        );
    }
    for forged in [f64::INFINITY, -1.0, f64::NEG_INFINITY] {
        assert!(decode(&with_hip(&bytes, forged)).is_err());
    }
    // A NaN other than the one the encoder writes, and -0.0 on a sparse sketch, re-encode
    // differently: refused.
    let odd_nan = f64::from_bits(f64::NAN.to_bits() | 1);
    assert!(odd_nan.is_nan());
    assert_eq!(
        decode(&with_hip(&bytes, odd_nan)).map(drop),
        Err(Error::Decode(DecodeError::NotCanonical))
    );
    let sparse = filled(12, 5).to_bytes();
    assert_eq!(
        decode(&with_hip(&sparse, -0.0)).map(drop),
        Err(Error::Decode(DecodeError::NotCanonical))
    );
    assert!(
        decode(&with_hip(&bytes, f64::NAN)).is_ok(),
        "NaN: no history"
    );
}

/// A version-1 header that names precision 18 and no entries is 36 bytes: it decodes to an
/// empty sparse sketch, not to 2^18 registers.
#[test]
fn a_small_version_one_input_allocates_little() {
    let mut bytes = b"BHLL".to_vec();
    bytes.extend([1, 18, 0, 1]);
    bytes.extend(0u64.to_le_bytes());
    bytes.extend(0u32.to_le_bytes());
    bytes.extend(0f64.to_bits().to_le_bytes());
    bytes.extend([0; 8]);
    let bytes = reseal(bytes);
    assert_eq!(bytes.len(), 36);
    let hll = decode(&bytes).unwrap();
    assert!(hll.is_sparse());
    assert!(
        hll.len_bytes() <= 3 * bytes.len() + 64,
        "{}",
        hll.len_bytes()
    );
    assert_eq!(hll.count(), 0);
}

/// A sparse list longer than the point where a sketch turns dense is no sketch's encoding.
#[test]
fn a_sparse_list_past_the_dense_size_is_refused() {
    let p = 6u8;
    let hll = filled(p, (1 << p) / 8);
    assert!(hll.is_sparse());
    let bytes = hll.to_bytes();
    let count = u32::from_le_bytes(bytes[16..20].try_into().unwrap()) as usize;
    assert_eq!(count, (1 << p) / 8, "filled to the limit");
    // Add one valid entry larger than every other (ordinary entries keep bit 0 clear).
    let mut longer = bytes[..bytes.len() - 8].to_vec();
    longer[16..20].copy_from_slice(&(count as u32 + 1).to_le_bytes());
    longer.extend(u32::MAX.wrapping_sub(1).to_le_bytes());
    longer.extend([0; 8]);
    assert_eq!(
        decode(&reseal(longer)).map(drop),
        Err(Error::Decode(DecodeError::NotCanonical))
    );
}

fn streams() -> impl Strategy<Value = (u8, Vec<u64>)> {
    (4u8..=12).prop_flat_map(|p| {
        let m = 1usize << p;
        (
            Just(p),
            prop::collection::vec(
                prop_oneof![
                    3 => any::<u64>(),
                    1 => (any::<u64>(), 0..64u32).prop_map(|(h, z)| h >> z),
                ],
                0..40 * m,
            ),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Every sketch an insert history makes, its merges and folds included, reads back: the
    /// decoder's HIP range and canonical check never refuse a genuine sketch.
    #[test]
    fn every_genuine_sketch_reads_back((p, hs) in streams(), fold_by in 0u8..3, merge in any::<bool>()) {
        let mut hll = HyperLogLog::with_params(p).unwrap();
        for &h in &hs {
            hll.insert_hash(h);
        }
        let bytes = hll.to_bytes();
        let back = decode(&bytes).unwrap();
        prop_assert_eq!(back.to_bytes(), bytes);
        prop_assert_eq!(back.estimate().to_bits(), hll.estimate().to_bits());
        if merge {
            let mut other = HyperLogLog::with_params(p).unwrap();
            other.insert(&"x");
            hll.merge(&other).unwrap();
        }
        let q = p.saturating_sub(fold_by).max(4);
        let folded = hll.fold(q).unwrap();
        prop_assert_eq!(decode(&folded.to_bytes()).unwrap().to_bytes(), folded.to_bytes());
    }

    /// Forged bytes (any byte changed, the checksum recomputed) are refused or re-encode to
    /// exactly themselves, and what is accepted can be used.
    #[test]
    fn forged_bytes_are_refused_or_canonical((p, hs) in streams(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut hll = HyperLogLog::with_params(p).unwrap();
        for &h in &hs {
            hll.insert_hash(h);
        }
        let mut bytes = hll.to_bytes();
        let body = bytes.len() - 8;
        for (at, value) in edits {
            bytes[at.index(body)] = value;
        }
        let bytes = reseal(bytes);
        if let Ok(mut back) = decode(&bytes) {
            prop_assert_eq!(back.to_bytes(), bytes);
            let e = back.estimate();
            prop_assert!(e.is_finite() && e >= 0.0);
            back.insert(&1u8);
            prop_assert!(decode(&back.to_bytes()).is_ok());
        }
    }

    /// Arbitrary parameters and calls: typed errors where the model says so, answers that
    /// agree with it otherwise.
    #[test]
    fn arbitrary_parameters_and_calls(p in any::<u8>(), q in any::<u8>(), index in any::<usize>(), items in prop::collection::vec(any::<u32>(), 0..300)) {
        let valid = (4..=18).contains(&p);
        let made = HyperLogLog::with_params(p);
        prop_assert_eq!(made.is_ok(), valid);
        prop_assert_eq!(AtomicHyperLogLog::with_params(p).is_ok(), valid);
        if let Ok(mut hll) = made {
            let atomic = AtomicHyperLogLog::with_params(p).unwrap();
            for x in &items {
                hll.insert(x);
                atomic.insert(x);
            }
            let m = 1usize << p;
            prop_assert_eq!(hll.register(index).is_some(), index < m);
            prop_assert_eq!(atomic.register(index), hll.register(index));
            match hll.fold(q) {
                Ok(f) => prop_assert!((4..=p).contains(&q) && f.precision() == q),
                Err(Error::InvalidPrecision(_)) => prop_assert!(q < 4),
                Err(Error::CannotRefine { .. }) => prop_assert!(q > p),
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
            let e = hll.estimate();
            prop_assert!(e.is_finite() && e >= 0.0 && e <= 2.0 * items.len() as f64 + 1.0);
            if let Ok(other) = HyperLogLog::with_params(q) {
                prop_assert_eq!(hll.clone().merge(&other).is_ok(), q == p);
            }
        }
    }
}
