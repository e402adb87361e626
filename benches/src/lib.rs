#![forbid(unsafe_code)]
//! The measuring side of bricks: the harness behind `compare` (the quick side-by-side report)
//! and helpers shared by the criterion benches in `benches/`.
//!
//! A brick joins the report by implementing [`Section`] in one file under `src/sections/` and
//! adding one line to [`sections::all`]. The harness owns everything else: timing (median of
//! several runs after a warm-up), memory (bytes a structure holds, from a counting global
//! allocator), the Markdown tables, `results.json` and SVG charts.

pub mod chart;
pub(crate) mod families;
pub mod harness;
pub mod memory;
pub mod record;
pub mod report;
pub mod sections;

pub use harness::{Ctx, Mode, Section, median, ns_per_op};
pub use memory::MemoryMeter;
pub use record::Record;
