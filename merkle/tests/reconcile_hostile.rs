//! Hostile peers of a rateless IBLT reconciliation: random, truncated, replayed, reordered,
//! corrupted or endless streams give a typed error (or, for a corruption the stream does not
//! need, the exact difference), never a panic, a wrong difference, or unbounded memory.

use brick_merkle::{
    CodedSymbol, DecodeError, Difference, Error, Reconciler, SymbolFrame, SymbolMessage, SyncTree,
    Xxh3_128,
};
use proptest::prelude::*;

type Tree = SyncTree<Xxh3_128>;
type Digest = [u8; 16];

/// Two replicas of 300 keys: B changed 5 values, added 5 keys and lost 5.
fn pair() -> &'static (Tree, Tree, Vec<Difference>) {
    static PAIR: std::sync::OnceLock<(Tree, Tree, Vec<Difference>)> = std::sync::OnceLock::new();
    PAIR.get_or_init(|| {
        let (mut a, mut b) = (Tree::new(5).unwrap(), Tree::new(5).unwrap());
        let mut want = Vec::new();
        for i in 0..300u32 {
            let k = format!("key{i}");
            a.insert(k.as_bytes(), b"v");
            match i % 60 {
                0 => want.push(Difference::MissingThere(k.clone().into_bytes())),
                1 => {
                    b.insert(k.as_bytes(), b"w");
                    want.push(Difference::ValueDiffers(k.clone().into_bytes()));
                }
                _ => {
                    b.insert(k.as_bytes(), b"v");
                }
            }
        }
        for i in 0..5 {
            let k = format!("extra{i}");
            b.insert(k.as_bytes(), b"x");
            want.push(Difference::MissingHere(k.into_bytes()));
        }
        want.sort();
        (a, b, want)
    })
}

/// The responder's honest stream of at least `symbols` symbols, every one acknowledged as
/// soon as it is sent.
fn stream_of(b: &Tree, request: &SymbolFrame<Digest>, symbols: u64) -> Vec<SymbolFrame<Digest>> {
    let mut rb = Reconciler::new(b);
    let mut frames = vec![rb.handle(request).unwrap().unwrap()];
    while rb.symbols() < symbols {
        let ack = SymbolFrame {
            hasher: request.hasher,
            message: SymbolMessage::Ack {
                received: rb.symbols(),
            },
        };
        assert_eq!(rb.handle(&ack).unwrap(), None);
        frames.push(rb.next_frame().unwrap());
    }
    frames
}

fn stream(b: &Tree, request: &SymbolFrame<Digest>) -> Vec<SymbolFrame<Digest>> {
    stream_of(b, request, 200)
}

/// Feeds frames to the initiator until it stops the stream or errs.
fn feed(
    ra: &mut Reconciler<'_, Xxh3_128>,
    frames: &[SymbolFrame<Digest>],
) -> Result<Vec<Difference>, Error> {
    for f in frames {
        ra.handle(f)?;
        if ra.is_done() {
            return Ok(ra.differences().unwrap().to_vec());
        }
    }
    Err(Error::BadSymbols("the honest stream ran out"))
}

#[test]
fn the_honest_stream_decodes_exactly() {
    let (a, b, want) = pair();
    let mut ra = Reconciler::new(a);
    let frames = stream(b, &ra.start());
    assert_eq!(&feed(&mut ra, &frames).unwrap(), want);
    // After the result, more symbols are out of turn.
    assert!(matches!(
        ra.handle(&frames[1]),
        Err(Error::UnexpectedMessage { .. })
    ));
}

#[test]
fn replayed_and_reordered_frames_are_refused() {
    let (a, b, _) = pair();
    let mut ra = Reconciler::new(a);
    let frames = stream(b, &ra.start());
    assert!(!matches!(
        ra.handle(&frames[0]).unwrap(),
        Some(SymbolFrame {
            message: SymbolMessage::Stop { .. },
            ..
        })
    ));
    let replay = ra.handle(&frames[0]);
    assert_eq!(
        replay,
        Err(Error::BadSymbols("symbols out of order or replayed"))
    );
    let mut rb2 = Reconciler::new(a);
    let _ = rb2.start();
    assert!(
        matches!(rb2.handle(&frames[2]), Err(Error::BadSymbols(_))),
        "a frame skipped ahead"
    );
}

#[test]
fn messages_out_of_turn_and_other_hashers_are_refused() {
    let (a, b, _) = pair();
    let mut ra = Reconciler::new(a);
    let request = ra.start();
    let stop = SymbolFrame {
        hasher: request.hasher,
        message: SymbolMessage::Stop { used: 3 },
    };
    assert!(matches!(
        ra.handle(&stop),
        Err(Error::UnexpectedMessage { .. })
    ));
    assert!(matches!(
        ra.handle(&request),
        Err(Error::UnexpectedMessage { .. })
    ));
    let mut rb = Reconciler::new(b);
    let other = SymbolFrame {
        hasher: 1,
        ..request.clone()
    };
    assert_eq!(
        rb.handle(&other),
        Err(Error::HasherMismatch { ours: 2, theirs: 1 })
    );
    // A responder that is stopped produces nothing more.
    let _ = rb.handle(&request).unwrap();
    assert_eq!(rb.handle(&stop).unwrap(), None);
    assert!(rb.is_done() && rb.next_frame().is_none());
}

#[test]
fn a_peer_that_streams_forever_is_cut_off_at_the_limit() {
    let (a, _, _) = pair();
    let limit = 50;
    let mut ra = Reconciler::new(a).with_limit(limit);
    let request = ra.start();
    // Garbage symbols, correctly numbered, that never decode to anything.
    let mut first = 0;
    let result = loop {
        let symbols: Vec<CodedSymbol<Digest>> = (0..7)
            .map(|i| CodedSymbol {
                count: 5,
                check: first + i,
                hash: [9; 16],
                key_len: 3,
                key: vec![1, 2, 3],
            })
            .collect();
        let frame = SymbolFrame {
            hasher: request.hasher,
            message: SymbolMessage::Symbols {
                first,
                set_len: 300,
                symbols,
            },
        };
        first += 7;
        match ra.handle(&frame) {
            Ok(_) => assert!(first <= limit + 7, "still taking symbols past the limit"),
            other => break other,
        }
    };
    assert_eq!(result, Err(Error::SymbolLimit { limit }));
    assert!(ra.symbols() <= limit);
    // Keys over the configured bound are refused before they are held.
    let mut ra = Reconciler::new(a).with_max_key(2);
    let request = ra.start();
    let frame = SymbolFrame {
        hasher: request.hasher,
        message: SymbolMessage::Symbols {
            first: 0,
            set_len: 1,
            symbols: vec![CodedSymbol {
                count: 1,
                check: 0,
                hash: [0; 16],
                key_len: 3,
                key: vec![1, 2, 3],
            }],
        },
    };
    assert!(matches!(ra.handle(&frame), Err(Error::BadSymbols(_))));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any bit of any frame flipped: the initiator ends with the exact difference (the stream
    /// did not need that bit, or the flip left it decodable), or with a typed error; never with
    /// another difference.
    #[test]
    fn a_corrupted_stream_never_yields_a_wrong_difference(frame in 0usize..6, bit in any::<prop::sample::Index>(), salt in any::<u64>()) {
        let (a, b, want) = pair();
        let mut ra = Reconciler::new(a).with_salt(salt).with_limit(400);
        let request = ra.start();
        let frames = stream_of(b, &request, 400);
        let frame = frame.min(frames.len() - 1);
        let mut bytes = frames[frame].to_bytes();
        let bit = bit.index(bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        let mut got = Err(Error::BadSymbols("stream ran out"));
        for (i, f) in frames.iter().enumerate() {
            let wire = if i == frame { bytes.clone() } else { f.to_bytes() };
            match ra.handle_bytes(&wire) {
                Ok(_) if ra.is_done() => { got = Ok(ra.differences().unwrap().to_vec()); break; }
                Ok(_) => {}
                Err(e) => { got = Err(e); break; }
            }
        }
        if let Ok(d) = got {
            prop_assert_eq!(&d, want);
        }
    }

    /// Arbitrary bytes at any point of a session: a typed error or a valid step, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(noise in prop::collection::vec(any::<u8>(), 0..300), prefix in any::<bool>(), steps in 0usize..4) {
        let (a, b, _) = pair();
        let mut input = if prefix { b"BRI\x01\x02\x02".to_vec() } else { Vec::new() };
        input.extend(noise);
        let mut ra = Reconciler::new(a);
        let mut rb = Reconciler::new(b);
        let frames = stream(b, &ra.start());
        for f in frames.iter().take(steps) {
            let _ = ra.handle(f);
        }
        let _ = ra.handle_bytes(&input);
        let _ = rb.handle_bytes(&input);
        let _ = SymbolFrame::<Digest>::from_bytes(&input);
    }

    /// Every proper prefix of a frame is refused as malformed.
    #[test]
    fn truncated_frames_are_errors(frame in 0usize..4, cut in any::<prop::sample::Index>()) {
        let (a, b, _) = pair();
        let mut ra = Reconciler::new(a);
        let frames = stream(b, &ra.start());
        let bytes = frames[frame.min(frames.len() - 1)].to_bytes();
        let cut = cut.index(bytes.len());
        prop_assert!(matches!(SymbolFrame::<Digest>::from_bytes(&bytes[..cut]), Err(Error::Decode(_))));
    }

    /// Frames round-trip, and their length is what `encoded_len` says.
    #[test]
    fn frames_round_trip(first in any::<u64>(), set_len in any::<u64>(), salt in any::<u64>(), limit in any::<u64>(),
                         symbols in prop::collection::vec((any::<i64>(), any::<u64>(), any::<Digest>(), any::<u64>(), prop::collection::vec(any::<u8>(), 0..20)), 0..6)) {
        let symbols: Vec<CodedSymbol<Digest>> = symbols.into_iter().map(|(count, check, hash, key_len, mut key)| {
            while key.last() == Some(&0) { key.pop(); }
            CodedSymbol { count, check, hash, key_len, key }
        }).collect();
        for message in [SymbolMessage::Request { salt, limit }, SymbolMessage::Symbols { first, set_len, symbols }, SymbolMessage::Stop { used: first }] {
            let f = SymbolFrame { hasher: 2, message };
            let bytes = f.to_bytes();
            prop_assert_eq!(bytes.len(), f.encoded_len());
            prop_assert_eq!(SymbolFrame::<Digest>::from_bytes(&bytes).unwrap(), f);
        }
    }
}

#[test]
fn malformed_headers_are_typed() {
    assert_eq!(
        SymbolFrame::<Digest>::from_bytes(b"BMK\x01\x02\x03\x00"),
        Err(Error::Decode(DecodeError::BadMagic))
    );
    assert_eq!(
        SymbolFrame::<Digest>::from_bytes(b"BRI\x07\x02\x03\x00"),
        Err(Error::Decode(DecodeError::UnsupportedVersion(7)))
    );
    assert_eq!(
        SymbolFrame::<Digest>::from_bytes(b"BRI\x01\x02\x09"),
        Err(Error::Decode(DecodeError::UnknownType(9)))
    );
    assert_eq!(
        SymbolFrame::<Digest>::from_bytes(b"BRI\x01\x02\x03\x80\x00"),
        Err(Error::Decode(DecodeError::BadVarint))
    );
    // A symbol count the frame cannot hold is refused before anything is reserved.
    assert!(matches!(
        SymbolFrame::<Digest>::from_bytes(b"BRI\x01\x02\x02\x00\x00\xff\xff\xff\x0f"),
        Err(Error::Decode(DecodeError::BadLength(_)))
    ));
}
