//! Replaying one block: its transactions on its pre-state (transactions only, mainnet fork schedule,
//! chain id 1), then `gasUsed`, `logsBloom` and, from Byzantium on, `receiptsRoot` compared with the
//! header.

use super::error::ReplayError;
use super::load::{load_block, load_pre_state, SetData};
use alloy_consensus::Header;
use alloy_primitives::B256;
use parevm_block::{BlockExecutor, ForkSchedule, Mode, TxRunner};
use parevm_evm_core::SpecId;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

/// Why a pre-Byzantium block's receipts root is not compared.
pub const PRE_BYZANTIUM_NOTE: &str =
    "receiptsRoot not checked: pre-Byzantium receipts hold intermediate state roots";

/// The result of replaying one block.
#[derive(Clone, Debug, Default)]
pub struct BlockReport {
    /// The block folder.
    pub dir: String,
    /// Block number (0 when the block could not be read).
    pub number: u64,
    /// Fork name.
    pub fork: &'static str,
    /// Transactions.
    pub txs: usize,
    /// Gas used by execution.
    pub gas: u64,
    /// Execution time (transactions only, not loading).
    pub elapsed: Duration,
    /// What differed from the header, or why the block did not run; empty when it matched.
    pub problems: Vec<String>,
    /// A remark on what was not checked.
    pub note: Option<&'static str>,
}

impl BlockReport {
    /// True when the block matched its header.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Replays the block in `dir` with the shared `set` data.
pub fn replay_block(dir: &Path, set: &SetData, runner: TxRunner) -> BlockReport {
    let mut report = BlockReport {
        dir: dir.display().to_string(),
        ..Default::default()
    };
    if let Err(e) = replay_into(dir, set, runner, &mut report) {
        report.problems.push(e.to_string());
    }
    report
}

fn replay_into(
    dir: &Path,
    set: &SetData,
    runner: TxRunner,
    report: &mut BlockReport,
) -> Result<(), ReplayError> {
    let block = load_block(dir)?;
    let path = dir.join("block.json");
    let input = block.to_input().map_err(ReplayError::field(&path))?;
    report.number = input.header.number;
    report.txs = input.transactions.len();
    let mut state = load_pre_state(dir, set)?;
    let executor = BlockExecutor {
        runner,
        mode: Mode::TransactionsOnly,
        ..BlockExecutor::new(1, ForkSchedule::mainnet())
    };
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| {
        executor.execute(&mut state, &Header::default(), B256::ZERO, &input)
    }));
    report.elapsed = start.elapsed();
    let outcome = match result {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => {
            report.problems.push(format!("execution failed: {e}"));
            return Ok(());
        }
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            report.problems.push(format!("panicked: {msg}"));
            return Ok(());
        }
    };
    report.fork = outcome.fork.name;
    report.gas = outcome.gas_used;
    let header = &input.header;
    if outcome.gas_used != header.gas_used {
        report.problems.push(format!(
            "gasUsed: header {}, execution {}",
            header.gas_used, outcome.gas_used
        ));
    }
    if outcome.logs_bloom != header.logs_bloom {
        report.problems.push("logsBloom differs".into());
    }
    if outcome.fork.spec.is_enabled_in(SpecId::BYZANTIUM) {
        if outcome.receipts_root != header.receipts_root {
            report.problems.push(format!(
                "receiptsRoot: header {}, execution {}",
                header.receipts_root, outcome.receipts_root
            ));
        }
    } else {
        report.note = Some(PRE_BYZANTIUM_NOTE);
    }
    Ok(())
}
