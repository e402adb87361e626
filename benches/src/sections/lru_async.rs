//! brick-lru's async single flight (`ConcurrentCache::get_or_insert_with_async`) against moka's
//! `future::Cache::get_with`, with 1,000 tasks on a two-thread tokio runtime.
// The stampede's load counters are the benchmark's own: loom models the bricks' atomics.
#![allow(clippy::disallowed_types)]

use crate::sections::lru::zipf_keys;
use crate::{Ctx, Record, Section};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const BRICK: &str = "lru-async";
const TASKS: usize = 1_000;
const CAPACITY: u64 = 10_000;
const UNIVERSE: u64 = 100_000;

/// The report section.
#[derive(Debug)]
pub struct LruAsyncSection;

/// ns per operation of `TASKS` tasks running `stream` through ours.
pub fn zipf_ours(rt: &tokio::runtime::Runtime, stream: Arc<Vec<u64>>) -> f64 {
    let per_task = stream.len() / TASKS;
    let cache = Arc::new(brick_lru::ConcurrentCache::<u64, u64>::new(CAPACITY).expect("valid"));
    rt.block_on(async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let (cache, stream) = (Arc::clone(&cache), Arc::clone(&stream));
                tokio::spawn(async move {
                    let mut sum = 0u64;
                    for &k in &stream[t * per_task..(t + 1) * per_task] {
                        sum = sum.wrapping_add(
                            cache.get_or_insert_with_async(k, async move { k }).await,
                        );
                    }
                    sum
                })
            })
            .collect();
        for t in tasks {
            std::hint::black_box(t.await.expect("task"));
        }
        start.elapsed().as_nanos() as f64 / (per_task * TASKS) as f64
    })
}

/// ns per operation of `TASKS` tasks running `stream` through moka's `future::Cache`.
pub fn zipf_moka(rt: &tokio::runtime::Runtime, stream: Arc<Vec<u64>>) -> f64 {
    let per_task = stream.len() / TASKS;
    let cache = moka::future::Cache::<u64, u64>::new(CAPACITY);
    rt.block_on(async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let (cache, stream) = (cache.clone(), Arc::clone(&stream));
                tokio::spawn(async move {
                    let mut sum = 0u64;
                    for &k in &stream[t * per_task..(t + 1) * per_task] {
                        sum = sum.wrapping_add(cache.get_with(k, async move { k }).await);
                    }
                    sum
                })
            })
            .collect();
        for t in tasks {
            std::hint::black_box(t.await.expect("task"));
        }
        start.elapsed().as_nanos() as f64 / (per_task * TASKS) as f64
    })
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
        let stampede = format!("tasks={TASKS} one cold key, loader sleeps 10 ms");
        let ours_loads = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let moka_loads = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (ours_ms, moka_ms) = rt.block_on({
            let (ours_loads, moka_loads) = (Arc::clone(&ours_loads), Arc::clone(&moka_loads));
            async move {
                let cache =
                    Arc::new(brick_lru::ConcurrentCache::<u64, u64>::new(CAPACITY).expect("valid"));
                let start = Instant::now();
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let (cache, loads) = (Arc::clone(&cache), Arc::clone(&ours_loads));
                        tokio::spawn(async move {
                            cache
                                .get_or_insert_with_async(1, async move {
                                    loads.fetch_add(1, Ordering::Relaxed);
                                    tokio::time::sleep(Duration::from_millis(10)).await;
                                    1
                                })
                                .await
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.expect("task");
                }
                let ours_ms = start.elapsed().as_secs_f64() * 1e3;
                let cache = moka::future::Cache::<u64, u64>::new(CAPACITY);
                let start = Instant::now();
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let (cache, loads) = (cache.clone(), Arc::clone(&moka_loads));
                        tokio::spawn(async move {
                            cache
                                .get_with(1, async move {
                                    loads.fetch_add(1, Ordering::Relaxed);
                                    tokio::time::sleep(Duration::from_millis(10)).await;
                                    1
                                })
                                .await
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.expect("task");
                }
                (ours_ms, start.elapsed().as_secs_f64() * 1e3)
            }
        });
        out.push(
            Record::new(
                BRICK,
                "ConcurrentCache",
                "brick-lru",
                true,
                "stampede: loads",
                stampede.clone(),
            )
            .with_metric(
                "loads",
                ours_loads.load(Ordering::Relaxed) as f64,
                Some(1.0),
            )
            .equals(),
        );
        out.push(
            Record::new(
                BRICK,
                "moka future::Cache",
                "moka",
                false,
                "stampede: loads",
                stampede.clone(),
            )
            .with_metric(
                "loads",
                moka_loads.load(Ordering::Relaxed) as f64,
                Some(1.0),
            )
            .equals(),
        );
        out.push(
            Record::new(
                BRICK,
                "ConcurrentCache",
                "brick-lru",
                true,
                "stampede: wall ms",
                stampede.clone(),
            )
            .with_metric("ms", ours_ms, None),
        );
        out.push(
            Record::new(
                BRICK,
                "moka future::Cache",
                "moka",
                false,
                "stampede: wall ms",
                stampede,
            )
            .with_metric("ms", moka_ms, None),
        );
        out
    }
}
