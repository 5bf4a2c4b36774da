//! Account state at a block: balance, code, storage (at `pending`: after the pending block), nonce (the
//! pending nonce counts pooled transactions),
//! whole accounts (`eth_getAccount`, `eth_getAccountInfo`) and Merkle proofs (`eth_getProof`).

use crate::context::RpcContext;
use crate::error::{RpcError, RpcResult};
use crate::params::Args;
use crate::register::json;
use alloy_eips::BlockId;
use alloy_primitives::{Address, B256, U256};
use parevm_evm_core::ViewError;
use serde_json::Value;
use std::collections::BTreeMap;

/// `eth_getBalance(address, block?)`.
pub fn get_balance(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let address: Address = a.req(0)?;
    let v = ctx.read_state_at(a.opt::<BlockId>(1)?, |s| s.balance(address))??;
    json(v)
}

/// `eth_getCode(address, block?)`.
pub fn get_code(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let address: Address = a.req(0)?;
    let code = ctx.read_state_at(a.opt::<BlockId>(1)?, |s| {
        let hash = s.code_hash(address)?;
        s.code_by_hash(hash)
    })??;
    json(code.bytes())
}

/// `eth_getStorageAt(address, slot, block?)`.
pub fn get_storage_at(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let address: Address = a.req(0)?;
    let slot: U256 = a.req(1)?;
    let v = ctx.read_state_at(a.opt::<BlockId>(2)?, |s| s.storage(address, slot))??;
    json(B256::from(v.to_be_bytes::<32>()))
}

/// Most slots one `eth_getStorageValues` call reads (anvil's limit).
pub const MAX_STORAGE_VALUES: usize = 1024;

/// `eth_getStorageValues({address: [slot, ...]}, block?)`: every slot's value, by address, read on one
/// state.
pub fn get_storage_values(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(2)?;
    let req: BTreeMap<Address, Vec<B256>> = a.req(0)?;
    let total: usize = req.values().map(Vec::len).sum();
    if total > MAX_STORAGE_VALUES {
        return Err(RpcError::InvalidParams(format!(
            "total slot count {total} exceeds limit {MAX_STORAGE_VALUES}"
        )));
    }
    let values = ctx.read_state_at(a.opt::<BlockId>(1)?, |s| {
        req.iter()
            .map(|(address, slots)| {
                let values = slots
                    .iter()
                    .map(|k| {
                        let v = s.storage(*address, U256::from_be_bytes(k.0))?;
                        Ok(B256::from(v.to_be_bytes::<32>()))
                    })
                    .collect::<Result<Vec<B256>, ViewError>>()?;
                Ok((*address, values))
            })
            .collect::<Result<BTreeMap<Address, Vec<B256>>, ViewError>>()
    })??;
    json(values)
}

/// `eth_getTransactionCount(address, block?)`; `pending` adds the sender's executable pooled
/// transactions.
pub fn get_transaction_count(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let address: Address = a.req(0)?;
    let id = a.opt::<BlockId>(1)?;
    let block = ctx.state_block(id)?;
    let nonce = ctx
        .chain
        .read_state(block.number(), |s| s.nonce(address))??;
    if RpcContext::is_pending(id) {
        return json(U256::from(pending_nonce(ctx, address, nonce)));
    }
    json(U256::from(nonce))
}

/// The next nonce `address` would use with its pooled transactions counted.
pub fn pending_nonce(ctx: &RpcContext, address: Address, state_nonce: u64) -> u64 {
    let (pending, _) = ctx.chain.pool_split();
    pending
        .iter()
        .filter(|t| t.sender == address)
        .map(|t| t.nonce().saturating_add(1))
        .max()
        .unwrap_or(state_nonce)
        .max(state_nonce)
}

/// `eth_getProof(address, slots, block?)`.
pub fn get_proof(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let address: Address = a.req(0)?;
    let slots: Vec<alloy_serde::storage::JsonStorageKey> = a.req(1)?;
    let block = ctx.state_block(a.opt::<BlockId>(2)?)?;
    if block.number() != ctx.chain.head().number() {
        return Err(RpcError::Server(
            "eth_getProof is served for the latest block only".into(),
        ));
    }
    if ctx.chain.is_forked() {
        return Err(RpcError::Unsupported(
            "eth_getProof on a forked chain: the devnet holds the accounts it read or wrote, not the fork's trie"
                .into(),
        ));
    }
    let keys: Vec<B256> = slots.iter().map(|k| k.as_b256()).collect();
    let p = ctx.chain.account_proof(address, &keys);
    json(alloy_rpc_types_eth::EIP1186AccountProofResponse {
        address: p.address,
        balance: p.balance,
        code_hash: p.code_hash,
        nonce: p.nonce,
        storage_hash: p.storage_hash,
        account_proof: p.account_proof,
        storage_proof: p
            .storage_proof
            .into_iter()
            .zip(slots)
            .map(|(s, key)| alloy_rpc_types_eth::EIP1186StorageProof {
                key,
                value: s.value,
                proof: s.proof,
            })
            .collect(),
    })
}

/// `eth_getAccount(address, block?)`: nonce, balance, storage root and code hash, as in the trie (the empty
/// root and the empty code's hash for an account that does not exist). Latest block only, as proofs.
pub fn get_account(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(2)?;
    let address: Address = a.req(0)?;
    let block = ctx.state_block(a.opt::<BlockId>(1)?)?;
    if block.number() != ctx.chain.head().number() {
        return Err(RpcError::Server(
            "eth_getAccount is served for the latest block only".into(),
        ));
    }
    if ctx.chain.is_forked() {
        return Err(RpcError::Unsupported(
            "eth_getAccount on a forked chain: the devnet holds the accounts it read or wrote, not the fork's trie"
                .into(),
        ));
    }
    let p = ctx.chain.account_proof(address, &[]);
    json(serde_json::json!({
        "nonce": U256::from(p.nonce),
        "balance": p.balance,
        "storageRoot": p.storage_hash,
        "codeHash": p.code_hash,
    }))
}

/// `eth_getAccountInfo(address, block?)`: balance, nonce and code in one call.
pub fn get_account_info(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(2)?;
    let address: Address = a.req(0)?;
    let block = ctx.state_block(a.opt::<BlockId>(1)?)?;
    let (balance, nonce, code) = ctx.chain.read_state(block.number(), |s| {
        let b = s.basic(address)?;
        let code = s.code_by_hash(b.code_hash)?;
        Ok::<_, parevm_evm_core::ViewError>((b.balance, b.nonce, code))
    })??;
    json(serde_json::json!({
        "balance": balance,
        "nonce": U256::from(nonce),
        "code": code.bytes(),
    }))
}
