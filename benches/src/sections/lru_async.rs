//! brick-lru's async single flight (`ConcurrentCache::get_or_insert_with_async`) against moka's
//! `future::Cache::get_with`, with 1,000 tasks on a two-thread tokio runtime.
// The stampede's load counters are the benchmark's own: loom models the bricks' atomics.
#![allow(clippy::disallowed_types)]

use crate::inputs::zipf_keys;
use crate::{Ctx, Record, Section};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const BRICK: &str = "lru-async";
const TASKS: usize = 1_000;
const CAPACITY: u64 = 10_000;
const UNIVERSE: u64 = 100_000;

/// The report section.
#[derive(Debug)]
pub struct LruAsyncSection;

/// ns per operation of `TASKS` tasks, each running its share of `stream` (copied out before the
/// clock starts), spawned by `spawn_one` with its keys.
fn zipf_tasks(
    rt: &tokio::runtime::Runtime,
    stream: Arc<Vec<u64>>,
    spawn_one: impl Fn(Vec<u64>) -> tokio::task::JoinHandle<u64>,
) -> f64 {
    let per_task = stream.len() / TASKS;
    rt.block_on(async move {
        let shares: Vec<Vec<u64>> = stream
            .chunks_exact(per_task)
            .take(TASKS)
            .map(<[u64]>::to_vec)
            .collect();
        let start = Instant::now();
        let tasks: Vec<_> = shares.into_iter().map(&spawn_one).collect();
        for t in tasks {
            std::hint::black_box(t.await.expect("task"));
        }
        start.elapsed().as_nanos() as f64 / (per_task * TASKS) as f64
    })
}

/// ns per operation of `TASKS` tasks running `stream` through ours.
pub fn zipf_ours(rt: &tokio::runtime::Runtime, stream: Arc<Vec<u64>>) -> f64 {
    let cache = Arc::new(brick_lru::ConcurrentCache::<u64, u64>::new(CAPACITY).expect("valid"));
    zipf_tasks(rt, stream, |keys| {
        let cache = Arc::clone(&cache);
        tokio::spawn(async move {
            let mut sum = 0u64;
            for k in keys {
                sum = sum.wrapping_add(cache.get_or_insert_with_async(k, async move { k }).await);
            }
            sum
        })
    })
}

/// ns per operation of `TASKS` tasks running `stream` through moka's `future::Cache`.
pub fn zipf_moka(rt: &tokio::runtime::Runtime, stream: Arc<Vec<u64>>) -> f64 {
    let cache = moka::future::Cache::<u64, u64>::new(CAPACITY);
    zipf_tasks(rt, stream, |keys| {
        let cache = cache.clone();
        tokio::spawn(async move {
            let mut sum = 0u64;
            for k in keys {
                sum = sum.wrapping_add(cache.get_with(k, async move { k }).await);
            }
            sum
        })
    })
}

/// The cold key's load: counts itself and takes 10 ms.
async fn slow_load(loads: Arc<AtomicU64>) -> u64 {
    loads.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(10)).await;
    1
}

/// `TASKS` tasks miss one cold key at once, each spawned by `spawn_one` with the load counter:
/// the loads counted and the wall time in milliseconds.
async fn stampede(
    spawn_one: impl Fn(Arc<AtomicU64>) -> tokio::task::JoinHandle<u64>,
) -> (u64, f64) {
    let loads = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..TASKS).map(|_| spawn_one(Arc::clone(&loads))).collect();
    for t in tasks {
        t.await.expect("task");
    }
    (
        loads.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64() * 1e3,
    )
}

/// The two-worker runtime both run on.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

impl Section for LruAsyncSection {
    fn brick(&self) -> &'static str {
        BRICK
    }

    fn summary(&self) -> String {
        format!(
            "{TASKS} tokio tasks on two worker threads. `get_or_insert_with_async, Zipf`: each \
             task runs its share of a Zipf(0.99) stream over {UNIVERSE} keys through a cache of \
             {CAPACITY}, loading a miss with an immediate future (the cache's own cost); wall \
             time per operation. `stampede`: all tasks miss one cold key whose loader sleeps \
             10 ms; the loads counted must be 1. Ours: `ConcurrentCache::get_or_insert_with_async`; \
             moka: `future::Cache::get_with`. Both take turns, run after run."
        )
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let rt = runtime();
        let n: usize = ctx.mode.pick(50_000, 500_000, 2_000_000);
        let stream = Arc::new(zipf_keys(n, UNIVERSE, 0.99, 5));
        let params =
            format!("tasks={TASKS} ops={n} capacity={CAPACITY} universe={UNIVERSE} zipf=0.99");
        let ours_run = |stream: Arc<Vec<u64>>| zipf_ours(&rt, stream);
        let moka_run = |stream: Arc<Vec<u64>>| zipf_moka(&rt, stream);
        ctx.step("lru-async: Zipf (interleaved)");
        let (mut ours, mut moka) = (Vec::new(), Vec::new());
        for _ in 0..ctx.mode.runs() {
            ours.push(ours_run(Arc::clone(&stream)));
            moka.push(moka_run(Arc::clone(&stream)));
        }
        let median = |s: &[f64]| crate::harness::median(s).unwrap_or(f64::NAN);
        let mut out = vec![
            Record::new(
                BRICK,
                "ConcurrentCache",
                "brick-lru",
                true,
                "get_or_insert_with_async, Zipf",
                params.clone(),
            )
            .with_ns(median(&ours)),
            Record::new(
                BRICK,
                "moka future::Cache",
                "moka",
                false,
                "get_or_insert_with_async, Zipf",
                params,
            )
            .with_ns(median(&moka)),
        ];

        ctx.step("lru-async: stampede");
        let stampede_params = format!("tasks={TASKS} one cold key, loader sleeps 10 ms");
        let ((ours_loads, ours_ms), (moka_loads, moka_ms)) = rt.block_on(async {
            let cache =
                Arc::new(brick_lru::ConcurrentCache::<u64, u64>::new(CAPACITY).expect("valid"));
            let ours = stampede(|loads| {
                let cache = Arc::clone(&cache);
                tokio::spawn(
                    async move { cache.get_or_insert_with_async(1, slow_load(loads)).await },
                )
            })
            .await;
            let cache = moka::future::Cache::<u64, u64>::new(CAPACITY);
            let moka = stampede(|loads| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.get_with(1, slow_load(loads)).await })
            })
            .await;
            (ours, moka)
        });
        for (structure, implementation, ours, loads, ms) in [
            ("ConcurrentCache", "brick-lru", true, ours_loads, ours_ms),
            ("moka future::Cache", "moka", false, moka_loads, moka_ms),
        ] {
            out.push(
                Record::new(
                    BRICK,
                    structure,
                    implementation,
                    ours,
                    "stampede: loads",
                    stampede_params.clone(),
                )
                .with_metric("loads", loads as f64, Some(1.0))
                .equals(),
            );
            out.push(
                Record::new(
                    BRICK,
                    structure,
                    implementation,
                    ours,
                    "stampede: wall ms",
                    stampede_params.clone(),
                )
                .with_metric("ms", ms, None),
            );
        }
        out
    }
}
