//! `eth_simulateV1`'s calls and state overrides, as geth's simulator prepares them: a call request with
//! its defaults filled (nonce from the state, gas from what the block has left within the request's gas
//! budget, zero fees), the unsigned transaction that stands for it in the simulated block (type and
//! fields as geth's `ToTransaction` picks them, a zero signature), the EVM transaction it runs as, the
//! execution-apis error codes of an invalid call, and the state overrides written before a block's calls.
//!
//! ```text
//! TransactionRequest + state + gas left + GasBudget -> SimCall { tx: TxEnv, envelope (unsigned), from }
//! StateOverride -> WriteSet (balance, nonce, code, whole storage or single slots), in address order
//! InvalidTx -> -38010..-38025 / -32602 / -32603
//! ```

use super::{err, SimResult};
use crate::error::RpcError;
use alloy_consensus::transaction::RlpEcdsaEncodableTx;
use alloy_consensus::{
    EthereumTxEnvelope, SignableTransaction, Signed, TxEip1559, TxEip4844, TxEip7702, TxLegacy,
};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{keccak256, Address, Bytes, Signature, TxKind, B256, U256};
use alloy_rpc_types_eth::state::StateOverride;
use alloy_rpc_types_eth::TransactionRequest;
use parevm_block::input::BlockTx;
use parevm_evm_core::env::tx_type;
use parevm_evm_core::{
    AccountWrite, BalanceWrite, Bytecode, Code, InvalidTx, StateView, TxEnv, TxError, WriteSet,
    KECCAK_EMPTY,
};

/// geth's default RPC gas cap (`--rpc.gascap`): the gas all calls of one simulation may use together.
pub const RPC_GAS_CAP: u64 = 50_000_000;

/// execution-apis error codes of `eth_simulateV1`.
pub mod code {
    /// The nonce is below the sender's.
    pub const NONCE_TOO_LOW: i32 = -38010;
    /// The nonce is above the sender's.
    pub const NONCE_TOO_HIGH: i32 = -38011;
    /// The fee cap is below the block's base fee.
    pub const BASE_FEE_TOO_LOW: i32 = -38012;
    /// The gas limit is below the intrinsic gas.
    pub const INTRINSIC_GAS: i32 = -38013;
    /// The sender cannot pay gas and value.
    pub const INSUFFICIENT_FUNDS: i32 = -38014;
    /// The call asks for more gas than the block has left.
    pub const BLOCK_GAS_LIMIT_REACHED: i32 = -38015;
    /// Block numbers not increasing.
    pub const BLOCK_NUMBER_INVALID: i32 = -38020;
    /// Block timestamps not increasing.
    pub const BLOCK_TIMESTAMP_INVALID: i32 = -38021;
    /// The sender has code.
    pub const SENDER_IS_NOT_EOA: i32 = -38024;
    /// Init code over the EIP-3860 limit.
    pub const MAX_INIT_CODE_SIZE_EXCEEDED: i32 = -38025;
    /// Too many blocks or calls.
    pub const CLIENT_LIMIT_EXCEEDED: i32 = -38026;
    /// Invalid parameters.
    pub const INVALID_PARAMS: i32 = -32602;
    /// Anything else the transaction checks refuse.
    pub const INTERNAL_ERROR: i32 = -32603;
    /// A call that ran and failed (not a revert).
    pub const VM_ERROR: i32 = -32015;
    /// A revert.
    pub const REVERTED: i32 = 3;
    /// A server error (unknown block, bad override).
    pub const SERVER: i32 = -32000;
}

/// The gas the calls of one simulation may still use (geth's `gasBudget`).
#[derive(Clone, Copy, Debug)]
pub struct GasBudget {
    /// Gas left.
    pub remaining: u64,
}

/// One call, ready to run and to be listed in its block.
#[derive(Clone, Debug)]
pub struct SimCall {
    /// What the EVM runs.
    pub tx: TxEnv,
    /// The unsigned transaction the block lists (zero signature).
    pub envelope: BlockTx,
    /// Its bytes as geth encodes them in the block (a legacy one with `v = 0`).
    pub encoded: Bytes,
    /// Its hash.
    pub hash: B256,
    /// The sender.
    pub from: Address,
    /// Its gas was cut to the budget.
    pub capped: bool,
}

/// The call `req` with geth's defaults, as the next call of a block that has `block_gas_left`, under
/// `base_fee` (`None` before London).
pub fn prepare_call(
    req: &TransactionRequest,
    state: &dyn StateView,
    block_gas_left: u64,
    budget: &GasBudget,
    base_fee: Option<u64>,
    chain_id: u64,
) -> SimResult<SimCall> {
    let from = req.from.unwrap_or_default();
    let nonce = match req.nonce {
        Some(n) => n,
        None => state
            .nonce(from)
            .map_err(|e| err(code::SERVER, e.to_string()))?,
    };
    let wanted = req.gas.unwrap_or(block_gas_left);
    if block_gas_left < wanted {
        return Err(err(
            code::BLOCK_GAS_LIMIT_REACHED,
            format!("block gas limit reached: remaining: {block_gas_left}, required: {wanted}"),
        ));
    }
    let gas = wanted.min(budget.remaining);
    let capped = gas < wanted;
    let dynamic_given = req.max_fee_per_gas.is_some() || req.max_priority_fee_per_gas.is_some();
    if req.gas_price.is_some() && dynamic_given {
        return Err(err(
            code::SERVER,
            "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified",
        ));
    }
    if let Some(id) = req.chain_id {
        if id != chain_id {
            return Err(err(
                code::SERVER,
                format!("chainId does not match node's (have={id}, want={chain_id})"),
            ));
        }
    }
    let value = req.value.unwrap_or_default();
    let data = req.input.input().cloned().unwrap_or_default();
    let kind = req.to.unwrap_or(TxKind::Create);
    let access_list = req.access_list.clone().unwrap_or_default();
    // Before London a call without fees is a legacy one with price zero (geth's CallDefaults).
    let gas_price = req.gas_price.or(base_fee.is_none().then_some(0));
    let max_fee = req.max_fee_per_gas.unwrap_or(0);
    let tip = req.max_priority_fee_per_gas.unwrap_or(0);
    let blob_hashes = req.blob_versioned_hashes.clone();
    let ty = if gas_price.is_some() {
        tx_type::LEGACY
    } else if req.authorization_list.is_some() {
        tx_type::EIP7702
    } else if blob_hashes.is_some() {
        tx_type::EIP4844
    } else {
        tx_type::EIP1559
    };
    let to = kind.to().copied().unwrap_or_default();
    let zero = Signature::new(U256::ZERO, U256::ZERO, false);
    let (envelope, encoded): (BlockTx, Bytes) = match ty {
        tx_type::LEGACY => {
            let tx = TxLegacy {
                chain_id: None,
                nonce,
                gas_price: gas_price.unwrap_or(0),
                gas_limit: gas,
                to: kind,
                value,
                input: data.clone(),
            };
            // geth keeps `v = 0` (alloy would write 27): the fields, then three zeros.
            let mut body = Vec::new();
            tx.rlp_encode_fields(&mut body);
            body.extend_from_slice(&[0x80, 0x80, 0x80]);
            let mut out = Vec::new();
            alloy_rlp::Header {
                list: true,
                payload_length: body.len(),
            }
            .encode(&mut out);
            out.extend_from_slice(&body);
            let hash = keccak256(&out);
            (
                EthereumTxEnvelope::Legacy(Signed::new_unchecked(tx, zero, hash)),
                Bytes::from(out),
            )
        }
        tx_type::EIP7702 => {
            let tx = TxEip7702 {
                chain_id,
                nonce,
                gas_limit: gas,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: tip,
                to,
                value,
                access_list,
                authorization_list: req.authorization_list.clone().unwrap_or_default(),
                input: data.clone(),
            };
            let env: BlockTx = EthereumTxEnvelope::Eip7702(tx.into_signed(zero));
            let enc = env.encoded_2718();
            (env, Bytes::from(enc))
        }
        tx_type::EIP4844 => {
            let tx = TxEip4844 {
                chain_id,
                nonce,
                gas_limit: gas,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: tip,
                to,
                value,
                access_list,
                blob_versioned_hashes: blob_hashes.clone().unwrap_or_default(),
                max_fee_per_blob_gas: req.max_fee_per_blob_gas.unwrap_or(0),
                input: data.clone(),
            };
            let env: BlockTx = EthereumTxEnvelope::Eip4844(tx.into_signed(zero));
            let enc = env.encoded_2718();
            (env, Bytes::from(enc))
        }
        _ => {
            let tx = TxEip1559 {
                chain_id,
                nonce,
                gas_limit: gas,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: tip,
                to: kind,
                value,
                access_list,
                input: data.clone(),
            };
            let env: BlockTx = EthereumTxEnvelope::Eip1559(tx.into_signed(zero));
            let enc = env.encoded_2718();
            (env, Bytes::from(enc))
        }
    };
    let hash = keccak256(&encoded);
    // The EVM's view (geth's ToMessage): a legacy price stands for both caps.
    let (fee_cap, priority) = match gas_price {
        Some(p) => (U256::from(p), None),
        None => (U256::from(max_fee), Some(U256::from(tip))),
    };
    let mut tx = crate::convert::call_tx(req, gas);
    tx.tx_type = ty;
    tx.caller = from;
    tx.gas_limit = gas;
    tx.gas_price = fee_cap;
    tx.gas_priority_fee = priority;
    tx.kind = kind;
    tx.value = value;
    tx.data = data;
    tx.nonce = nonce;
    tx.chain_id = None;
    tx.envelope = encoded.clone();
    Ok(SimCall {
        tx,
        envelope,
        encoded,
        hash,
        from,
        capped,
    })
}

/// A transaction the checks refuse, as `eth_simulateV1` reports it (geth's `txValidationError`).
pub fn invalid_call(e: &TxError) -> RpcError {
    let c = match e {
        TxError::Invalid(i) => match i {
            InvalidTx::NonceMismatch { tx, state } if tx < state => code::NONCE_TOO_LOW,
            InvalidTx::NonceMismatch { .. } => code::NONCE_TOO_HIGH,
            InvalidTx::SenderHasCode(_) => code::SENDER_IS_NOT_EOA,
            InvalidTx::PriorityFeeAboveMaxFee => code::INVALID_PARAMS,
            InvalidTx::FeeBelowBaseFee => code::BASE_FEE_TOO_LOW,
            InvalidTx::InsufficientFunds { .. } | InvalidTx::FeeOverflow => {
                code::INSUFFICIENT_FUNDS
            }
            InvalidTx::IntrinsicGasTooLow { .. } | InvalidTx::FloorGasTooLow { .. } => {
                code::INTRINSIC_GAS
            }
            InvalidTx::InitCodeTooLarge(_) => code::MAX_INIT_CODE_SIZE_EXCEEDED,
            _ => code::INTERNAL_ERROR,
        },
        TxError::View(_) => code::INTERNAL_ERROR,
    };
    err(c, format!("err: {e}"))
}

/// The writes of `overrides` on `state`, in address order (geth's `StateOverride.Apply`; its precompile
/// moves are [`super::precompile_rules`]). `state` with `stateDiff` both set is refused.
pub fn override_writes(overrides: &StateOverride, state: &dyn StateView) -> SimResult<WriteSet> {
    let mut addresses: Vec<&Address> = overrides.keys().collect();
    addresses.sort();
    let mut out = WriteSet::new();
    for address in addresses {
        let o = &overrides[address];
        let mut w = AccountWrite::new(*address);
        if o.state.is_some() && o.state_diff.is_some() {
            return Err(err(
                code::SERVER,
                format!("account {address} has both 'state' and 'stateDiff'"),
            ));
        }
        // An override that changes nothing in the account (only a precompile move, or an empty
        // `stateDiff`) writes nothing: geth makes no state object for it.
        if o.nonce.is_none()
            && o.code.is_none()
            && o.balance.is_none()
            && o.state.is_none()
            && o.state_diff.as_ref().is_none_or(|d| d.is_empty())
        {
            continue;
        }
        w.nonce = o.nonce;
        if let Some(c) = &o.code {
            let code: Code = std::sync::Arc::new(Bytecode::new(c.clone()));
            let hash = if c.is_empty() {
                KECCAK_EMPTY
            } else {
                keccak256(c)
            };
            w.code = Some((hash, code));
        }
        w.balance = o.balance.map(BalanceWrite::Set);
        let slot = |k: &B256| U256::from_be_bytes(k.0);
        let word = |v: &B256| U256::from_be_bytes(v.0);
        if let Some(s) = &o.state {
            w.storage_reset = true;
            w.storage = s.iter().map(|(k, v)| (slot(k), word(v))).collect();
        }
        if let Some(s) = &o.state_diff {
            w.storage = s.iter().map(|(k, v)| (slot(k), word(v))).collect();
        }
        w.storage.sort_unstable_by_key(|(k, _)| *k);
        // An account that does not exist yet is created by any override (geth's state object), so the
        // write carries its current nonce and balance even when the override names neither.
        if w.nonce.is_none() {
            w.nonce = Some(
                state
                    .nonce(*address)
                    .map_err(|e| err(code::SERVER, e.to_string()))?,
            );
        }
        if w.balance.is_none() {
            w.balance = Some(BalanceWrite::Set(
                state
                    .balance(*address)
                    .map_err(|e| err(code::SERVER, e.to_string()))?,
            ));
        }
        out.push(w);
    }
    Ok(out)
}
