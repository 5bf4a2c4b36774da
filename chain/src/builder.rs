//! The block builder: candidates from the pool -> the parallel engine's block-building mode -> receipts,
//! roots and a sealed header on top of the parent.
//!
//! ```text
//! candidates (pool order) -> Env per candidate (block context from BlockParams)
//!   -> pre-block system calls (EIP-4788, EIP-2935; skipped while their contracts are absent)
//!   -> parevm_parallel_commit::execute_building: included outcomes in order, skipped ones with reasons
//!   -> apply each included write set (recording the block's reverse diff) -> receipts, bloom, roots
//!   -> header (Shanghai/Cancun/Prague fields as the fork wants) -> ChainBlock
//! ```
//! Skipping is deterministic and equal at every thread count (the building mode guarantees it).

use crate::block::{ChainBlock, ChainTx, TxReceipt};
use crate::config::ChainConfig;
use crate::error::ChainError;
use crate::history::BlockUndo;
use crate::pool::PoolTx;
use alloy_consensus::{proofs, Block, BlockBody, Header, TxEnvelope, EMPTY_OMMER_ROOT_HASH};
use alloy_eips::eip4895::Withdrawals;
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rlp::Encodable;
use alloy_trie::EMPTY_ROOT_HASH;
use parevm_block::header::{next_excess_blob_gas, GAS_PER_BLOB};
use parevm_block::receipt::{build_receipt, logs_bloom, receipts_root, ReceiptStatus};
use parevm_block::system::{BEACON_ROOTS_ADDRESS, HISTORY_STORAGE_ADDRESS, SYSTEM_CALL_GAS};
use parevm_evm_core::env::{blob_basefee, BlobParams};
use parevm_evm_core::{
    execute_system_call, BlockEnv, CfgEnv, Env, SpecId, StateView, KECCAK_EMPTY, SYSTEM_ADDRESS,
};
use parevm_parallel_commit::{execute_building, SkipReason};
use parevm_state::InMemoryState;
use parevm_storage::MemRoot;
use std::sync::Arc;

/// The context of the next block, chosen by whoever drives mining (the devnet's clock, an Engine API call).
#[derive(Clone, Debug)]
pub struct BlockParams {
    /// Timestamp.
    pub timestamp: u64,
    /// Fee recipient.
    pub beneficiary: Address,
    /// Gas limit.
    pub gas_limit: u64,
    /// Base fee per gas.
    pub base_fee: u64,
    /// PREVRANDAO (the header's mix hash).
    pub prevrandao: B256,
    /// Extra data.
    pub extra_data: Bytes,
    /// Parent beacon block root (Cancun on).
    pub parent_beacon_block_root: B256,
}

/// A built block with what building it changed and left out.
#[derive(Debug)]
pub struct Built {
    /// The sealed block.
    pub block: ChainBlock,
    /// Its reverse diff.
    pub undo: BlockUndo,
    /// Candidates left out and why.
    pub skipped: Vec<(B256, SkipReason)>,
}

/// The chain configuration's EVM settings.
pub fn cfg_env(config: &ChainConfig) -> CfgEnv {
    let mut cfg = CfgEnv::new(config.chain_id, config.spec);
    cfg.blob = blob_params(config.spec);
    cfg.disable_tx_gas_cap = !config.enforce_tx_gas_cap;
    cfg.limit_code_size = config.code_size_limit;
    cfg
}

/// Blob parameters of `spec` (mainnet's).
pub fn blob_params(spec: SpecId) -> BlobParams {
    BlobParams::for_spec(spec)
}

/// The EVM's block context for a block at `number` built with `params`.
pub fn block_env(
    config: &ChainConfig,
    number: u64,
    params: &BlockParams,
    excess_blob_gas: u64,
) -> BlockEnv {
    let spec = config.spec;
    BlockEnv {
        number,
        beneficiary: params.beneficiary,
        timestamp: params.timestamp,
        gas_limit: params.gas_limit,
        basefee: U256::from(params.base_fee),
        difficulty: U256::ZERO,
        prevrandao: spec
            .is_enabled_in(SpecId::MERGE)
            .then_some(params.prevrandao),
        blob_basefee: spec
            .is_enabled_in(SpecId::CANCUN)
            .then(|| blob_basefee(excess_blob_gas, blob_params(spec).update_fraction)),
        slot_number: None,
    }
}

pub use parevm_evm_core::TX_GAS_LIMIT_CAP;

/// The most gas a transaction may use in a block with `block_gas_limit` under `config`'s fork (the EIP-7825
/// cap only where the chain enforces it).
pub fn tx_gas_cap(config: &ChainConfig, block_gas_limit: u64) -> u64 {
    if config.enforce_tx_gas_cap && config.spec.is_enabled_in(SpecId::OSAKA) {
        block_gas_limit.min(TX_GAS_LIMIT_CAP)
    } else {
        block_gas_limit
    }
}

/// The excess blob gas of the block after `parent` (EIP-4844).
pub fn excess_blob_gas_after(config: &ChainConfig, parent: &Header) -> u64 {
    next_excess_blob_gas(
        parent.excess_blob_gas.unwrap_or(0),
        parent.blob_gas_used.unwrap_or(0),
        parent.base_fee_per_gas.unwrap_or(0),
        &blob_params(config.spec),
        config.spec,
    )
}

/// Runs a pre-block system call when its contract exists, recording and applying its writes.
fn system_call(
    cfg: &CfgEnv,
    block: &BlockEnv,
    target: Address,
    data: B256,
    state: &mut InMemoryState,
    undo: &mut BlockUndo,
) -> Result<(), ChainError> {
    let hash = state.code_hash(target)?;
    if hash == KECCAK_EMPTY || hash.is_zero() {
        return Ok(());
    }
    let data = Bytes::copy_from_slice(data.as_slice());
    let out = execute_system_call(
        cfg,
        block,
        SYSTEM_ADDRESS,
        target,
        data,
        SYSTEM_CALL_GAS,
        &*state,
    )
    .map_err(|e| ChainError::Build(format!("system call to {target}: {e}")))?;
    state.materialize(&out.writes)?;
    undo.record(state, &out.writes);
    state.apply(&out.writes);
    Ok(())
}

/// Builds the block after `parent` from `candidates` on `state`, which ends up holding the block's
/// post-state (and the block's hash for BLOCKHASH). Without `root` the state root is not computed and the
/// header carries zero (anvil's pending block). On an error `state` is as it was.
pub fn build_block(
    config: &ChainConfig,
    state: &mut InMemoryState,
    root: Option<&mut MemRoot>,
    parent: &ChainBlock,
    params: &BlockParams,
    candidates: &[Arc<PoolTx>],
) -> Result<Built, ChainError> {
    let mut undo = BlockUndo::default();
    let mut root = root;
    match build_on(
        config,
        state,
        root.as_deref_mut(),
        parent,
        params,
        candidates,
        &mut undo,
    ) {
        Ok((block, skipped)) => Ok(Built {
            block,
            undo,
            skipped,
        }),
        Err(e) => {
            // A system call applied, or a forked state's read failing after it: nothing of the block stays.
            // (Accounts copied in from a fork stay, unchanged; the next root compares the whole state.)
            undo.restore(state);
            if let Some(root) = root {
                root.invalidate();
            }
            Err(e)
        }
    }
}

/// [`build_block`]'s work, recording in `undo` what it changes in `state` before it changes it.
fn build_on(
    config: &ChainConfig,
    state: &mut InMemoryState,
    root: Option<&mut MemRoot>,
    parent: &ChainBlock,
    params: &BlockParams,
    candidates: &[Arc<PoolTx>],
    undo: &mut BlockUndo,
) -> Result<(ChainBlock, Vec<(B256, SkipReason)>), ChainError> {
    let spec = config.spec;
    let number = parent.number() + 1;
    let excess_blob_gas = excess_blob_gas_after(config, &parent.header);
    let cfg = cfg_env(config);
    let benv = block_env(config, number, params, excess_blob_gas);

    if spec.is_enabled_in(SpecId::CANCUN) {
        let root = params.parent_beacon_block_root;
        system_call(&cfg, &benv, BEACON_ROOTS_ADDRESS, root, state, undo)?;
    }
    if spec.is_enabled_in(SpecId::PRAGUE) {
        system_call(
            &cfg,
            &benv,
            HISTORY_STORAGE_ADDRESS,
            parent.hash,
            state,
            undo,
        )?;
    }

    let envs: Vec<Env> = candidates
        .iter()
        .map(|c| Env {
            cfg: cfg.clone(),
            block: benv.clone(),
            tx: c.env.clone(),
        })
        .collect();
    let built = execute_building(&envs, &*state, config.threads.max(1), params.gas_limit)
        .map_err(|e| ChainError::Build(e.to_string()))?;

    let basefee = U256::from(params.base_fee);
    let mut txs = Vec::with_capacity(built.included.len());
    let mut receipts = Vec::with_capacity(built.included.len());
    let mut typed = Vec::with_capacity(built.included.len());
    let mut cumulative = 0u64;
    let mut blob_gas_used = 0u64;
    let mut log_index = 0u64;
    // A forked state copies in what the block writes before anything is applied (a failed read changes
    // nothing).
    for (_, outcome) in &built.included {
        state.materialize(&outcome.writes)?;
    }
    for (i, outcome) in built.included {
        let cand = &candidates[i];
        undo.record(state, &outcome.writes);
        state.apply(&outcome.writes);
        cumulative += outcome.gas_used;
        blob_gas_used += cand.env.blob_hashes.len() as u64 * GAS_PER_BLOB;
        let success = outcome.status.is_success();
        let receipt = build_receipt(
            cand.env.tx_type,
            ReceiptStatus::Status(success),
            cumulative,
            outcome.logs.clone(),
        );
        let n_logs = outcome.logs.len() as u64;
        receipts.push(TxReceipt {
            success,
            gas_used: outcome.gas_used,
            cumulative_gas_used: cumulative,
            effective_gas_price: u128::try_from(cand.env.effective_gas_price(basefee))
                .unwrap_or(u128::MAX),
            // geth's receipt names the address a creation targets whether or not it succeeded.
            contract_address: cand
                .env
                .kind
                .is_create()
                .then(|| cand.sender.create(cand.env.nonce)),
            bloom: *receipt.logs_bloom(),
            logs: outcome.logs,
            output: outcome.output,
            first_log_index: log_index,
        });
        log_index += n_logs;
        typed.push(receipt);
        txs.push(ChainTx {
            hash: cand.hash,
            sender: cand.sender,
            envelope: cand.envelope.clone(),
        });
    }
    let skipped = built
        .skipped
        .into_iter()
        .map(|(i, why)| (candidates[i].hash, why))
        .collect();

    let envelopes: Vec<TxEnvelope> = txs.iter().map(|t| t.envelope.clone()).collect();
    let header = Header {
        parent_hash: parent.hash,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: params.beneficiary,
        state_root: match root {
            Some(root) => root.root_after(state, undo.accounts(), undo.slots())?,
            None => B256::ZERO,
        },
        transactions_root: proofs::calculate_transaction_root(&envelopes),
        receipts_root: receipts_root(&typed),
        logs_bloom: logs_bloom(&typed),
        difficulty: U256::ZERO,
        number,
        gas_limit: params.gas_limit,
        gas_used: cumulative,
        timestamp: params.timestamp,
        extra_data: params.extra_data.clone(),
        mix_hash: params.prevrandao,
        nonce: Default::default(),
        base_fee_per_gas: spec
            .is_enabled_in(SpecId::LONDON)
            .then_some(params.base_fee),
        withdrawals_root: spec
            .is_enabled_in(SpecId::SHANGHAI)
            .then_some(EMPTY_ROOT_HASH),
        blob_gas_used: spec.is_enabled_in(SpecId::CANCUN).then_some(blob_gas_used),
        excess_blob_gas: spec
            .is_enabled_in(SpecId::CANCUN)
            .then_some(excess_blob_gas),
        parent_beacon_block_root: spec
            .is_enabled_in(SpecId::CANCUN)
            .then_some(params.parent_beacon_block_root),
        requests_hash: spec
            .is_enabled_in(SpecId::PRAGUE)
            .then_some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    };
    let block = seal(header, txs, receipts, spec);
    state.set_block_hash(number, block.hash);
    Ok((block, skipped))
}

/// Seals a header with its body: computes the hash and the block's RLP size.
pub fn seal(
    header: Header,
    txs: Vec<ChainTx>,
    receipts: Vec<TxReceipt>,
    spec: SpecId,
) -> ChainBlock {
    let hash = header.hash_slow();
    let body = BlockBody {
        transactions: txs
            .iter()
            .map(|t| t.envelope.clone())
            .collect::<Vec<TxEnvelope>>(),
        ommers: Vec::new(),
        withdrawals: spec
            .is_enabled_in(SpecId::SHANGHAI)
            .then(Withdrawals::default),
    };
    let block = Block { header, body };
    let size = block.length() as u64;
    ChainBlock {
        header: block.header,
        hash,
        txs,
        receipts,
        size,
    }
}
