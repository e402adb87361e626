//! Every atomic and lock in this crate comes from here, so that `--cfg loom` can swap it for loom's
//! model-checked version. One of the workspace's deliberate copies (`.ci/shared-files`). A wrapper rather than a re-export, so `clippy::disallowed_types` can
//! tell the shim's type from a direct use of the real one.
#![allow(clippy::disallowed_types)] // the one place allowed to name the real types

pub(crate) use std::sync::atomic::Ordering;

#[cfg(not(all(test, loom)))]
use std::sync::atomic::AtomicU64 as Inner;

#[cfg(all(test, loom))]
use loom::sync::atomic::AtomicU64 as Inner;

/// A 64-bit atomic word: std's normally, loom's under `--cfg loom`. The union of what the bricks
/// sharing this file use (bloom's atomic filter ORs bits in, count-min's sketch adds and swaps,
/// the Redis client's back-off takes a maximum and its pool counts round-robin): a brick need
/// not use every method.
#[derive(Debug)]
pub(crate) struct AtomicU64(Inner);

#[allow(dead_code)] // see the type's docs
impl AtomicU64 {
    pub(crate) fn new(value: u64) -> Self {
        Self(Inner::new(value))
    }

    #[inline(always)]
    pub(crate) fn load(&self, order: Ordering) -> u64 {
        self.0.load(order)
    }

    #[inline(always)]
    pub(crate) fn store(&self, value: u64, order: Ordering) {
        self.0.store(value, order)
    }

    #[inline(always)]
    pub(crate) fn fetch_or(&self, value: u64, order: Ordering) -> u64 {
        self.0.fetch_or(value, order)
    }

    #[inline(always)]
    pub(crate) fn fetch_add(&self, value: u64, order: Ordering) -> u64 {
        self.0.fetch_add(value, order)
    }

    #[inline(always)]
    pub(crate) fn fetch_max(&self, value: u64, order: Ordering) -> u64 {
        self.0.fetch_max(value, order)
    }

    #[inline(always)]
    pub(crate) fn compare_exchange(
        &self,
        current: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u64, u64> {
        self.0.compare_exchange(current, new, success, failure)
    }
}

/// A mutex with parking_lot's API (`lock()` returns the guard, no poisoning): parking_lot's
/// normally, loom's under `--cfg loom`. Only the Redis client's pool locks.
#[cfg(any(all(test, loom), feature = "redis"))]
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(
    #[cfg(not(all(test, loom)))] parking_lot::Mutex<T>,
    #[cfg(all(test, loom))] loom::sync::Mutex<T>,
);

#[cfg(all(not(all(test, loom)), feature = "redis"))]
pub(crate) type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;
#[cfg(all(test, loom))]
pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

#[cfg(any(all(test, loom), feature = "redis"))]
impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        #[cfg(not(all(test, loom)))]
        return Self(parking_lot::Mutex::new(value));
        #[cfg(all(test, loom))]
        return Self(loom::sync::Mutex::new(value));
    }

    #[inline(always)]
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        #[cfg(not(all(test, loom)))]
        return self.0.lock();
        // Poisoned only if a model thread panicked, and then the model fails anyway.
        #[cfg(all(test, loom))]
        return self.0.lock().unwrap();
    }
}

#[cfg(all(not(all(test, loom)), feature = "redis"))]
pub(crate) use std::sync::Arc;
