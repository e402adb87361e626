//! Daily unique visitors across four web servers: each server counts its own visitors in an
//! `AtomicHyperLogLog` shared by its request threads, the day's sketches are merged, and the
//! answer is compared with the exact count. Then the same visitors go into a
//! `RedisHyperLogLog`, whose bytes Redis accepts as a `PFADD` key (set `REDIS_URL` to see
//! Redis count them).
//!
//! `cargo run --release -p brick-hyperloglog --example unique_visitors`

use std::collections::HashSet;

use brick_hyperloglog::{AtomicHyperLogLog, HyperLogLog, RedisHyperLogLog};

/// A day's traffic on one server: visitor ids, with regulars who come back and who also hit
/// the other servers.
fn traffic(server: u64) -> Vec<u64> {
    let mut x = 0x9e37_79b9_7f4a_7c15 ^ server;
    (0..400_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // 60 % of requests from 50,000 regulars (on every server), the rest from a long
            // tail of 2,000,000 occasional visitors.
            if x % 10 < 6 {
                x % 50_000
            } else {
                50_000 + x % 2_000_000
            }
        })
        .collect()
}

fn main() -> Result<(), brick_hyperloglog::Error> {
    let mut exact = HashSet::new();
    let mut day = HyperLogLog::with_params(14)?;
    for server in 0..4 {
        let requests = traffic(server);
        let sketch = AtomicHyperLogLog::with_params(14)?;
        // Two request threads per server insert into the same sketch, lock-free.
        std::thread::scope(|s| {
            for half in requests.chunks(requests.len() / 2) {
                let sketch = &sketch;
                s.spawn(move || {
                    for v in half {
                        sketch.insert(v);
                    }
                });
            }
        });
        exact.extend(requests.iter().copied());
        println!("server {server}: ~{} unique visitors", sketch.count());
        day.merge(&sketch.to_hyperloglog())?;
    }
    let estimate = day.count();
    let truth = exact.len() as u64;
    println!(
        "all servers: ~{estimate} unique visitors (exactly {truth}; error {:+.2} %), in {} bytes \
         instead of a {}-entry set",
        (estimate as f64 / truth as f64 - 1.0) * 100.0,
        day.len_bytes(),
        truth
    );
    let wire = day.to_bytes();
    println!(
        "the day's sketch travels as {} bytes (versioned, checksummed)",
        wire.len()
    );

    // The same visitors in Redis's own format: what `PFADD visitors:today <id>...` builds.
    let mut redis_hll = RedisHyperLogLog::new();
    for v in &exact {
        redis_hll.insert(v.to_string().as_bytes());
    }
    let value = redis_hll.to_redis_bytes();
    println!(
        "Redis format: {} bytes ({}), PFCOUNT would say {}",
        value.len(),
        if redis_hll.is_sparse() {
            "sparse"
        } else {
            "dense"
        },
        redis_hll.count()
    );
    if let Ok(url) = std::env::var("REDIS_URL") {
        let mut con = redis::Client::open(url.as_str())
            .and_then(|c| c.get_connection())
            .expect("connect to REDIS_URL");
        let key = format!("brick-example:visitors:{}", std::process::id());
        let _: () = redis::cmd("SET")
            .arg(&key)
            .arg(&value)
            .query(&mut con)
            .expect("SET");
        let there: u64 = redis::cmd("PFCOUNT")
            .arg(&key)
            .query(&mut con)
            .expect("PFCOUNT");
        let _: () = redis::cmd("DEL").arg(&key).query(&mut con).expect("DEL");
        println!("Redis at {url} counts our bytes as {there}");
    }
    Ok(())
}
