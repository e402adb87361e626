//! Bytes a structure holds, measured by a counting global allocator (`stats_alloc`), so the
//! harness itself needs no `unsafe`.
//!
//! The binary that wants memory figures declares the allocator and hands it to the meter:
//! ```
//! use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
//! #[global_allocator]
//! static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;
//!
//! fn main() {
//!     let meter = brick_benches::MemoryMeter::new(GLOBAL);
//!     let (v, bytes) = meter.measure(|| vec![0u32; 256]);
//!     assert_eq!(bytes, Some(1024 + std::mem::size_of_val(&v) as u64));
//! }
//! ```

use stats_alloc::{Region, StatsAlloc};
use std::alloc::System;

/// Measures the heap a value keeps after it is built. Without an instrumented allocator it
/// reports nothing rather than a wrong figure.
#[derive(Debug, Clone, Copy)]
pub struct MemoryMeter {
    allocator: Option<&'static StatsAlloc<System>>,
}

impl MemoryMeter {
    /// A meter reading the given global allocator's counters.
    pub fn new(allocator: &'static StatsAlloc<System>) -> Self {
        Self {
            allocator: Some(allocator),
        }
    }

    /// A meter that measures nothing (for callers without the instrumented allocator).
    pub fn disabled() -> Self {
        Self { allocator: None }
    }

    /// Runs `build` and returns its value with the bytes it holds: heap bytes that `build`
    /// allocated and did not free (stats_alloc books a reallocation's growth as allocated
    /// and its shrinkage as freed), plus the value's inline size. `None` when disabled.
    ///
    /// Measure on one thread with nothing else allocating: the counters are global.
    pub fn measure<T>(&self, build: impl FnOnce() -> T) -> (T, Option<u64>) {
        let Some(allocator) = self.allocator else {
            return (build(), None);
        };
        let region = Region::new(allocator);
        let value = build();
        let change = region.change();
        let live = change.bytes_allocated as i128 - change.bytes_deallocated as i128;
        let bytes = live.max(0) as u64 + std::mem::size_of::<T>() as u64;
        (value, Some(bytes))
    }
}
