//! The reference XXH3-64 vectors in `tests/data/xxh3_vectors.txt` (produced by libxxhash, the
//! C reference implementation), for the tests of the byte-level hashing path.
//!
//! One of the workspace's deliberate copies (listed in `.ci/shared-files`).

/// One vector: the seed, the input bytes and XXH3-64 of them.
pub(crate) struct Vector {
    pub(crate) seed: u64,
    pub(crate) input: Vec<u8>,
    pub(crate) hash: u64,
}

/// Every vector in the file; panics (failing the test) on a malformed line.
pub(crate) fn vectors() -> Vec<Vector> {
    let text = include_str!("../data/xxh3_vectors.txt");
    let parsed: Vec<Vector> = text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 3, "malformed vector line: {line}");
            let input = if fields[1] == "-" {
                Vec::new()
            } else {
                (0..fields[1].len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&fields[1][i..i + 2], 16).expect("hex input"))
                    .collect()
            };
            Vector {
                seed: u64::from_str_radix(fields[0], 16).expect("hex seed"),
                input,
                hash: u64::from_str_radix(fields[2], 16).expect("hex hash"),
            }
        })
        .collect();
    assert!(!parsed.is_empty(), "no vectors in the file");
    parsed
}

/// Asserts that the hasher built for each vector's seed hashes its input, written with one
/// `Hasher::write`, to the reference hash.
#[allow(dead_code)] // not every brick's test calls it
pub(crate) fn assert_hashes_like_reference<S: std::hash::BuildHasher>(build: impl Fn(u64) -> S) {
    use std::hash::Hasher;
    for v in vectors() {
        let mut h = build(v.seed).build_hasher();
        h.write(&v.input);
        assert_eq!(
            h.finish(),
            v.hash,
            "seed {:x}, input {:02x?}",
            v.seed,
            v.input
        );
    }
}
