//! The equality every suite demands before it times anything: the parallel engine's per-transaction
//! results must be those of the sequential reference path.

use crate::error::BenchError;
use parevm_evm_core::{InvalidTx, TxOutcome};
use parevm_parallel_commit::{compare_results, ResultMismatch};

/// One block's per-transaction results, as both parevm paths return them.
pub type Results = Vec<Result<TxOutcome, InvalidTx>>;

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
