//! parevm: an [`InMemoryState`] view and `execute_tx`. The outcome (with its read and write sets) is built
//! on every run, as the block executor would build it; it is not applied.

use super::RunResult;
use crate::error::BenchError;
use crate::world::{self, Account, Chain, Tx};
use parevm_evm_core::{execute_tx, Env, ExecStatus};
use parevm_state::InMemoryState;

/// parevm, prepared for one transaction.
#[derive(Debug)]
pub struct Ours {
    name: String,
    state: InMemoryState,
    env: Env,
}

impl Ours {
    /// Loads the pre-state (code analysed once here).
    pub fn new(name: &str, chain: &Chain, accounts: &[Account], tx: &Tx) -> Self {
        Self {
            name: name.to_string(),
            state: world::parevm_state(accounts),
            env: chain.parevm_env(tx),
        }
    }

    /// Executes the transaction once.
    pub fn run(&self) -> Result<RunResult, BenchError> {
        let out = execute_tx(&self.env, &self.state).map_err(|e| BenchError::Rejected {
            engine: "parevm",
            case: self.name.clone(),
            reason: e.to_string(),
        })?;
        let status = match out.status {
            ExecStatus::Success => "success".to_string(),
            ExecStatus::Revert => "revert".to_string(),
            ExecStatus::Halt(h) => format!("halt {h:?}"),
        };
        Ok(RunResult {
            status,
            gas_used: out.gas_used,
            output: out.output,
        })
    }
}
