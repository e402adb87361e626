#![forbid(unsafe_code)]
//! Count-Min sketches: how often each key occurred, never below the truth, in fixed memory.

mod atomic;
mod counter;
mod error;
mod hasher;
mod heap;
mod probe;
mod sketch;
mod sync;
mod topk;
mod wire;

pub use atomic::{ATOMIC_COUNTER_MAX, AtomicConservativeCountMin, AtomicCountMinSketch};
pub use counter::Counter;
pub use error::{DecodeError, Error};
pub use hasher::{DefaultBuildHasher, SipBuildHasher, SketchHasher, Xxh3Hasher};
pub use sketch::{
    Conservative, ConservativeCountMin, CountMinSketch, Plain, UpdateRule, dimensions,
};
pub use topk::{HeavyHitter, SpaceSaving, TopK};

/// The most columns a row may have (ε down to about 6.3 · 10⁻¹⁰).
pub const MAX_WIDTH: u64 = u32::MAX as u64;
/// The most rows a sketch may have (δ down to e⁻⁶⁴).
pub const MAX_DEPTH: u64 = 64;
/// The most heavy hitters a [`TopK`] or [`SpaceSaving`] may track.
pub const MAX_K: u64 = 1 << 24;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
