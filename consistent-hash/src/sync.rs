//! Every lock and `Arc` in this crate comes from here, so that `--cfg loom` can swap them for
//! loom's model-checked versions. Both sides are the same wrapper with parking_lot's API (no
//! poisoning); a wrapper rather than a re-export, so `clippy::disallowed_types` can tell the
//! shim's type from a direct use of the real one.
#![allow(clippy::disallowed_types)] // the one place allowed to name the real types

#[cfg(not(all(test, loom)))]
pub(crate) use std::sync::Arc;

#[cfg(all(test, loom))]
pub(crate) use loom::sync::Arc;

#[cfg(not(all(test, loom)))]
use parking_lot::{RwLock as Inner, RwLockReadGuard as ReadGuard, RwLockWriteGuard as WriteGuard};

#[cfg(all(test, loom))]
use loom::sync::{RwLock as Inner, RwLockReadGuard as ReadGuard, RwLockWriteGuard as WriteGuard};

/// A reader-writer lock: parking_lot's normally, loom's under `--cfg loom`.
#[derive(Debug)]
pub(crate) struct RwLock<T>(Inner<T>);

impl<T> RwLock<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(Inner::new(value))
    }

    #[cfg(not(all(test, loom)))]
    pub(crate) fn read(&self) -> ReadGuard<'_, T> {
        self.0.read()
    }

    #[cfg(not(all(test, loom)))]
    pub(crate) fn write(&self) -> WriteGuard<'_, T> {
        self.0.write()
    }

    // Poisoned only if a model thread panicked, and then the model fails anyway.
    #[cfg(all(test, loom))]
    pub(crate) fn read(&self) -> ReadGuard<'_, T> {
        self.0.read().unwrap()
    }

    #[cfg(all(test, loom))]
    pub(crate) fn write(&self) -> WriteGuard<'_, T> {
        self.0.write().unwrap()
    }
}
