//! brick-lru against lru, schnellru, clru, hashlink and quick_cache (unsync), and hit ratios on
//! the shared cache traces against libCacheSim's.

use crate::chart::{Chart, Series};
use crate::harness::ns_per_op_alternating_all;
use crate::inputs::{read_trace, reference, uniform_keys, zipf_keys};
use crate::{Contender, Ctx, Record, Section};
use std::hash::Hash;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::ops::Range;

/// What every cache in the comparison offers, statically dispatched. Built from a capacity in
/// entries.
pub trait Lru<K, V>: Contender<Spec = usize> {
    /// Whether its policy is LRU (the speed targets compare against LRU peers only).
    const LRU: bool;
    /// Looks `k` up (counting a use); whether it was there.
    fn hit(&mut self, k: &K) -> bool;
    /// Inserts, evicting if full.
    fn put(&mut self, k: K, v: V);
}

fn nz(cap: usize) -> NonZeroUsize {
    NonZeroUsize::new(cap).expect("capacity above 0")
}

impl<K: Hash + Eq + Clone, V> Contender for brick_lru::LruCache<K, V> {
    type Spec = usize;
    const NAME: &'static str = "brick-lru LruCache";
    const OURS: bool = true;
    fn build(cap: usize) -> Self {
        brick_lru::LruCache::new(cap as u64).expect("valid")
    }
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> for brick_lru::LruCache<K, V> {
    const LRU: bool = true;
    #[inline]
    fn hit(&mut self, k: &K) -> bool {
        self.get(k).is_some()
    }
    #[inline]
    fn put(&mut self, k: K, v: V) {
        self.insert(k, v);
    }
}

impl<K: Hash + Eq + Clone, V> Contender
    for brick_lru::LruCache<K, V, std::collections::hash_map::RandomState>
{
    type Spec = usize;
    const NAME: &'static str = "brick-lru LruCache (std RandomState)";
    const OURS: bool = true;
    fn build(cap: usize) -> Self {
        brick_lru::LruCache::builder(cap as u64)
            .hasher(Default::default())
            .build()
            .expect("valid")
    }
}

impl<K: Hash + Eq + Clone, V> Lru<K, V>
    for brick_lru::LruCache<K, V, std::collections::hash_map::RandomState>
{
    const LRU: bool = true;
    #[inline]
    fn hit(&mut self, k: &K) -> bool {
        self.get(k).is_some()
    }
    #[inline]
    fn put(&mut self, k: K, v: V) {
        self.insert(k, v);
    }
}

impl<K: Hash + Eq + Clone, V> Contender for brick_lru::LruCache<K, V, brick_lru::Xxh3BuildHasher> {
    type Spec = usize;
    const NAME: &'static str = "brick-lru LruCache (Xxh3BuildHasher, fixed seed)";
    const OURS: bool = true;
    fn build(cap: usize) -> Self {
        brick_lru::LruCache::builder(cap as u64)
            .hasher(Default::default())
            .build()
            .expect("valid")
    }
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> for brick_lru::LruCache<K, V, brick_lru::Xxh3BuildHasher> {
    const LRU: bool = true;
    #[inline]
    fn hit(&mut self, k: &K) -> bool {
        self.get(k).is_some()
    }
    #[inline]
    fn put(&mut self, k: K, v: V) {
        self.insert(k, v);
    }
}

impl<K: Hash + Eq + Clone, V> Contender for brick_lru::LfuCache<K, V> {
    type Spec = usize;
    const NAME: &'static str = "brick-lru LfuCache";
    const OURS: bool = true;
    fn build(cap: usize) -> Self {
        brick_lru::LfuCache::new(cap as u64).expect("valid")
    }
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> for brick_lru::LfuCache<K, V> {
    const LRU: bool = false;
    #[inline]
    fn hit(&mut self, k: &K) -> bool {
        self.get(k).is_some()
    }
    #[inline]
    fn put(&mut self, k: K, v: V) {
        self.insert(k, v);
    }
}

impl<K: Hash + Eq + Clone, V> Contender for lru::LruCache<K, V> {
    type Spec = usize;
    const NAME: &'static str = "lru";
    const OURS: bool = false;
    fn build(cap: usize) -> Self {
        lru::LruCache::new(nz(cap))
    }
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> for lru::LruCache<K, V> {
    const LRU: bool = true;
    #[inline]
    fn hit(&mut self, k: &K) -> bool {
        self.get(k).is_some()
    }
    #[inline]
    fn put(&mut self, k: K, v: V) {
        self.push(k, v);
    }
}

impl<K: Hash + Eq + Clone, V> Contender for schnellru::LruMap<K, V> {
    type Spec = usize;
    const NAME: &'static str = "schnellru";
    const OURS: bool = false;
    fn build(cap: usize) -> Self {
        schnellru::LruMap::new(schnellru::ByLength::new(cap as u32))
    }
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> for schnellru::LruMap<K, V> {
    const LRU: bool = true;
    #[inline]
    fn hit(&mut self, k: &K) -> bool {
        self.get(k).is_some()
    }
    #[inline]
    fn put(&mut self, k: K, v: V) {
        self.insert(k, v);
    }
}

impl<K: Hash + Eq + Clone, V> Contender for clru::CLruCache<K, V> {
    type Spec = usize;
    const NAME: &'static str = "clru";
    const OURS: bool = false;
    fn build(cap: usize) -> Self {
        clru::CLruCache::new(nz(cap))
    }
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> for clru::CLruCache<K, V> {
    const LRU: bool = true;
    #[inline]
    fn hit(&mut self, k: &K) -> bool {
        self.get(k).is_some()
    }
    #[inline]
    fn put(&mut self, k: K, v: V) {
        self.put(k, v);
    }
}

impl<K: Hash + Eq + Clone, V> Contender for hashlink::LruCache<K, V> {
    type Spec = usize;
    const NAME: &'static str = "hashlink";
    const OURS: bool = false;
    fn build(cap: usize) -> Self {
        hashlink::LruCache::new(cap)
    }
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> for hashlink::LruCache<K, V> {
    const LRU: bool = true;
    #[inline]
    fn hit(&mut self, k: &K) -> bool {
        self.get(k).is_some()
    }
    #[inline]
    fn put(&mut self, k: K, v: V) {
        self.insert(k, v);
    }
}

impl<K: Hash + Eq + Clone, V> Contender for quick_cache::unsync::Cache<K, V> {
    type Spec = usize;
    const NAME: &'static str = "quick_cache unsync (S3-FIFO-like)";
    const OURS: bool = false;
    fn build(cap: usize) -> Self {
        quick_cache::unsync::Cache::new(cap)
    }
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> for quick_cache::unsync::Cache<K, V> {
    const LRU: bool = false;
    #[inline]
    fn hit(&mut self, k: &K) -> bool {
        self.get(k).is_some()
    }
    #[inline]
    fn put(&mut self, k: K, v: V) {
        self.insert(k, v);
    }
}

/// A cache holding `keys` (in order), each mapped by `value`.
pub fn filled<C: Lru<K, V>, K, V>(
    cap: usize,
    keys: impl IntoIterator<Item = K>,
    value: impl Fn(&K) -> V,
) -> C {
    let mut c = C::build(cap);
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

/// One implementation under the timed workloads, driven through `dyn` once per batch of
/// operations (each loop inside is monomorphic, so inlined as in the crate's own use).
trait Subject {
    fn name(&self) -> &'static str;
    fn ours(&self) -> bool;
    fn lru(&self) -> bool;
    /// Looks up every key in the main cache.
    fn get_all(&mut self, keys: &[u64]);
    /// Inserts `n` keys never seen before into the main cache.
    fn insert_new(&mut self, n: usize);
    /// Get-or-insert over `keys`, on stream `s`'s own cache.
    fn replay(&mut self, s: usize, keys: &[u64]);
}

struct Under<C> {
    main: C,
    streams: Vec<C>,
    next: u64,
}

impl<C: Lru<u64, u64>> Subject for Under<C> {
    fn name(&self) -> &'static str {
        C::NAME
    }
    fn ours(&self) -> bool {
        C::OURS
    }
    fn lru(&self) -> bool {
        C::LRU
    }
    fn get_all(&mut self, keys: &[u64]) {
        for k in keys {
            black_box(self.main.hit(black_box(k)));
        }
    }
    fn insert_new(&mut self, n: usize) {
        for _ in 0..n {
            self.next += 1;
            self.main.put(black_box(self.next), self.next);
        }
    }
    fn replay(&mut self, s: usize, keys: &[u64]) {
        black_box(replay(&mut self.streams[s], keys));
    }
}

fn full<C: Lru<u64, u64>>() -> C {
    filled::<C, u64, u64>(CAP, 0..CAP as u64, |&k| k)
}

/// A full cache of each kind: one for hits, misses and inserts, one per get-or-insert stream.
fn subject<C: Lru<u64, u64> + 'static>(streams: usize) -> Box<dyn Subject> {
    Box::new(Under {
        main: full::<C>(),
        streams: (0..streams).map(|_| full::<C>()).collect(),
        next: UNIVERSE * 4,
    })
}

/// A subject's record of its ns per operation `op`.
fn timed(sub: &dyn Subject, op: &str, ns: f64, params: &str) -> Record {
    Record::new(
        BRICK,
        sub.name(),
        sub.name(),
        sub.ours(),
        op,
        params.to_owned(),
    )
    .with_ns(ns)
}

/// Each workload is timed in this many slices of its operations, so the passes alternate often.
const PARTS: usize = 5;

/// Times `work` on every subject, in alternation, slice by slice: each call gets the next fifth
/// of the `n` operations' range. This machine's speed swings by 2-3x within a second; short
/// passes put every implementation under the same swings.
fn alternate(
    ctx: &Ctx,
    n: usize,
    subjects: &mut [Box<dyn Subject>],
    work: impl Fn(&mut dyn Subject, Range<usize>),
) -> Vec<f64> {
    let len = n / PARTS;
    let work = &work;
    let mut runs: Vec<Box<dyn FnMut() + '_>> = subjects
        .iter_mut()
        .map(|s| {
            let mut part = 0;
            Box::new(move || {
                work(s.as_mut(), part * len..(part + 1) * len);
                part = (part + 1) % PARTS;
            }) as Box<dyn FnMut() + '_>
        })
        .collect();
    let mut refs: Vec<&mut dyn FnMut()> = runs
        .iter_mut()
        .map(|r| &mut **r as &mut dyn FnMut())
        .collect();
    ns_per_op_alternating_all(ctx.mode.runs() * PARTS, len as u64, &mut refs)
}

/// Bytes a full cache allocates (u64 -> u64, then after as many evicting inserts as it holds
/// twice over, and String -> Vec<u8>).
fn memory<C: Lru<u64, u64>, D: Lru<String, Vec<u8>>>(ctx: &Ctx, out: &mut Vec<Record>) {
    let name = C::NAME;
    let params = format!("cap={CAP} keys over {UNIVERSE}");
    let per_entry = |op: &str, bytes: Option<u64>, out: &mut Vec<Record>| {
        if let Some(b) = bytes {
            out.push(
                Record::new(BRICK, name, name, C::OURS, op, params.clone())
                    .with_bytes(b)
                    .with_metric("bytes_per_entry", b as f64 / CAP as f64, None),
            );
        }
    };
    let (c, bytes) = ctx.memory.measure(full::<C>);
    drop(c);
    per_entry("memory u64->u64", bytes, out);
    // Evictions leave tombstones in open-addressing tables; once they use up the spare
    // buckets the table rehashes, and may double.
    let (c, bytes) = ctx.memory.measure(|| {
        let mut c = full::<C>();
        for k in 0..2 * CAP as u64 {
            c.put(UNIVERSE * 8 + k, k);
        }
        c
    });
    drop(c);
    per_entry("memory u64->u64 after churn", bytes, out);
    // The strings' and vectors' own heap (16 + 32 bytes) is in every implementation's figure.
    let (c, bytes) = ctx.memory.measure(|| {
        filled::<D, String, Vec<u8>>(CAP, (0..CAP).map(|i| format!("key-{i:012}")), |_| {
            vec![7u8; 32]
        })
    });
    drop(c);
    per_entry("memory String->Vec<u8>", bytes, out);
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
         foldhash keyed per cache; the two rows in parentheses are ours with std's RandomState and with the deterministic seeded XXH3). `get_hit`: random resident keys; `get_miss`: absent keys; `insert_evict`: new \
         keys into a full cache (each insert evicts); `get_or_insert`: get, and insert on a miss, over \
         keys uniform or Zipf(0.99) on 1,000,000 keys. Every cache is resident during these runs, so \
         each pass finds its lines pushed out of the CPU's caches by the others; `get_hit, ours and \
         schnellru alone` repeats the hits with only those two resident, as in a tight loop. Memory is everything a full cache allocates \
         (for String→Vec<u8> that includes the 16-byte key and 32-byte value buffers of every entry). \
         quick_cache's policy is not LRU, so its hit ratios differ. Hit ratios on the shared traces: \
         our LRU and LFU hit counts equal libCacheSim's LRU and LFU exactly (tests/traces.rs)."
            .to_owned()
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let mut out = Vec::new();
        let n = ctx.mode.pick(20_000, 1_000_000, 2_000_000);
        ctx.step("lru inputs");
        let streams = [
            ("get_or_insert uniform", uniform_keys(n, UNIVERSE, 1)),
            ("get_or_insert zipf", zipf_keys(n, UNIVERSE, 0.99, 2)),
        ];
        ctx.step("lru caches");
        let s = streams.len();
        let mut subjects = vec![
            subject::<brick_lru::LruCache<u64, u64>>(s),
            subject::<brick_lru::LruCache<u64, u64, std::collections::hash_map::RandomState>>(s),
            subject::<brick_lru::LruCache<u64, u64, brick_lru::Xxh3BuildHasher>>(s),
            subject::<brick_lru::LfuCache<u64, u64>>(s),
            subject::<lru::LruCache<u64, u64>>(s),
            subject::<schnellru::LruMap<u64, u64>>(s),
            subject::<clru::CLruCache<u64, u64>>(s),
            subject::<hashlink::LruCache<u64, u64>>(s),
            subject::<quick_cache::unsync::Cache<u64, u64>>(s),
        ];
        // Every implementation runs each workload in turn, pass by pass, so the machine's
        // drift lands on all of them. Hits first, on the freshly filled caches.
        let mut ops: Vec<(&'static str, Vec<f64>)> = Vec::new();
        ctx.step("lru get_hit");
        let hits = uniform_keys(n, CAP as u64, 7);
        ops.push((
            "get_hit",
            alternate(ctx, n, &mut subjects, |c, r| c.get_all(&hits[r])),
        ));
        ctx.step("lru get_miss");
        let misses: Vec<u64> = uniform_keys(n, UNIVERSE, 8)
            .into_iter()
            .map(|k| k + UNIVERSE)
            .collect();
        ops.push((
            "get_miss",
            alternate(ctx, n, &mut subjects, |c, r| c.get_all(&misses[r])),
        ));
        ctx.step("lru insert_evict");
        ops.push((
            "insert_evict",
            alternate(ctx, n, &mut subjects, |c, r| c.insert_new(r.len())),
        ));
        for (i, (op, keys)) in streams.iter().enumerate() {
            ctx.step(&format!("lru {op}"));
            ops.push((
                op,
                alternate(ctx, n, &mut subjects, |c, r| c.replay(i, &keys[r])),
            ));
        }
        let params = format!("cap={CAP} keys over {UNIVERSE}");
        for (j, sub) in subjects.iter().enumerate() {
            for (op, ns) in &ops {
                out.push(timed(sub.as_ref(), op, ns[j], &params));
            }
        }
        // Targets: ours against the fastest LRU peer (quick_cache is not an LRU).
        let ours = 0;
        for (op, ns) in &ops {
            let best = (0..subjects.len())
                .filter(|&j| !subjects[j].ours() && subjects[j].lru())
                .min_by(|&a, &b| ns[a].total_cmp(&ns[b]))
                .expect("peers");
            out.push(
                Record::target(BRICK, subjects[ours].name(), op, params.clone())
                    .with_metric(
                        &format!("ns ratio vs {} (fastest LRU peer)", subjects[best].name()),
                        ns[ours] / ns[best],
                        Some(1.0),
                    )
                    .at_most(),
            );
        }
        drop(subjects);
        // The same hits with only ours and schnellru resident, so each pass finds much of its
        // cache's lines still in the CPU's caches: how the ratio moves when a hit's lines are
        // warm (a tight loop) rather than pushed out by the other contenders (the run above).
        ctx.step("lru get_hit, two caches alone");
        let mut pair = vec![
            subject::<brick_lru::LruCache<u64, u64>>(0),
            subject::<schnellru::LruMap<u64, u64>>(0),
        ];
        let alone = alternate(ctx, n, &mut pair, |c, r| c.get_all(&hits[r]));
        for (sub, &ns) in pair.iter().zip(&alone) {
            out.push(timed(
                sub.as_ref(),
                "get_hit, ours and schnellru alone",
                ns,
                &params,
            ));
        }
        drop(pair);
        ctx.step("lru memory");
        memory::<brick_lru::LruCache<u64, u64>, brick_lru::LruCache<String, Vec<u8>>>(
            ctx, &mut out,
        );
        memory::<brick_lru::LfuCache<u64, u64>, brick_lru::LfuCache<String, Vec<u8>>>(
            ctx, &mut out,
        );
        memory::<lru::LruCache<u64, u64>, lru::LruCache<String, Vec<u8>>>(ctx, &mut out);
        memory::<schnellru::LruMap<u64, u64>, schnellru::LruMap<String, Vec<u8>>>(ctx, &mut out);
        memory::<clru::CLruCache<u64, u64>, clru::CLruCache<String, Vec<u8>>>(ctx, &mut out);
        memory::<hashlink::LruCache<u64, u64>, hashlink::LruCache<String, Vec<u8>>>(ctx, &mut out);
        memory::<quick_cache::unsync::Cache<u64, u64>, quick_cache::unsync::Cache<String, Vec<u8>>>(
            ctx, &mut out,
        );
        let mem = |out: &[Record], name: &str, op: &str| {
            out.iter()
                .find(|r| r.implementation == name && r.operation == op)
                .and_then(|r| r.value)
        };
        for op in ["memory u64->u64", "memory u64->u64 after churn"] {
            if let (Some(a), Some(b)) = (
                mem(&out, "brick-lru LruCache", op),
                mem(&out, "schnellru", op),
            ) {
                out.push(
                    Record::target(BRICK, "brick-lru LruCache", op, params.clone())
                        .with_metric("bytes per entry vs schnellru", a / b, Some(1.0))
                        .at_most(),
                );
            }
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
                    )
                    .equals(),
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
                    )
                    .equals(),
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
