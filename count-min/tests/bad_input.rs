//! Bad input: arbitrary shapes, targets and weights answer with a value or a typed error;
//! zero-weight updates change nothing in any structure; and every byte string the decoder
//! accepts describes a sketch some stream can produce (no row sums past the total), while every
//! genuine sketch reads back.

use brick_count_min::{
    ConservativeCountMin, CountMinSketch, DecodeError, Error, SpaceSaving, TopK,
};
use proptest::prelude::*;

/// Re-seals `bytes` with a correct checksum, as a forger would.
fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len() - 8;
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum.to_le_bytes());
    bytes
}

fn top_keys<K: Clone + Ord>(top: &[brick_count_min::HeavyHitter<K>]) -> Vec<(K, u64)> {
    let mut v: Vec<(K, u64)> = top.iter().map(|h| (h.key.clone(), h.count)).collect();
    v.sort();
    v
}

/// A zero-weight add on a fresh TopK created an entry with count 0, and on a full
/// SpaceSaving displaced the smallest counter.
#[test]
fn zero_weight_adds_change_nothing() {
    let mut topk: TopK<u32> = TopK::with_params(3, 256, 4).unwrap();
    assert_eq!(topk.add(&7, 0), 0);
    assert!(topk.top().is_empty());
    let mut ss: SpaceSaving<u32> = SpaceSaving::new(3).unwrap();
    for (k, n) in [(1, 10), (2, 20), (3, 30)] {
        ss.add(&k, n);
        topk.add(&k, n);
    }
    let (ss_before, topk_before) = (top_keys(&ss.top()), top_keys(&topk.top()));
    for k in 100..200 {
        ss.add(&k, 0);
        topk.add(&k, 0);
    }
    assert_eq!(top_keys(&ss.top()), ss_before);
    assert_eq!(top_keys(&topk.top()), topk_before);
    assert_eq!(ss.total(), 60);
    let mut cms: CountMinSketch = CountMinSketch::with_params(64, 3).unwrap();
    cms.add(&1u8, 5);
    let bytes = cms.to_bytes();
    assert_eq!(cms.add(&2u8, 0), cms.estimate(&2u8));
    assert_eq!(cms.to_bytes(), bytes);
}

/// Bytes whose rows sum past the recorded total (a counter raised, or the total lowered, the
/// checksum recomputed) are refused.
#[test]
fn rows_summing_past_the_total_are_refused() {
    let mut cms: CountMinSketch = CountMinSketch::with_params(16, 2).unwrap();
    for i in 0..100u32 {
        cms.increment(&i);
    }
    let bytes = cms.to_bytes();
    assert!(CountMinSketch::<u32>::from_bytes(&bytes).is_ok());
    let mut raised = bytes.clone();
    raised[40] = raised[40].wrapping_add(1); // the first counter of row 0, u32 little-endian
    assert_eq!(
        CountMinSketch::<u32>::from_bytes(&reseal(raised)).map(drop),
        Err(Error::Decode(DecodeError::Inconsistent { row: 0 }))
    );
    let mut lowered = bytes.clone();
    lowered[32..40].copy_from_slice(&99u64.to_le_bytes());
    assert!(matches!(
        CountMinSketch::<u32>::from_bytes(&reseal(lowered)),
        Err(Error::Decode(DecodeError::Inconsistent { .. }))
    ));
}

#[derive(Debug, Clone)]
enum Op {
    Add(u16, u64),
    Halve,
    Merge(Vec<(u16, u64)>),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let weight = prop_oneof![4 => 0u64..50, 1 => Just(u64::MAX / 3), 1 => Just(u64::MAX)];
    prop::collection::vec(
        prop_oneof![
            6 => (any::<u16>(), weight.clone()).prop_map(|(k, n)| Op::Add(k, n)),
            1 => Just(Op::Halve),
            1 => prop::collection::vec((any::<u16>(), weight), 0..10).prop_map(Op::Merge),
        ],
        0..60,
    )
}

macro_rules! genuine_reads_back {
    ($name:ident, $ty:ty, $saturated:expr) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            /// Any stream of adds (saturating ones too), halvings and merges leaves bytes the
            /// decoder accepts and that re-encode to themselves; forged bytes are refused or
            /// describe a sketch whose estimates stay within its total.
            #[test]
            fn $name(width in 1u64..40, depth in 1u64..5, ops in ops(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..3)) {
                let mut s = <$ty>::with_hasher(width, depth, Default::default()).unwrap();
                for op in ops {
                    match op {
                        Op::Add(k, n) => {
                            s.add(&k, n);
                        }
                        Op::Halve => s.halve(),
                        Op::Merge(items) => {
                            let mut other = <$ty>::with_hasher(width, depth, Default::default()).unwrap();
                            for (k, n) in items {
                                other.add(&k, n);
                            }
                            s.merge(&other).unwrap();
                        }
                    }
                }
                let bytes = s.to_bytes();
                let back = <$ty>::from_bytes(&bytes).unwrap();
                prop_assert_eq!(back.to_bytes(), bytes.clone());
                let mut forged = bytes;
                let body = forged.len() - 8;
                for (at, v) in edits {
                    forged[at.index(body)] = v;
                }
                // A saturated counter stands for "at least its maximum": only it may exceed the
                // total.
                if let Ok(f) = <$ty>::from_bytes(&reseal(forged))
                    && f.total() < u64::MAX
                {
                    for k in 0..50u16 {
                        let e = f.estimate(&k);
                        prop_assert!(e <= f.total() || e == $saturated, "{} > {}", e, f.total());
                    }
                }
            }
        }
    };
}

genuine_reads_back!(
    plain_u32_sketches_read_back,
    CountMinSketch<u32>,
    u64::from(u32::MAX)
);
genuine_reads_back!(
    plain_u8_sketches_read_back,
    CountMinSketch<u8>,
    u64::from(u8::MAX)
);
genuine_reads_back!(plain_u64_sketches_read_back, CountMinSketch<u64>, u64::MAX);
genuine_reads_back!(
    conservative_u16_sketches_read_back,
    ConservativeCountMin<u16>,
    u64::from(u16::MAX)
);
genuine_reads_back!(
    conservative_u64_sketches_read_back,
    ConservativeCountMin<u64>,
    u64::MAX
);

fn weird_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(1.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(5e-324),
        Just(f64::MIN_POSITIVE),
        1e-9f64..1.0,
        any::<f64>(),
    ]
}

fn weird_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(u64::MAX),
        1u64..2_000,
        any::<u64>()
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Constructors with arbitrary shapes and targets: typed errors outside the documented
    /// ranges; a sketch (only small ones are built here) inside them.
    #[test]
    fn constructors_with_arbitrary_parameters(w in weird_u64(), d in weird_u64(), k in weird_u64(), eps in weird_f64(), delta in weird_f64()) {
        let small = w <= 1 << 16 && d <= 64;
        if small {
            match CountMinSketch::<u32>::with_params(w, d) {
                Ok(s) => prop_assert!(s.width() == w && s.depth() == d),
                Err(e) => prop_assert!(matches!(e, Error::InvalidWidth(_) | Error::InvalidDepth(_)), "{}", e),
            }
        }
        let valid = eps > 0.0 && eps < 1.0 && delta > 0.0 && delta < 1.0;
        if !valid {
            prop_assert!(CountMinSketch::<u32>::new(eps, delta).is_err());
        } else if let Ok((width, depth)) = brick_count_min::dimensions(eps, delta)
            && width <= 1 << 16
        {
            let s = CountMinSketch::<u32>::new(eps, delta).unwrap();
            prop_assert!(s.width() == width && s.depth() == depth);
        }
        if k <= 1 << 12 && small {
            prop_assert_eq!(SpaceSaving::<u8>::new(k).is_ok(), k >= 1);
            if let Ok(mut t) = TopK::<u8>::with_params(k, w, d) {
                t.add(&1, 5);
                prop_assert!(t.top().len() <= 1);
            }
        }
    }
}
