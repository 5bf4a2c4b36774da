//! What a block execution cost: executions, aborts, parks and resumes, validations, wasted gas.

use std::fmt;
use std::ops::AddAssign;
use std::time::Duration;

/// How the block was executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExecMode {
    /// One thread, in block order (tiny block, low gas, or `threads <= 1`).
    #[default]
    Sequential,
    /// Optimistic parallel execution on this many workers.
    Parallel {
        /// Worker threads used.
        threads: usize,
    },
}

/// Counters of one block execution. Only the results are deterministic; these depend on timing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecReport {
    /// Sequential or parallel, and on how many threads.
    pub mode: ExecMode,
    /// Transactions in the block.
    pub txs: usize,
    /// Executions started from scratch (first incarnations, re-executions and, without parking, restarts).
    pub executions: u64,
    /// Incarnations aborted because a read went stale (each is followed by a re-execution).
    pub re_executions: u64,
    /// Of `re_executions`, those found only by the commit-time validation.
    pub commit_aborts: u64,
    /// Times an execution stopped on a not-ready read.
    pub parks: u64,
    /// Times a parked execution was continued where it stopped.
    pub resumes: u64,
    /// Times an execution was thrown away on a not-ready read and restarted (only with parking off).
    pub restarts: u64,
    /// Validations run (speculative and at commit).
    pub validations: u64,
    /// Validations skipped because every read was taken after all lower transactions had committed.
    pub validations_skipped: u64,
    /// Gas used by incarnations that were aborted.
    pub wasted_gas: u64,
    /// Of `re_executions`, those taken up at a redo point before the first read that changed instead of
    /// run from the start (issue 16, item 2; the lookahead engine).
    pub redos: u64,
    /// Gas the aborted incarnations had spent before the redo points their re-executions started at:
    /// the part of `wasted_gas` not run again.
    pub redo_saved_gas: u64,
    /// Speculative outcomes taken although a balance they read had changed: the balance was read only to
    /// check that it covered transfers out, and still does (`TxOutcome::balance_bounds`; the lookahead
    /// engine). Each is a re-execution saved.
    pub balance_repairs: u64,
    /// Gas used by the block's committed transactions.
    pub gas_used: u64,
    /// Execution time spent before parks: work a restart-based scheduler would have redone.
    pub park_saved: Duration,
    /// Execution time thrown away: aborted incarnations and (without parking) restarted ones.
    pub wasted_time: Duration,
    /// Time workers spent asleep waiting for work (summed over workers).
    pub idle: Duration,
    /// Transactions executed in block order by the committer in serial mode (see `adapt.rs`).
    pub serial_txs: u64,
    /// Times the committer switched to serial mode after a window of dependent commits.
    pub serial_stretches: u64,
    /// Static write predictions (sender nonces and balances, value recipients) readers may wait on.
    pub hinted_estimates: u64,
    /// Wall-clock time of the whole block.
    pub elapsed: Duration,
}

impl AddAssign<&ExecReport> for ExecReport {
    /// Adds the counters (not `mode`, `txs`, `gas_used`, `hinted_estimates` or `elapsed`, which are per
    /// block).
    fn add_assign(&mut self, o: &ExecReport) {
        self.executions += o.executions;
        self.re_executions += o.re_executions;
        self.commit_aborts += o.commit_aborts;
        self.parks += o.parks;
        self.resumes += o.resumes;
        self.restarts += o.restarts;
        self.validations += o.validations;
        self.validations_skipped += o.validations_skipped;
        self.wasted_gas += o.wasted_gas;
        self.redos += o.redos;
        self.redo_saved_gas += o.redo_saved_gas;
        self.balance_repairs += o.balance_repairs;
        self.park_saved += o.park_saved;
        self.wasted_time += o.wasted_time;
        self.idle += o.idle;
        self.serial_txs += o.serial_txs;
        self.serial_stretches += o.serial_stretches;
    }
}

impl ExecReport {
    /// Gas spent on aborted incarnations as a share of the block's gas (0 for an empty block).
    pub fn wasted_gas_share(&self) -> f64 {
        if self.gas_used == 0 {
            return 0.0;
        }
        self.wasted_gas as f64 / self.gas_used as f64
    }
}

impl fmt::Display for ExecReport {
    /// One line: mode, size, re-executions, parks and resumes, serial work, wasted gas.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.mode {
            ExecMode::Sequential => "sequential".to_string(),
            ExecMode::Parallel { threads } => format!("parallel/{threads}"),
        };
        write!(
            f,
            "{mode} txs={} gas={} executions={} re_executions={} commit_aborts={} parks={} resumes={} \
             serial_txs={} validations={} wasted_gas={} wasted_share={:.4} redos={} redo_saved_gas={} \
             balance_repairs={} park_saved_us={} elapsed_us={}",
            self.txs,
            self.gas_used,
            self.executions,
            self.re_executions,
            self.commit_aborts,
            self.parks,
            self.resumes,
            self.serial_txs,
            self.validations,
            self.wasted_gas,
            self.wasted_gas_share(),
            self.redos,
            self.redo_saved_gas,
            self.balance_repairs,
            self.park_saved.as_micros(),
            self.elapsed.as_micros(),
        )
    }
}
