//! revm, the yardstick: a `CacheDB<EmptyDB>` pre-state and a mainnet EVM built once per case; each run is a
//! `transact` (state diff produced, not committed).

use super::RunResult;
use crate::error::BenchError;
use crate::interp::cases::{InterpCase, CALLER, GAS_LIMIT, SPEC};
use alloy_primitives::{keccak256, TxKind, U256};
use parevm_evm_core::KECCAK_EMPTY;
use revm::context::result::ExecutionResult;
use revm::context::{BlockEnv, TxEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::database::{CacheDB, EmptyDB};
use revm::handler::{MainnetContext, MainnetEvm};
use revm::state::{AccountInfo, Bytecode};
use revm::{Context, ExecuteEvm, MainBuilder, MainContext};

/// revm, prepared for one case.
pub struct Reference {
    name: String,
    evm: MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>,
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
    /// Loads the case's pre-state (code analysed once here) and builds the EVM.
    pub fn new(case: &InterpCase) -> Self {
        let mut db = CacheDB::<EmptyDB>::default();
        for a in &case.accounts {
            let code_hash = if a.code.is_empty() {
                KECCAK_EMPTY
            } else {
                keccak256(&a.code)
            };
            let info = AccountInfo {
                balance: a.balance,
                nonce: a.nonce,
                code_hash,
                code: Some(Bytecode::new_raw(a.code.clone())),
                ..Default::default()
            };
            db.insert_account_info(a.address, info);
            for (k, v) in &a.storage {
                // EmptyDB never fails.
                let _ = db.insert_account_storage(a.address, *k, *v);
            }
        }
        let block = BlockEnv {
            number: U256::from(1u8),
            timestamp: U256::from(1u8),
            gas_limit: u64::MAX,
            prevrandao: Some(Default::default()),
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice {
                excess_blob_gas: 0,
                blob_gasprice: 1,
            }),
            ..Default::default()
        };
        let evm = Context::mainnet()
            .with_db(db)
            .modify_cfg_chained(|c| {
                c.set_spec_and_mainnet_gas_params(SPEC);
                c.chain_id = 1;
            })
            .with_block(block)
            .build_mainnet();
        let tx = TxEnv {
            tx_type: 0,
            caller: CALLER,
            gas_limit: GAS_LIMIT,
            gas_price: 1,
            kind: TxKind::Call(case.call.to),
            data: case.call.data.clone(),
            nonce: 0,
            chain_id: Some(1),
            ..Default::default()
        };
        Self {
            name: case.name.to_string(),
            evm,
            tx,
        }
    }

    /// Executes the call once.
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
