//! serde (feature `serde`): an [`LruCache`] serializes as a snapshot — its capacity and its
//! live entries from least to most recently used, under a format version — and deserializes by
//! inserting them in that order into a new cache, so the recency order comes back as it was
//! (a warm restart). Times to live are not part of the snapshot: the entries come back with
//! none. A snapshot with more entries than its capacity, or a key twice, is refused: no cache
//! could have written it, and reading it would silently drop entries.

use crate::{DefaultBuildHasher, LruCache, SystemClock, UnitWeigher};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::hash::Hash;

/// The version the snapshot carries; another is refused.
const VERSION: u8 = 1;

#[derive(Serialize)]
struct SnapshotOut<'a, K, V> {
    version: u8,
    capacity: u64,
    entries: Vec<(&'a K, &'a V)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotIn<K, V> {
    version: u8,
    capacity: u64,
    entries: Vec<(K, V)>,
}

impl<K, V> Serialize for LruCache<K, V, DefaultBuildHasher, UnitWeigher, SystemClock>
where
    K: Hash + Eq + Serialize,
    V: Serialize,
{
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut entries: Vec<(&K, &V)> = self.iter().collect();
        entries.reverse(); // oldest first, so inserting in order rebuilds the recency order
        SnapshotOut {
            version: VERSION,
            capacity: self.capacity(),
            entries,
        }
        .serialize(serializer)
    }
}

impl<'de, K, V> Deserialize<'de> for LruCache<K, V, DefaultBuildHasher, UnitWeigher, SystemClock>
where
    K: Hash + Eq + Deserialize<'de>,
    V: Deserialize<'de>,
{
    fn deserialize<De: Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        let form = SnapshotIn::<K, V>::deserialize(deserializer)?;
        if form.version != VERSION {
            return Err(De::Error::custom(format_args!(
                "unsupported cache snapshot version {} (this crate reads {VERSION})",
                form.version
            )));
        }
        if form.entries.len() as u64 > form.capacity {
            return Err(De::Error::custom(format_args!(
                "a snapshot of {} entries does not fit its capacity {}",
                form.entries.len(),
                form.capacity
            )));
        }
        let mut cache = LruCache::new(form.capacity).map_err(De::Error::custom)?;
        for (key, value) in form.entries {
            if cache.insert(key, value).is_some() {
                return Err(De::Error::custom("a snapshot holds a key twice"));
            }
        }
        Ok(cache)
    }
}
