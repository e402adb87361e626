//! What a keyed limiter holds under a key-spraying client: 10^6 one-shot keys, one check each,
//! leave about twice the keys active in the last window, not 10^6. Its own test binary: it
//! counts every allocation of the process through a global allocator wrapper.
#![cfg(not(loom))]

use std::alloc::System;
use std::time::Duration;

use brick_rate_limit::{Gcra, KeyedLimiter, ManualClock};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const KEYS: u64 = 1_000_000;

/// Sprays `KEYS` distinct keys, one check each, one every `gap`; returns (keys held, bytes held).
fn spray(
    limiter: &KeyedLimiter<u64, Gcra, ManualClock>,
    clock: &ManualClock,
    gap: Duration,
) -> (usize, usize) {
    let region = Region::new(GLOBAL);
    for key in 0..KEYS {
        assert!(limiter.check(&key).allowed);
        clock.advance(gap);
    }
    let stats = region.change();
    (
        limiter.len(),
        stats
            .bytes_allocated
            .saturating_sub(stats.bytes_deallocated),
    )
}

#[test]
fn one_shot_keys_do_not_accumulate() {
    // 10 per second per key: a key's state is as good as fresh 100 ms after its one check. One
    // new key every 10 µs: about 10,000 keys are active at any time.
    let clock = ManualClock::new();
    let limiter = KeyedLimiter::new(
        Gcra::new(10, Duration::from_secs(1)).unwrap(),
        clock.clone(),
    );
    let active = 10_000usize;
    let (held, bytes) = spray(&limiter, &clock, Duration::from_micros(10));
    println!("{KEYS} one-shot keys: {held} held, {bytes} bytes");
    // Each shard sweeps when it doubles since its last sweep, so it holds at most twice what
    // was active at that sweep, plus the keys that arrived since (one window's worth).
    assert!(held <= 4 * active, "{held} keys held");
    // A state and its key are 16 bytes plus the table's control bytes and spare capacity.
    assert!(bytes < 64 * 4 * active, "{bytes} bytes held");

    // With a horizon, idle keys are kept that much longer: 1 s more is 100,000 more keys.
    let clock = ManualClock::new();
    let kept = KeyedLimiter::new(
        Gcra::new(10, Duration::from_secs(1)).unwrap(),
        clock.clone(),
    )
    .with_idle_horizon(Duration::from_secs(1));
    let (held_longer, _) = spray(&kept, &clock, Duration::from_micros(10));
    assert!(
        held_longer > held && held_longer <= 4 * (active + 100_000),
        "{held_longer}"
    );
    // Without sweeps, every key would still be there.
    assert!(held_longer < KEYS as usize);
}
