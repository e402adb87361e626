//! Every atomic in this crate comes from here, so that `--cfg loom` can swap it for loom's
//! model-checked version. A wrapper rather than a re-export, so `clippy::disallowed_types` can
//! tell the shim's type from a direct use of the real one.
#![allow(clippy::disallowed_types)] // the one place allowed to name the real types

pub(crate) use std::sync::atomic::Ordering;

#[cfg(not(all(test, loom)))]
pub(crate) use std::sync::Arc;

#[cfg(all(test, loom))]
pub(crate) use loom::sync::Arc;

#[cfg(not(all(test, loom)))]
use std::sync::atomic::AtomicU64 as Inner;

#[cfg(all(test, loom))]
use loom::sync::atomic::AtomicU64 as Inner;

/// A 64-bit atomic: std's normally, loom's under `--cfg loom`.
#[derive(Debug)]
pub(crate) struct AtomicU64(Inner);

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
    pub(crate) fn fetch_add(&self, value: u64, order: Ordering) -> u64 {
        self.0.fetch_add(value, order)
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

#[cfg(not(all(test, loom)))]
use std::sync::atomic::AtomicU8 as InnerU8;

#[cfg(all(test, loom))]
use loom::sync::atomic::AtomicU8 as InnerU8;

/// An 8-bit atomic: std's normally, loom's under `--cfg loom`.
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
}

/// A mutex with parking_lot's API: parking_lot's normally, loom's under `--cfg loom`.
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(
    #[cfg(not(all(test, loom)))] parking_lot::Mutex<T>,
    #[cfg(all(test, loom))] loom::sync::Mutex<T>,
);

#[cfg(not(all(test, loom)))]
pub(crate) type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;
#[cfg(all(test, loom))]
pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

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

/// A condition variable for [`Mutex`].
#[derive(Debug, Default)]
pub(crate) struct Condvar(
    #[cfg(not(all(test, loom)))] parking_lot::Condvar,
    #[cfg(all(test, loom))] loom::sync::Condvar,
);

impl Condvar {
    pub(crate) fn new() -> Self {
        #[cfg(not(all(test, loom)))]
        return Self(parking_lot::Condvar::new());
        #[cfg(all(test, loom))]
        return Self(loom::sync::Condvar::new());
    }

    /// Releases the guard's lock until notified, then takes it again.
    pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        #[cfg(not(all(test, loom)))]
        {
            let mut guard = guard;
            self.0.wait(&mut guard);
            guard
        }
        #[cfg(all(test, loom))]
        return self.0.wait(guard).unwrap();
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all();
    }
}

/// A reader-writer lock with parking_lot's API.
#[derive(Debug, Default)]
pub(crate) struct RwLock<T>(
    #[cfg(not(all(test, loom)))] parking_lot::RwLock<T>,
    #[cfg(all(test, loom))] loom::sync::RwLock<T>,
);

#[cfg(not(all(test, loom)))]
pub(crate) type ReadGuard<'a, T> = parking_lot::RwLockReadGuard<'a, T>;
#[cfg(all(test, loom))]
pub(crate) type ReadGuard<'a, T> = loom::sync::RwLockReadGuard<'a, T>;
#[cfg(not(all(test, loom)))]
pub(crate) type WriteGuard<'a, T> = parking_lot::RwLockWriteGuard<'a, T>;
#[cfg(all(test, loom))]
pub(crate) type WriteGuard<'a, T> = loom::sync::RwLockWriteGuard<'a, T>;

impl<T> RwLock<T> {
    pub(crate) fn new(value: T) -> Self {
        #[cfg(not(all(test, loom)))]
        return Self(parking_lot::RwLock::new(value));
        #[cfg(all(test, loom))]
        return Self(loom::sync::RwLock::new(value));
    }

    #[inline(always)]
    pub(crate) fn read(&self) -> ReadGuard<'_, T> {
        #[cfg(not(all(test, loom)))]
        return self.0.read();
        #[cfg(all(test, loom))]
        return self.0.read().unwrap();
    }

    #[inline(always)]
    pub(crate) fn write(&self) -> WriteGuard<'_, T> {
        #[cfg(not(all(test, loom)))]
        return self.0.write();
        #[cfg(all(test, loom))]
        return self.0.write().unwrap();
    }
}

/// Called after a failed compare-and-swap, before retrying with the value it returned. A failure
/// means another thread's update succeeded, so there is nothing to wait for. Under loom it
/// yields, because loom's scheduler needs every retry loop to.
#[inline(always)]
pub(crate) fn cas_retry() {
    #[cfg(all(test, loom))]
    loom::hint::spin_loop();
}
