//! Every input the report and the criterion benches feed the contenders: fixed-seed key streams,
//! the Zipf generator, and the shared cache traces with their reference hit ratios. One module,
//! so that two sections asking for "n random keys" get the same keys.

use std::io::Read;

/// Fixed-seed splitmix64 stream.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1): the top 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` distinct-looking keys from `seed`; `absent` keys have the top bit set and the others
/// not, so a present set and an absent set never meet.
pub fn keys(n: usize, seed: u64, absent: bool) -> Vec<u64> {
    let mut r = Rng::new(seed);
    (0..n)
        .map(|_| {
            let z = r.next_u64();
            if absent { z | 1 << 63 } else { z & !(1 << 63) }
        })
        .collect()
}

/// `n` keys uniform over `0..universe`.
pub fn uniform_keys(n: usize, universe: u64, seed: u64) -> Vec<u64> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| r.next_u64() % universe).collect()
}

/// `n` keys Zipf(s)-distributed over `0..universe` (key 0 the most popular), by inverse CDF:
/// the synthetic corpus's generator.
pub fn zipf_keys(n: usize, universe: u64, s: f64, seed: u64) -> Vec<u64> {
    crate::families::zipf(n, universe, s, seed)
}

/// A shared trace (gzip of little-endian u64 keys) from brick-lru's test data.
pub fn read_trace(file: &str) -> Vec<u64> {
    let path = format!(
        "{}/../lru/tests/data/traces/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut raw = Vec::new();
    let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    flate2::read::GzDecoder::new(f)
        .read_to_end(&mut raw)
        .expect("gzip");
    raw.chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect()
}

/// The reference hit ratios of the shared traces.
pub fn reference() -> serde_json::Value {
    let path = format!(
        "{}/../lru/tests/data/traces/reference_hit_ratios.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference file")).expect("json")
}
