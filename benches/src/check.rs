//! The equality every suite demands before it times anything: the parallel engine's per-transaction
//! results must be those of the sequential reference path.

use crate::error::BenchError;
use parevm_evm_core::{Env, InvalidTx, TxOutcome};
use parevm_parallel_commit::{compare_results, execute_in_place, ResultMismatch};
use parevm_state::InMemoryState;

/// One block's per-transaction results, as both parevm paths return them.
pub type Results = Vec<Result<TxOutcome, InvalidTx>>;

/// Runs `envs` on parevm's in-place import path over `state` (which ends holding the block's writes);
/// a failing state read as an error naming `case`.
pub fn run_in_place(
    envs: &[Env],
    state: &mut InMemoryState,
    case: &str,
) -> Result<Results, BenchError> {
    execute_in_place(envs, state).map_err(|e| BenchError::Rejected {
        engine: "parevm-import",
        case: case.into(),
        reason: e.to_string(),
    })
}

/// Checks the in-place import path, run on a copy of `state`, to have the effects of `reference` (the
/// sequential path's results) transaction by transaction.
pub fn check_in_place(
    case: &str,
    envs: &[Env],
    state: &InMemoryState,
    reference: &Results,
) -> Result<(), BenchError> {
    let in_place = run_in_place(envs, &mut state.clone(), case)?;
    compare_results(reference, &in_place).map_err(|m| BenchError::Mismatch {
        case: format!("{case} on the in-place path"),
        what: m.to_string(),
    })
}

/// Checks `parallel` (run on `threads` threads) equal to `sequential`, transaction by transaction
/// ([`parevm_parallel_commit::same_effects`]: status, gas used, refund, output, logs, created address and
/// the whole write set, i.e. the state diff).
pub fn check_equal(
    name: &str,
    threads: usize,
    sequential: &Results,
    parallel: &Results,
) -> Result<(), BenchError> {
    let mismatch = |what: String| BenchError::Mismatch {
        case: format!("{name} at {threads} threads"),
        what,
    };
    compare_results(sequential, parallel).map_err(|m| {
        mismatch(match m {
            ResultMismatch::Count { expected, actual } => {
                format!("{expected} results sequentially, {actual} in parallel")
            }
            ResultMismatch::Transaction(i) => {
                format!("transaction {i} differs from the sequential result")
            }
        })
    })
}
