//! State and block overrides of a call: `eth_call(request, block, stateOverrides, blockOverrides)`,
//! `eth_estimateGas` with the same two, and `debug_traceCall`'s `stateOverrides` and `blockOverrides`
//! options. The overrides are laid over the state at the requested block (`parevm_chain::overrides`);
//! the block overrides change the call's block context (number, time, gas limit, coinbase, PREVRANDAO,
//! base fee, blob base fee, difficulty) and what BLOCKHASH answers. Nothing reaches the chain.
//!
//! ```text
//! request + block id -> call_context (state block, block context, gas cap) -> block overrides
//!   -> state at the block (pending: after the pending block) -> override writes (geth's rules)
//!   -> f(view with the overrides, call settings, block context, transaction with its nonce filled)
//! ```

use super::exec::call_context;
use crate::context::RpcContext;
use crate::convert;
use crate::error::{RpcError, RpcResult};
use crate::simulate::call::override_writes;
use crate::simulate::precompile_rules;
use alloy_eips::BlockId;
use alloy_primitives::B256;
use alloy_rpc_types_eth::state::StateOverride;
use alloy_rpc_types_eth::{BlockOverrides, TransactionRequest};
use parevm_chain::builder::tx_gas_cap;
use parevm_chain::overrides::with_overrides;
use parevm_evm_core::{BlockEnv, CfgEnv, StateView, TxEnv};
use std::collections::BTreeMap;

/// A call's overrides, as the request gave them.
#[derive(Clone, Debug, Default)]
pub struct CallOverrides {
    /// Accounts to change before the call (balance, nonce, code, whole storage or single slots).
    pub state: Option<StateOverride>,
    /// Block context fields to change.
    pub block: Option<BlockOverrides>,
}

impl CallOverrides {
    /// True when the request overrides nothing.
    pub fn is_empty(&self) -> bool {
        self.state.as_ref().is_none_or(|s| s.is_empty())
            && self.block.as_ref().is_none_or(|b| b.is_empty())
    }
}

/// `benv` with the block overrides `o` in force. A beacon root cannot be overridden for a call (nothing
/// runs the beacon-root system call before it), as geth answers.
pub fn apply_block_overrides(benv: &mut BlockEnv, o: &BlockOverrides) -> RpcResult<()> {
    if o.beacon_root.is_some() {
        return Err(RpcError::InvalidParams(
            "block override \"beaconRoot\" is not supported for this RPC method".into(),
        ));
    }
    if let Some(n) = o.number {
        benv.number = u64::try_from(n)
            .map_err(|_| RpcError::InvalidParams(format!("block number {n} too large")))?;
    }
    if let Some(d) = o.difficulty {
        benv.difficulty = d;
    }
    if let Some(t) = o.time {
        benv.timestamp = t;
    }
    if let Some(g) = o.gas_limit {
        benv.gas_limit = g;
    }
    if let Some(c) = o.coinbase {
        benv.beneficiary = c;
    }
    if let Some(r) = o.random {
        benv.prevrandao = Some(r);
    }
    if let Some(f) = o.base_fee {
        benv.basefee = f;
    }
    if let Some(f) = o.blob_base_fee {
        benv.blob_basefee = Some(u128::try_from(f).unwrap_or(u128::MAX));
    }
    Ok(())
}

impl CallOverrides {
    /// Puts the state overrides' precompile changes into `cfg` (moved and overridden precompiles,
    /// [`precompile_rules`]) and the block overrides into `benv`; returns the block hashes BLOCKHASH
    /// answers first. The devnet's and `parevm node`'s calls both start here.
    pub fn prepare(&self, cfg: &mut CfgEnv, benv: &mut BlockEnv) -> RpcResult<BTreeMap<u64, B256>> {
        if let Some(s) = &self.state {
            cfg.rules = precompile_rules(s, cfg.rules, cfg.spec)?;
        }
        let Some(b) = &self.block else {
            return Ok(BTreeMap::new());
        };
        apply_block_overrides(benv, b)?;
        Ok(b.block_hash.clone().unwrap_or_default())
    }

    /// True when the block overrides change the gas limit (the call's gas cap follows it).
    pub fn sets_gas_limit(&self) -> bool {
        self.block.as_ref().is_some_and(|b| b.gas_limit.is_some())
    }
}

/// Runs `f` on `view` with `state` (the state overrides, if any) laid over it and BLOCKHASH answering
/// `block_hashes` first, with the request's transaction at gas cap `cap`, its missing nonce read from that
/// overridden state (a creation's address depends on it).
pub fn run_overridden<R, E: From<RpcError>>(
    view: &(dyn StateView + Sync),
    state: Option<&StateOverride>,
    block_hashes: &BTreeMap<u64, B256>,
    req: &TransactionRequest,
    cap: u64,
    f: impl FnOnce(&dyn StateView, TxEnv) -> Result<R, E>,
) -> Result<R, E> {
    let writes = match state {
        Some(s) => override_writes(s, view)?,
        None => Vec::new(),
    };
    with_overrides(view, &writes, block_hashes, |v| {
        let mut tx = convert::call_tx(req, cap);
        if req.nonce.is_none() {
            tx.nonce = v.nonce(tx.caller).map_err(RpcError::from)?;
        }
        f(v, tx)
    })
}

/// Runs `f` for the call `req` at `id` with `overrides` in force: on the state at the block (for
/// `pending`, after the pending block) with the state overrides laid over it, in the block context with
/// the block overrides, with the call settings and the request's transaction, whose missing nonce is
/// read from that overridden state.
pub fn run_with_overrides<R>(
    ctx: &RpcContext,
    req: &TransactionRequest,
    id: Option<BlockId>,
    overrides: &CallOverrides,
    f: impl FnOnce(&dyn StateView, CfgEnv, BlockEnv, TxEnv) -> RpcResult<R>,
) -> RpcResult<R> {
    let (number, mut benv, mut cap) = call_context(ctx, id)?;
    let mut cfg = ctx.chain.call_cfg();
    let block_hashes = overrides.prepare(&mut cfg, &mut benv)?;
    if overrides.sets_gas_limit() {
        cap = tx_gas_cap(ctx.chain.config(), benv.gas_limit);
    }
    let run = |view: &(dyn StateView + Sync)| {
        run_overridden(
            view,
            overrides.state.as_ref(),
            &block_hashes,
            req,
            cap,
            |v, tx| f(v, cfg, benv, tx),
        )
    };
    if RpcContext::is_pending(id) {
        ctx.chain
            .read_pending_state(&ctx.driver.next_block(), run)?
    } else {
        ctx.chain.read_state(number, run)?
    }
}
