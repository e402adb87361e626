//! Timing, the run context and the [`Section`] trait every brick's report section implements.

use crate::chart::Chart;
use crate::memory::MemoryMeter;
use crate::record::Record;
use indicatif::ProgressBar;
use std::cell::RefCell;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

/// How big and how long: `Smoke` proves the report runs (seconds), `Default` is the quick
/// report (all bricks in about two minutes on 2 cores), `Full` uses the issues' larger sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Tiny sizes, few runs.
    Smoke,
    /// The report's normal sizes.
    Default,
    /// Larger sizes, more runs.
    Full,
}

impl Mode {
    /// Picks the value for this mode.
    pub fn pick<T>(self, smoke: T, default: T, full: T) -> T {
        match self {
            Mode::Smoke => smoke,
            Mode::Default => default,
            Mode::Full => full,
        }
    }

    /// Timed runs per measurement; the median of these is reported (at least 5).
    pub fn runs(self) -> usize {
        self.pick(5, 7, 11)
    }

    /// Lower-case name, as printed in the report.
    pub fn name(self) -> &'static str {
        self.pick("smoke", "default", "full")
    }
}

/// What a section is given: the mode, the memory meter, progress and chart output.
#[derive(Debug)]
pub struct Ctx {
    /// Sizes and run counts.
    pub mode: Mode,
    /// Measures bytes held (disabled when the binary has no counting allocator).
    pub memory: MemoryMeter,
    progress: ProgressBar,
    out_dir: Option<PathBuf>,
    charts: RefCell<Vec<(String, String)>>,
}

impl Ctx {
    /// A context writing charts under `out_dir` (none when `None`) and showing progress on `progress`.
    pub fn new(
        mode: Mode,
        memory: MemoryMeter,
        progress: ProgressBar,
        out_dir: Option<PathBuf>,
    ) -> Self {
        Self {
            mode,
            memory,
            progress,
            out_dir,
            charts: RefCell::new(Vec::new()),
        }
    }

    /// A quiet context for tests: no progress, no charts, no memory meter.
    pub fn quiet(mode: Mode) -> Self {
        Self::new(mode, MemoryMeter::disabled(), ProgressBar::hidden(), None)
    }

    /// Shows what is being measured now (stderr).
    pub fn step(&self, what: &str) {
        if self.progress.is_hidden() && self.out_dir.is_some() {
            // Not a terminal (CI, a pipe): plain lines instead of a bar.
            eprintln!("compare: {what}");
        }
        self.progress.set_message(what.to_owned());
        self.progress.tick();
    }

    /// Median ns per operation of `run`, which performs `ops` operations per call:
    /// one warm-up call, then [`Mode::runs`] timed calls.
    pub fn time(&self, ops: u64, run: impl FnMut()) -> f64 {
        ns_per_op(self.mode.runs(), ops, run)
    }

    /// [`ns_per_op_alternating`] with the mode's run count.
    pub fn time_alternating<const N: usize>(
        &self,
        ops: u64,
        runs: [&mut dyn FnMut(); N],
    ) -> [f64; N] {
        ns_per_op_alternating(self.mode.runs(), ops, runs)
    }

    /// [`time_alternating`](Self::time_alternating) for a number of implementations known at
    /// run time.
    pub fn time_alternating_all(&self, ops: u64, runs: &mut [&mut dyn FnMut()]) -> Vec<f64> {
        ns_per_op_alternating_all(self.mode.runs(), ops, runs)
    }

    /// [`time_alternating_all`](Self::time_alternating_all) where each implementation's pass
    /// performs its own number of operations (a slow peer timed on fewer).
    pub fn time_alternating_each(&self, runs: &mut [(u64, &mut dyn FnMut())]) -> Vec<f64> {
        let ops: Vec<u64> = runs.iter().map(|(o, _)| *o).collect();
        let mut passes: Vec<&mut dyn FnMut()> = Vec::with_capacity(runs.len());
        for (_, r) in runs.iter_mut() {
            passes.push(r);
        }
        ns_per_op_alternating_all(self.mode.runs(), 1, &mut passes)
            .into_iter()
            .zip(ops)
            .map(|(ns, o)| ns / o.max(1) as f64)
            .collect()
    }

    /// Writes `chart` as `<file_stem>.svg` and remembers it for the report.
    pub fn chart(&self, file_stem: &str, chart: &Chart) {
        let Some(dir) = &self.out_dir else { return };
        let file = format!("{file_stem}.svg");
        match chart.write_svg(&dir.join(&file)) {
            Ok(()) => self.charts.borrow_mut().push((chart.title.clone(), file)),
            Err(e) => self
                .progress
                .println(format!("chart {file} not written: {e}")),
        }
    }

    /// The charts written so far: (title, file name).
    pub fn take_charts(&self) -> Vec<(String, String)> {
        std::mem::take(&mut self.charts.borrow_mut())
    }
}

/// A brick's part of the compare report. Implemented once per brick, registered in
/// [`crate::sections::all`].
pub trait Section {
    /// The brick folder name (`bloom`); also the name accepted on the command line.
    fn brick(&self) -> &'static str;
    /// One paragraph shown above the tables: what is compared, on what inputs.
    fn summary(&self) -> String;
    /// Measures ours and the peers on the same inputs.
    fn run(&self, ctx: &Ctx) -> Vec<Record>;
}

/// One timed operation of an interleaved run: implementation, operation, whether it is ours,
/// items per call, and the call (given a running index).
pub type Timed<'a> = (
    &'static str,
    &'static str,
    bool,
    usize,
    Box<dyn FnMut(usize) + 'a>,
);

/// Runs every operation about `items` items a run, taking turns, for the mode's number of runs
/// (round trips drift with the machine's load, so long blocks of one would favour some), and
/// returns the median ns per item of each, in order.
pub fn time_interleaved(ctx: &Ctx, ops: &mut [Timed<'_>], items: usize) -> Vec<f64> {
    let mut samples = vec![Vec::new(); ops.len()];
    for run in 0..ctx.mode.runs() {
        for (j, (_, _, _, per, op)) in ops.iter_mut().enumerate() {
            let calls = (items / *per).max(3);
            let start = std::time::Instant::now();
            for i in 0..calls {
                op(run * calls + i);
            }
            samples[j].push(start.elapsed().as_nanos() as f64 / (calls * *per) as f64);
        }
    }
    samples
        .iter()
        .map(|s| median(s).unwrap_or(f64::NAN))
        .collect()
}

/// The median of `samples` (mean of the middle two for an even count); `None` when empty.
/// NaNs sort last, so they only win when nothing else is there.
pub fn median(samples: &[f64]) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    })
}

/// Median ns per operation over `runs` timed calls of `run` (after one warm-up call), each
/// call doing `ops` operations. The median, not the mean: this machine is noisy, and one
/// descheduled run should not move the figure.
// Never inlined: each timed closure then gets its own function, so LLVM inlines the code under
// test as it would in a caller of normal size. Inlined into a section's large `run`, the
// inliner's size budget ran out and left hashing as calls (several times slower per key).
#[inline(never)]
pub fn ns_per_op(runs: usize, ops: u64, mut run: impl FnMut()) -> f64 {
    let ops = ops.max(1) as f64;
    run();
    let samples: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            run();
            black_box(());
            start.elapsed().as_nanos() as f64 / ops
        })
        .collect();
    median(&samples).unwrap_or(f64::NAN)
}

/// [`ns_per_op`] of several implementations on the same work, timed in alternation: one warm-up
/// call of each, then `runs` rounds of one timed call of each, and the median per
/// implementation. This machine's speed drifts over seconds by more than the differences
/// measured; alternating puts every implementation under the same drift, so their ratio holds
/// where back-to-back medians would not. Each closure stays its own (dynamically called)
/// function, which keeps the inlining of the code under test as in `ns_per_op`.
pub fn ns_per_op_alternating<const N: usize>(
    runs: usize,
    ops: u64,
    mut impls: [&mut dyn FnMut(); N],
) -> [f64; N] {
    let ns = ns_per_op_alternating_all(runs, ops, &mut impls);
    std::array::from_fn(|i| ns[i])
}

/// [`ns_per_op_alternating`] for a number of implementations known at run time.
pub fn ns_per_op_alternating_all(
    runs: usize,
    ops: u64,
    impls: &mut [&mut dyn FnMut()],
) -> Vec<f64> {
    let ops = ops.max(1) as f64;
    for run in impls.iter_mut() {
        run();
    }
    let mut samples: Vec<Vec<f64>> = impls.iter().map(|_| Vec::with_capacity(runs)).collect();
    for _ in 0..runs.max(1) {
        for (run, s) in impls.iter_mut().zip(samples.iter_mut()) {
            let start = Instant::now();
            run();
            black_box(());
            s.push(start.elapsed().as_nanos() as f64 / ops);
        }
    }
    samples
        .iter()
        .map(|s| median(s).unwrap_or(f64::NAN))
        .collect()
}
