//! serde through the versioned byte format (feature `serde`): a value serializes as the bytes
//! its `to_bytes` writes and deserializes through its `from_bytes`, so serde and the byte
//! format can never disagree, and untrusted input meets the same checks (a malformed value is
//! the format's typed error, reported through the deserializer). Human-readable formats
//! (JSON) carry the bytes as an array of numbers. A deliberate copy: every brick with a byte
//! format holds this file, and `.ci/run` checks that the copies are identical.

use serde::de::{self, SeqAccess, Visitor};
use std::fmt;

/// Serializes `bytes` as one byte string.
pub(crate) fn serialize<Z: serde::Serializer>(
    bytes: &[u8],
    serializer: Z,
) -> Result<Z::Ok, Z::Error> {
    serializer.serialize_bytes(bytes)
}

/// Reads one byte string (or a sequence of bytes) and decodes it with `parse`; `what` names
/// the type in the deserializer's error.
pub(crate) fn deserialize<'de, D, T, E>(
    deserializer: D,
    what: &'static str,
    parse: impl FnOnce(&[u8]) -> Result<T, E>,
) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    E: fmt::Display,
{
    let bytes = deserializer.deserialize_bytes(Bytes(what))?;
    parse(&bytes).map_err(|e| de::Error::custom(format_args!("{what}: {e}")))
}

/// Collects a byte string, however the format hands it over.
struct Bytes(&'static str);

/// At most this many bytes are reserved ahead of a sequence's length hint, which an untrusted
/// input chooses; past it the vector grows as the bytes arrive.
const MAX_RESERVE: usize = 1 << 16;

impl<'de> Visitor<'de> for Bytes {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the byte format of a {}", self.0)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_RESERVE));
        while let Some(b) = seq.next_element::<u8>()? {
            out.push(b);
        }
        Ok(out)
    }
}

/// Implements `Serialize` and `Deserialize` for a type with `to_bytes` and `from_bytes`:
/// `serde_via_bytes!("BloomFilter", impl[S: StableHasher] BloomFilter<S>);`.
macro_rules! serde_via_bytes {
    ($what:literal, impl[$($generics:tt)*] $ty:ty) => {
        impl<$($generics)*> serde::Serialize for $ty {
            fn serialize<Z: serde::Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
                $crate::serde_wire::serialize(&self.to_bytes(), serializer)
            }
        }

        impl<'de, $($generics)*> serde::Deserialize<'de> for $ty {
            fn deserialize<De: serde::Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
                $crate::serde_wire::deserialize(deserializer, $what, <$ty>::from_bytes)
            }
        }
    };
}
pub(crate) use serde_via_bytes;
