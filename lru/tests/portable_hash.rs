//! The opt-in deterministic hasher is XXH3-64: on bytes it matches the reference
//! implementation's vectors, so a replay keyed by byte strings repeats on any machine.

mod portable;

use brick_lru::Xxh3BuildHasher;
use std::hash::{BuildHasher, Hasher};

#[test]
fn xxh3_build_hasher_is_reference_xxh3_on_bytes() {
    for v in portable::vectors() {
        let mut h = Xxh3BuildHasher::with_seed(v.seed).build_hasher();
        h.write(&v.input);
        assert_eq!(h.finish(), v.hash, "seed {:x}", v.seed);
    }
}

#[test]
fn a_lone_u64_takes_the_word_path_and_agrees_with_its_bytes() {
    // `write_u64` alone is hashed by the specialised 8-byte path; it must equal XXH3 of the
    // same 8 bytes, which the vectors pin for the 8-byte inputs.
    let vectors = portable::vectors();
    let words: Vec<_> = vectors.iter().filter(|v| v.input.len() == 8).collect();
    assert!(!words.is_empty(), "the vectors must hold 8-byte inputs");
    for v in words {
        let word = u64::from_ne_bytes(v.input[..8].try_into().unwrap());
        let mut h = Xxh3BuildHasher::with_seed(v.seed).build_hasher();
        h.write_u64(word);
        assert_eq!(h.finish(), v.hash, "seed {:x}", v.seed);
    }
}
