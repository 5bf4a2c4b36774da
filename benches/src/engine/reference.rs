//! revm, the yardstick: a `CacheDB<EmptyDB>` pre-state and a mainnet EVM built once; each run is a
//! `transact` (state diff produced, not committed).

use super::RunResult;
use crate::error::BenchError;
use crate::world::{self, Account, Chain, RevmEvm, Tx};
use revm::context::result::ExecutionResult;
use revm::context::TxEnv;
use revm::ExecuteEvm;

/// revm, prepared for one transaction.
pub struct Reference {
    name: String,
    evm: RevmEvm,
    tx: TxEnv,
}

impl std::fmt::Debug for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reference")
            .field("name", &self.name)
            .finish()
    }
}

impl Reference {
    /// Loads the pre-state (code analysed once here) and builds the EVM.
    pub fn new(name: &str, chain: &Chain, accounts: &[Account], tx: &Tx) -> Self {
        Self {
            name: name.to_string(),
            evm: chain.revm_evm(world::revm_db(accounts)),
            tx: world::revm_tx(tx),
        }
    }

    /// Executes the transaction once.
    pub fn run(&mut self) -> Result<RunResult, BenchError> {
        let r = self
            .evm
            .transact(self.tx.clone())
            .map_err(|e| BenchError::Rejected {
                engine: "revm",
                case: self.name.clone(),
                reason: e.to_string(),
            })?;
        let gas_used = r.result.tx_gas_used();
        let (status, output) = match r.result {
            ExecutionResult::Success { output, .. } => ("success".to_string(), output.into_data()),
            ExecutionResult::Revert { output, .. } => ("revert".to_string(), output),
            ExecutionResult::Halt { reason, .. } => {
                (format!("halt {reason:?}"), Default::default())
            }
        };
        Ok(RunResult {
            status,
            gas_used,
            output,
        })
    }
}
