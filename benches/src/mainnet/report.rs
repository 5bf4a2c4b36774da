//! The mainnet suite's results: a per-block table, the aggregate over all blocks (sums of median times,
//! geometric means of per-block ratios, CPU time per configuration), CSV rows and an SVG of speedup
//! against threads.

use super::suite::{BlockRow, Timing};
use crate::plot::{speedup_svg, Series};
use crate::timing::geomean;
use std::fmt::Write as _;
use std::time::Duration;

/// A parallel run counts as a slowdown when it takes more than this over the sequential time (the
/// issue's target: no block more than 5% slower than sequential).
pub const SLOWDOWN_TOLERANCE: f64 = 1.05;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-12)
}

fn mgas_per_s(gas: u64, d: Duration) -> f64 {
    gas as f64 / d.as_secs_f64().max(1e-12) / 1e6
}

/// The aggregate over all blocks of the parallel engine at one thread count.
#[derive(Clone, Debug)]
pub struct ParallelSummary {
    /// Worker threads.
    pub threads: usize,
    /// Sum over blocks of the median times.
    pub total: Timing,
    /// Our sequential total over this total.
    pub speedup_seq: f64,
    /// revm's total over this total.
    pub speedup_revm: f64,
    /// Geometric mean over blocks with transactions of the per-block speedup over our sequential path.
    pub geomean_seq: f64,
    /// The same over revm.
    pub geomean_revm: f64,
    /// Blocks more than 5% slower than our sequential path.
    pub slower_blocks: usize,
    /// The block with the lowest speedup over our sequential path, and that speedup.
    pub worst: Option<(u64, f64)>,
    /// Blocks the engine actually ran in parallel (not its small-block sequential fallback).
    pub parallel_blocks: usize,
}

/// The aggregate over all blocks.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Blocks measured.
    pub blocks: usize,
    /// Of those, blocks with transactions (the geometric means are over these).
    pub nonempty: usize,
    /// Transactions.
    pub txs: usize,
    /// Gas.
    pub gas: u64,
    /// parevm sequential, sums of medians.
    pub seq: Timing,
    /// parevm's in-place import path, sums of medians.
    pub import: Timing,
    /// revm sequential, sums of medians.
    pub revm: Timing,
    /// Our sequential total over revm's: below 1 means our sequential path is faster.
    pub seq_over_revm: f64,
    /// Geometric mean of the per-block `seq/revm` ratios.
    pub seq_over_revm_geomean: f64,
    /// Our in-place import total over revm's.
    pub import_over_revm: f64,
    /// Geometric mean of the per-block `import/revm` ratios.
    pub import_over_revm_geomean: f64,
    /// One per thread count.
    pub par: Vec<ParallelSummary>,
}

fn sum(timings: impl Iterator<Item = Timing>) -> Timing {
    timings.fold(Timing::default(), |a, t| Timing {
        wall: a.wall + t.wall,
        cpu: a.cpu + t.cpu,
        best: a.best + t.best,
    })
}

/// Sums and geometric means over `rows`.
pub fn summarize(rows: &[BlockRow]) -> Summary {
    let nonempty: Vec<&BlockRow> = rows.iter().filter(|r| r.txs > 0).collect();
    let seq = sum(rows.iter().map(|r| r.seq));
    let revm = sum(rows.iter().map(|r| r.revm));
    let import = sum(rows.iter().map(|r| r.import));
    let threads: Vec<usize> = rows
        .first()
        .map(|r| r.par.iter().map(|p| p.threads).collect())
        .unwrap_or_default();
    let par = threads
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let total = sum(rows.iter().map(|r| r.par[i].timing));
            let per_block: Vec<(u64, f64)> = nonempty
                .iter()
                .map(|r| (r.number, ratio(r.seq.wall, r.par[i].timing.wall)))
                .collect();
            let speedups: Vec<f64> = per_block.iter().map(|p| p.1).collect();
            let over_revm: Vec<f64> = nonempty
                .iter()
                .map(|r| ratio(r.revm.wall, r.par[i].timing.wall))
                .collect();
            ParallelSummary {
                threads: t,
                total,
                speedup_seq: ratio(seq.wall, total.wall),
                speedup_revm: ratio(revm.wall, total.wall),
                geomean_seq: geomean(&speedups),
                geomean_revm: geomean(&over_revm),
                slower_blocks: speedups
                    .iter()
                    .filter(|s| **s < 1.0 / SLOWDOWN_TOLERANCE)
                    .count(),
                worst: per_block.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1)),
                parallel_blocks: rows.iter().filter(|r| r.par[i].parallel).count(),
            }
        })
        .collect();
    let seq_revm: Vec<f64> = nonempty
        .iter()
        .map(|r| ratio(r.seq.wall, r.revm.wall))
        .collect();
    let import_revm: Vec<f64> = nonempty
        .iter()
        .map(|r| ratio(r.import.wall, r.revm.wall))
        .collect();
    Summary {
        blocks: rows.len(),
        nonempty: nonempty.len(),
        txs: rows.iter().map(|r| r.txs).sum(),
        gas: rows.iter().map(|r| r.gas).sum(),
        seq,
        revm,
        seq_over_revm: ratio(seq.wall, revm.wall),
        seq_over_revm_geomean: geomean(&seq_revm),
        import,
        import_over_revm: ratio(import.wall, revm.wall),
        import_over_revm_geomean: geomean(&import_revm),
        par,
    }
}

/// The per-block table: times in ms, `seq/revm` (below 1: our sequential path is faster), and per thread
/// count the parallel time with its speedup over our sequential path (`xseq`) and over revm (`xrevm`);
/// `*` marks a thread count where the engine chose its sequential fallback.
pub fn block_table(rows: &[BlockRow]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "{:>9} {:<16} {:>5} {:>7} {:>9} {:>9} {:>8} {:>8}",
        "block", "fork", "txs", "Mgas", "seq ms", "revm ms", "seq/revm", "seqMgas/s"
    );
    if let Some(r) = rows.first() {
        for p in &r.par {
            let _ = write!(
                s,
                " | {:>9} {:>5} {:>5}",
                format!("{}t ms", p.threads),
                "xseq",
                "xrevm"
            );
        }
    }
    s.push('\n');
    for r in rows {
        let _ = write!(
            s,
            "{:>9} {:<16} {:>5} {:>7.2} {:>9.3} {:>9.3} {:>8.3} {:>8.0}",
            r.number,
            r.fork,
            r.txs,
            r.gas as f64 / 1e6,
            ms(r.seq.wall),
            ms(r.revm.wall),
            ratio(r.seq.wall, r.revm.wall),
            mgas_per_s(r.gas, r.seq.wall)
        );
        for p in &r.par {
            let mark = if p.parallel || p.threads == 1 {
                ' '
            } else {
                '*'
            };
            let _ = write!(
                s,
                " | {:>8.3}{mark} {:>5.2} {:>5.2}",
                ms(p.timing.wall),
                ratio(r.seq.wall, p.timing.wall),
                ratio(r.revm.wall, p.timing.wall)
            );
        }
        s.push('\n');
    }
    s
}

/// The aggregate lines.
pub fn summary_text(sum: &Summary) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} blocks ({} with transactions), {} transactions, {:.1} Mgas",
        sum.blocks,
        sum.nonempty,
        sum.txs,
        sum.gas as f64 / 1e6
    );
    let _ = writeln!(
        s,
        "{:<14} {:>10} {:>10} {:>8} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9}",
        "engine",
        "wall ms",
        "cpu ms",
        "Mgas/s",
        "agg xseq",
        "agg xrevm",
        "geo xseq",
        "geo xrevm",
        ">5% slow",
        "parallel"
    );
    let _ = writeln!(
        s,
        "{:<14} {:>10.1} {:>10.1} {:>8.0} {:>9.2} {:>9.2} {:>9} {:>9.2} {:>8} {:>9}",
        "parevm-seq",
        ms(sum.seq.wall),
        ms(sum.seq.cpu),
        mgas_per_s(sum.gas, sum.seq.wall),
        1.0,
        ratio(sum.revm.wall, sum.seq.wall),
        "1.00",
        1.0 / sum.seq_over_revm_geomean,
        "-",
        "-"
    );
    for p in &sum.par {
        let _ = writeln!(
            s,
            "{:<14} {:>10.1} {:>10.1} {:>8.0} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>8} {:>9}",
            format!("parevm-par {}t", p.threads),
            ms(p.total.wall),
            ms(p.total.cpu),
            mgas_per_s(sum.gas, p.total.wall),
            p.speedup_seq,
            p.speedup_revm,
            p.geomean_seq,
            p.geomean_revm,
            p.slower_blocks,
            p.parallel_blocks
        );
    }
    let _ = writeln!(
        s,
        "{:<14} {:>10.1} {:>10.1} {:>8.0} {:>9.2} {:>9.2} {:>9.2} {:>9} {:>8} {:>9}",
        "revm-seq",
        ms(sum.revm.wall),
        ms(sum.revm.cpu),
        mgas_per_s(sum.gas, sum.revm.wall),
        ratio(sum.seq.wall, sum.revm.wall),
        1.0,
        sum.seq_over_revm_geomean,
        "1.00",
        "-",
        "-"
    );
    let _ = writeln!(
        s,
        "ours-seq/revm-seq: {:.3} aggregate, {:.3} geomean, {:.3} by CPU time (below 1: our sequential \
         path is faster)",
        sum.seq_over_revm,
        sum.seq_over_revm_geomean,
        ratio(sum.seq.cpu, sum.revm.cpu)
    );
    let _ = writeln!(
        s,
        "ours-import/revm-seq: {:.3} aggregate, {:.3} geomean, {:.3} by CPU time (the in-place path: no \
         overlay, no read sets; {:.1} ms wall)",
        sum.import_over_revm,
        sum.import_over_revm_geomean,
        ratio(sum.import.cpu, sum.revm.cpu),
        ms(sum.import.wall)
    );
    let _ = write!(
        s,
        "by fastest runs (sums of per-block minima): ours-seq/revm-seq {:.3}, ours-import/revm-seq {:.3}",
        ratio(sum.seq.best, sum.revm.best),
        ratio(sum.import.best, sum.revm.best)
    );
    for p in &sum.par {
        let _ = write!(
            s,
            "; {}t xseq {:.2} xrevm {:.2}",
            p.threads,
            ratio(sum.seq.best, p.total.best),
            ratio(sum.revm.best, p.total.best)
        );
    }
    s.push('\n');
    for p in &sum.par {
        if let Some((block, speedup)) = p.worst {
            let _ = writeln!(
                s,
                "{} threads: slowest block relative to sequential: {block} at {speedup:.2}x",
                p.threads
            );
        }
    }
    s
}

/// The rows as CSV: one line per block and configuration, then `aggregate` lines (sums of medians).
pub fn csv(rows: &[BlockRow], sum: &Summary) -> String {
    let mut s = String::from(
        "block,fork,txs,gas,engine,threads,wall_ns,cpu_ns,best_wall_ns,speedup_vs_seq,speedup_vs_revm,\
         mgas_per_s,parallel,re_executions,serial_txs\n",
    );
    let mut line = |block: &str,
                    fork: &str,
                    txs,
                    gas,
                    engine,
                    threads,
                    t: Timing,
                    seq: Duration,
                    revm: Duration,
                    parallel: &str,
                    (re, serial): (u64, u64)| {
        let _ = writeln!(
            s,
            "{block},{fork},{txs},{gas},{engine},{threads},{},{},{},{:.4},{:.4},{:.1},{parallel},{re},{serial}",
            t.wall.as_nanos(),
            t.cpu.as_nanos(),
            t.best.as_nanos(),
            ratio(seq, t.wall),
            ratio(revm, t.wall),
            mgas_per_s(gas, t.wall)
        );
    };
    for r in rows {
        let n = r.number.to_string();
        line(
            &n,
            r.fork,
            r.txs,
            r.gas,
            "parevm-seq",
            1,
            r.seq,
            r.seq.wall,
            r.revm.wall,
            "",
            (0, 0),
        );
        for p in &r.par {
            let mode = if p.parallel { "true" } else { "false" };
            line(
                &n,
                r.fork,
                r.txs,
                r.gas,
                "parevm-par",
                p.threads,
                p.timing,
                r.seq.wall,
                r.revm.wall,
                mode,
                (p.re_executions, p.serial_txs),
            );
        }
        line(
            &n,
            r.fork,
            r.txs,
            r.gas,
            "revm-seq",
            1,
            r.revm,
            r.seq.wall,
            r.revm.wall,
            "",
            (0, 0),
        );
    }
    let (seq, revm) = (sum.seq.wall, sum.revm.wall);
    line(
        "aggregate",
        "",
        sum.txs,
        sum.gas,
        "parevm-seq",
        1,
        sum.seq,
        seq,
        revm,
        "",
        (0, 0),
    );
    for p in &sum.par {
        line(
            "aggregate",
            "",
            sum.txs,
            sum.gas,
            "parevm-par",
            p.threads,
            p.total,
            seq,
            revm,
            "",
            (0, 0),
        );
    }
    line(
        "aggregate",
        "",
        sum.txs,
        sum.gas,
        "revm-seq",
        1,
        sum.revm,
        seq,
        revm,
        "",
        (0, 0),
    );
    s
}

/// Speedup against threads: the aggregate (sum of times) and the geometric mean over blocks, each over
/// our sequential path and over revm.
pub fn svg(sum: &Summary) -> String {
    let line = |label: &str, f: fn(&ParallelSummary) -> f64| Series {
        label: label.to_string(),
        points: sum.par.iter().map(|p| (p.threads as f64, f(p))).collect(),
    };
    speedup_svg(
        &format!("parevm parallel on {} mainnet blocks: speedup", sum.blocks),
        "speedup over our sequential path / over revm",
        &[
            line("aggregate / ours seq", |p| p.speedup_seq),
            line("geomean / ours seq", |p| p.geomean_seq),
            line("aggregate / revm", |p| p.speedup_revm),
            line("geomean / revm", |p| p.geomean_revm),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mainnet::suite::ParallelTiming;

    fn t(ms: u64) -> Timing {
        Timing {
            wall: Duration::from_millis(ms),
            cpu: Duration::from_millis(ms),
            best: Duration::from_millis(ms),
        }
    }

    fn row(number: u64, txs: usize, seq: u64, par2: u64, revm: u64) -> BlockRow {
        BlockRow {
            number,
            fork: "Cancun",
            txs,
            gas: 1_000_000,
            seq: t(seq),
            par: vec![ParallelTiming {
                threads: 2,
                timing: t(par2),
                parallel: true,
                re_executions: 0,
                serial_txs: 0,
            }],
            import: t(seq / 2),
            revm: t(revm),
        }
    }

    #[test]
    fn aggregate_is_sum_of_times_and_geomean_skips_empty_blocks() {
        // Block 1: 2x faster in parallel; block 2: 2x slower; block 3 empty (ignored by the means).
        let rows = [
            row(1, 10, 100, 50, 50),
            row(2, 10, 10, 20, 10),
            row(3, 0, 0, 0, 0),
        ];
        let s = summarize(&rows);
        assert_eq!((s.blocks, s.nonempty), (3, 2));
        let p = &s.par[0];
        assert!((p.speedup_seq - 110.0 / 70.0).abs() < 1e-9);
        assert!((p.speedup_revm - 60.0 / 70.0).abs() < 1e-9);
        assert!((p.geomean_seq - 1.0).abs() < 1e-9);
        assert_eq!(p.slower_blocks, 1);
        assert_eq!(p.worst, Some((2, 0.5)));
        assert!((s.seq_over_revm - 110.0 / 60.0).abs() < 1e-9);
        assert!((s.import_over_revm - 55.0 / 60.0).abs() < 1e-9);
        let csv = csv(&rows, &s);
        assert_eq!(csv.lines().count(), 1 + 3 * 3 + 3);
        assert!(svg(&s).contains("aggregate / ours seq"));
    }
}
