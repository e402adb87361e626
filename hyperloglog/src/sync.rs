//! Every atomic in this crate comes from here, so that `--cfg loom` can swap it for loom's
//! model-checked version. A wrapper rather than a re-export, so `clippy::disallowed_types` can
//! tell the shim's type from a direct use of the real one.
#![allow(clippy::disallowed_types)] // the one place allowed to name the real types

pub(crate) use std::sync::atomic::Ordering;

#[cfg(not(all(test, loom)))]
use std::sync::atomic::AtomicU8 as Inner;

#[cfg(all(test, loom))]
use loom::sync::atomic::AtomicU8 as Inner;

/// One register: std's `AtomicU8` normally, loom's under `--cfg loom`.
#[derive(Debug)]
pub(crate) struct AtomicU8(Inner);

impl AtomicU8 {
    pub(crate) fn new(value: u8) -> Self {
        Self(Inner::new(value))
    }

    #[inline(always)]
    pub(crate) fn load(&self, order: Ordering) -> u8 {
        self.0.load(order)
    }

    #[inline(always)]
    pub(crate) fn fetch_max(&self, value: u8, order: Ordering) -> u8 {
        self.0.fetch_max(value, order)
    }
}
