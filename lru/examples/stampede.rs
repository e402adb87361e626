//! A cache stampede, averted: 1,000 concurrent requests (one thread each) for one cold key — a product page whose rendering takes 100 ms — arrive at once. Without single-flight
//! loading every request that misses would render the page; `get_or_insert_with` renders it
//! once and the others wait for that value. Then a second cold key whose first load fails
//! shows that the error is not cached and a waiter loads instead.
//!
//! Run: `cargo run --release -p brick-lru --example stampede`.
// The example counts loads with std's atomics; the crate's own code uses its sync shim.
#![allow(clippy::disallowed_types)]

use brick_lru::{ConcurrentCache, Error};
use std::sync::Arc;
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const REQUESTS: usize = 1_000;
const RENDER: Duration = Duration::from_millis(100);

fn main() -> Result<(), Error> {
    let pages: Arc<ConcurrentCache<String, Arc<str>>> = Arc::new(ConcurrentCache::new(10_000)?);
    let renders = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(REQUESTS));
    let began = Instant::now();
    let workers: Vec<_> = (0..REQUESTS)
        .map(|_| {
            let (pages, renders, start) = (pages.clone(), renders.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                let page = pages.get_or_insert_with("/product/42".to_string(), || {
                    renders.fetch_add(1, Ordering::SeqCst);
                    thread::sleep(RENDER);
                    Arc::from("<html>product 42</html>")
                });
                page.len()
            })
        })
        .collect();
    let served: usize = workers
        .into_iter()
        .map(|w| w.join().expect("worker panicked"))
        .sum();
    let elapsed = began.elapsed();
    println!(
        "{REQUESTS} concurrent requests for one cold page: rendered {} time(s), {served} bytes \
         served in {:.0?} (one render is {RENDER:?}; without single flight every request that \
         missed would render)",
        renders.load(Ordering::SeqCst),
        elapsed
    );

    // A flaky backend: the first load fails. Its caller gets the error; a waiter retries.
    let attempts = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (pages, attempts) = (pages.clone(), attempts.clone());
            thread::spawn(move || {
                pages.try_get_or_insert_with("/product/7".to_string(), || {
                    let n = attempts.fetch_add(1, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(20));
                    if n == 0 {
                        Err("backend timed out")
                    } else {
                        Ok(Arc::from("<html>product 7</html>"))
                    }
                })
            })
        })
        .collect();
    for w in workers {
        match w.join().expect("worker panicked") {
            Ok(page) => println!("served {} bytes", page.len()),
            Err(e) => println!("this caller's load failed: {e} (not cached)"),
        }
    }
    let stats = pages.stats();
    println!(
        "loads of the flaky page: {}; cache: {} entries, {} hits, {} misses",
        attempts.load(Ordering::SeqCst),
        pages.len(),
        stats.hits,
        stats.misses
    );
    Ok(())
}
