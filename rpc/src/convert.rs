//! From the chain's blocks to the JSON shapes clients expect (alloy-rpc-types, as reth and anvil serve
//! them), and from a call request to the EVM's transaction fields.

use alloy_consensus::transaction::Recovered;
use alloy_consensus::{
    Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom, Transaction as _, TxType,
};
use alloy_eips::eip2718::Typed2718;
use alloy_primitives::{Address, TxKind, U256};
use alloy_rpc_types_eth::{
    Block, BlockTransactions, Header, Log, Transaction, TransactionReceipt, TransactionRequest,
};
use parevm_chain::{ChainBlock, PoolTx};
use parevm_evm_core::env::{tx_type, AccessListItem};
use parevm_evm_core::TxEnv;
use serde::Serialize;

/// A receipt with the block timestamp anvil adds.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcReceipt {
    /// The standard receipt.
    #[serde(flatten)]
    pub inner: TransactionReceipt,
    /// Timestamp of the including block (anvil serves it as a number).
    pub block_timestamp: u64,
}

/// The RPC header of a block.
pub fn header(block: &ChainBlock) -> Header {
    Header {
        hash: block.hash,
        inner: block.header.clone(),
        total_difficulty: Some(U256::ZERO),
        size: Some(U256::from(block.size)),
    }
}

/// Transaction `index` of `block` as RPC returns it.
pub fn transaction(block: &ChainBlock, index: usize) -> Option<Transaction> {
    let tx = block.txs.get(index)?;
    let receipt = block.receipts.get(index)?;
    Some(Transaction {
        inner: Recovered::new_unchecked(tx.envelope.clone(), tx.sender),
        block_hash: Some(block.hash),
        block_number: Some(block.number()),
        transaction_index: Some(index as u64),
        effective_gas_price: Some(receipt.effective_gas_price),
        block_timestamp: Some(block.header.timestamp),
    })
}

/// A pooled (not yet mined) transaction as RPC returns it.
pub fn pool_transaction(tx: &PoolTx) -> Transaction {
    Transaction {
        inner: Recovered::new_unchecked(tx.envelope.clone(), tx.sender),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        // A pending transaction reports its fee cap as its gas price (geth, anvil).
        effective_gas_price: Some(gas_price_of(&tx.envelope)),
        block_timestamp: None,
    }
}

/// A block with transaction hashes, or full transactions.
pub fn block(block: &ChainBlock, full: bool) -> Block {
    let transactions = if full {
        BlockTransactions::Full(
            (0..block.txs.len())
                .filter_map(|i| transaction(block, i))
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(block.txs.iter().map(|t| t.hash).collect())
    };
    Block {
        header: header(block),
        uncles: Vec::new(),
        transactions,
        withdrawals: block.header.withdrawals_root.map(|_| Default::default()),
    }
}

/// The logs of transaction `index` of `block`, with their positions.
pub fn logs(block: &ChainBlock, index: usize) -> Vec<Log> {
    let (Some(tx), Some(r)) = (block.txs.get(index), block.receipts.get(index)) else {
        return Vec::new();
    };
    r.logs
        .iter()
        .enumerate()
        .map(|(i, l)| Log {
            inner: l.clone(),
            block_hash: Some(block.hash),
            block_number: Some(block.number()),
            block_timestamp: Some(block.header.timestamp),
            transaction_hash: Some(tx.hash),
            transaction_index: Some(index as u64),
            log_index: Some(r.first_log_index + i as u64),
            removed: false,
        })
        .collect()
}

/// The receipt of transaction `index` of `block`.
pub fn receipt(block: &ChainBlock, index: usize) -> Option<RpcReceipt> {
    let tx = block.txs.get(index)?;
    let r = block.receipts.get(index)?;
    let inner = ReceiptWithBloom {
        receipt: Receipt {
            status: Eip658Value::Eip658(r.success),
            cumulative_gas_used: r.cumulative_gas_used,
            logs: logs(block, index),
        },
        logs_bloom: r.bloom,
    };
    let ty = TxType::try_from(tx.envelope.ty()).unwrap_or(TxType::Legacy);
    let blob_price = block
        .header
        .excess_blob_gas
        .map(|_| 1u128.max(blob_price(block)));
    Some(RpcReceipt {
        inner: TransactionReceipt {
            inner: ReceiptEnvelope::from_typed(ty, inner),
            transaction_hash: tx.hash,
            transaction_index: Some(index as u64),
            block_hash: Some(block.hash),
            block_number: Some(block.number()),
            gas_used: r.gas_used,
            effective_gas_price: r.effective_gas_price,
            blob_gas_used: None,
            blob_gas_price: blob_price,
            from: tx.sender,
            to: tx.envelope.to(),
            contract_address: r.contract_address,
        },
        block_timestamp: block.header.timestamp,
    })
}

fn blob_price(block: &ChainBlock) -> u128 {
    parevm_evm_core::env::blob_basefee(
        block.header.excess_blob_gas.unwrap_or(0),
        parevm_evm_core::env::BlobParams::for_spec(parevm_evm_core::SpecId::OSAKA).update_fraction,
    )
}

/// The EVM fields of a call request (`eth_call`, `eth_estimateGas`, `debug_traceCall`): missing gas is
/// `gas_cap`, a missing sender the zero address, missing fees zero.
pub fn call_tx(req: &TransactionRequest, gas_cap: u64) -> TxEnv {
    let dynamic = req.max_fee_per_gas.is_some() || req.max_priority_fee_per_gas.is_some();
    let ty = match req.transaction_type {
        Some(t) => t,
        None if req.authorization_list.is_some() => tx_type::EIP7702,
        None if req.blob_versioned_hashes.is_some() => tx_type::EIP4844,
        None if dynamic => tx_type::EIP1559,
        None if req.access_list.is_some() => tx_type::EIP2930,
        None => tx_type::LEGACY,
    };
    let gas_price = req
        .max_fee_per_gas
        .or(req.gas_price)
        .map(U256::from)
        .unwrap_or_default();
    TxEnv {
        tx_type: ty,
        caller: req.from.unwrap_or(Address::ZERO),
        gas_limit: req.gas.unwrap_or(gas_cap).min(gas_cap),
        gas_price,
        gas_priority_fee: if dynamic {
            Some(
                req.max_priority_fee_per_gas
                    .map(U256::from)
                    .unwrap_or_default()
                    .min(gas_price),
            )
        } else {
            None
        },
        kind: req.to.unwrap_or(TxKind::Create),
        value: req.value.unwrap_or_default(),
        data: req.input.input().cloned().unwrap_or_default(),
        nonce: req.nonce.unwrap_or_default(),
        chain_id: None,
        access_list: req
            .access_list
            .as_ref()
            .map(|l| {
                l.iter()
                    .map(|i| AccessListItem {
                        address: i.address,
                        storage_keys: i.storage_keys.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        blob_hashes: req.blob_versioned_hashes.clone().unwrap_or_default(),
        max_fee_per_blob_gas: U256::from(req.max_fee_per_blob_gas.unwrap_or_default()),
        authorization_list: req
            .authorization_list
            .as_ref()
            .map(|l| {
                l.iter()
                    .map(|a| parevm_evm_core::env::Authorization {
                        chain_id: a.chain_id,
                        address: a.address,
                        nonce: a.nonce,
                        authority: a.recover_authority().ok(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        ..Default::default()
    }
}

/// The gas price a mined transaction paid, or its cap while pending.
pub fn gas_price_of(tx: &alloy_consensus::TxEnvelope) -> u128 {
    tx.gas_price().unwrap_or_else(|| tx.max_fee_per_gas())
}
