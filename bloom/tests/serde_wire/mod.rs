//! The serde checks every brick with a byte format runs (feature `serde`): serde writes
//! exactly the bytes `to_bytes` writes, and on any input, valid or not, deserializing agrees
//! with `from_bytes` — the same value, or the same typed error. (This file is the same in
//! every such brick.)

use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::{Debug, Display};

/// Damage to a valid encoding: one byte set to a value, a truncation, and unrelated noise.
#[derive(Debug, Clone)]
pub(crate) struct Damage {
    at: prop::sample::Index,
    to: u8,
    cut: prop::sample::Index,
    noise: Vec<u8>,
}

pub(crate) fn damage() -> impl Strategy<Value = Damage> {
    (
        any::<prop::sample::Index>(),
        any::<u8>(),
        any::<prop::sample::Index>(),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(at, to, cut, noise)| Damage { at, to, cut, noise })
}

/// `good` (a valid encoding) with `damage` done to it, three ways: each read through serde
/// agrees with `from_bytes`.
pub(crate) fn agrees_when_damaged<T, E>(
    good: &[u8],
    damage: &Damage,
    from_bytes: impl Fn(&[u8]) -> Result<T, E>,
    to_bytes: impl Fn(&T) -> Vec<u8>,
) where
    T: DeserializeOwned,
    E: Display + Debug,
{
    let mut changed = good.to_vec();
    if !good.is_empty() {
        changed[damage.at.index(good.len())] = damage.to;
    }
    let cut = &good[..damage.cut.index(good.len().max(1)).min(good.len())];
    for bytes in [&changed[..], cut, &damage.noise[..]] {
        agrees_with_from_bytes(bytes, &from_bytes, &to_bytes);
    }
}

/// `value` through JSON and back: the JSON is its byte format, and the value read back writes
/// the same bytes.
pub(crate) fn round_trips<T>(value: &T, to_bytes: impl Fn(&T) -> Vec<u8>)
where
    T: Serialize + DeserializeOwned,
{
    let json = serde_json::to_string(value).expect("serializes");
    assert_eq!(
        json,
        serde_json::to_string(&to_bytes(value)).expect("bytes serialize")
    );
    let back: T = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(to_bytes(&back), to_bytes(value));
}

/// `bytes` (any: valid, corrupted, truncated) read through serde and through `from_bytes`:
/// both accept them as the same value, or both refuse them, serde's error naming the typed one.
pub(crate) fn agrees_with_from_bytes<T, E>(
    bytes: &[u8],
    from_bytes: impl Fn(&[u8]) -> Result<T, E>,
    to_bytes: impl Fn(&T) -> Vec<u8>,
) where
    T: DeserializeOwned,
    E: Display + Debug,
{
    let json = serde_json::to_string(bytes).expect("bytes serialize");
    match (from_bytes(bytes), serde_json::from_str::<T>(&json)) {
        (Ok(direct), Ok(via_serde)) => assert_eq!(to_bytes(&via_serde), to_bytes(&direct)),
        (Err(direct), Err(via_serde)) => {
            let (direct, via_serde) = (direct.to_string(), via_serde.to_string());
            assert!(
                via_serde.contains(&direct),
                "{via_serde:?} does not name {direct:?}"
            );
        }
        (Ok(_), Err(e)) => panic!("serde refused bytes from_bytes accepts: {e}"),
        (Err(e), Ok(_)) => panic!("serde accepted bytes from_bytes refuses: {e}"),
    }
}

/// A non-byte JSON value is refused with an error, never a panic.
pub(crate) fn refuses_other_shapes<T: DeserializeOwned>() {
    for json in ["null", "\"text\"", "{}", "[256]", "[-1]", "1.5"] {
        assert!(
            serde_json::from_str::<T>(json).is_err(),
            "{json} was accepted"
        );
    }
}
