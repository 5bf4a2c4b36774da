//! revm over a recorded block: the same pre-state as a `CacheDB<EmptyDB>` (ancestor hashes included), the
//! block environment from the header under the block's fork, and each transaction committed in order.

use super::block::{MainnetBlock, CHAIN_ID};
use crate::error::BenchError;
use crate::world::RevmEvm;
use alloy_primitives::U256;
use parevm_conformance::replay::load::SetData;
use parevm_evm_core::{SpecId, TxEnv};
use revm::context::result::ExecutionResult;
use revm::context::transaction::{AccessList, AccessListItem};
use revm::context::{BlockEnv as RevmBlockEnv, TxEnv as RevmTxEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::database::{CacheDB, EmptyDB};
use revm::state::{AccountInfo, Bytecode};
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};

/// A block as revm runs it: the database is cloned for every run, the transactions are converted once.
pub struct RevmBlock {
    number: u64,
    spec: SpecId,
    block: RevmBlockEnv,
    txs: Vec<RevmTxEnv>,
    db: CacheDB<EmptyDB>,
}

impl std::fmt::Debug for RevmBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevmBlock")
            .field("number", &self.number)
            .field("txs", &self.txs.len())
            .finish()
    }
}

impl RevmBlock {
    /// Converts `b` (pre-state from its parevm state, ancestor hashes from `set`). EIP-7702 authorization
    /// lists are not converted (no recorded block is from Prague), so a block carrying one is refused.
    pub fn new(b: &MainnetBlock, set: &SetData) -> Result<Self, BenchError> {
        if let Some(i) = b
            .envs
            .iter()
            .position(|e| !e.tx.authorization_list.is_empty())
        {
            return Err(BenchError::Setup {
                case: format!("block {}", b.number()),
                reason: format!("transaction {i} has an EIP-7702 authorization list"),
            });
        }
        Ok(Self {
            number: b.number(),
            spec: b.fork.spec,
            block: revm_block(b),
            txs: b.envs.iter().map(|e| revm_tx(&e.tx)).collect(),
            db: revm_db(b, set),
        })
    }

    /// A fresh copy of the pre-state, to hand to [`RevmBlock::run`] (cloned outside any timing).
    pub fn fresh_db(&self) -> CacheDB<EmptyDB> {
        self.db.clone()
    }

    /// Runs every transaction in order over `db`, committing each.
    pub fn run(&self, db: CacheDB<EmptyDB>) -> Result<Vec<ExecutionResult>, BenchError> {
        let mut evm = self.evm(db);
        self.txs
            .iter()
            .enumerate()
            .map(|(i, tx)| {
                evm.transact_commit(tx.clone())
                    .map_err(|e| BenchError::Rejected {
                        engine: "revm",
                        case: format!("block {} transaction {i}", self.number),
                        reason: e.to_string(),
                    })
            })
            .collect()
    }

    fn evm(&self, db: CacheDB<EmptyDB>) -> RevmEvm {
        let spec = self.spec;
        Context::mainnet()
            .with_db(db)
            .modify_cfg_chained(|c| {
                c.set_spec_and_mainnet_gas_params(spec);
                c.chain_id = CHAIN_ID;
            })
            .with_block(self.block.clone())
            .build_mainnet()
    }
}

/// revm's block environment, field by field from parevm's (which `parevm_block::block_env` built from the
/// header): PREVRANDAO from the Merge on, the blob price from the excess blob gas in Cancun.
fn revm_block(b: &MainnetBlock) -> RevmBlockEnv {
    let e = parevm_block::block_env(&b.header, &b.fork);
    RevmBlockEnv {
        number: U256::from(e.number),
        beneficiary: e.beneficiary,
        timestamp: U256::from(e.timestamp),
        gas_limit: e.gas_limit,
        basefee: e.basefee.saturating_to(),
        difficulty: e.difficulty,
        prevrandao: e.prevrandao,
        blob_excess_gas_and_price: e.blob_basefee.map(|_| {
            BlobExcessGasAndPrice::new(
                b.header.excess_blob_gas.unwrap_or(0),
                b.fork.blob.update_fraction,
            )
        }),
        ..Default::default()
    }
}

/// revm's transaction for parevm's `tx` (prices saturate at `u128::MAX`, far above any real block's).
pub fn revm_tx(tx: &TxEnv) -> RevmTxEnv {
    RevmTxEnv {
        tx_type: tx.tx_type,
        caller: tx.caller,
        gas_limit: tx.gas_limit,
        gas_price: tx.gas_price.saturating_to(),
        gas_priority_fee: tx.gas_priority_fee.map(|p| p.saturating_to()),
        kind: tx.kind,
        value: tx.value,
        data: tx.data.clone(),
        nonce: tx.nonce,
        chain_id: tx.chain_id,
        access_list: AccessList(
            tx.access_list
                .iter()
                .map(|i| AccessListItem {
                    address: i.address,
                    storage_keys: i.storage_keys.clone(),
                })
                .collect(),
        ),
        blob_hashes: tx.blob_hashes.clone(),
        max_fee_per_blob_gas: tx.max_fee_per_blob_gas.saturating_to(),
        ..Default::default()
    }
}

/// The block's pre-state as revm's in-memory database: every account of parevm's state with its code and
/// storage, and the set's ancestor hashes (an absent account is empty, as in parevm).
fn revm_db(b: &MainnetBlock, set: &SetData) -> CacheDB<EmptyDB> {
    let mut db = CacheDB::<EmptyDB>::default();
    for (address, account) in b.state.accounts() {
        let code = b
            .state
            .code(&account.code_hash)
            .map(|c| Bytecode::new_raw(c.bytes().clone()));
        let info = AccountInfo {
            balance: account.balance,
            nonce: account.nonce,
            code_hash: account.code_hash,
            code,
            ..Default::default()
        };
        db.insert_account_info(*address, info);
        for (k, v) in &account.storage {
            // EmptyDB never fails.
            let _ = db.insert_account_storage(*address, *k, *v);
        }
    }
    for (number, hash) in &set.block_hashes {
        db.cache.block_hashes.insert(U256::from(*number), *hash);
    }
    db
}
