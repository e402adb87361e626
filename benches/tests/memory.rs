//! The memory counter measures a known allocation exactly. Alone in its test binary: the
//! allocator's counters are global, and parallel tests would pollute them.

use brick_benches::MemoryMeter;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn memory_meter_measures_a_known_allocation_exactly() {
    let meter = MemoryMeter::new(GLOBAL);
    let (v, bytes) = meter.measure(|| Vec::<u64>::with_capacity(1000));
    assert_eq!(bytes, Some(8000 + std::mem::size_of::<Vec<u64>>() as u64));
    drop(v);
    // Freed scratch space does not count; growth by realloc does.
    let (v, bytes) = meter.measure(|| {
        let scratch = vec![0u8; 4096];
        drop(scratch);
        let mut v: Vec<u8> = Vec::with_capacity(16);
        v.reserve_exact(1024);
        v
    });
    assert_eq!(
        bytes,
        Some(v.capacity() as u64 + std::mem::size_of::<Vec<u8>>() as u64)
    );
    assert_eq!(MemoryMeter::disabled().measure(|| vec![1u8; 10]).1, None);
}
