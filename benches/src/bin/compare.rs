//! `compare`: measures every brick that has a report section against its peer crates, prints
//! Markdown tables to stdout, and writes `report.md`, `results.json` and SVG charts under
//! `target/compare/`.
//!
//! ```text
//! cargo run --release -p brick-benches                 # all bricks, about two minutes
//! cargo run --release -p brick-benches -- --smoke      # seconds: proves the report runs
//! cargo run --release -p brick-benches -- --full bloom # larger sizes, one brick
//! ```

use brick_benches::report::{BrickReport, Environment, render};
use brick_benches::{Ctx, MemoryMeter, Mode, sections};
use indicatif::{ProgressBar, ProgressStyle};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use std::alloc::System;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

// Counts every allocation so sections can report the bytes a structure holds.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const USAGE: &str = "usage: compare [--smoke | --full] [--out DIR] [--list] [BRICK ...]";

struct Args {
    mode: Mode,
    out: Option<PathBuf>,
    list: bool,
    bricks: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        mode: Mode::Default,
        out: None,
        list: false,
        bricks: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--smoke" => args.mode = Mode::Smoke,
            "--full" => args.mode = Mode::Full,
            "--list" => args.list = true,
            "--out" => args.out = Some(it.next().ok_or("--out needs a directory")?.into()),
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s => args.bricks.push(s.to_owned()),
        }
    }
    Ok(args)
}

fn default_out_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
        });
    target.join("compare")
}

fn command_line(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn environment(mode: Mode) -> Environment {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let (y, m, d) = civil_date((secs / 86_400) as i64);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    Environment {
        date: format!("{y:04}-{m:02}-{d:02}"),
        machine: format!("{cpu}, {cores} logical cores"),
        rustc: command_line(&rustc, &["--version"])
            .unwrap_or_else(|| "rustc (unknown version)".to_owned()),
        commit: command_line("git", &["rev-parse", "--short", "HEAD"])
            .unwrap_or_else(|| "unknown".to_owned()),
        mode: mode.name().to_owned(),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("compare: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let all = sections::all();
    if args.list {
        for s in &all {
            println!("{}", s.brick());
        }
        return ExitCode::SUCCESS;
    }
    if let Some(unknown) = args
        .bricks
        .iter()
        .find(|b| !all.iter().any(|s| s.brick() == b.as_str()))
    {
        let known: Vec<_> = all.iter().map(|s| s.brick()).collect();
        eprintln!(
            "compare: no section for brick {unknown:?}; sections: {}",
            if known.is_empty() {
                "none yet".to_owned()
            } else {
                known.join(", ")
            }
        );
        return ExitCode::from(2);
    }
    let chosen: Vec<_> = all
        .into_iter()
        .filter(|s| args.bricks.is_empty() || args.bricks.iter().any(|b| b == s.brick()))
        .collect();

    let out_dir = args.out.unwrap_or_else(default_out_dir);
    if let Err(e) = std::fs::create_dir_all(&out_dir) {
        eprintln!("compare: cannot create {}: {e}", out_dir.display());
        return ExitCode::FAILURE;
    }
    let env = environment(args.mode);
    let progress = ProgressBar::new(chosen.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{pos}/{len} {prefix} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let ctx = Ctx::new(
        args.mode,
        MemoryMeter::new(GLOBAL),
        progress.clone(),
        Some(out_dir.clone()),
    );

    let mut bricks = Vec::new();
    for section in &chosen {
        progress.set_prefix(section.brick());
        let records = section.run(&ctx);
        bricks.push(BrickReport {
            brick: section.brick().to_owned(),
            summary: section.summary(),
            records,
            charts: ctx.take_charts(),
        });
        progress.inc(1);
    }
    progress.finish_and_clear();

    let report = render(&env, &bricks);
    print!("{report}");
    let records: Vec<_> = bricks
        .iter()
        .flat_map(|b| b.records.iter().cloned())
        .collect();
    let json = match serde_json::to_string_pretty(&records) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("compare: cannot serialize results: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (file, text) in [
        ("report.md", report.as_str()),
        ("results.json", json.as_str()),
    ] {
        if let Err(e) = std::fs::write(out_dir.join(file), text) {
            eprintln!("compare: cannot write {file}: {e}");
            return ExitCode::FAILURE;
        }
    }
    eprintln!(
        "compare: wrote report.md and results.json ({} records) to {}",
        records.len(),
        out_dir.display()
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::civil_date;

    #[test]
    fn civil_date_matches_known_days() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(20_780), (2026, 11, 23));
    }
}
