//! The transaction loop: a block's transactions in order, each one's write set applied before the next,
//! with cumulative gas and typed receipts.
//!
//! ```text
//! envs -> TxRunner::Sequential: execute (no read set) + apply, one after another
//!      -> TxRunner::Parallel:   parallel-commit executes all, outcomes equal to the sequential ones;
//!      -> TxRunner::Checked:    the same, and the sequential run too: every result and write set compared
//!                               they are applied here in order
//!      -> receipts, gas used
//! ```
//! With a [`TraceHook`] the transactions run sequentially, each with its tracer.
//! Fee credits to the beneficiary are inside each outcome's write set already.

use crate::error::BlockError;
use crate::receipt::{build_receipt, ReceiptStatus, TypedReceipt};
use crate::store::StateStore;
use crate::trace::TraceHook;
use parevm_evm_core::{Env, InvalidTx, TxExecution, TxOutcome};

/// How a block's transactions are executed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TxRunner {
    /// One after another on the calling thread.
    #[default]
    Sequential,
    /// On `threads` worker threads through the parallel executor.
    Parallel {
        /// Worker threads.
        threads: usize,
    },
    /// Through the parallel executor on `threads` threads, and also sequentially on the same state: every
    /// transaction's result (validity, status, gas, logs, output and its whole write set) must be equal,
    /// or the block fails with [`BlockError::ParallelMismatch`]. For conformance runs and replays.
    Checked {
        /// Worker threads.
        threads: usize,
    },
}

/// What pre-Byzantium receipts record in place of a status flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostStateRoots {
    /// Compute the state root after every transaction (full state available).
    Compute,
    /// Record a zero root (partial state, as in replay; the receipts root is then not meaningful).
    Skip,
}

/// Receipts and gas of a block's transactions.
#[derive(Clone, Debug, Default)]
pub struct TxResults {
    /// One typed receipt per transaction.
    pub receipts: Vec<TypedReceipt>,
    /// Gas used by all transactions.
    pub gas_used: u64,
}

/// Executes `envs` in order on `state`, which ends up holding every transaction's writes.
///
/// `byzantium` selects status receipts; before it, `roots` says whether the intermediate state roots are
/// computed. A transaction whose gas limit exceeds the gas left in the block, or that the EVM rejects,
/// makes the block invalid; `state` is then partially updated and the caller rolls it back. With `trace`, every
/// transaction runs sequentially with the tracer the hook gives it.
pub fn run_transactions<S: StateStore + Sync>(
    envs: &[Env],
    state: &mut S,
    runner: TxRunner,
    byzantium: bool,
    roots: PostStateRoots,
    trace: Option<&TraceHook>,
) -> Result<TxResults, BlockError> {
    let runner = if trace.is_some() {
        TxRunner::Sequential
    } else {
        runner
    };
    let parallel = match runner {
        TxRunner::Parallel { threads } if threads > 1 => {
            Some(parallel_outcomes(envs, &*state, threads)?)
        }
        TxRunner::Checked { threads } => {
            let parallel = parallel_outcomes(envs, &*state, threads.max(2))?;
            let sequential = parevm_parallel_commit::execute_sequential(envs, &*state);
            if let Err(mismatch) = parevm_parallel_commit::compare_results(&sequential, &parallel) {
                return Err(BlockError::ParallelMismatch(mismatch.to_string()));
            }
            Some(parallel)
        }
        _ => None,
    };
    let mut results = TxResults::default();
    let mut parallel = parallel.map(Vec::into_iter);
    for (index, env) in envs.iter().enumerate() {
        let block_gas_limit = env.block.gas_limit;
        let available = block_gas_limit.saturating_sub(results.gas_used);
        if env.tx.gas_limit > available {
            return Err(BlockError::BlockGasExceeded {
                index,
                gas_limit: env.tx.gas_limit,
                available,
            });
        }
        let outcome = match parallel.as_mut().and_then(Iterator::next) {
            Some(r) => r.map_err(|source| BlockError::InvalidTx { index, source })?,
            None => match trace {
                Some(TraceHook(hook)) => {
                    let mut exec = TxExecution::new(env.clone());
                    exec.set_tracer(hook.tracer(index));
                    let result = exec.resume(&*state);
                    hook.tx_end(index, result.as_ref());
                    result.map_err(|e| BlockError::tx(index, e))?
                }
                None => {
                    // Applied to `state` at once and never validated: no read set to record.
                    let mut exec = TxExecution::borrowed(env);
                    exec.skip_read_set();
                    exec.resume(&*state).map_err(|e| BlockError::tx(index, e))?
                }
            },
        };
        state.apply(&outcome.writes)?;
        results.gas_used += outcome.gas_used;
        let status = if byzantium {
            ReceiptStatus::Status(outcome.status.is_success())
        } else {
            match roots {
                PostStateRoots::Compute => ReceiptStatus::PostState(state.state_root()?),
                PostStateRoots::Skip => ReceiptStatus::PostState(Default::default()),
            }
        };
        results.receipts.push(build_receipt(
            env.tx.tx_type,
            status,
            results.gas_used,
            outcome.logs,
        ));
    }
    Ok(results)
}

/// Outcomes of all `envs` from the parallel executor (`parevm-parallel-commit`), identical to executing
/// them one after another on `state`.
fn parallel_outcomes<S: StateStore + Sync>(
    envs: &[Env],
    state: &S,
    threads: usize,
) -> Result<Vec<Result<TxOutcome, InvalidTx>>, BlockError> {
    let execution = parevm_parallel_commit::execute_parallel(envs, state, threads)
        .map_err(|e| BlockError::Parallel(e.to_string()))?;
    Ok(execution.results)
}
