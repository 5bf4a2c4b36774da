//! `testing_buildBlockV1` in Ethereum mode: builds the block after the head from given transactions (or the
//! pool's executable ones) and answers it as `engine_getPayloadV4` would, without touching the chain.
//!
//! ```text
//! (parent = head, payload attributes V3, transactions | null, extraData)
//!   -> header: number+1, gas limit toward geth's default ceiling, EIP-1559 base fee, excess blob gas,
//!      Shanghai/Cancun/Prague fields as the fork wants
//!   -> BlockExecutor (Mode::Unchecked: system calls, transactions, withdrawals, requests) on a BlockState
//!      of the store that is dropped afterwards (nothing written)
//!   -> gas used, receipts root, bloom, requests hash, state root -> sealed header -> ExecutionPayloadV3
//! ```
//! A transaction that cannot run (bad nonce, no funds) makes the call fail with -32000; transactions from
//! the pool are taken in the pool's order and must all run. Blob sidecars are not returned (the pool
//! keeps blob transactions without them), and a block with execution requests is refused.

use crate::engine_api::EngineError;
use crate::eth::{json, server, store, EthBackend, EthResult};
use crate::ethereum::EthereumChain;
use alloy_consensus::{
    proofs, Block, BlockBody, Header, Transaction as _, TxEip4844, TxEnvelope,
    EMPTY_OMMER_ROOT_HASH,
};
use alloy_eips::eip2718::Decodable2718;
use alloy_eips::eip4895::{Withdrawal, Withdrawals};
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rpc_types_engine::ExecutionPayloadV3;
use parevm_block::header::{next_base_fee, next_excess_blob_gas, GAS_PER_BLOB};
use parevm_block::input::BlockTx;
use parevm_block::{BlockExecutor, BlockInput, DecodedBlock, Mode};
use parevm_evm_core::SpecId;
use serde::Deserialize;
use serde_json::Value;

/// geth's default gas ceiling: a built block's gas limit moves toward it from the parent's.
pub const DESIRED_GAS_LIMIT: u64 = 60_000_000;
/// EIP-1559 bound on the gas limit's change per block.
const GAS_LIMIT_BOUND_DIVISOR: u64 = 1024;
/// Invalid method parameters.
const INVALID_PARAMS: i32 = -32602;

/// The payload attributes (V3) the call takes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Attributes {
    timestamp: alloy_primitives::U64,
    prev_randao: B256,
    suggested_fee_recipient: Address,
    withdrawals: Option<Vec<Withdrawal>>,
    parent_beacon_block_root: Option<B256>,
}

/// geth's `CalcGasLimit`: one step from `parent` toward `desired`, by at most parent/1024 - 1.
pub fn next_gas_limit(parent: u64, desired: u64) -> u64 {
    let delta = (parent / GAS_LIMIT_BOUND_DIVISOR).saturating_sub(1);
    if parent < desired {
        parent.saturating_add(delta).min(desired)
    } else {
        parent.saturating_sub(delta).max(desired)
    }
}

fn rejected(message: impl Into<String>) -> EngineError {
    EngineError::new(-32000, message)
}

/// `testing_buildBlockV1(parentHash, attributes, transactions | null, extraData)`.
pub fn build_block_v1(a: &parevm_rpc::params::Args, c: &EthereumChain) -> EthResult<Value> {
    let parent_hash: B256 = a.req(0)?;
    let attrs: Attributes = a.req(1)?;
    let given: Option<Vec<Bytes>> = a.opt(2)?;
    let extra: Option<Bytes> = a.opt(3)?;
    let (head_ref, parent) = c.store().head().map_err(store)?;
    if head_ref.hash != parent_hash {
        return Err(rejected(format!(
            "can only build on the head {}, not {parent_hash}",
            head_ref.hash
        )));
    }
    let transactions: Vec<BlockTx> = match given {
        Some(raws) => raws
            .iter()
            .map(|raw| {
                // Blob transactions may come in network form: the block keeps them without sidecar.
                TxEnvelope::decode_2718(&mut raw.as_ref())
                    .map(|t| t.map_eip4844(TxEip4844::from))
                    .map_err(|e| {
                        EngineError::new(INVALID_PARAMS, format!("invalid transaction: {e}"))
                    })
            })
            .collect::<Result<_, _>>()?,
        None => {
            let view = crate::eth::state(c, None)?;
            let (pending, _) = c.pool().split(&view)?;
            pending
                .iter()
                .map(|t| t.envelope.clone().map_eip4844(TxEip4844::from))
                .collect()
        }
    };
    let number = parent.number + 1;
    let timestamp = attrs.timestamp.to::<u64>();
    let probe = Header {
        number,
        timestamp,
        ..Default::default()
    };
    let fork = c.fork(&probe)?;
    let spec = fork.spec;
    let parent_fork = c.fork(&parent)?;
    let base_fee = spec.is_enabled_in(SpecId::LONDON).then(|| {
        parent.base_fee_per_gas.map_or(1_000_000_000, |base| {
            next_base_fee(parent.gas_used, parent.gas_limit, base)
        })
    });
    let cancun = spec.is_enabled_in(SpecId::CANCUN);
    let blob_gas_used: u64 = transactions
        .iter()
        .map(|t| t.blob_versioned_hashes().map_or(0, <[B256]>::len) as u64 * GAS_PER_BLOB)
        .sum();
    let excess_blob_gas = cancun.then(|| {
        next_excess_blob_gas(
            parent.excess_blob_gas.unwrap_or(0),
            parent.blob_gas_used.unwrap_or(0),
            parent.base_fee_per_gas.unwrap_or(0),
            &parent_fork.blob,
            spec,
        )
    });
    let withdrawals = spec
        .is_enabled_in(SpecId::SHANGHAI)
        .then(|| Withdrawals::new(attrs.withdrawals.clone().unwrap_or_default()));
    let mut header = Header {
        parent_hash,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: attrs.suggested_fee_recipient,
        transactions_root: proofs::calculate_transaction_root(&transactions),
        withdrawals_root: withdrawals
            .as_ref()
            .map(|w| proofs::calculate_withdrawals_root(w)),
        number,
        gas_limit: next_gas_limit(parent.gas_limit, DESIRED_GAS_LIMIT),
        timestamp,
        extra_data: extra.unwrap_or_default(),
        mix_hash: attrs.prev_randao,
        base_fee_per_gas: base_fee,
        blob_gas_used: cancun.then_some(blob_gas_used),
        excess_blob_gas,
        parent_beacon_block_root: cancun
            .then(|| attrs.parent_beacon_block_root.unwrap_or_default()),
        requests_hash: spec
            .is_enabled_in(SpecId::PRAGUE)
            .then_some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    };
    let block = Block {
        header: header.clone(),
        body: BlockBody {
            transactions: transactions.clone(),
            ommers: Vec::new(),
            withdrawals: withdrawals.clone(),
        },
    };
    let input = BlockInput::from_decoded(
        DecodedBlock {
            hash: header.hash_slow(),
            size: 0,
            block,
        },
        spec,
    )
    .map_err(|e| rejected(e.to_string()))?;
    let mut executor = BlockExecutor::new(c.spec().chain_id, c.spec().schedule.clone());
    executor.mode = Mode::Unchecked;
    // A block state over the head that is dropped: nothing of the build reaches the store.
    let mut state = c.store().begin_block().map_err(store)?;
    let outcome = executor
        .execute(&mut state, &parent, parent_hash, &input)
        .map_err(|e| rejected(e.to_string()))?;
    drop(state);
    if outcome
        .requests_hash
        .is_some_and(|h| h != EMPTY_REQUESTS_HASH)
    {
        return Err(rejected(
            "the block has execution requests, which testing_buildBlockV1 does not list",
        ));
    }
    header.gas_used = outcome.gas_used;
    header.receipts_root = outcome.receipts_root;
    header.logs_bloom = outcome.logs_bloom;
    header.requests_hash = outcome.requests_hash;
    header.state_root = outcome
        .state_root
        .ok_or_else(|| server("the executor gave no state root"))?;
    let hash = header.hash_slow();
    // What the fee recipient earns: each transaction's gas times its effective tip.
    let mut block_value = U256::ZERO;
    let mut cumulative = 0u64;
    for (tx, receipt) in transactions.iter().zip(&outcome.receipts) {
        let used = receipt.cumulative_gas_used() - cumulative;
        cumulative = receipt.cumulative_gas_used();
        let tip = tx.effective_tip_per_gas(base_fee.unwrap_or(0)).unwrap_or(0);
        block_value += U256::from(used) * U256::from(tip);
    }
    let block = Block {
        header,
        body: BlockBody {
            transactions,
            ommers: Vec::new(),
            withdrawals,
        },
    };
    let payload = ExecutionPayloadV3::from_block_unchecked(hash, &block);
    json(serde_json::json!({
        "executionPayload": payload,
        "blockValue": block_value,
        "blobsBundle": {"commitments": [], "proofs": [], "blobs": []},
        "executionRequests": [],
        "shouldOverrideBuilder": false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_limit_steps_toward_the_ceiling_without_passing_it() {
        let parent = 200_000_000u64;
        let step = parent / GAS_LIMIT_BOUND_DIVISOR - 1;
        assert_eq!(next_gas_limit(parent, DESIRED_GAS_LIMIT), parent - step);
        let low = 30_000_000u64;
        assert_eq!(
            next_gas_limit(low, DESIRED_GAS_LIMIT),
            low + low / GAS_LIMIT_BOUND_DIVISOR - 1
        );
        // Within one step of the ceiling: lands on it.
        assert_eq!(
            next_gas_limit(DESIRED_GAS_LIMIT + 10, DESIRED_GAS_LIMIT),
            DESIRED_GAS_LIMIT
        );
        assert_eq!(
            next_gas_limit(DESIRED_GAS_LIMIT - 10, DESIRED_GAS_LIMIT),
            DESIRED_GAS_LIMIT
        );
    }
}
