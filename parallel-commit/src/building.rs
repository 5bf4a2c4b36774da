//! Block building: from candidate transactions, include each one a sequential builder would include, in
//! order, and skip the rest. A candidate is skipped when it is invalid (it then writes nothing) or when its
//! gas limit exceeds the block gas still available. The decision is taken at commit time, in block order,
//! so it is deterministic and equal to [`build_sequential`] at any thread count.

use crate::config::ParallelConfig;
use crate::error::ParallelError;
use crate::executor::run;
use crate::report::ExecReport;
use crate::sequential::{execute_one, Overlay};
use crate::types::TxIdx;
use crate::worker::CommitFilter;
use parevm_evm_core::{Env, InvalidTx, StateView, TxOutcome};
use parking_lot::Mutex;

/// Why a candidate was left out of the block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// The transaction is invalid at its position.
    Invalid(InvalidTx),
    /// Its gas limit exceeds the gas left in the block.
    GasLimit {
        /// The transaction's gas limit.
        needed: u64,
        /// Gas left in the block when it was considered.
        available: u64,
    },
}

/// A built block: the included candidates with their outcomes, the skipped ones with reasons.
#[derive(Debug)]
pub struct BuiltBlock {
    /// Included candidates (their index among the candidates) and outcomes, in block order.
    pub included: Vec<(TxIdx, TxOutcome)>,
    /// Skipped candidates and why.
    pub skipped: Vec<(TxIdx, SkipReason)>,
    /// Gas used by the included transactions.
    pub gas_used: u64,
    /// Counters (parallel builds only; the sequential builder leaves them at zero).
    pub report: ExecReport,
}

/// The reference builder: one candidate after another.
pub fn build_sequential(
    candidates: &[Env],
    base: &(dyn StateView + Sync),
    gas_limit: u64,
) -> Result<BuiltBlock, ParallelError> {
    let mut overlay = Overlay::new(base);
    let mut built = BuiltBlock {
        included: Vec::new(),
        skipped: Vec::new(),
        gas_used: 0,
        report: ExecReport::default(),
    };
    for (i, env) in candidates.iter().enumerate() {
        let available = gas_limit.saturating_sub(built.gas_used);
        if env.tx.gas_limit > available {
            built.skipped.push((
                i,
                SkipReason::GasLimit {
                    needed: env.tx.gas_limit,
                    available,
                },
            ));
            continue;
        }
        match execute_one(i, env, &overlay)? {
            Ok(out) => {
                overlay.apply(&out.writes);
                built.gas_used += out.gas_used;
                built.included.push((i, out));
            }
            Err(e) => built.skipped.push((i, SkipReason::Invalid(e))),
        }
    }
    Ok(built)
}

/// The gas bookkeeping of a parallel build, consulted by the committer in block order.
struct GasFilter {
    gas_limit: u64,
    /// Gas used so far and the candidates dropped for gas, with the gas available then.
    state: Mutex<(u64, Vec<(TxIdx, u64)>)>,
}

impl CommitFilter for GasFilter {
    fn drop_tx(&self, tx: TxIdx, env: &Env, result: &Result<TxOutcome, InvalidTx>) -> bool {
        let mut st = self.state.lock();
        let available = self.gas_limit.saturating_sub(st.0);
        if env.tx.gas_limit > available {
            st.1.push((tx, available));
            return true;
        }
        if let Ok(out) = result {
            st.0 += out.gas_used;
        }
        false
    }
}

/// Builds a block from `candidates` on `threads` workers; equal to [`build_sequential`].
pub fn execute_building(
    candidates: &[Env],
    base: &(dyn StateView + Sync),
    threads: usize,
    gas_limit: u64,
) -> Result<BuiltBlock, ParallelError> {
    execute_building_with(
        candidates,
        base,
        &ParallelConfig::new(threads).with_env_overrides(),
        gas_limit,
    )
}

/// [`execute_building`] with an explicit configuration.
pub fn execute_building_with(
    candidates: &[Env],
    base: &(dyn StateView + Sync),
    cfg: &ParallelConfig,
    gas_limit: u64,
) -> Result<BuiltBlock, ParallelError> {
    if cfg.threads <= 1 {
        return build_sequential(candidates, base, gas_limit);
    }
    let filter = GasFilter {
        gas_limit,
        state: Mutex::new((0, Vec::new())),
    };
    let exec = run(candidates, base, cfg, Some(&filter))?;
    let (gas_used, dropped) = filter.state.into_inner();
    let mut dropped = dropped.into_iter().peekable();
    let mut built = BuiltBlock {
        included: Vec::new(),
        skipped: Vec::new(),
        gas_used,
        report: exec.report,
    };
    for (i, r) in exec.results.into_iter().enumerate() {
        if let Some((_, available)) = dropped.next_if(|(tx, _)| *tx == i) {
            built.skipped.push((
                i,
                SkipReason::GasLimit {
                    needed: candidates[i].tx.gas_limit,
                    available,
                },
            ));
            continue;
        }
        match r {
            Ok(out) => built.included.push((i, out)),
            Err(e) => built.skipped.push((i, SkipReason::Invalid(e))),
        }
    }
    Ok(built)
}
