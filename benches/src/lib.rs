#![forbid(unsafe_code)]
//! The measuring side of bricks: the harness behind `compare` (the quick side-by-side report)
//! and helpers shared by the criterion benches in `benches/`.
//!
//! A brick joins the report by implementing [`Section`] in one file under `src/sections/` and
//! adding one line to [`sections::all`]. Every implementation a section compares is a
//! [`Contender`] (its name, whether it is ours, how it is built) plus the section's operations
//! trait, and its inputs come from [`inputs`]; contenders are timed alternately ([`race`] over
//! their [`Lane`]s, or [`Ctx::time_alternating`]), one pass of each per round, so the machine's
//! drift during a run falls on all of them. The harness owns everything else: timing (median of
//! several runs after a warm-up), memory (bytes a structure holds, from a counting global
//! allocator), the Markdown tables, `results.json` and SVG charts.

pub mod chart;
pub mod contender;
pub(crate) mod families;
pub mod harness;
pub mod inputs;
pub mod memory;
pub mod record;
pub mod report;
pub mod sections;

pub use contender::{Contender, Lane, race};
pub use harness::{Ctx, Mode, Section, median, ns_per_op};
pub use memory::MemoryMeter;
pub use record::Record;
