//! Sending transactions: signed bytes (`eth_sendRawTransaction`) or a request the driver signs for one of
//! its accounts (`eth_sendTransaction`: nonce, gas and fees filled in as anvil fills them); signing without
//! sending (`eth_signTransaction`, `eth_sign`, `personal_sign`).

use crate::context::RpcContext;
use crate::convert;
use crate::error::{RpcError, RpcResult};
use crate::eth::exec::call_context;
use crate::eth::state::pending_nonce;
use crate::params::Args;
use crate::register::json;
use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::TxEnvelope;
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, B256};
use alloy_rpc_types_eth::TransactionRequest;
use parevm_chain::{Estimate, PoolTx};
use serde_json::Value;

/// A pool entry for a signed transaction (sender recovered from the signature).
pub fn pool_tx_from_envelope(envelope: TxEnvelope) -> RpcResult<PoolTx> {
    let sender = envelope
        .recover_signer()
        .map_err(|_| RpcError::Rejected("invalid transaction signature".into()))?;
    Ok(pool_tx_with_sender(envelope, sender))
}

/// A pool entry for `envelope` sent by `sender`.
pub fn pool_tx_with_sender(envelope: TxEnvelope, sender: Address) -> PoolTx {
    let env = parevm_block::tx_env::tx_env_with_sender(&envelope, sender);
    PoolTx {
        hash: *envelope.tx_hash(),
        sender,
        env,
        envelope,
        arrival: 0,
    }
}

/// Puts `tx` into the pool and lets the driver react (automine); returns the hash.
pub fn submit(ctx: &RpcContext, tx: PoolTx) -> RpcResult<Value> {
    let next = ctx.driver.next_block();
    let added = ctx
        .chain
        .add_transaction(tx, next.gas_limit, next.base_fee)?;
    ctx.driver.submitted(&added)?;
    json(added.hash)
}

/// `eth_sendRawTransaction(bytes)`.
pub fn send_raw_transaction(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let raw: Bytes = a.req(0)?;
    let mut buf = raw.as_ref();
    let envelope = TxEnvelope::decode_2718(&mut buf)
        .map_err(|_| RpcError::InvalidParams("Failed to decode transaction".into()))?;
    if !buf.is_empty() {
        return Err(RpcError::InvalidParams(
            "Failed to decode transaction: trailing bytes".into(),
        ));
    }
    submit(ctx, pool_tx_from_envelope(envelope)?)
}

/// `eth_sendRawTransactionSync(bytes, timeout_ms?)` (EIP-7966): sends as `eth_sendRawTransaction` and
/// answers with the receipt once the transaction is mined, or an error naming the hash after `timeout_ms`
/// (2,000 by default, at most 60,000; with automining the block is made before the answer).
pub fn send_raw_transaction_sync(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(2)?;
    let hash = send_raw_transaction(a, ctx)?;
    receipt_within(ctx, hash, a.opt::<alloy_primitives::U64>(1)?)
}

/// `eth_sendTransactionSync(request, timeout_ms?)`: `eth_sendTransaction`, answered with the receipt as
/// `eth_sendRawTransactionSync` answers.
pub fn send_transaction_sync(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(2)?;
    let hash = send_transaction(a, ctx)?;
    receipt_within(ctx, hash, a.opt::<alloy_primitives::U64>(1)?)
}

/// The receipt of the just-sent transaction `hash` (a JSON hash), waited for up to `timeout` ms.
fn receipt_within(
    ctx: &RpcContext,
    hash: Value,
    timeout: Option<alloy_primitives::U64>,
) -> RpcResult<Value> {
    let timeout = timeout.map_or(2_000, |t| t.to::<u64>()).min(60_000);
    let hash: B256 = serde_json::from_value(hash).map_err(|e| RpcError::Internal(e.to_string()))?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(timeout);
    loop {
        if let Some(r) = ctx
            .chain
            .transaction(&hash)
            .and_then(|(b, i)| convert::receipt(&b, i))
        {
            return json(r);
        }
        if std::time::Instant::now() >= deadline {
            return Err(RpcError::Server(format!(
                "transaction {hash} was added to the pool but not mined within {timeout} ms"
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// `eth_fillTransaction(request)`: the request with nonce, gas and fees filled as `eth_sendTransaction`
/// fills them, unsigned: `raw` (its EIP-2718 bytes with a zero signature) and `tx` (the transaction
/// object), as anvil answers.
pub fn fill_transaction(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(1)?;
    let (from, typed) = filled(a, ctx, None)?;
    let unsigned = TxEnvelope::from(alloy_consensus::SignableTransaction::into_signed(
        typed,
        alloy_primitives::Signature::new(
            alloy_primitives::U256::ZERO,
            alloy_primitives::U256::ZERO,
            false,
        ),
    ));
    let raw = Bytes::from(unsigned.encoded_2718());
    let tx = convert::pool_transaction(&pool_tx_with_sender(unsigned, from));
    json(serde_json::json!({ "raw": raw, "tx": tx }))
}

/// `eth_sendTransaction(request)`.
pub fn send_transaction(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    let (from, typed) = filled(a, ctx, None)?;
    let tx = ctx.driver.sign_transaction(from, typed)?;
    submit(ctx, tx)
}

/// The request in `a` (parameter 0) with `from` (the first account when absent; refused unless in `only`
/// when given) and nonce, chain id, gas and fees filled in as anvil fills them, as a transaction to sign
/// (`eth_sendTransaction`, `eth_signTransaction`, the devnet's `eth_sendUnsignedTransaction`).
pub fn filled(
    a: &Args,
    ctx: &RpcContext,
    only: Option<&[Address]>,
) -> RpcResult<(Address, alloy_consensus::TypedTransaction)> {
    filled_request(a.req(0)?, ctx, only)
}

/// [`filled`] for a request already parsed.
pub fn filled_request(
    mut req: TransactionRequest,
    ctx: &RpcContext,
    only: Option<&[Address]>,
) -> RpcResult<(Address, alloy_consensus::TypedTransaction)> {
    let from = match req.from {
        Some(f) => f,
        None => *ctx
            .driver
            .accounts()
            .first()
            .ok_or_else(|| RpcError::Server("no from address and no accounts".into()))?,
    };
    if only.is_some_and(|accounts| !accounts.contains(&from)) {
        return Err(RpcError::InvalidParams("No Signer available".into()));
    }
    req.from = Some(from);
    fill_request(ctx, &mut req)?;
    let typed = req
        .build_typed_tx()
        .map_err(|_| RpcError::InvalidParams("incomplete transaction request".into()))?;
    Ok((from, typed))
}

/// `eth_signTransaction(request)`: the request filled as `eth_sendTransaction` fills it and signed by one of
/// the driver's accounts, as EIP-2718 bytes; nothing is sent. An impersonated sender has no key, so it is
/// refused as anvil refuses it.
pub fn sign_transaction(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(1)?;
    let (from, typed) = filled(a, ctx, Some(&ctx.driver.accounts()))?;
    let signed = ctx.driver.sign_transaction(from, typed)?;
    json(Bytes::from(signed.envelope.encoded_2718()))
}

/// Fills nonce, chain id, gas and fees the way anvil does for `eth_sendTransaction`.
pub fn fill_request(ctx: &RpcContext, req: &mut TransactionRequest) -> RpcResult<()> {
    let from = req.from.unwrap_or_default();
    let next = ctx.driver.next_block();
    if req.nonce.is_none() {
        let head = ctx.chain.head().number();
        let state = ctx.chain.read_state(head, |s| s.nonce(from))??;
        req.nonce = Some(pending_nonce(ctx, from, state));
    }
    req.chain_id.get_or_insert(ctx.chain.chain_id());
    if req.to.is_none() {
        req.to = Some(alloy_primitives::TxKind::Create);
    }
    let legacy = req.gas_price.is_some() || matches!(req.transaction_type, Some(0) | Some(1));
    if legacy {
        req.gas_price
            .get_or_insert(next.base_fee as u128 + ctx.driver.suggested_tip());
    } else {
        let tip = *req
            .max_priority_fee_per_gas
            .get_or_insert(ctx.driver.suggested_tip());
        req.max_fee_per_gas
            .get_or_insert(next.base_fee as u128 + tip);
    }
    if req.gas.is_none() {
        let id = Some(BlockId::Number(BlockNumberOrTag::Pending));
        let (number, benv, cap) = call_context(ctx, id)?;
        let tx = convert::call_tx(req, cap);
        // As `eth_estimateGas`: no more gas than the sender can pay for at its fee (geth's allowance), so a
        // block gas limit near 2^64 does not fail the search for want of funds. A sender who cannot pay
        // even a transfer is left to the pool, which says "insufficient funds".
        let afford = crate::eth::exec::affordable_gas(ctx, &tx, number)?;
        let search = if afford >= 21_000 {
            afford.min(cap)
        } else {
            cap
        };
        // A transaction that fails even with all the gas allowed is still sent, with that gas, and mined as
        // a failure (anvil does the same; the receipt tells the client what happened).
        req.gas = Some(match ctx.chain.estimate_gas(tx, number, benv, search)? {
            Estimate::Gas(g) => g,
            Estimate::Fails(_) => cap,
        });
    }
    Ok(())
}

/// `eth_sign(address, data)`.
pub fn sign(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(2)?;
    sign_as(ctx, a.req(0)?, &a.req::<Bytes>(1)?)
}

/// `personal_sign(data, address)`: `eth_sign` with its parameters the other way round (EIP-191; a third,
/// a password, is ignored as anvil ignores it).
pub fn personal_sign(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(3)?;
    sign_as(ctx, a.req(1)?, &a.req::<Bytes>(0)?)
}

/// `eth_signTypedData_v4(address, typedData)`: the signature of the document's EIP-712 hash (the document
/// as an object or as a JSON string, which is how ethers and viem send it).
pub fn sign_typed_data(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(2)?;
    let address: Address = a.req(0)?;
    let doc: Value = a.req(1)?;
    let hash =
        crate::eip712::signing_hash(&doc).map_err(|e| RpcError::InvalidParams(e.to_string()))?;
    let sig = ctx.driver.sign_hash(address, hash)?;
    json(Bytes::from(sig.as_bytes().to_vec()))
}

/// The EIP-191 signature of `data` by `address`, as 65 bytes.
fn sign_as(ctx: &RpcContext, address: Address, data: &[u8]) -> RpcResult<Value> {
    let sig = ctx.driver.sign_message(address, data)?;
    json(Bytes::from(sig.as_bytes().to_vec()))
}
