//! parevm: an [`InMemoryState`] view and `execute_tx`. The outcome (with its read and write sets) is built
//! on every run, as the block executor would build it; it is not applied.

use super::RunResult;
use crate::error::BenchError;
use crate::interp::cases::{InterpCase, GAS_LIMIT, SPEC};
use alloy_primitives::{Address, Bytes, TxKind, U256};
use parevm_evm_core::{execute_tx, BlockEnv, CfgEnv, Env, ExecStatus, TxEnv};
use parevm_state::InMemoryState;

/// The environment of a benchmark transaction: `caller` sends `data` to `kind` with gas price 1, nonce 0.
pub fn env(caller: Address, kind: TxKind, data: Bytes) -> Env {
    let block = BlockEnv {
        number: 1,
        timestamp: 1,
        gas_limit: u64::MAX,
        prevrandao: Some(Default::default()),
        blob_basefee: Some(1),
        ..Default::default()
    };
    let tx = TxEnv {
        tx_type: 0,
        caller,
        gas_limit: GAS_LIMIT,
        gas_price: U256::from(1u8),
        kind,
        data,
        chain_id: Some(1),
        ..Default::default()
    };
    Env {
        cfg: CfgEnv::new(1, SPEC),
        block,
        tx,
    }
}

/// parevm, prepared for one case.
#[derive(Debug)]
pub struct Ours {
    name: String,
    state: InMemoryState,
    env: Env,
}

impl Ours {
    /// Loads the case's pre-state (code analysed once here).
    pub fn new(case: &InterpCase) -> Self {
        let mut state = InMemoryState::new();
        for a in &case.accounts {
            state.insert_account(
                a.address,
                a.balance,
                a.nonce,
                a.code.clone(),
                a.storage.iter().copied(),
            );
        }
        Self {
            name: case.name.to_string(),
            state,
            env: crate::interp::cases::env_of(case),
        }
    }

    /// Executes the call once.
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
