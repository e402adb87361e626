//! The byte-level path is portable: a key looked up by `get_bytes` is hashed as XXH3-64 of
//! exactly its bytes, checked against the reference implementation's vectors.

mod portable;

use brick_consistent_hash::{DefaultBuildHasher, HashRing, Maglev, Rendezvous};
use std::hash::{BuildHasher, Hasher};

#[test]
fn the_default_hasher_is_reference_xxh3_on_bytes() {
    for v in portable::vectors() {
        let mut h = DefaultBuildHasher::with_seed(v.seed).build_hasher();
        h.write(&v.input);
        assert_eq!(h.finish(), v.hash, "seed {:x}", v.seed);
    }
}

#[test]
fn get_bytes_routes_by_the_reference_hash() {
    let vectors = portable::vectors();
    for seed in [0, 1, u64::MAX] {
        let hasher = DefaultBuildHasher::with_seed(seed);
        let mut ring = HashRing::with_hasher(64, hasher).unwrap();
        let mut rendezvous = Rendezvous::with_hasher(hasher);
        let mut maglev = Maglev::with_hasher(251, hasher).unwrap();
        for node in ["a", "b", "c", "d", "e"] {
            ring.add(node.to_string(), 1).unwrap();
            rendezvous.add(node.to_string(), 1.0).unwrap();
            maglev.add(node.to_string()).unwrap();
        }
        for v in vectors.iter().filter(|v| v.seed == seed) {
            assert_eq!(ring.get_bytes(&v.input), ring.get_hash(v.hash));
            assert_eq!(rendezvous.get_bytes(&v.input), rendezvous.get_hash(v.hash));
            assert_eq!(maglev.get_bytes(&v.input), maglev.get_hash(v.hash));
        }
    }
}
