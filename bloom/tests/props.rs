//! One property per promised invariant.
#![cfg(not(loom))]

use brick_bloom::{
    AtomicBloomFilter, BlockedBloomFilter, BloomFilter, CountingBloomFilter, DecodeError,
    DefaultBuildHasher, Error, Params, ScalableBloomFilter, SipBuildHasher, capacity,
    false_positive_rate, optimal_bits, optimal_hashes,
};
use proptest::prelude::*;

fn shape() -> impl Strategy<Value = (u64, u32)> {
    (1u64..5_000, 1u32..24)
}

fn keys() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(any::<u64>(), 0..300)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn no_false_negatives((bits, k) in shape(), items in keys(), words in prop::collection::vec(".{0,40}", 0..50)) {
        let mut standard = BloomFilter::with_params(bits, k).unwrap();
        let mut blocked = BlockedBloomFilter::with_params(bits, k).unwrap();
        let mut counting = CountingBloomFilter::with_params(bits, k).unwrap();
        let atomic = AtomicBloomFilter::with_params(bits, k).unwrap();
        let mut scalable = ScalableBloomFilter::new(8, 0.01).unwrap();
        for x in &items {
            standard.insert(x);
            blocked.insert(x);
            counting.insert(x);
            atomic.insert(x);
            scalable.insert(x).unwrap();
        }
        for w in &words {
            standard.insert(w.as_str());
        }
        for x in &items {
            prop_assert!(standard.contains(x));
            prop_assert!(blocked.contains(x));
            prop_assert!(counting.contains(x));
            prop_assert!(atomic.contains(x));
            prop_assert!(scalable.contains(x));
        }
        for w in &words {
            prop_assert!(standard.contains(w.as_str()));
        }
    }

    /// The atomic and counting filters probe the positions a standard filter of the same shape
    /// and hasher probes: they answer every query alike, so they share its false-positive rate.
    #[test]
    fn atomic_and_counting_answer_as_the_standard_filter((bits, k) in shape(), items in keys(), queries in keys()) {
        let mut standard = BloomFilter::with_params(bits, k).unwrap();
        let mut counting = CountingBloomFilter::with_params(bits, k).unwrap();
        let atomic = AtomicBloomFilter::with_params(bits, k).unwrap();
        for x in &items {
            standard.insert(x);
            counting.insert(x);
            atomic.insert(x);
        }
        for q in queries.iter().chain(&items) {
            prop_assert_eq!(counting.contains(q), standard.contains(q));
            prop_assert_eq!(atomic.contains(q), standard.contains(q));
        }
    }

    #[test]
    fn second_insert_reports_present((bits, k) in shape(), x in any::<u64>()) {
        let mut f = BloomFilter::with_params(bits, k).unwrap();
        f.insert(&x);
        prop_assert!(f.insert(&x));
        let mut b = BlockedBloomFilter::with_params(bits, k).unwrap();
        b.insert(&x);
        prop_assert!(b.insert(&x));
    }

    #[test]
    fn union_equals_the_filter_of_the_union((bits, k) in shape(), a in keys(), b in keys()) {
        let build = |set: &[&Vec<u64>]| {
            let mut f = BloomFilter::with_params(bits, k).unwrap();
            let mut g = BlockedBloomFilter::with_params(bits, k).unwrap();
            for x in set.iter().flat_map(|s| s.iter()) {
                f.insert(x);
                g.insert(x);
            }
            (f, g)
        };
        let (mut fa, mut ga) = build(&[&a]);
        let (fb, gb) = build(&[&b]);
        let (fab, gab) = build(&[&a, &b]);
        fa.union(&fb).unwrap();
        ga.union(&gb).unwrap();
        prop_assert_eq!(&fa, &fab);
        prop_assert_eq!(&ga, &gab);
        for x in a.iter().chain(&b) {
            prop_assert!(fa.contains(x) && ga.contains(x));
        }
    }

    #[test]
    fn intersect_keeps_common_items((bits, k) in shape(), a in keys(), b in keys(), common in keys()) {
        let mut fa = BloomFilter::with_params(bits, k).unwrap();
        let mut fb = BloomFilter::with_params(bits, k).unwrap();
        let mut ga = BlockedBloomFilter::with_params(bits, k).unwrap();
        let mut gb = BlockedBloomFilter::with_params(bits, k).unwrap();
        for x in a.iter().chain(&common) { fa.insert(x); ga.insert(x); }
        for x in b.iter().chain(&common) { fb.insert(x); gb.insert(x); }
        fa.intersect(&fb).unwrap();
        ga.intersect(&gb).unwrap();
        for x in &common {
            prop_assert!(fa.contains(x) && ga.contains(x));
        }
    }

    #[test]
    fn combining_mismatched_filters_is_an_error((bits, k) in shape(), seed in 1u64..) {
        let mut f = BloomFilter::with_params(bits, k).unwrap();
        let other_bits = BloomFilter::with_params(bits + 1, k).unwrap();
        let other_k = BloomFilter::with_params(bits, k + 1).unwrap();
        let other_seed = BloomFilter::with_hasher(Params::new(bits, k).unwrap(), DefaultBuildHasher::with_seed(seed)).unwrap();
        prop_assert!(matches!(f.union(&other_bits), Err(Error::ShapeMismatch { .. })), "expected a typed error");
        prop_assert!(matches!(f.intersect(&other_k), Err(Error::ShapeMismatch { .. })), "expected a typed error");
        prop_assert!(matches!(f.union(&other_seed), Err(Error::ShapeMismatch { .. })), "expected a typed error");
        let mut g = BlockedBloomFilter::with_params(bits, k).unwrap();
        let g2 = BlockedBloomFilter::with_params(bits + 512, k).unwrap();
        prop_assert!(matches!(g.union(&g2), Err(Error::ShapeMismatch { .. })), "expected a typed error");
    }

    #[test]
    fn bytes_round_trip((bits, k) in shape(), items in keys(), seed in any::<u64>()) {
        let params = Params::new(bits, k).unwrap();
        let hasher = DefaultBuildHasher::with_seed(seed);
        let mut f = BloomFilter::with_hasher(params, hasher).unwrap();
        let mut g = BlockedBloomFilter::with_hasher(params, hasher).unwrap();
        let mut c = CountingBloomFilter::with_hasher(params, hasher).unwrap();
        for x in &items { f.insert(x); g.insert(x); c.insert(x); }
        let f2 = BloomFilter::<DefaultBuildHasher>::from_bytes(&f.to_bytes()).unwrap();
        let g2 = BlockedBloomFilter::<DefaultBuildHasher>::from_bytes(&g.to_bytes()).unwrap();
        let c2 = CountingBloomFilter::<DefaultBuildHasher>::from_bytes(&c.to_bytes()).unwrap();
        prop_assert_eq!(f2.hasher(), &hasher);
        prop_assert_eq!(&f2, &f);
        prop_assert_eq!(&g2, &g);
        prop_assert_eq!(&c2, &c);
        for x in &items {
            prop_assert!(f2.contains(x) && g2.contains(x) && c2.contains(x));
        }
    }

    #[test]
    fn from_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        // An error or a valid filter; never a panic.
        let _ = BloomFilter::<DefaultBuildHasher>::from_bytes(&bytes);
        let _ = BlockedBloomFilter::<DefaultBuildHasher>::from_bytes(&bytes);
        let _ = CountingBloomFilter::<DefaultBuildHasher>::from_bytes(&bytes);
    }

    #[test]
    fn any_corrupted_byte_is_refused((bits, k) in shape(), items in keys(), at in any::<prop::sample::Index>(), flip in 1u8..) {
        let mut f = BloomFilter::with_params(bits, k).unwrap();
        for x in &items { f.insert(x); }
        let mut bytes = f.to_bytes();
        let i = at.index(bytes.len());
        bytes[i] ^= flip;
        prop_assert!(BloomFilter::<DefaultBuildHasher>::from_bytes(&bytes).is_err());
        // Truncated or extended input is refused too.
        let good = f.to_bytes();
        let cut = at.index(good.len());
        prop_assert!(BloomFilter::<DefaultBuildHasher>::from_bytes(&good[..cut]).is_err());
        let mut longer = good.clone();
        longer.push(0);
        prop_assert!(BloomFilter::<DefaultBuildHasher>::from_bytes(&longer).is_err());
    }

    #[test]
    fn counting_removes_keep_the_rest((bits, k) in (1_000u64..5_000, 1u32..12), items in prop::collection::vec(0u64..60, 0..120), keep_every in 2usize..5) {
        let mut c = CountingBloomFilter::with_params(bits, k).unwrap();
        for x in &items { c.insert(x); }
        let (gone, kept): (Vec<_>, Vec<_>) = items.iter().enumerate().partition(|(i, _)| i % keep_every != 0);
        for (_, x) in &gone {
            prop_assert!(c.remove(*x).is_ok());
        }
        for (_, x) in &kept {
            prop_assert!(c.contains(*x));
        }
        for (_, x) in &kept {
            prop_assert!(c.remove(*x).is_ok());
        }
        // Everything inserted was removed once: unless a counter saturated, the filter is empty.
        if c.saturated_counters() == 0 {
            prop_assert_eq!(c.estimated_len(), 0.0);
        }
    }

    #[test]
    fn counting_refuses_certainly_absent_items(x in any::<u64>(), y in any::<u64>()) {
        let mut c = CountingBloomFilter::with_params(100_000, 7).unwrap();
        c.insert(&x);
        if !c.contains(&y) {
            prop_assert_eq!(c.remove(&y), Err(Error::NotPresent));
            prop_assert!(c.contains(&x));
        }
    }

    #[test]
    fn atomic_inserts_from_threads_equal_a_sequential_build((bits, k) in shape(), items in keys()) {
        let atomic = AtomicBloomFilter::with_params(bits, k).unwrap();
        std::thread::scope(|s| {
            for chunk in items.chunks(items.len().div_ceil(4).max(1)) {
                let atomic = &atomic;
                s.spawn(move || chunk.iter().for_each(|x| { atomic.insert(x); }));
            }
        });
        let mut sequential = BloomFilter::with_params(bits, k).unwrap();
        for x in &items { sequential.insert(x); }
        prop_assert_eq!(&atomic.to_filter(), &sequential);
        let back: BloomFilter = atomic.into();
        let again = AtomicBloomFilter::from(back.clone());
        prop_assert_eq!(&again.to_filter(), &back);
    }

    #[test]
    fn optimal_params_meet_the_rate(n in 1u64..10_000_000_000, exp in 0.3f64..12.0) {
        let p = 10f64.powf(-exp);
        let params = Params::optimal(n, p).unwrap();
        prop_assert!(params.false_positive_rate(n) <= p);
        let bits = optimal_bits(n, p).unwrap();
        prop_assert!(params.bits >= bits);
        // A whole k costs little at small p: within 1 % of the formula's bits for p ≤ 10 %.
        if p <= 0.1 {
            prop_assert!(params.bits as f64 <= bits as f64 * 1.01 + 64.0);
        }
        // And no neighbouring k reaches p with fewer bits.
        for k in [params.hashes - 1, params.hashes + 1] {
            if k >= 1 {
                let fewer = Params::new(params.bits - 1, k).unwrap();
                prop_assert!(fewer.false_positive_rate(n) > p, "k = {} reaches p with fewer bits", k);
            }
        }
        let k_opt = optimal_hashes(bits, n).unwrap();
        prop_assert!(params.hashes == k_opt || params.hashes + 1 == k_opt || params.hashes == k_opt + 1);
    }

    #[test]
    fn blocked_params_meet_the_rate(n in 1u64..100_000_000, exp in 0.3f64..8.0) {
        let p = 10f64.powf(-exp);
        let params = Params::blocked(n, p).unwrap();
        prop_assert!(params.blocked_false_positive_rate(n) <= p);
        prop_assert_eq!(params.bits % 512, 0);
    }

    #[test]
    fn capacity_inverts_the_rate(m in 64u64..1_000_000_000, k in 1u32..30, exp in 0.3f64..10.0) {
        let p = 10f64.powf(-exp);
        let n = capacity(m, k, p).unwrap();
        prop_assert!(false_positive_rate(m, n, k).unwrap() <= p * (1.0 + 1e-9));
        prop_assert!(false_positive_rate(m, n + 1, k).unwrap() >= p * (1.0 - 1e-9));
    }

    #[test]
    fn invalid_rates_are_typed_errors(n in 1u64.., p in prop_oneof![Just(0.0), Just(1.0), Just(f64::NAN), Just(-0.5), Just(1.5), Just(f64::INFINITY)]) {
        prop_assert!(matches!(optimal_bits(n, p), Err(Error::InvalidRate(_))));
        prop_assert!(matches!(BloomFilter::new(n, p), Err(Error::InvalidRate(_))));
        prop_assert!(matches!(BlockedBloomFilter::new(n, p), Err(Error::InvalidRate(_))));
        prop_assert!(matches!(ScalableBloomFilter::new(n, p), Err(Error::InvalidRate(_))));
        prop_assert!(matches!(capacity(1000, 3, p), Err(Error::InvalidRate(_))));
    }
}

#[test]
fn zero_and_oversized_inputs_are_typed_errors() {
    assert_eq!(optimal_bits(0, 0.01), Err(Error::ZeroItems));
    assert_eq!(optimal_hashes(0, 10), Err(Error::ZeroBits));
    assert_eq!(optimal_hashes(10, 0), Err(Error::ZeroItems));
    assert_eq!(false_positive_rate(10, 1, 0), Err(Error::InvalidHashes(0)));
    assert!(matches!(
        BloomFilter::with_params(0, 3),
        Err(Error::ZeroBits)
    ));
    assert!(matches!(
        BloomFilter::with_params(64, 0),
        Err(Error::InvalidHashes(0))
    ));
    assert!(matches!(
        BloomFilter::with_params(64, 257),
        Err(Error::InvalidHashes(257))
    ));
    assert!(matches!(
        optimal_bits(u64::MAX, 1e-300),
        Err(Error::TooLarge { .. })
    ));
    assert!(matches!(
        Params::new(u64::MAX, 3),
        Err(Error::TooLarge { .. })
    ));
    assert!(matches!(
        optimal_hashes(1 << 40, 1),
        Err(Error::InvalidHashes(_))
    ));
    assert!(matches!(
        ScalableBloomFilter::with_growth(10, 0.01, 0.5, 0.85),
        Err(Error::InvalidGrowth { .. })
    ));
    assert!(matches!(
        ScalableBloomFilter::with_growth(10, 0.01, 2.0, 1.0),
        Err(Error::InvalidGrowth { .. })
    ));
    assert!(matches!(
        ScalableBloomFilter::with_growth(10, 0.01, f64::NAN, 0.5),
        Err(Error::InvalidGrowth { .. })
    ));
    // Error messages say what was wrong and what is allowed.
    assert_eq!(
        Error::InvalidRate(1.5).to_string(),
        "false-positive rate must be in (0, 1), got 1.5"
    );
}

#[test]
fn a_billion_items_at_one_percent() {
    let bits = optimal_bits(1_000_000_000, 0.01).unwrap();
    // −1e9·ln 0.01/(ln 2)² = 9 585 058 377.4…, rounded up.
    assert_eq!(bits, 9_585_058_378);
    assert_eq!(optimal_hashes(bits, 1_000_000_000).unwrap(), 7);
    // Hand-computed: (1 − e^(−7/9.585058378))^7 = 0.0100392…
    let p = false_positive_rate(bits, 1_000_000_000, 7).unwrap();
    assert!((p - 0.010_039_2).abs() < 1e-6, "{p}");
    // (1 − e^(−1))^1 = 0.632120…; capacity of 1000 bits, 1 hash at that rate is 1000 items.
    let q = false_positive_rate(1000, 1000, 1).unwrap();
    assert!((q - 0.632_120_558_8).abs() < 1e-9);
    assert_eq!(capacity(1000, 1, 0.632_120_56).unwrap(), 1000);
}

#[test]
fn decoding_checks_the_hasher() {
    let hasher = SipBuildHasher::with_keys(1, 2);
    let mut f = BloomFilter::with_hasher(Params::new(1000, 5).unwrap(), hasher).unwrap();
    f.insert("x");
    let bytes = f.to_bytes();
    assert_eq!(
        BloomFilter::<SipBuildHasher>::from_bytes(&bytes),
        Err(Error::Decode(DecodeError::NeedsHasher))
    );
    let wrong = SipBuildHasher::with_keys(1, 3);
    assert!(matches!(
        BloomFilter::from_bytes_with_hasher(&bytes, wrong),
        Err(Error::Decode(DecodeError::HasherMismatch { .. }))
    ));
    assert!(matches!(
        BloomFilter::<DefaultBuildHasher>::from_bytes(&bytes),
        Err(Error::Decode(DecodeError::HasherMismatch { .. }))
    ));
    assert!(
        BloomFilter::from_bytes_with_hasher(&bytes, hasher)
            .unwrap()
            .contains("x")
    );
    // A standard filter's bytes are not a counting filter's.
    let plain = BloomFilter::with_params(1000, 5).unwrap().to_bytes();
    assert!(matches!(
        CountingBloomFilter::<DefaultBuildHasher>::from_bytes(&plain),
        Err(Error::Decode(DecodeError::WrongKind {
            expected: 3,
            found: 1
        }))
    ));
}

#[test]
fn header_claiming_a_huge_payload_is_refused_before_allocating() {
    let mut bytes = BloomFilter::with_params(64, 1).unwrap().to_bytes();
    // bits = 2^59, words = 2^53: the header promises 64 PiB in a 52-byte input.
    bytes[12..20].copy_from_slice(&(1u64 << 59).to_le_bytes());
    bytes[28..36].copy_from_slice(&(1u64 << 53).to_le_bytes());
    assert!(matches!(
        BloomFilter::<DefaultBuildHasher>::from_bytes(&bytes),
        Err(Error::Decode(DecodeError::Length { .. }))
    ));
}

#[test]
fn set_bits_past_the_end_are_refused() {
    // 65 bits: the last word may only use bit 0. Build a payload with bit 1 set and a valid
    // checksum, as a buggy or hostile writer would.
    let mut f = BloomFilter::with_params(65, 1).unwrap();
    f.insert(&1u64);
    let mut bytes = f.to_bytes();
    let last_word = 36 + 8;
    bytes[last_word] |= 0b10;
    let body = bytes.len() - 8;
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes[..body]);
    bytes[body..].copy_from_slice(&sum.to_le_bytes());
    assert_eq!(
        BloomFilter::<DefaultBuildHasher>::from_bytes(&bytes),
        Err(Error::Decode(DecodeError::TrailingBits))
    );
}

#[test]
fn filters_above_2_pow_32_bits_use_their_top_bits() {
    // 2^32 + 2^30 bits (640 MiB): a filter that reduced positions mod 2^32 would never set a
    // bit in the top fifth.
    let bits = (1u64 << 32) + (1 << 30);
    let mut f = BloomFilter::with_params(bits, 7).unwrap();
    for k in 0..2_000u64 {
        f.insert(&k);
    }
    let top: u32 = f.as_words()[(1 << 26)..]
        .iter()
        .map(|w| w.count_ones())
        .sum();
    // 14 000 positions, a fifth of them expected in the top: 2 800 ± 3·47.
    assert!((2_650..=2_950).contains(&top), "{top}");
    assert!((0..2_000u64).all(|k| f.contains(&k)));
}

/// serde (feature `serde`) is the byte format: every filter round-trips through JSON, and on
/// any bytes — a valid encoding with one byte changed, a truncation, noise — deserializing
/// agrees with `from_bytes`.
#[cfg(feature = "serde")]
mod serde_wire;

#[cfg(feature = "serde")]
proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn serde_is_the_byte_format((bits, k) in shape(), items in keys(), damage in serde_wire::damage()) {
        let mut standard = BloomFilter::with_params(bits, k).unwrap();
        let mut blocked = BlockedBloomFilter::with_params(bits, k).unwrap();
        let mut counting = CountingBloomFilter::with_params(bits, k).unwrap();
        for x in &items {
            standard.insert(x);
            blocked.insert(x);
            counting.insert(x);
        }
        serde_wire::round_trips(&standard, BloomFilter::to_bytes);
        serde_wire::round_trips(&blocked, BlockedBloomFilter::to_bytes);
        serde_wire::round_trips(&counting, CountingBloomFilter::to_bytes);
        for good in [standard.to_bytes(), blocked.to_bytes(), counting.to_bytes()] {
            serde_wire::agrees_when_damaged(&good, &damage, BloomFilter::<DefaultBuildHasher>::from_bytes, BloomFilter::to_bytes);
            serde_wire::agrees_when_damaged(&good, &damage, BlockedBloomFilter::<DefaultBuildHasher>::from_bytes, BlockedBloomFilter::to_bytes);
            serde_wire::agrees_when_damaged(&good, &damage, CountingBloomFilter::<DefaultBuildHasher>::from_bytes, CountingBloomFilter::to_bytes);
        }
    }
}

#[cfg(feature = "serde")]
#[test]
fn serde_refuses_values_that_are_not_bytes() {
    serde_wire::refuses_other_shapes::<BloomFilter>();
    serde_wire::refuses_other_shapes::<BlockedBloomFilter>();
    serde_wire::refuses_other_shapes::<CountingBloomFilter>();
}

// `extend` is a loop of `insert`: the same bits, so equal filters.
proptest! {
    #[test]
    fn extend_equals_inserting_one_by_one(items in proptest::collection::vec(any::<u64>(), 0..300)) {
        let mut by_one = brick_bloom::BloomFilter::new(500, 0.01).unwrap();
        let mut blocked_by_one = brick_bloom::BlockedBloomFilter::new(500, 0.01).unwrap();
        let mut counting_by_one = brick_bloom::CountingBloomFilter::new(500, 0.01).unwrap();
        for x in &items {
            by_one.insert(x);
            blocked_by_one.insert(x);
            counting_by_one.insert(x);
        }
        let mut extended = brick_bloom::BloomFilter::new(500, 0.01).unwrap();
        extended.extend(&items);
        let mut blocked = brick_bloom::BlockedBloomFilter::new(500, 0.01).unwrap();
        blocked.extend(items.iter().copied());
        let mut counting = brick_bloom::CountingBloomFilter::new(500, 0.01).unwrap();
        counting.extend(&items);
        let mut atomic = brick_bloom::AtomicBloomFilter::new(500, 0.01).unwrap();
        atomic.extend(&items);
        prop_assert!(extended == by_one);
        prop_assert!(blocked == blocked_by_one);
        prop_assert!(counting == counting_by_one);
        prop_assert!(atomic.to_filter() == by_one);
    }
}
