//! Every atomic in this crate comes from here, so that `--cfg loom` can swap it for loom's
//! model-checked version. A wrapper rather than a re-export, so `clippy::disallowed_types` can
//! tell the shim's type from a direct use of the real one.
#![allow(clippy::disallowed_types)] // the one place allowed to name the real types

pub(crate) use std::sync::atomic::Ordering;

#[cfg(not(loom))]
use std::sync::atomic::AtomicU64 as Inner;

#[cfg(loom)]
use loom::sync::atomic::AtomicU64 as Inner;

/// A 64-bit atomic counter: std's normally, loom's under `--cfg loom`.
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
    pub(crate) fn fetch_add(&self, value: u64, order: Ordering) -> u64 {
        self.0.fetch_add(value, order)
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
