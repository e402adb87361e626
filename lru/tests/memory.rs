//! What an empty cache holds: the same bytes whatever its capacity, once a shard's share is
//! past what a shard reserves up front. Its own test binary, since it counts every allocation
//! of the process through a global allocator wrapper.
#![cfg(not(loom))]

use brick_lru::{ConcurrentCache, MAX_ENTRIES};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const SHARDS: usize = 16;

/// Bytes allocated and still held by building an empty cache of `capacity` entries.
fn held_by_empty(capacity: u64) -> usize {
    let region = Region::new(GLOBAL);
    let cache = ConcurrentCache::<u64, u64>::builder(capacity)
        .shards(SHARDS)
        .build()
        .unwrap();
    let stats = region.change();
    drop(cache);
    stats.bytes_allocated - stats.bytes_deallocated
}

#[test]
fn an_empty_cache_holds_the_same_bytes_whatever_its_capacity() {
    // 2^16 per shard is past the up-front reservation; MAX_ENTRIES + 1 overall was 298 MiB.
    let small = held_by_empty(16 << 16);
    let large = held_by_empty(u64::from(MAX_ENTRIES) * 16 - 1);
    let just_past = held_by_empty(u64::from(MAX_ENTRIES) + 1);
    assert_eq!(
        large, small,
        "{large} bytes at the largest capacity, {small} at 2^20"
    );
    assert_eq!(just_past, small);
    // What that is per shard: a 32 KiB sketch and room for 4,097 entries.
    println!("empty cache: {small} bytes for {SHARDS} shards");
    assert!(
        small / SHARDS < 1 << 20,
        "{} bytes per shard",
        small / SHARDS
    );
}
