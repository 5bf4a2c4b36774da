//! Results as a table for the terminal and as CSV for plots and docs.

use crate::error::BenchError;
use crate::interp::InterpRow;
use crate::plot::{speedup_svg, Series};
use crate::synthetic::SyntheticRow;
use crate::timing::geomean;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The interp table, ending with the line `ratio ours/revm (geomean): R`.
pub fn interp_table(rows: &[InterpRow]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<16} {:>12} {:>6} {:>12} {:>12} {:>10} {:>10} {:>10}  note",
        "contract", "gas", "iters", "ours ms", "revm ms", "ours/revm", "ours Mgas/s", "revm Mgas/s"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:<16} {:>12} {:>6} {:>12.3} {:>12.3} {:>10.3} {:>10.1} {:>10.1}  {}",
            r.name,
            r.gas_used,
            r.iterations,
            ms(r.ours),
            ms(r.revm),
            r.ratio(),
            r.mgas_per_s(r.ours),
            r.mgas_per_s(r.revm),
            r.note
        );
    }
    let ratios: Vec<f64> = rows.iter().map(InterpRow::ratio).collect();
    let _ = writeln!(s, "ratio ours/revm (geomean): {:.3}", geomean(&ratios));
    s
}

/// The interp rows as CSV.
pub fn interp_csv(rows: &[InterpRow]) -> String {
    let mut s = String::from(
        "contract,gas_used,iterations,ours_median_ns,revm_median_ns,ratio_ours_revm\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{:.4}",
            r.name,
            r.gas_used,
            r.iterations,
            r.ours.as_nanos(),
            r.revm.as_nanos(),
            r.ratio()
        );
    }
    s
}

/// Writes `contents` to `dir/name`, creating `dir`.
pub fn write(dir: &Path, name: &str, contents: &str) -> Result<(), BenchError> {
    let err = |source| BenchError::Write {
        path: dir.join(name),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    std::fs::write(dir.join(name), contents).map_err(err)
}

/// The synthetic table: one row per workload and engine configuration.
pub fn synthetic_table(rows: &[SyntheticRow]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<16} {:<11} {:>7} {:>7} {:>13} {:>10} {:>10} {:>8} {:>9} {:>9}",
        "workload",
        "engine",
        "threads",
        "txs",
        "gas",
        "wall ms",
        "cpu ms",
        "speedup",
        "Mgas/s",
        "re-exec"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:<16} {:<11} {:>7} {:>7} {:>13} {:>10.2} {:>10.2} {:>8.2} {:>9.0} {:>9}",
            r.workload,
            r.engine,
            r.threads,
            r.txs,
            r.gas,
            ms(r.wall),
            ms(r.cpu),
            r.speedup,
            r.mgas_per_s(),
            r.re_executions
        );
    }
    s
}

/// The synthetic rows as CSV.
pub fn synthetic_csv(rows: &[SyntheticRow]) -> String {
    let mut s = String::from(
        "workload,engine,threads,txs,gas,wall_ns,cpu_ns,speedup,mgas_per_s,re_executions\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{:.4},{:.1},{}",
            r.workload,
            r.engine,
            r.threads,
            r.txs,
            r.gas,
            r.wall.as_nanos(),
            r.cpu.as_nanos(),
            r.speedup,
            r.mgas_per_s(),
            r.re_executions
        );
    }
    s
}

/// Speedup of the parallel engine over parevm sequential per thread count, one line per workload.
pub fn synthetic_svg(rows: &[SyntheticRow]) -> String {
    let mut series: Vec<Series> = Vec::new();
    for r in rows.iter().filter(|r| r.engine == "parevm-par") {
        match series.iter_mut().find(|s| s.label == r.workload) {
            Some(s) => s.points.push((r.threads as f64, r.speedup)),
            None => series.push(Series {
                label: r.workload.clone(),
                points: vec![(r.threads as f64, r.speedup)],
            }),
        }
    }
    speedup_svg(
        "parevm parallel speedup over sequential",
        "speedup over sequential",
        &series,
    )
}
