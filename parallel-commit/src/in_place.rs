//! The sequential path for a caller that owns its state and needs no read sets (an import on an
//! in-memory state, the benches' `parevm-import` row): each transaction runs against the state itself,
//! records no read set, and its writes are applied in place before the next one runs. No overlay, no
//! per-transaction read set: the least memory a block can touch. Its results have the same effects as
//! [`execute_sequential`](crate::execute_sequential)'s (`compare_results` holds) with empty read sets,
//! and the state ends as `InMemoryState::apply` of every valid transaction's writes in order.

use crate::error::ParallelError;
use crate::sequential::execute_final;
use parevm_evm_core::{Env, InvalidTx, TxOutcome};
use parevm_state::InMemoryState;

/// Executes `envs` in order on `state`, applying each valid transaction's writes to it. Invalid
/// transactions write nothing. A failing state read is an error naming the transaction.
pub fn execute_in_place(
    envs: &[Env],
    state: &mut InMemoryState,
) -> Result<Vec<Result<TxOutcome, InvalidTx>>, ParallelError> {
    let mut results = Vec::with_capacity(envs.len());
    for (tx, env) in envs.iter().enumerate() {
        let r = execute_final(tx, env, &*state)?;
        if let Ok(out) = &r {
            state.apply(&out.writes);
        }
        results.push(r);
    }
    Ok(results)
}
