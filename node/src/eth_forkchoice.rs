//! Ethereum mode's Engine API: `engine_forkchoiceUpdatedV1/V2/V3` without payload attributes, which moves
//! the safe and finalized labels (how hive's rpc-compat setup, `headfcu.json`, marks the imported head
//! safe and finalized). Blocks come from `parevm import`, so this mode builds no payloads (attributes are
//! answered -38003) and does not reorg (a head other than the stored head is -38002, an unknown one
//! SYNCING).

use crate::engine_api::{code, EngineError};
use crate::eth::{json, store, EthBackend, EthResult};
use crate::ethereum::EthereumChain;
use alloy_primitives::B256;
use alloy_rpc_types_engine::{
    ForkchoiceState, ForkchoiceUpdated, PayloadStatus, PayloadStatusEnum,
};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;
use parevm_rpc::params::Args;
use parevm_storage::Label;
use serde_json::Value;

/// Adds the forkchoice methods to an Ethereum-mode module (the auth port's).
pub fn register_forkchoice(m: &mut RpcModule<EthereumChain>) {
    for name in [
        "engine_forkchoiceUpdatedV1",
        "engine_forkchoiceUpdatedV2",
        "engine_forkchoiceUpdatedV3",
    ] {
        let r = m.register_blocking_method(name, |params, ctx, _| {
            let args = Args::new(&params).map_err(EngineError::from);
            let out = args.and_then(|a| forkchoice(&a, &ctx));
            out.map_err(|e| ErrorObjectOwned::owned(e.code, e.message, e.data))
        });
        debug_assert!(r.is_ok(), "duplicate method {name}");
    }
}

fn state_error(message: impl Into<String>) -> EngineError {
    EngineError::new(code::INVALID_FORKCHOICE_STATE, message)
}

fn forkchoice(a: &Args, c: &EthereumChain) -> EthResult<Value> {
    a.at_most(2)?;
    let fc: ForkchoiceState = a.req(0)?;
    let attrs: Option<Value> = a.opt(1)?;
    if attrs.is_some_and(|v| !v.is_null()) {
        return Err(EngineError::new(
            code::INVALID_PAYLOAD_ATTRIBUTES,
            "Ethereum mode builds no payloads: its blocks come from parevm import",
        ));
    }
    let s = c.store();
    let (head, _) = s.head().map_err(store)?;
    if !s.is_canonical(&fc.head_block_hash).map_err(store)? {
        return json(ForkchoiceUpdated::new(PayloadStatus::new(
            PayloadStatusEnum::Syncing,
            None,
        )));
    }
    if fc.head_block_hash != head.hash {
        return Err(state_error(format!(
            "head {} is not the stored head {} (Ethereum mode does not reorg)",
            fc.head_block_hash, head.hash
        )));
    }
    let label = |l: Label, given: B256| -> EthResult<B256> {
        if given.is_zero() {
            return Ok(s.label(l).map_err(store)?.map_or(B256::ZERO, |r| r.hash));
        }
        if !s.is_canonical(&given).map_err(store)? {
            return Err(state_error(format!("{l:?} block {given} is not canonical")));
        }
        Ok(given)
    };
    let safe = label(Label::Safe, fc.safe_block_hash)?;
    let finalized = label(Label::Finalized, fc.finalized_block_hash)?;
    if !safe.is_zero() && !finalized.is_zero() {
        s.set_safe_finalized(safe, finalized).map_err(store)?;
    }
    json(ForkchoiceUpdated::new(PayloadStatus::new(
        PayloadStatusEnum::Valid,
        Some(head.hash),
    )))
}
