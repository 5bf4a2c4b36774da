//! The methods that execute or price: `eth_call`, `eth_estimateGas` and `eth_createAccessList` (from the
//! read and write sets evm-core reports), in both modes (registered with the eth reads, over
//! [`EthBackend::call_env`]: Ethereum's rules, or OP's rules for calls, where a call pays no L1 or
//! operator fee as in op-reth), on the stored state of the requested block (evm-core through parevm-chain's `call_on`/`estimate_on`, the same search the
//! devnet uses). The fee methods live in [`crate::eth_fees`].
//!
//! ```text
//! request + block id -> header, ForkParams -> CfgEnv (call settings) + BlockEnv (parevm-block's)
//!   (+ block overrides) -> state_at(n) (+ state overrides laid over it: parevm_chain::overrides)
//!   -> parevm_rpc::convert::call_tx -> TxEnv -> call_on / estimate_on
//! ```
//! Calls run in the block's own context (its number, timestamp, base fee), with the nonce and base-fee
//! checks off, as geth and the devnet do; `eth_call` and `eth_estimateGas` take state and block overrides
//! as op-reth does (the rules the devnet applies, `parevm_rpc::eth::overrides`).

use crate::engine_api::EngineError;
use crate::eth::{json, resolve, server, store, EthBackend, EthResult};
use crate::ethereum::EthereumChain;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::B256;
use alloy_primitives::U256;
use alloy_rpc_types_eth::TransactionRequest;
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;
use parevm_chain::call::{call_on, estimate_on, out_of_gas};
use parevm_chain::Estimate;
use parevm_evm_core::{CfgEnv, Env, SpecId, StateView, TxEnv, TX_GAS_LIMIT_CAP};
use parevm_rpc::eth::overrides::{run_overridden, CallOverrides};
use parevm_rpc::params::Args;
use parevm_rpc::RpcError;
use parevm_storage::HistoricalState;
use serde_json::Value;
use std::collections::BTreeMap;

/// An Ethereum-mode method body.
pub(crate) type Handler = fn(&Args, &EthereumChain) -> EthResult<Value>;

/// Registers `f` as the blocking method `name` (shared by the exec and trace methods).
pub(crate) fn register(m: &mut RpcModule<EthereumChain>, name: &'static str, f: Handler) {
    let r = m.register_blocking_method(name, move |params, ctx, _| {
        let args = Args::new(&params).map_err(EngineError::from);
        let out = args.and_then(|a| f(&a, &ctx));
        out.map_err(|e| ErrorObjectOwned::owned(e.code, e.message, e.data))
    });
    debug_assert!(r.is_ok(), "duplicate method {name}");
}

/// Adds the Ethereum-mode-only methods (block building, simulation, `eth_config`, `eth_baseFee`).
pub fn register_exec(m: &mut RpcModule<EthereumChain>) {
    register(m, "testing_buildBlockV1", crate::eth_build::build_block_v1);
    register(m, "eth_simulateV1", crate::eth_simulate::simulate_v1);
    register(m, "eth_config", |a, c| {
        a.at_most(0)?;
        crate::eth_config::eth_config(c)
    });
    register(m, "eth_baseFee", |a, c| crate::eth_fees::base_fee(a, c));
}

fn rpc(e: impl Into<RpcError>) -> EngineError {
    EngineError::from(e.into())
}

/// What a call at block `id` runs with: the block's number, EVM settings (the chain's rules for calls;
/// nonce and base-fee checks off, as geth and op-reth have them) and context, and the gas cap.
fn call_context(
    c: &dyn EthBackend,
    id: Option<BlockId>,
) -> EthResult<(u64, CfgEnv, parevm_evm_core::BlockEnv, u64)> {
    let id = id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest));
    let (number, hash) = resolve(c, id)?.ok_or_else(|| server("block not found"))?;
    let header = c
        .store()
        .header_by_hash(&hash)
        .map_err(store)?
        .ok_or_else(|| server(format!("block {hash} has no stored header")))?;
    let (mut cfg, block) = c.call_env(&header)?;
    cfg.disable_nonce_check = true;
    cfg.disable_base_fee = true;
    let cap = gas_cap(&cfg, header.gas_limit);
    Ok((number, cfg, block, cap))
}

/// The most gas one call may use in a block with `gas_limit` (EIP-7825's cap from Osaka).
fn gas_cap(cfg: &CfgEnv, gas_limit: u64) -> u64 {
    if cfg.spec.is_enabled_in(SpecId::OSAKA) {
        gas_limit.min(TX_GAS_LIMIT_CAP)
    } else {
        gas_limit
    }
}

fn view_err(e: impl std::fmt::Display) -> EngineError {
    server(e.to_string())
}

/// A call that pays nothing runs with a zero base fee (and blob base fee), as geth's eth_call does: the
/// EVM then sees `BASEFEE` 0 rather than a fee nobody paid.
fn zero_fees_if_unpaid(tx: &parevm_evm_core::TxEnv, block: &mut parevm_evm_core::BlockEnv) {
    let tip = tx.gas_priority_fee.unwrap_or_default();
    if tx.gas_price.is_zero() && tip.is_zero() {
        block.basefee = U256::ZERO;
    }
    if tx.max_fee_per_blob_gas.is_zero() && block.blob_basefee.is_some() {
        block.blob_basefee = Some(0);
    }
}

/// What a call runs with before its state is read: the request, the EVM settings, the block context
/// (block overrides in force), the gas cap, the state at the block and the overrides.
struct CallParts {
    req: TransactionRequest,
    cfg: CfgEnv,
    block: parevm_evm_core::BlockEnv,
    cap: u64,
    state: HistoricalState,
    overrides: CallOverrides,
    block_hashes: BTreeMap<u64, B256>,
}

/// The parts of a call with at most `max_args` arguments: `eth_call` and `eth_estimateGas` take state and
/// block overrides as their third and fourth (`overrides`), `eth_createAccessList` none.
fn call_parts(
    a: &Args,
    c: &dyn EthBackend,
    max_args: usize,
    overrides: bool,
) -> EthResult<CallParts> {
    a.at_most(max_args)?;
    let req: TransactionRequest = a.req(0)?;
    let (number, mut cfg, mut block, mut cap) = call_context(c, a.opt(1)?)?;
    let overrides = if overrides {
        CallOverrides {
            state: a.opt(2)?,
            block: a.opt(3)?,
        }
    } else {
        CallOverrides::default()
    };
    let block_hashes = overrides.prepare(&mut cfg, &mut block).map_err(rpc)?;
    if overrides.sets_gas_limit() {
        cap = gas_cap(&cfg, block.gas_limit);
    }
    let state = c.store().state_at(number).map_err(store)?;
    Ok(CallParts {
        req,
        cfg,
        block,
        cap,
        state,
        overrides,
        block_hashes,
    })
}

/// Runs `f` with the call's transaction (nonce from the state when the request has none), settings and
/// block context (fees zeroed when it pays none) on the state at the block with the state overrides laid
/// over it (geth's and op-reth's rules; nothing is kept).
fn run_call<R>(
    p: CallParts,
    f: impl FnOnce(&dyn StateView, TxEnv, CfgEnv, parevm_evm_core::BlockEnv) -> EthResult<R>,
) -> EthResult<R> {
    let CallParts {
        req,
        cfg,
        mut block,
        cap,
        state,
        overrides,
        block_hashes,
    } = p;
    run_overridden(
        &state,
        overrides.state.as_ref(),
        &block_hashes,
        &req,
        cap,
        |view, tx| {
            zero_fees_if_unpaid(&tx, &mut block);
            f(view, tx, cfg, block)
        },
    )
}

/// `eth_call(request, block?, stateOverrides?, blockOverrides?)`.
pub fn call(a: &Args, c: &dyn EthBackend) -> EthResult<Value> {
    let out = run_call(call_parts(a, c, 4, true)?, |view, tx, cfg, block| {
        call_on(Env { cfg, block, tx }, view).map_err(rpc)
    })?;
    if !out.status.is_success() {
        return Err(rpc(RpcError::from_failed(out.status, out.output)));
    }
    json(parevm_chain::call::call_output(&out))
}

/// `eth_estimateGas(request, block?, stateOverrides?, blockOverrides?)`: the binary search on the gas
/// limit, capped by what the sender can pay at the request's price (gas and value only: calls pay no L1
/// or operator fee on OP, as in op-reth).
pub fn estimate_gas(a: &Args, c: &dyn EthBackend) -> EthResult<Value> {
    let (cap, estimate) = run_call(call_parts(a, c, 4, true)?, |view, tx, cfg, block| {
        // The most gas the sender can pay for at the request's price (all of it when the price is zero).
        let affordable = if tx.gas_price.is_zero() {
            u64::MAX
        } else {
            let balance = view.balance(tx.caller).map_err(view_err)?;
            u64::try_from(balance.saturating_sub(tx.value) / tx.gas_price).unwrap_or(u64::MAX)
        };
        let cap = affordable.min(tx.gas_limit);
        Ok((cap, estimate_on(view, &cfg, &block, &tx, cap).map_err(rpc)?))
    })?;
    match estimate {
        Estimate::Gas(g) => json(U256::from(g)),
        Estimate::Fails(out) if out_of_gas(&out) => Err(rpc(RpcError::Rejected(format!(
            "gas required exceeds allowance ({cap})"
        )))),
        Estimate::Fails(out) => Err(rpc(RpcError::from_failed(out.status, out.output))),
    }
}

/// True for the precompile addresses (0x01..=0x11 and P256VERIFY's 0x100), which an access list leaves out.
fn is_precompile(a: &alloy_primitives::Address) -> bool {
    let b = a.as_slice();
    b[..18].iter().all(|x| *x == 0) && {
        let n = u16::from_be_bytes([b[18], b[19]]);
        (1..=0x11).contains(&n) || n == 0x100
    }
}

/// `eth_createAccessList(request, block?)`: runs the call, takes the accounts and slots it touched as the
/// list, and runs again with that list until it stops changing; `gasUsed` is the last run's.
pub fn create_access_list(a: &Args, c: &dyn EthBackend) -> EthResult<Value> {
    let CallParts {
        req,
        cfg,
        mut block,
        cap,
        state,
        ..
    } = call_parts(a, c, 2, false)?;
    let mut tx = parevm_rpc::convert::call_tx(&req, cap);
    if req.nonce.is_none() {
        tx.nonce = state.nonce(tx.caller).map_err(view_err)?;
    }
    zero_fees_if_unpaid(&tx, &mut block);
    // EIP-2930 lists warm addresses only from Berlin; the list is what a type-1+ transaction would carry.
    if tx.tx_type == parevm_evm_core::env::tx_type::LEGACY {
        tx.tx_type = parevm_evm_core::env::tx_type::EIP2930;
    }
    let target = match tx.kind {
        alloy_primitives::TxKind::Call(to) => to,
        alloy_primitives::TxKind::Create => tx.caller.create(tx.nonce),
    };
    // The fee recipient is read by the fee payment itself (and warm from Shanghai, EIP-3651), as is the
    // chain's base-fee vault (OP): neither is touched by the call's code.
    let mut exclude = vec![tx.caller, target, block.beneficiary];
    exclude.extend(cfg.rules.base_fee_recipient());
    let mut out;
    let mut rounds = 0;
    loop {
        out = call_on(
            Env {
                cfg: cfg.clone(),
                block: block.clone(),
                tx: tx.clone(),
            },
            &state,
        )
        .map_err(rpc)?;
        let list = parevm_rpc::access_list::list_of(&out, &exclude, is_precompile);
        rounds += 1;
        if list == tx.access_list || rounds >= parevm_rpc::access_list::ROUNDS {
            tx.access_list = list;
            break;
        }
        tx.access_list = list;
    }
    let answer = parevm_rpc::access_list::answer(&tx.access_list, &out);
    Ok(answer)
}
