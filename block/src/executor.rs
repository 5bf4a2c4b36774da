//! The block executor: one block on top of its parent, all or nothing.
//!
//! ```text
//! validate header (vs parent) and body (vs header)
//!   -> snapshot
//!   -> pre-block system calls (EIP-4788 beacon root, EIP-2935 parent hash)
//!   -> transactions (sequential or parallel), receipts
//!   -> withdrawals (EIP-4895), block and ommer rewards (before the Merge)
//!   -> requests (EIP-6110 deposits, EIP-7002 and EIP-7251 system calls, EIP-7685 hash)
//!   -> compare gas used, receipts root, logs bloom, requests hash, state root with the header
//!   -> keep, or restore the snapshot on any error
//! ```
//! [`Mode::TransactionsOnly`] runs just the transactions, for replaying blocks whose fixtures hold only a
//! partial pre-state (no withdrawals, system calls or rewards, no header checks).

use crate::body::validate_body;
use crate::error::BlockError;
use crate::fork::{ForkParams, ForkSchedule};
use crate::header::validate_header;
use crate::input::BlockInput;
use crate::receipt::{logs_bloom, receipts_root, TypedReceipt};
use crate::requests::{collect_requests, parse_deposits, requests_hash};
use crate::rewards::{apply_rewards, apply_withdrawals};
use crate::store::StateStore;
use crate::system::{
    checked_call, unchecked_call, BEACON_ROOTS_ADDRESS, CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS,
    HISTORY_STORAGE_ADDRESS, WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
};
use crate::trace::TraceHook;
use crate::txs::{run_transactions, PostStateRoots, TxRunner};
use alloy_consensus::Header;
use alloy_primitives::{Bloom, Bytes, B256, U256};
use parevm_evm_core::env::blob_basefee;
use parevm_evm_core::{BlockEnv, CfgEnv, Env, SpecId};

/// Which steps of block processing run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Everything: validation, system calls, transactions, withdrawals, rewards, requests, checks.
    #[default]
    Full,
    /// Only the transactions; the caller compares what it can.
    TransactionsOnly,
    /// Every state change of [`Mode::Full`] but none of its checks against the parent or the header's
    /// commitments: for diagnosing a block that failed them.
    Unchecked,
}

/// What executing a block produced.
#[derive(Clone, Debug)]
pub struct BlockOutcome {
    /// The rules the block ran under.
    pub fork: ForkParams,
    /// One receipt per transaction.
    pub receipts: Vec<TypedReceipt>,
    /// Gas used by the transactions.
    pub gas_used: u64,
    /// OR of the receipts' blooms.
    pub logs_bloom: Bloom,
    /// Root of the receipts.
    pub receipts_root: B256,
    /// EIP-7685 requests hash (Prague on, full mode).
    pub requests_hash: Option<B256>,
    /// State root after the block (full mode).
    pub state_root: Option<B256>,
}

/// Executes blocks of one chain.
#[derive(Clone, Debug)]
pub struct BlockExecutor {
    /// Chain id transactions must carry.
    pub chain_id: u64,
    /// Forks by block number and timestamp.
    pub schedule: ForkSchedule,
    /// Sequential or parallel transactions.
    pub runner: TxRunner,
    /// Which steps run.
    pub mode: Mode,
    /// Leave the post-block state root to the caller (a store that computes it while committing, overlapped
    /// with the next block): `BlockOutcome::state_root` stays `None` and is not compared with the header.
    pub defer_state_root: bool,
    /// Trace every transaction (EIP-3155; transactions then run sequentially).
    pub trace: Option<TraceHook>,
}

impl BlockExecutor {
    /// A full executor for `chain_id` with `schedule`, sequential.
    pub fn new(chain_id: u64, schedule: ForkSchedule) -> Self {
        Self {
            chain_id,
            schedule,
            runner: TxRunner::Sequential,
            mode: Mode::Full,
            defer_state_root: false,
            trace: None,
        }
    }

    /// The fork in force for `header`.
    pub fn fork(&self, header: &Header) -> Result<ForkParams, BlockError> {
        self.schedule
            .at(header.number, header.timestamp)
            .ok_or(BlockError::NoFork {
                number: header.number,
                timestamp: header.timestamp,
            })
    }

    /// Executes `input` on `state` on top of `parent` (whose hash is `parent_hash`).
    ///
    /// In full mode, on success `state` holds the post-block state and knows the block's hash, and on error
    /// it is as it was. [`Mode::TransactionsOnly`] ignores `parent` and takes no snapshot (the caller
    /// discards the state of a failed replay).
    pub fn execute<S: StateStore + Sync>(
        &self,
        state: &mut S,
        parent: &Header,
        parent_hash: B256,
        input: &BlockInput,
    ) -> Result<BlockOutcome, BlockError> {
        let fork = self.fork(&input.header)?;
        if self.mode == Mode::TransactionsOnly {
            return self.process(state, input, fork);
        }
        if self.mode == Mode::Full {
            validate_header(&input.header, parent, parent_hash, &fork)?;
            validate_body(input, &fork)?;
        }
        let snapshot = state.snapshot();
        match self.process(state, input, fork) {
            Ok(outcome) => {
                state.set_block_hash(input.header.number, input.hash);
                Ok(outcome)
            }
            Err(e) => {
                state.restore(snapshot);
                Err(e)
            }
        }
    }

    /// Runs the block's state transition (no rollback; [`BlockExecutor::execute`] wraps it).
    fn process<S: StateStore + Sync>(
        &self,
        state: &mut S,
        input: &BlockInput,
        fork: ForkParams,
    ) -> Result<BlockOutcome, BlockError> {
        let header = &input.header;
        let spec = fork.spec;
        let full = self.mode != Mode::TransactionsOnly;
        let mut cfg = CfgEnv::new(self.chain_id, spec);
        cfg.blob = fork.blob;
        let block = block_env(header, &fork);

        if full && spec.is_enabled_in(SpecId::CANCUN) {
            let root = header.parent_beacon_block_root.unwrap_or_default();
            let data = Bytes::copy_from_slice(root.as_slice());
            unchecked_call(&cfg, &block, BEACON_ROOTS_ADDRESS, data, state)?;
        }
        if full && spec.is_enabled_in(SpecId::PRAGUE) {
            let data = Bytes::copy_from_slice(header.parent_hash.as_slice());
            unchecked_call(&cfg, &block, HISTORY_STORAGE_ADDRESS, data, state)?;
        }

        let envs: Vec<Env> = input
            .transactions
            .iter()
            .map(|tx| Env {
                cfg: cfg.clone(),
                block: block.clone(),
                tx: tx.clone(),
            })
            .collect();
        let roots = if full {
            PostStateRoots::Compute
        } else {
            PostStateRoots::Skip
        };
        let byzantium = spec.is_enabled_in(SpecId::BYZANTIUM);
        let txs = run_transactions(
            &envs,
            state,
            self.runner,
            byzantium,
            roots,
            self.trace.as_ref(),
        )?;
        let mut outcome = BlockOutcome {
            fork,
            logs_bloom: logs_bloom(&txs.receipts),
            receipts_root: receipts_root(&txs.receipts),
            gas_used: txs.gas_used,
            receipts: txs.receipts,
            requests_hash: None,
            state_root: None,
        };
        if !full {
            return Ok(outcome);
        }

        if let Some(withdrawals) = &input.withdrawals {
            apply_withdrawals(state, withdrawals)?;
        }
        apply_rewards(
            state,
            header.beneficiary,
            header.number,
            &input.ommers,
            spec,
        )?;
        if spec.is_enabled_in(SpecId::PRAGUE) {
            let deposits = parse_deposits(&outcome.receipts)?;
            let withdrawals =
                checked_call(&cfg, &block, WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS, state)?;
            let consolidations =
                checked_call(&cfg, &block, CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS, state)?;
            let requests = collect_requests(&deposits, &withdrawals, &consolidations);
            outcome.requests_hash = Some(requests_hash(&requests));
        }
        if !self.defer_state_root {
            outcome.state_root = Some(state.state_root()?);
        }
        if self.mode == Mode::Full {
            check_outcome(header, &outcome)?;
        }
        Ok(outcome)
    }
}

/// The EVM's block context for `header` under `fork`.
pub fn block_env(header: &Header, fork: &ForkParams) -> BlockEnv {
    let spec = fork.spec;
    BlockEnv {
        number: header.number,
        beneficiary: header.beneficiary,
        timestamp: header.timestamp,
        gas_limit: header.gas_limit,
        basefee: U256::from(header.base_fee_per_gas.unwrap_or(0)),
        difficulty: header.difficulty,
        prevrandao: spec.is_enabled_in(SpecId::MERGE).then_some(header.mix_hash),
        blob_basefee: spec.is_enabled_in(SpecId::CANCUN).then(|| {
            blob_basefee(
                header.excess_blob_gas.unwrap_or(0),
                fork.blob.update_fraction,
            )
        }),
        slot_number: header.slot_number,
    }
}

/// Compares execution with the header's commitments.
pub fn check_outcome(header: &Header, outcome: &BlockOutcome) -> Result<(), BlockError> {
    if outcome.gas_used != header.gas_used {
        return Err(BlockError::GasUsed {
            expected: outcome.gas_used,
            got: header.gas_used,
        });
    }
    if outcome.receipts_root != header.receipts_root {
        return Err(BlockError::ReceiptsRoot {
            expected: outcome.receipts_root,
            got: header.receipts_root,
        });
    }
    if outcome.logs_bloom != header.logs_bloom {
        return Err(BlockError::LogsBloom {
            expected: Box::new(outcome.logs_bloom),
            got: Box::new(header.logs_bloom),
        });
    }
    if let Some(expected) = outcome.requests_hash {
        if header.requests_hash != Some(expected) {
            return Err(BlockError::RequestsHash {
                expected,
                got: header.requests_hash,
            });
        }
    }
    if let Some(expected) = outcome.state_root {
        if expected != header.state_root {
            return Err(BlockError::StateRoot {
                expected,
                got: header.state_root,
            });
        }
    }
    Ok(())
}
