//! A read-through cache in front of a slow lookup (a "database" that takes 50 µs per query):
//! 20,000 requests for user profiles with Zipf-skewed popularity, through an LRU cache of 500
//! entries with a 30-second TTL. Prints the hit ratio and the time the cache saved.
//!
//! Run: `cargo run --release -p brick-lru --example read_through`.

use brick_lru::{Error, LruCache};
use std::time::{Duration, Instant};

const DB_LATENCY: Duration = Duration::from_micros(50);

fn slow_profile_lookup(user: u64) -> String {
    std::thread::sleep(DB_LATENCY);
    format!("user {user}: name, avatar, preferences")
}

/// Zipf(1.0) user ids over 10,000 users, from a fixed-seed generator.
fn requests(n: usize) -> Vec<u64> {
    let weights: Vec<f64> = (1..=10_000).map(|i| 1.0 / f64::from(i)).collect();
    let total: f64 = weights.iter().sum();
    let mut state = 42u64;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut u = (state >> 11) as f64 / (1u64 << 53) as f64 * total;
            weights
                .iter()
                .position(|w| {
                    u -= w;
                    u <= 0.0
                })
                .unwrap_or(9_999) as u64
        })
        .collect()
}

fn main() -> Result<(), Error> {
    let mut cache = LruCache::new(500)?;
    cache.set_time_to_live(Some(Duration::from_secs(30)));
    let start = Instant::now();
    for user in requests(20_000) {
        if cache.get(&user).is_none() {
            let profile = slow_profile_lookup(user);
            cache.insert(user, profile);
        }
    }
    let elapsed = start.elapsed();
    let stats = cache.stats();
    let saved = DB_LATENCY * stats.hits as u32;
    println!("requests:   {}", stats.hits + stats.misses);
    println!(
        "hit ratio:  {:.1} % ({} hits, {} misses)",
        100.0 * stats.hit_ratio(),
        stats.hits,
        stats.misses
    );
    println!(
        "time spent: {elapsed:.2?}; without the cache about {:.2?} ({saved:.2?} saved)",
        elapsed + saved
    );
    Ok(())
}
