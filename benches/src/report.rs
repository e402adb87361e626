//! The Markdown report: an environment header, then per brick a summary, one table and its charts.

use crate::record::{Record, ratios_to_best_peer};
use std::fmt::Write;

/// Where and when the figures were measured (printed at the top of the report).
#[derive(Debug, Clone)]
pub struct Environment {
    /// UTC date, `YYYY-MM-DD`.
    pub date: String,
    /// CPU model and logical cores.
    pub machine: String,
    /// `rustc --version`.
    pub rustc: String,
    /// Short git commit, or `unknown`.
    pub commit: String,
    /// `smoke`, `default` or `full`.
    pub mode: String,
}

/// One brick's part of the report.
#[derive(Debug, Clone)]
pub struct BrickReport {
    /// Brick folder name.
    pub brick: String,
    /// The section's summary paragraph.
    pub summary: String,
    /// Its measurements.
    pub records: Vec<Record>,
    /// Charts written: (title, file name).
    pub charts: Vec<(String, String)>,
}

/// Formats a number for a table: 3 significant digits, plain or scientific for extremes.
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if a == 0.0 {
        "0".to_owned()
    } else if !(1e-3..1e7).contains(&a) {
        format!("{x:.2e}")
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

/// A ratio with two decimals, or three significant digits below 0.01 (an index can be
/// thousands of times faster than a scan).
pub fn fmt_ratio(x: f64) -> String {
    if x >= 0.01 || x == 0.0 {
        format!("{x:.2}×")
    } else {
        format!("{}×", fmt_num(x))
    }
}

/// Renders the whole report.
pub fn render(env: &Environment, bricks: &[BrickReport]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# bricks compare report\n");
    let _ = writeln!(
        out,
        "Measured {} on {}, {}, commit {}, mode `{}`. Times are medians of several runs \
         after a warm-up; compare ratios inside one run, not absolute figures across machines.\n",
        env.date, env.machine, env.rustc, env.commit, env.mode
    );
    if bricks.is_empty() {
        let _ = writeln!(out, "No brick has a compare section yet.");
        return out;
    }
    for b in bricks {
        let _ = writeln!(out, "## {}\n\n{}\n", b.brick, b.summary);
        out.push_str(&table(&b.records));
        for (title, file) in &b.charts {
            let _ = writeln!(out, "\n![{title}]({file})");
        }
        out.push('\n');
    }
    out
}

/// The bound with its direction and whether it holds: `≤ 0.0100 ✓`, `≥ 0.95 ✗`; the bare
/// number when the record gives no direction.
fn bound_cell(r: &Record) -> String {
    let Some(bound) = r.bound else {
        return String::new();
    };
    match (r.direction, r.pass) {
        (Some(d), Some(pass)) => {
            format!(
                "{} {} {}",
                d.sign(),
                fmt_num(bound),
                if pass { "✓" } else { "✗" }
            )
        }
        (Some(d), None) => format!("{} {}", d.sign(), fmt_num(bound)),
        _ => fmt_num(bound),
    }
}

/// One brick's records as a Markdown table. `× best peer` is ns/op divided by the fastest
/// peer's for the same operation and params (below 1 is faster than every peer).
pub fn table(records: &[Record]) -> String {
    let ratios = ratios_to_best_peer(records);
    let mut out = String::from(
        "| operation | params | implementation | ns/op | × best peer | bytes | metric | value | bound |\n\
         |---|---|---|--:|--:|--:|---|--:|--:|\n",
    );
    for (r, ratio) in records.iter().zip(ratios) {
        // The structure only when it says more than the implementation's name.
        let named = if r.implementation.contains(r.structure.as_str()) {
            String::new()
        } else {
            format!(" `{}`", r.structure)
        };
        let who = if r.ours {
            format!("**{}**{named}", r.implementation)
        } else {
            format!("{}{named}", r.implementation)
        };
        let opt = |v: Option<f64>| v.map(fmt_num).unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.operation,
            r.params,
            who,
            opt(r.ns_per_op),
            ratio.map(fmt_ratio).unwrap_or_default(),
            r.bytes.map(|b| b.to_string()).unwrap_or_default(),
            r.metric.clone().unwrap_or_default(),
            opt(r.value),
            bound_cell(r),
        );
    }
    out
}
