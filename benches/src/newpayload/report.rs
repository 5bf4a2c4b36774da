//! The latency benchmark's rows: percentiles per (workload, gas limit, threads) and per kona block, the
//! 2-thread / 1-thread ratio, as a table and as CSV.

use parevm_op_stack_adapter::BuildTimings;
use std::fmt::Write as _;
use std::time::Duration;

/// One configuration's latency figures.
#[derive(Clone, Debug)]
pub struct LatencyRow {
    /// `transfers` / `erc20` / `mix`, or `kona <block>`.
    pub workload: String,
    /// The blocks' gas limit (generated blocks only).
    pub gas_limit: Option<u64>,
    /// Executor threads.
    pub threads: usize,
    /// Blocks timed (kona: runs of the one block).
    pub samples: usize,
    /// Transactions per block (mean).
    pub txs: usize,
    /// Gas used per block (mean).
    pub gas_used: f64,
    /// Median of the timed call(s).
    pub p50: Duration,
    /// 99th percentile (nearest rank: the maximum below 100 samples).
    pub p99: Duration,
    /// Maximum.
    pub max: Duration,
    /// Median of newPayload alone (generated blocks).
    pub new_payload_p50: Option<Duration>,
    /// Median of the head-setting forkchoice update alone (generated blocks).
    pub forkchoice_p50: Option<Duration>,
    /// Median process CPU time (all threads) of the timed call(s).
    pub cpu_p50: Duration,
    /// Median time to decode the block's transactions and recover their senders once, on one thread.
    pub recover_p50: Duration,
    /// Medians of newPayload's execution phases, each over the blocks (generated blocks; empty when the
    /// node reported none).
    pub phases_p50: Option<BuildTimings>,
}

/// The `p`-th percentile (0 < p <= 1) by nearest rank; zero for no samples.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut s = samples.to_vec();
    s.sort();
    let rank = (p * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

impl LatencyRow {
    /// A row from the totals, their CPU times, the parts (`new_payload`, `forkchoice`: empty when not
    /// split) and the recovery times.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        workload: String,
        gas_limit: Option<u64>,
        threads: usize,
        txs: usize,
        gas_used: f64,
        totals: &[Duration],
        cpu: &[Duration],
        parts: &[(Duration, Duration)],
        recover: &[Duration],
    ) -> Self {
        let np: Vec<Duration> = parts.iter().map(|p| p.0).collect();
        let fc: Vec<Duration> = parts.iter().map(|p| p.1).collect();
        Self {
            workload,
            gas_limit,
            threads,
            samples: totals.len(),
            txs,
            gas_used,
            p50: percentile(totals, 0.5),
            p99: percentile(totals, 0.99),
            max: totals.iter().copied().max().unwrap_or_default(),
            new_payload_p50: (!np.is_empty()).then(|| percentile(&np, 0.5)),
            forkchoice_p50: (!fc.is_empty()).then(|| percentile(&fc, 0.5)),
            cpu_p50: percentile(cpu, 0.5),
            recover_p50: percentile(recover, 0.5),
            phases_p50: None,
        }
    }

    /// The row with the medians of `phases`, one per block (none when empty).
    pub fn with_phases(mut self, phases: &[BuildTimings]) -> Self {
        let p50 = |f: fn(&BuildTimings) -> Duration| {
            percentile(&phases.iter().map(f).collect::<Vec<_>>(), 0.5)
        };
        self.phases_p50 = (!phases.is_empty()).then(|| BuildTimings {
            decode: p50(|t| t.decode),
            execute: p50(|t| t.execute),
            include: p50(|t| t.include),
            root: p50(|t| t.root),
            seal: p50(|t| t.seal),
        });
        self
    }

    fn key(&self) -> (&str, Option<u64>) {
        (&self.workload, self.gas_limit)
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn opt_ms(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".into(), |d| format!("{:.1}", ms(d)))
}

/// p50 at 2 threads over p50 at 1 thread for the row's configuration, when both were run.
pub fn ratio(rows: &[LatencyRow], row: &LatencyRow) -> Option<f64> {
    let at = |t: usize| rows.iter().find(|r| r.key() == row.key() && r.threads == t);
    match (at(1), at(2)) {
        (Some(one), Some(two)) if row.threads == 2 => Some(ms(two.p50) / ms(one.p50).max(1e-9)),
        _ => None,
    }
}

/// A markdown table.
pub fn table(rows: &[LatencyRow]) -> String {
    let mut s = String::from(
        "| workload | gas limit | threads | samples | txs | Mgas used | p50 ms | p99 ms | max ms | CPU p50 ms | newPayload p50 | forkchoice p50 | recover p50 | 2t/1t p50 |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} | {:.1} | {} |",
            r.workload,
            r.gas_limit
                .map_or_else(|| "-".into(), |g| format!("{}M", g / 1_000_000)),
            r.threads,
            r.samples,
            r.txs,
            r.gas_used / 1e6,
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
            ms(r.cpu_p50),
            opt_ms(r.new_payload_p50),
            opt_ms(r.forkchoice_p50),
            ms(r.recover_p50),
            ratio(rows, r).map_or_else(|| "-".into(), |x| format!("{x:.2}")),
        );
    }
    s
}

/// A markdown table of newPayload's execution phases (p50 of each over the blocks, ms), for the rows
/// that have them.
pub fn phase_table(rows: &[LatencyRow]) -> String {
    let mut s = String::from(
        "| workload | gas limit | threads | decode + recover | execute | include | root | seal | newPayload p50 |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let Some(p) = &r.phases_p50 else { continue };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
            r.workload,
            r.gas_limit
                .map_or_else(|| "-".into(), |g| format!("{}M", g / 1_000_000)),
            r.threads,
            ms(p.decode),
            ms(p.execute),
            ms(p.include),
            ms(p.root),
            ms(p.seal),
            opt_ms(r.new_payload_p50),
        );
    }
    s
}

/// CSV with one line per row.
pub fn csv(rows: &[LatencyRow]) -> String {
    let mut s = String::from(
        "workload,gas_limit,threads,samples,txs,gas_used,p50_ms,p99_ms,max_ms,cpu_p50_ms,new_payload_p50_ms,forkchoice_p50_ms,recover_p50_ms,ratio_2t_1t\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{:.0},{:.3},{:.3},{:.3},{:.3},{},{},{:.3},{}",
            r.workload,
            r.gas_limit.map_or_else(String::new, |g| g.to_string()),
            r.threads,
            r.samples,
            r.txs,
            r.gas_used,
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
            ms(r.cpu_p50),
            r.new_payload_p50
                .map_or_else(String::new, |d| format!("{:.3}", ms(d))),
            r.forkchoice_p50
                .map_or_else(String::new, |d| format!("{:.3}", ms(d))),
            ms(r.recover_p50),
            ratio(rows, r).map_or_else(String::new, |x| format!("{x:.3}")),
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let d: Vec<Duration> = [5u64, 1, 4, 2, 3]
            .iter()
            .map(|&x| Duration::from_millis(x))
            .collect();
        // Sorted 1..=5: the median is the 3rd, p99 the 5th, p20 the 1st.
        assert_eq!(percentile(&d, 0.5), Duration::from_millis(3));
        assert_eq!(percentile(&d, 0.99), Duration::from_millis(5));
        assert_eq!(percentile(&d, 0.2), Duration::from_millis(1));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }
}
