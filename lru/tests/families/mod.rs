//! Synthetic cache traffic, one generator per family, from fixed seeds: the corpus the cache
//! policy is judged on besides real traces. A deliberate copy: brick-lru's tests and the
//! benches each hold this file, and `.ci/run` checks that the two are identical.
#![allow(dead_code)] // each user takes the generators it needs

use std::collections::BTreeMap;

/// xorshift64: a fixed, seedable stream.
pub(crate) struct Rng(u64);

impl Rng {
    /// A stream from `seed` (any value; 0 is moved off the fixed point).
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    /// The next 64 bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` keys from a Zipf(s) distribution over `0..universe` (key 0 the most popular).
pub(crate) fn zipf(n: usize, universe: u64, s: f64, seed: u64) -> Vec<u64> {
    let mut cdf = Vec::with_capacity(universe as usize);
    let mut total = 0.0;
    for i in 1..=universe {
        total += 1.0 / (i as f64).powf(s);
        cdf.push(total);
    }
    let mut r = Rng::new(seed);
    (0..n)
        .map(|_| {
            let u = r.unit() * total;
            cdf.partition_point(|&c| c < u) as u64
        })
        .collect()
}

/// Create-then-read: keys `0..distinct` in order, half of them (by a coin) requested a second
/// time 1 to `reuse` requests after the first, as a service that writes an object and reads it
/// back soon after. Frequency says nothing here; only recency hits.
pub(crate) fn create_then_read(distinct: u64, reuse: u64, seed: u64) -> Vec<u64> {
    let mut r = Rng::new(seed);
    let mut pending: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut out = Vec::new();
    for k in 0..distinct {
        while let Some(due) = pending.first_entry() {
            if *due.key() > out.len() as u64 {
                break;
            }
            out.extend(due.remove());
        }
        out.push(k);
        if r.next_u64() % 2 == 0 {
            let at = out.len() as u64 + r.next_u64() % reuse;
            pending.entry(at).or_default().push(k);
        }
    }
    out.extend(pending.into_values().flatten());
    out
}

/// Pure recency: each request is a new key with probability `p_new`, else a repeat of the
/// request an exponentially distributed number of requests back (mean `mean_back`).
pub(crate) fn recency(n: usize, p_new: f64, mean_back: f64, seed: u64) -> Vec<u64> {
    let mut r = Rng::new(seed);
    let mut out: Vec<u64> = Vec::with_capacity(n);
    let mut fresh = 0u64;
    for _ in 0..n {
        if out.is_empty() || r.unit() < p_new {
            out.push(fresh);
            fresh += 1;
        } else {
            let back = (-r.unit().max(1e-12).ln() * mean_back) as usize + 1;
            out.push(out[out.len().saturating_sub(back)]);
        }
    }
    out
}

/// Zipf(0.9) popularity whose ranking is dealt to new keys `phases` times over the trace: the
/// frequencies a phase learnt are wrong for the next.
pub(crate) fn shifting(n: usize, universe: u64, phases: usize, seed: u64) -> Vec<u64> {
    let per = n.div_ceil(phases);
    zipf(n, universe, 0.9, seed)
        .into_iter()
        .enumerate()
        .map(|(i, k)| k + (i / per) as u64 * universe)
        .collect()
}

/// A Zipf(s) hot set interleaved one for one with a scan of keys never seen again.
pub(crate) fn zipf_with_scan(n: usize, universe: u64, s: f64, seed: u64) -> Vec<u64> {
    let mut scan = 1u64 << 40;
    zipf(n / 2, universe, s, seed)
        .into_iter()
        .flat_map(|k| {
            scan += 1;
            [k, scan]
        })
        .collect()
}

/// `rounds` passes over the keys `0..len` in order.
pub(crate) fn looping(len: u64, rounds: usize) -> Vec<u64> {
    (0..rounds).flat_map(|_| 0..len).collect()
}

/// The whole synthetic corpus at `scale` (1.0: about 2.5 million requests in all), each
/// trace named: create-then-read at reuse distances 10 to 10^5, pure recency at two depths,
/// shifting popularity at two speeds, Zipf hot sets with scans, plain Zipf, and a loop (larger
/// than every capacity it is judged at: LRU hits nothing on it).
pub(crate) fn corpus(scale: f64) -> Vec<(String, Vec<u64>)> {
    let n = |base: f64| (base * scale) as usize;
    let mut out = Vec::new();
    for reuse in [10u64, 100, 1_000, 10_000, 100_000] {
        out.push((
            format!("create-then-read d={reuse}"),
            create_then_read(n(100_000.0) as u64, reuse, 3),
        ));
    }
    out.push((
        "recency mean 1000".into(),
        recency(n(200_000.0), 0.3, 1_000.0, 11),
    ));
    out.push((
        "recency mean 10000".into(),
        recency(n(300_000.0), 0.3, 10_000.0, 12),
    ));
    out.push((
        "shifting 6 phases".into(),
        shifting(n(300_000.0), 20_000, 6, 21),
    ));
    out.push((
        "shifting 30 phases".into(),
        shifting(n(300_000.0), 20_000, 30, 22),
    ));
    out.push((
        "zipf 0.99 + scan".into(),
        zipf_with_scan(n(300_000.0), 20_000, 0.99, 9),
    ));
    out.push((
        "zipf 0.8 + scan".into(),
        zipf_with_scan(n(300_000.0), 20_000, 0.8, 10),
    ));
    out.push(("zipf 0.8".into(), zipf(n(200_000.0), 50_000, 0.8, 13)));
    out.push(("zipf 0.99".into(), zipf(n(200_000.0), 50_000, 0.99, 14)));
    out.push(("loop".into(), looping(n(10_000.0) as u64, 20)));
    out
}
