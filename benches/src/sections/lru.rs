//! brick-lru against lru, schnellru, clru, hashlink and quick_cache (unsync), and hit ratios on
//! the shared cache traces against libCacheSim's.

use crate::chart::{Chart, Series};
use crate::{Ctx, Record, Section};
use std::hash::Hash;
use std::hint::black_box;
use std::io::Read;
use std::num::NonZeroUsize;

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
}

/// `n` keys uniform over `0..universe`.
pub fn uniform_keys(n: usize, universe: u64, seed: u64) -> Vec<u64> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| r.next_u64() % universe).collect()
}

/// `n` keys Zipf(s)-distributed over `0..universe` (key 0 the most popular), by inverse CDF.
pub fn zipf_keys(n: usize, universe: u64, s: f64, seed: u64) -> Vec<u64> {
    let mut cdf = Vec::with_capacity(universe as usize);
    let mut total = 0.0;
    for i in 1..=universe {
        total += 1.0 / (i as f64).powf(s);
        cdf.push(total);
    }
    let mut r = Rng::new(seed);
    (0..n)
        .map(|_| {
            let u = (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
            cdf.partition_point(|&c| c < u) as u64
        })
        .collect()
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

/// What every cache in the comparison offers, statically dispatched.
pub trait Lru<K, V> {
    /// Label in the report.
    const NAME: &'static str;
    /// Ours or a peer.
    const OURS: bool;
    /// Whether its policy is LRU (the speed targets compare against LRU peers only).
    const LRU: bool;
    /// A cache of `cap` entries.
    fn with_capacity(cap: usize) -> Self;
    /// Looks `k` up (counting a use); whether it was there.
    fn hit(&mut self, k: &K) -> bool;
    /// Inserts, evicting if full.
    fn put(&mut self, k: K, v: V);
}

macro_rules! cache {
    ($t:ty, $name:expr, $ours:expr, $lru:expr, |$cap:ident| $new:expr, |$c:ident, $k:ident| $hit:expr, |$c2:ident, $k2:ident, $v:ident| $put:expr) => {
        impl<K: Hash + Eq + Clone, V> Lru<K, V> for $t {
            const NAME: &'static str = $name;
            const OURS: bool = $ours;
            const LRU: bool = $lru;
            fn with_capacity($cap: usize) -> Self {
                $new
            }
            #[inline]
            fn hit(&mut self, $k: &K) -> bool {
                let $c = self;
                $hit
            }
            #[inline]
            fn put(&mut self, $k2: K, $v: V) {
                let $c2 = self;
                $put;
            }
        }
    };
}

fn nz(cap: usize) -> NonZeroUsize {
    NonZeroUsize::new(cap).expect("capacity above 0")
}

cache!(brick_lru::LruCache<K, V>, "brick-lru LruCache", true, true,
    |cap| brick_lru::LruCache::new(cap as u64).expect("valid"),
    |c, k| c.get(k).is_some(), |c, k, v| { c.insert(k, v); });
cache!(brick_lru::LfuCache<K, V>, "brick-lru LfuCache", true, false,
    |cap| brick_lru::LfuCache::new(cap as u64).expect("valid"),
    |c, k| c.get(k).is_some(), |c, k, v| { c.insert(k, v); });
cache!(lru::LruCache<K, V>, "lru", false, true,
    |cap| lru::LruCache::new(nz(cap)),
    |c, k| c.get(k).is_some(), |c, k, v| { c.push(k, v); });
cache!(schnellru::LruMap<K, V>, "schnellru", false, true,
    |cap| schnellru::LruMap::new(schnellru::ByLength::new(cap as u32)),
    |c, k| c.get(k).is_some(), |c, k, v| { c.insert(k, v); });
cache!(clru::CLruCache<K, V>, "clru", false, true,
    |cap| clru::CLruCache::new(nz(cap)),
    |c, k| c.get(k).is_some(), |c, k, v| { c.put(k, v); });
cache!(hashlink::LruCache<K, V>, "hashlink", false, true,
    |cap| hashlink::LruCache::new(cap),
    |c, k| c.get(k).is_some(), |c, k, v| { c.insert(k, v); });
cache!(quick_cache::unsync::Cache<K, V>, "quick_cache unsync (S3-FIFO-like)", false, false,
    |cap| quick_cache::unsync::Cache::new(cap),
    |c, k| c.get(k).is_some(), |c, k, v| { c.insert(k, v); });

/// A cache holding `keys` (in order), each mapped by `value`.
pub fn filled<C: Lru<K, V>, K, V>(
    cap: usize,
    keys: impl IntoIterator<Item = K>,
    value: impl Fn(&K) -> V,
) -> C {
    let mut c = C::with_capacity(cap);
    for k in keys {
        let v = value(&k);
        c.put(k, v);
    }
    c
}

/// Get-or-insert over `keys`: the hits.
pub fn replay<C: Lru<u64, u64>>(c: &mut C, keys: &[u64]) -> u64 {
    let mut hits = 0;
    for &k in keys {
        if c.hit(&k) {
            hits += 1;
        } else {
            c.put(k, k);
        }
    }
    hits
}

const BRICK: &str = "lru";
const CAP: usize = 100_000;
const UNIVERSE: u64 = 1_000_000;

struct Timed {
    name: &'static str,
    ours: bool,
    lru: bool,
    ns: Vec<(&'static str, f64)>,
}

fn measure<C: Lru<u64, u64>, D: Lru<String, Vec<u8>>>(
    ctx: &Ctx,
    streams: &[(&'static str, Vec<u64>)],
    out: &mut Vec<Record>,
) -> Timed {
    let n = streams[0].1.len();
    ctx.step(&format!("{} ops", C::NAME));
    let name = C::NAME;
    let ours = C::OURS;
    let mut ns = Vec::new();
    let full = || filled::<C, u64, u64>(CAP, 0..CAP as u64, |&k| k);
    // get, hit: resident keys in random order.
    let hits: Vec<u64> = uniform_keys(n, CAP as u64, 7);
    let mut c = full();
    ns.push((
        "get_hit",
        ctx.time(n as u64, || {
            for k in &hits {
                black_box(c.hit(black_box(k)));
            }
        }),
    ));
    // get, miss: keys never inserted.
    let misses: Vec<u64> = uniform_keys(n, UNIVERSE, 8)
        .into_iter()
        .map(|k| k + UNIVERSE)
        .collect();
    ns.push((
        "get_miss",
        ctx.time(n as u64, || {
            for k in &misses {
                black_box(c.hit(black_box(k)));
            }
        }),
    ));
    // insert into a full cache: every insert evicts.
    let mut next = UNIVERSE * 4;
    ns.push((
        "insert_evict",
        ctx.time(n as u64, || {
            for _ in 0..n {
                next += 1;
                c.put(black_box(next), next);
            }
        }),
    ));
    for (label, keys) in streams {
        let mut c = full();
        let t = ctx.time(n as u64, || {
            black_box(replay(&mut c, keys));
        });
        let op: &'static str = if *label == "uniform" {
            "get_or_insert uniform"
        } else {
            "get_or_insert zipf"
        };
        ns.push((op, t));
    }
    let params = format!("cap={CAP} keys over {UNIVERSE}");
    for &(op, t) in &ns {
        out.push(Record::new(BRICK, name, name, ours, op, params.clone()).with_ns(t));
    }
    // Memory: a full cache of u64 -> u64, and of String (16 B) -> Vec<u8> (32 B).
    let (c, bytes) = ctx.memory.measure(full);
    drop(c);
    if let Some(b) = bytes {
        out.push(
            Record::new(BRICK, name, name, ours, "memory u64->u64", params.clone())
                .with_bytes(b)
                .with_metric("bytes_per_entry", b as f64 / CAP as f64, None),
        );
    }
    let (c, bytes) = ctx.memory.measure(|| {
        filled::<D, String, Vec<u8>>(CAP, (0..CAP).map(|i| format!("key-{i:012}")), |_| {
            vec![7u8; 32]
        })
    });
    drop(c);
    if let Some(b) = bytes {
        // The strings' and vectors' own heap (16 + 32 bytes) is in every implementation's figure.
        out.push(
            Record::new(BRICK, name, name, ours, "memory String->Vec<u8>", params)
                .with_bytes(b)
                .with_metric("bytes_per_entry", b as f64 / CAP as f64, None),
        );
    }
    Timed {
        name,
        ours,
        lru: C::LRU,
        ns,
    }
}

/// The report section.
#[derive(Debug)]
pub struct LruSection;

impl Section for LruSection {
    fn brick(&self) -> &'static str {
        BRICK
    }

    fn summary(&self) -> String {
        "Capacity 100,000 entries, u64 keys and values, each crate with its default hasher (ours: \
         seeded XXH3). `get_hit`: random resident keys; `get_miss`: absent keys; `insert_evict`: new \
         keys into a full cache (each insert evicts); `get_or_insert`: get, and insert on a miss, over \
         keys uniform or Zipf(0.99) on 1,000,000 keys. Memory is everything a full cache allocates \
         (for String→Vec<u8> that includes the 16-byte key and 32-byte value buffers of every entry). \
         quick_cache's policy is not LRU, so its hit ratios differ. Hit ratios on the shared traces: \
         our LRU and LFU hit counts equal libCacheSim's LRU and LFU exactly (tests/traces.rs)."
            .to_owned()
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let mut out = Vec::new();
        let n = ctx.mode.pick(20_000, 1_000_000, 2_000_000);
        ctx.step("lru inputs");
        let streams = vec![
            ("uniform", uniform_keys(n, UNIVERSE, 1)),
            ("zipf", zipf_keys(n, UNIVERSE, 0.99, 2)),
        ];
        let t = [
            measure::<brick_lru::LruCache<u64, u64>, brick_lru::LruCache<String, Vec<u8>>>(
                ctx, &streams, &mut out,
            ),
            measure::<brick_lru::LfuCache<u64, u64>, brick_lru::LfuCache<String, Vec<u8>>>(
                ctx, &streams, &mut out,
            ),
            measure::<lru::LruCache<u64, u64>, lru::LruCache<String, Vec<u8>>>(
                ctx, &streams, &mut out,
            ),
            measure::<schnellru::LruMap<u64, u64>, schnellru::LruMap<String, Vec<u8>>>(
                ctx, &streams, &mut out,
            ),
            measure::<clru::CLruCache<u64, u64>, clru::CLruCache<String, Vec<u8>>>(
                ctx, &streams, &mut out,
            ),
            measure::<hashlink::LruCache<u64, u64>, hashlink::LruCache<String, Vec<u8>>>(
                ctx, &streams, &mut out,
            ),
            measure::<
                quick_cache::unsync::Cache<u64, u64>,
                quick_cache::unsync::Cache<String, Vec<u8>>,
            >(ctx, &streams, &mut out),
        ];
        // Targets: ours against the fastest LRU peer (quick_cache is not an LRU).
        let params = format!("cap={CAP} keys over {UNIVERSE}");
        let ours = &t[0];
        for (i, &(op, ns)) in ours.ns.iter().enumerate() {
            let best = t
                .iter()
                .filter(|x| !x.ours && x.lru)
                .min_by(|a, b| a.ns[i].1.total_cmp(&b.ns[i].1))
                .expect("peers");
            out.push(
                Record::target(BRICK, ours.name, op, params.clone()).with_metric(
                    &format!("ns ratio vs {} (fastest LRU peer)", best.name),
                    ns / best.ns[i].1,
                    Some(1.0),
                ),
            );
        }
        let mem = |name: &str, op: &str| {
            out.iter()
                .find(|r| r.implementation == name && r.operation == op)
                .and_then(|r| r.value)
        };
        if let (Some(a), Some(b)) = (
            mem("brick-lru LruCache", "memory u64->u64"),
            mem("schnellru", "memory u64->u64"),
        ) {
            out.push(
                Record::target(
                    BRICK,
                    "brick-lru LruCache",
                    "memory u64->u64",
                    params.clone(),
                )
                .with_metric("bytes per entry vs schnellru", a / b, Some(1.0)),
            );
        }
        self.traces(ctx, &mut out);
        out
    }
}

impl LruSection {
    fn traces(&self, ctx: &Ctx, out: &mut Vec<Record>) {
        let reference = reference();
        let traces = reference["traces"].as_object().expect("traces");
        let files: Vec<&String> = traces.keys().collect();
        let files = ctx.mode.pick(&files[..2], &files[..], &files[..]);
        for file in files {
            let t = &traces[file.as_str()];
            ctx.step(&format!("trace {file}"));
            let keys = read_trace(file);
            let requests = keys.len() as f64;
            let short = file.trim_end_matches(".u64le.gz");
            let (mut lru_pts, mut lfu_pts, mut ref_pts, mut qc_pts) =
                (vec![], vec![], vec![], vec![]);
            let mut caps: Vec<(String, u64)> = t["capacities"]
                .as_object()
                .expect("caps")
                .iter()
                .map(|(l, c)| (l.clone(), c.as_u64().expect("cap")))
                .collect();
            caps.sort_by_key(|c| c.1);
            for (label, cap) in caps {
                let mut lru = brick_lru::LruCache::new(cap).expect("valid");
                let mut lfu = brick_lru::LfuCache::new(cap).expect("valid");
                let lru_hits = replay(&mut lru, &keys) as f64 / requests;
                let lfu_hits = replay(&mut lfu, &keys) as f64 / requests;
                let reference_lru = t["hit_ratio"]["LRU"][&label].as_f64().unwrap_or(f64::NAN);
                let qc = t["hit_ratio"]["quick_cache"][&label].as_f64();
                let params = format!("{short} cap={cap} ({label})");
                out.push(
                    Record::new(
                        BRICK,
                        "brick-lru LruCache",
                        "brick-lru LruCache",
                        true,
                        "trace hit ratio",
                        params.clone(),
                    )
                    .with_metric(
                        "hit_ratio (bound: libCacheSim LRU)",
                        lru_hits,
                        Some(reference_lru),
                    ),
                );
                out.push(
                    Record::new(
                        BRICK,
                        "brick-lru LfuCache",
                        "brick-lru LfuCache",
                        true,
                        "trace hit ratio",
                        params,
                    )
                    .with_metric(
                        "hit_ratio (bound: libCacheSim LFU)",
                        lfu_hits,
                        t["hit_ratio"]["LFU"][&label].as_f64(),
                    ),
                );
                let x = cap as f64;
                lru_pts.push((x, lru_hits));
                lfu_pts.push((x, lfu_hits));
                ref_pts.push((x, reference_lru));
                if let Some(q) = qc {
                    qc_pts.push((x, q));
                }
            }
            let chart = Chart::new(
                format!("{short}: hit ratio against capacity"),
                "capacity (entries)",
                "hit ratio",
            )
            .log(true, false)
            .with(Series::markers("libCacheSim LRU (reference)", ref_pts))
            .with(Series::line("brick-lru LruCache", lru_pts))
            .with(Series::line("brick-lru LfuCache", lfu_pts))
            .with(Series::markers("quick_cache (reference run)", qc_pts));
            ctx.chart(&format!("lru_trace_{}", short.replace('-', "_")), &chart);
        }
    }
}
