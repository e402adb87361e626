//! Two app servers (two threads, each with its own Redis connection) share one limit of
//! 20 requests per second for one tenant. Each server gets 30 requests a second; together they
//! are let through about 20 a second, where two in-process limiters would let through 40.
//!
//! ```text
//! redis-server --port 6379 &   # or any Redis 5+
//! REDIS_URL=redis://127.0.0.1:6379/ cargo run --release -p brick-rate-limit --features redis --example fleet_limiter
//! ```

use std::time::{Duration, Instant};

use brick_rate_limit::{
    FailurePolicy, Gcra, KeyedLimiter, RateLimiter, RedisClient, RedisError, RedisGcra, SystemClock,
};

const LIMIT: u32 = 20;
const PER_SERVER: u32 = 30; // requests per second arriving at each server
const RUN: Duration = Duration::from_secs(3);

/// One app server: its own client (its own connections), the shared limit, 30 requests/s.
fn server(url: &str, name: &str, tenant: &str) -> Result<(u32, u32, u32), RedisError> {
    let redis = RedisClient::open(url)?;
    let limit = Gcra::new(LIMIT, Duration::from_secs(1))?;
    // While Redis is unreachable, each of the 2 servers limits itself to half.
    let shared = RedisGcra::new(&redis, "api", limit, FailurePolicy::Fallback { nodes: 2 })?;
    // What this server alone would do without Redis: the whole limit, locally.
    let local = KeyedLimiter::new(limit, SystemClock::default());

    let (mut allowed, mut degraded, mut alone, mut told) = (0, 0, 0, false);
    let start = Instant::now();
    let mut next = start;
    while start.elapsed() < RUN {
        let d = shared.check(tenant)?;
        allowed += u32::from(d.allowed);
        degraded += u32::from(d.degraded.is_some());
        alone += u32::from(local.limiter(tenant).check().allowed);
        if !d.allowed && !told {
            told = true;
            println!(
                "{name}: first 429 after {:?}: {:?}",
                start.elapsed(),
                d.headers()
            );
        }
        next += Duration::from_secs(1) / PER_SERVER;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    Ok((allowed, degraded, alone))
}

fn main() -> Result<(), RedisError> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let tenant = format!(
        "tenant-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    let results = std::thread::scope(|s| {
        let a = s.spawn(|| server(&url, "server A", &tenant));
        let b = s.spawn(|| server(&url, "server B", &tenant));
        [a.join(), b.join()]
    });
    let mut total = (0, 0, 0);
    for (name, result) in ["server A", "server B"].iter().zip(results) {
        let (allowed, degraded, alone) = result.expect("server thread")?;
        println!(
            "{name}: {allowed} allowed through Redis ({degraded} degraded), {alone} by a local limiter"
        );
        total = (total.0 + allowed, total.1 + degraded, total.2 + alone);
    }
    // GCRA's promise over the run: one burst, then the rate.
    let bound = LIMIT + LIMIT * RUN.as_secs() as u32;
    println!(
        "fleet: {} allowed with the shared limit (at most {bound}: a burst of {LIMIT}, then {LIMIT}/s), {} with two local limits",
        total.0, total.2
    );
    if total.1 > 0 {
        println!(
            "Redis did not answer {} times: is it running at {url}?",
            total.1
        );
    }
    Ok(())
}
