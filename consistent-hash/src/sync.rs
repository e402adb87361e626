//! Every atomic, lock and `Arc` in this crate comes from here, so that `--cfg loom` can swap them
//! for loom's model-checked versions. One of the workspace's deliberate copies
//! (`.ci/shared-files`): the same file in every brick that shares state across threads, holding
//! the union of what they use, so a brick uses only part of it.
//!
//! Wrappers rather than re-exports, so `clippy::disallowed_types` can tell the shim's types from a
//! direct use of the real ones. The locks are std's, which need no dependency and on Linux are
//! the same futex word parking_lot uses, with parking_lot's shape: `lock()` returns the guard and
//! a lock is never poisoned (a panic while holding one leaves data that every structure here
//! keeps consistent between statements, so the next holder simply goes on).
#![allow(clippy::disallowed_types)] // the one place allowed to name the real types
#![allow(dead_code, unused_imports)] // see above: each brick uses part of the file

use std::sync::PoisonError;
pub(crate) use std::sync::atomic::Ordering;

#[cfg(not(all(test, loom)))]
pub(crate) use std::sync::Arc;
#[cfg(not(all(test, loom)))]
use std::sync::{
    Condvar as InnerCondvar, Mutex as InnerMutex, RwLock as InnerRwLock,
    atomic::{AtomicU8 as InnerU8, AtomicU64 as InnerU64},
};
#[cfg(not(all(test, loom)))]
pub(crate) use std::sync::{
    MutexGuard, RwLockReadGuard as ReadGuard, RwLockWriteGuard as WriteGuard,
};

#[cfg(all(test, loom))]
pub(crate) use loom::sync::Arc;
#[cfg(all(test, loom))]
use loom::sync::{
    Condvar as InnerCondvar, Mutex as InnerMutex, RwLock as InnerRwLock,
    atomic::{AtomicU8 as InnerU8, AtomicU64 as InnerU64},
};
#[cfg(all(test, loom))]
pub(crate) use loom::sync::{
    MutexGuard, RwLockReadGuard as ReadGuard, RwLockWriteGuard as WriteGuard,
};

/// A 64-bit atomic word.
#[derive(Debug)]
pub(crate) struct AtomicU64(InnerU64);

impl AtomicU64 {
    pub(crate) fn new(value: u64) -> Self {
        Self(InnerU64::new(value))
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

    #[inline(always)]
    pub(crate) fn compare_exchange_weak(
        &self,
        current: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u64, u64> {
        self.0.compare_exchange_weak(current, new, success, failure)
    }
}

/// An 8-bit atomic word.
#[derive(Debug)]
pub(crate) struct AtomicU8(InnerU8);

impl AtomicU8 {
    pub(crate) fn new(value: u8) -> Self {
        Self(InnerU8::new(value))
    }

    #[inline(always)]
    pub(crate) fn load(&self, order: Ordering) -> u8 {
        self.0.load(order)
    }

    #[inline(always)]
    pub(crate) fn store(&self, value: u8, order: Ordering) {
        self.0.store(value, order)
    }

    #[inline(always)]
    pub(crate) fn fetch_max(&self, value: u8, order: Ordering) -> u8 {
        self.0.fetch_max(value, order)
    }
}

/// A mutual-exclusion lock that is never poisoned.
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(InnerMutex<T>);

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(InnerMutex::new(value))
    }

    #[inline(always)]
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A condition variable for [`Mutex`].
#[derive(Debug, Default)]
pub(crate) struct Condvar(InnerCondvar);

impl Condvar {
    pub(crate) fn new() -> Self {
        Self(InnerCondvar::new())
    }

    /// Releases the guard's lock until notified, then takes it again.
    pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.0.wait(guard).unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all();
    }
}

/// A reader-writer lock that is never poisoned.
#[derive(Debug, Default)]
pub(crate) struct RwLock<T>(InnerRwLock<T>);

impl<T> RwLock<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(InnerRwLock::new(value))
    }

    #[inline(always)]
    pub(crate) fn read(&self) -> ReadGuard<'_, T> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    #[inline(always)]
    pub(crate) fn write(&self) -> WriteGuard<'_, T> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Called after a failed compare-and-swap, before retrying with the value it returned. A failure
/// means another thread's update succeeded, so there is nothing to wait for (a pause instruction
/// here only slows the winner's successors). Under loom it yields, because loom's scheduler needs
/// every retry loop to.
#[inline(always)]
pub(crate) fn cas_retry() {
    #[cfg(all(test, loom))]
    loom::hint::spin_loop();
}
