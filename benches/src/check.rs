//! The equality every suite demands before it times anything: the parallel engine's per-transaction
//! results must be those of the sequential reference path.

use crate::error::BenchError;
use parevm_evm_core::{InvalidTx, TxOutcome};

/// One block's per-transaction results, as both parevm paths return them.
pub type Results = Vec<Result<TxOutcome, InvalidTx>>;

/// Checks `parallel` (run on `threads` threads) equal to `sequential`, transaction by transaction: status,
/// gas used, refund, output, logs, created address and the whole write set (the state diff).
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
    if sequential.len() != parallel.len() {
        return Err(mismatch(format!(
            "{} results sequentially, {} in parallel",
            sequential.len(),
            parallel.len()
        )));
    }
    for (i, (x, y)) in sequential.iter().zip(parallel).enumerate() {
        let same = match (x, y) {
            (Ok(x), Ok(y)) => {
                x.status == y.status
                    && x.gas_used == y.gas_used
                    && x.gas_refunded == y.gas_refunded
                    && x.output == y.output
                    && x.logs == y.logs
                    && x.created_address == y.created_address
                    && x.writes == y.writes
            }
            (Err(x), Err(y)) => x == y,
            _ => false,
        };
        if !same {
            return Err(mismatch(format!(
                "transaction {i} differs from the sequential result"
            )));
        }
    }
    Ok(())
}
