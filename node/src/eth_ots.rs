//! The Otterscan namespace (`ots_*`, API level 8) of `parevm node`, in both modes, so that an Otterscan
//! explorer runs against the node as against reth: a transaction's calls, internal transfers and revert
//! data, a block's details and paged transactions, an address's history, a contract's creator, and
//! `erigon_getHeaderByNumber`. Built on the stored blocks and receipts (the mode's own JSON) and on the
//! block replays of [`crate::eth_trace`].
//!
//! ```text
//! ots_traceTransaction, ots_searchTransactions*, ots_getContractCreator -> Parity traces of a replay
//! ots_getInternalOperations -> the callTracer's tree of a replay (parevm_rpc::ots::internal_operations)
//! ots_getTransactionError   -> the replayed outcome: revert data, else 0x
//! ots_getBlockDetails*, ots_getBlockTransactions, erigon_getHeaderByNumber -> block and receipt JSON
//! ots_hasCode, and the binary searches of ots_getContractCreator and ots_getTransactionBySenderAndNonce
//!   -> ChainStore::state_at(n) where the block's state is still kept, else a walk over the blocks
//! ```
//!
//! Answers as reth's: a block's details without its transactions (with `transactionCount`), no issuance,
//! total fees as gas used times effective gas price over the receipts; paged transactions counted from
//! the block's end, inputs cut to their selector, receipts with the block's `timestamp` and null `logs`
//! and `logsBloom`; null revert data for a transaction that did not revert; the first creation in the
//! first block with the code. The address search (which reth leaves unimplemented) pages as anvil and
//! `parevm dev` do, whole blocks, and lists newest first.

use crate::eth::{json, register, server, store, EthBackend, EthContext, EthResult};
use crate::eth_trace::{parity_traces, replay_block};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_trace::geth::{
    CallConfig, GethDebugBuiltInTracerType, GethDebugTracerType, GethDebugTracingOptions, GethTrace,
};
use alloy_rpc_types_trace::otterscan::{ContractCreator, InternalIssuance, TraceEntry};
use alloy_rpc_types_trace::parity::{
    Action, CreationMethod, LocalizedTransactionTrace, TraceOutput,
};
use jsonrpsee::RpcModule;
use parevm_evm_core::{ExecStatus, StateView};
use parevm_rpc::ots::{internal_operations, usize_of, BlockArg, Quantity, API_LEVEL};
use parevm_rpc::params::Args;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Adds the Otterscan methods to a module of either mode.
pub fn register_ots<C: EthContext>(m: &mut RpcModule<C>) {
    register(m, "ots_getApiLevel", |a, _| {
        a.at_most(0)?;
        json(API_LEVEL)
    });
    register(m, "ots_hasCode", has_code);
    register(m, "ots_getBlockDetails", |a, c| {
        a.at_most(1)?;
        let tag = a.req::<BlockArg>(0)?.tag();
        details(c, by_tag(c, tag)?)
    });
    register(m, "ots_getBlockDetailsByHash", |a, c| {
        a.at_most(1)?;
        let hash: B256 = a.req(0)?;
        let known = c.store().number_by_hash(&hash).map_err(store)?.is_some();
        details(c, known.then_some(hash))
    });
    register(m, "ots_getBlockTransactions", block_transactions);
    register(m, "erigon_getHeaderByNumber", |a, c| {
        a.at_most(1)?;
        let tag = a.req::<BlockArg>(0)?.tag();
        match by_tag(c, tag)? {
            Some(hash) => json(c.block_json(hash, false)?),
            None => Ok(Value::Null),
        }
    });
    register(m, "ots_getTransactionError", transaction_error);
    register(m, "ots_traceTransaction", |a, c| {
        a.at_most(1)?;
        let hash: B256 = a.req(0)?;
        let Some((block, i)) = located(c, &hash)? else {
            return Ok(Value::Null);
        };
        json(trace_entries(&parity_traces(c, block, Some(i))?))
    });
    register(m, "ots_getInternalOperations", internal_ops);
    register(m, "ots_getContractCreator", contract_creator);
    register(m, "ots_searchTransactionsBefore", search_before);
    register(m, "ots_searchTransactionsAfter", search_after);
    register(
        m,
        "ots_getTransactionBySenderAndNonce",
        tx_by_sender_and_nonce,
    );
}

/// The canonical block hash `tag` names, if any.
fn by_tag(c: &dyn EthBackend, tag: BlockNumberOrTag) -> EthResult<Option<B256>> {
    Ok(crate::eth::resolve(c, BlockId::Number(tag))?.map(|(_, h)| h))
}

/// Block and index of a stored transaction.
fn located(c: &dyn EthBackend, hash: &B256) -> EthResult<Option<(B256, usize)>> {
    Ok(c.store()
        .transaction_location(hash)
        .map_err(store)?
        .map(|l| (l.block_hash, l.index as usize)))
}

fn block_not_found() -> crate::engine_api::EngineError {
    server("block not found")
}

/// A quantity field of a JSON object (zero when absent).
fn quantity(v: &Value, field: &str) -> U256 {
    v.get(field)
        .and_then(Value::as_str)
        .and_then(|s| U256::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .unwrap_or_default()
}

/// One transaction's frames in call order, as reth lists them: calls and creations with their depth,
/// value, input and output; a frame that ran SELFDESTRUCT typed `SELFDESTRUCT` (Parity's separate
/// self-destruct entries folded into it).
fn trace_entries(traces: &[LocalizedTransactionTrace]) -> Vec<TraceEntry> {
    let mut entries: Vec<(&[usize], TraceEntry)> = Vec::with_capacity(traces.len());
    let mut destructed = Vec::new();
    for t in traces {
        let at = t.trace.trace_address.as_slice();
        let output = t
            .trace
            .result
            .as_ref()
            .map(|r| r.output().clone())
            .unwrap_or_default();
        let entry = match &t.trace.action {
            Action::Call(_) => TraceEntry::from_transaction_trace(&t.trace),
            Action::Create(cr) => Some(TraceEntry {
                r#type: match cr.creation_method {
                    CreationMethod::Create2 => "CREATE2",
                    _ => "CREATE",
                }
                .into(),
                depth: at.len() as u32,
                from: cr.from,
                to: match &t.trace.result {
                    Some(TraceOutput::Create(out)) => out.address,
                    _ => Address::ZERO,
                },
                value: Some(cr.value),
                input: cr.init.clone(),
                output,
            }),
            Action::Selfdestruct(_) => {
                if let Some((_, parent)) = at.split_last() {
                    destructed.push(parent);
                }
                None
            }
            Action::Reward(_) => None,
        };
        entries.extend(entry.map(|e| (at, e)));
    }
    for parent in destructed {
        if let Some((_, e)) = entries.iter_mut().find(|(at, _)| *at == parent) {
            e.r#type = "SELFDESTRUCT".into();
        }
    }
    entries.into_iter().map(|(_, e)| e).collect()
}

/// `ots_hasCode(address, block)`: whether `address` has code after the block (the head when not given).
fn has_code(a: &Args, c: &dyn EthBackend) -> EthResult<Value> {
    a.at_most(2)?;
    let address: Address = a.req(0)?;
    let tag = a
        .opt::<BlockArg>(1)?
        .map_or(BlockNumberOrTag::Latest, BlockArg::tag);
    let state = crate::eth::state(c, Some(BlockId::Number(tag)))?;
    json(has_code_in(&state, address)?)
}

fn has_code_in(state: &dyn StateView, address: Address) -> EthResult<bool> {
    let view = |e: parevm_evm_core::ViewError| server(e.to_string());
    let hash = state.code_hash(address).map_err(view)?;
    if hash.is_zero() || hash == parevm_evm_core::KECCAK_EMPTY {
        return Ok(false);
    }
    Ok(!state.code_by_hash(hash).map_err(view)?.bytes().is_empty())
}

/// Whether `address` has code after block `number`; `None` when that state is no longer kept.
fn code_at(c: &dyn EthBackend, number: u64, address: Address) -> EthResult<Option<bool>> {
    match c.store().state_at(number) {
        Ok(state) => has_code_in(&state, address).map(Some),
        Err(_) => Ok(None),
    }
}

/// `ots_getBlockDetails`: the block without its transactions, their count, no issuance, and the fees.
fn details(c: &dyn EthBackend, hash: Option<B256>) -> EthResult<Value> {
    let hash = hash.ok_or_else(block_not_found)?;
    let mut block = c.block_json(hash, false)?.ok_or_else(block_not_found)?;
    let receipts = c.receipts_json(hash)?.unwrap_or_default();
    let total_fees = receipts.iter().fold(U256::ZERO, |sum, r| {
        sum + quantity(r, "gasUsed") * quantity(r, "effectiveGasPrice")
    });
    let count = block
        .get("transactions")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if let Some(fields) = block.as_object_mut() {
        fields.remove("transactions");
        fields.insert("transactionCount".into(), count.into());
    }
    let mut out = Map::new();
    out.insert("block".into(), block);
    out.insert("issuance".into(), json(InternalIssuance::default())?);
    out.insert("totalFees".into(), json(total_fees)?);
    Ok(Value::Object(out))
}

/// A stored receipt in Otterscan's shape: with the block's timestamp, logs and bloom left null.
fn ots_receipt(mut receipt: Value, timestamp: &Value) -> Value {
    if let Some(fields) = receipt.as_object_mut() {
        fields.insert("logs".into(), Value::Null);
        fields.insert("logsBloom".into(), Value::Null);
        fields.insert("timestamp".into(), timestamp.clone());
    }
    receipt
}

/// `ots_getBlockTransactions(number, page, pageSize)`: page `page` of `pageSize` transactions counted
/// from the block's end (page 0 holds the last ones, in block order), as reth and erigon page, with inputs
/// cut to their selector and their receipts; `transactionCount` is the block's whole count.
fn block_transactions(a: &Args, c: &dyn EthBackend) -> EthResult<Value> {
    a.at_most(3)?;
    let number = a.req::<Quantity>(0)?.get();
    let page = usize_of(a.req(1)?);
    let size = usize_of(a.req(2)?);
    let hash = by_tag(c, BlockNumberOrTag::Number(number))?.ok_or_else(block_not_found)?;
    let mut block = c.block_json(hash, true)?.ok_or_else(block_not_found)?;
    let receipts = c.receipts_json(hash)?.unwrap_or_default();
    let timestamp = block.get("timestamp").cloned().unwrap_or(Value::Null);
    let all: Vec<Value> = match block.get_mut("transactions") {
        Some(Value::Array(txs)) => std::mem::take(txs),
        _ => Vec::new(),
    };
    if all.len() != receipts.len() {
        return Err(server(
            "the block's transactions and receipts differ in number",
        ));
    }
    let end = all.len().saturating_sub(page.saturating_mul(size));
    let start = end.saturating_sub(size);
    let count = all.len();
    let txs: Vec<Value> = all[start..end]
        .iter()
        .cloned()
        .map(|mut tx| {
            if let Some(Value::String(input)) = tx.get_mut("input") {
                input.truncate(10);
            }
            tx
        })
        .collect();
    let receipts: Vec<Value> = receipts[start..end]
        .iter()
        .cloned()
        .map(|r| ots_receipt(r, &timestamp))
        .collect();
    if let Some(fields) = block.as_object_mut() {
        fields.insert("transactionCount".into(), count.into());
        fields.insert("transactions".into(), Value::Array(txs));
    }
    let mut out = Map::new();
    out.insert("fullblock".into(), block);
    out.insert("receipts".into(), Value::Array(receipts));
    Ok(Value::Object(out))
}

/// `ots_getTransactionError(hash)`: the revert data of a reverted transaction, else null (one that
/// halted or succeeded, or an unknown hash), as reth answers.
fn transaction_error(a: &Args, c: &dyn EthBackend) -> EthResult<Value> {
    a.at_most(1)?;
    let hash: B256 = a.req(0)?;
    let Some((block, i)) = located(c, &hash)? else {
        return Ok(Value::Null);
    };
    let mut runs = replay_block(c, block, Some(i), |env, view, _| {
        parevm_evm_core::execute_tx(env, view).map_err(|e| server(e.to_string()))
    })?;
    match runs.pop().map(|r| r.result) {
        Some(out) if out.status == ExecStatus::Revert => json(out.output),
        _ => Ok(Value::Null),
    }
}

/// `ots_getInternalOperations(hash)`: value moved by plain calls (the transaction's own call included, as
/// reth's transfer inspector counts it), creations and self-destructs, in call order
/// (`parevm_rpc::ots::internal_operations`, the devnet's rules); none for an unknown hash, as reth.
fn internal_ops(a: &Args, c: &dyn EthBackend) -> EthResult<Value> {
    a.at_most(1)?;
    let hash: B256 = a.req(0)?;
    let Some((block, i)) = located(c, &hash)? else {
        return json(Vec::<Value>::new());
    };
    let opts = GethDebugTracingOptions {
        tracer: Some(GethDebugTracerType::BuiltInTracer(
            GethDebugBuiltInTracerType::CallTracer,
        )),
        ..Default::default()
    }
    .with_call_config(CallConfig::default());
    let mut runs = replay_block(c, block, Some(i), |env, view, _| {
        Ok(parevm_rpc::debug::trace_one(env, view, &opts)?)
    })?;
    match runs.pop().map(|r| r.result) {
        Some(GethTrace::CallTracer(top)) => json(internal_operations(&top)),
        _ => Err(server(format!("transaction {hash} has no call tree"))),
    }
}

/// The first successful creation of `address` in block `hash`.
fn creator_in(
    c: &dyn EthBackend,
    hash: B256,
    address: Address,
) -> EthResult<Option<ContractCreator>> {
    let traces = parity_traces(c, hash, None)?;
    Ok(traces
        .iter()
        .find_map(|t| match (&t.trace.action, &t.trace.result) {
            (Action::Create(cr), Some(TraceOutput::Create(out)))
                if out.address == address && t.trace.error.is_none() =>
            {
                Some(ContractCreator {
                    hash: t.transaction_hash?,
                    creator: cr.from,
                })
            }
            _ => None,
        }))
}

/// `ots_getContractCreator(address)`: for an address with code at the head, the transaction that created
/// it and the account that did (the sender, or the factory), as reth answers: a binary search finds the
/// first block after which the address has code and the first creation of it there is the answer; null
/// for an address without code, or whose code no block created (genesis code). Where a state on the way
/// is no longer kept, the blocks are replayed from the head down instead.
fn contract_creator(a: &Args, c: &dyn EthBackend) -> EthResult<Value> {
    a.at_most(1)?;
    let address: Address = a.req(0)?;
    let s = c.store();
    let head = s.head().map_err(store)?.0.number;
    if code_at(c, head, address)? != Some(true) {
        return Ok(Value::Null);
    }
    let (mut lo, mut hi) = (0, head);
    let mut kept = match code_at(c, 0, address)? {
        // Code from genesis: no block created it.
        Some(true) => return Ok(Value::Null),
        Some(false) => true,
        None => false,
    };
    while kept && hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match code_at(c, mid, address)? {
            Some(true) => hi = mid,
            Some(false) => lo = mid,
            None => kept = false,
        }
    }
    if kept {
        return match s.hash_by_number(hi).map_err(store)? {
            Some(hash) => json(creator_in(c, hash, address)?),
            None => Ok(Value::Null),
        };
    }
    for n in (1..=head).rev() {
        let Some(hash) = s.hash_by_number(n).map_err(store)? else {
            continue;
        };
        if let Some(found) = creator_in(c, hash, address)? {
            return json(found);
        }
    }
    Ok(Value::Null)
}

/// The transactions of block `hash` whose traces touch `address`, newest first, each once.
fn touching(c: &dyn EthBackend, hash: B256, address: Address) -> EthResult<Vec<B256>> {
    let mut seen = HashSet::new();
    Ok(parity_traces(c, hash, None)?
        .iter()
        .rev()
        .filter(|t| t.trace.contains_address(address))
        .filter_map(|t| t.transaction_hash)
        .filter(|h| seen.insert(*h))
        .collect())
}

/// One page of an address search: the transactions `hashes` and their Otterscan receipts.
fn search_page(
    c: &dyn EthBackend,
    hashes: &[B256],
    first_page: bool,
    last_page: bool,
) -> EthResult<Value> {
    let mut txs = Vec::with_capacity(hashes.len());
    let mut receipts = Vec::with_capacity(hashes.len());
    // A page holds whole blocks: each block's timestamp and receipts are read once.
    let mut blocks: std::collections::HashMap<B256, (Value, Vec<Value>)> = Default::default();
    for hash in hashes {
        let (block, i) = located(c, hash)?
            .ok_or_else(|| server(format!("transaction {hash} left the chain")))?;
        let tx = c
            .transaction_json(block, i)?
            .ok_or_else(|| server(format!("transaction {hash} left the chain")))?;
        let (timestamp, block_receipts) = match blocks.entry(block) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let header = c.block_json(block, false)?.ok_or_else(block_not_found)?;
                let timestamp = header.get("timestamp").cloned().unwrap_or(Value::Null);
                e.insert((timestamp, c.receipts_json(block)?.unwrap_or_default()))
            }
        };
        let receipt = block_receipts
            .get(i)
            .cloned()
            .ok_or_else(|| server(format!("transaction {hash} has no receipt")))?;
        txs.push(tx);
        receipts.push(ots_receipt(receipt, timestamp));
    }
    let mut out = Map::new();
    out.insert("txs".into(), Value::Array(txs));
    out.insert("receipts".into(), Value::Array(receipts));
    out.insert("firstPage".into(), first_page.into());
    out.insert("lastPage".into(), last_page.into());
    Ok(Value::Object(out))
}

/// An address search's parameters `(address, block, pageSize)` and the head's number.
fn search_args(a: &Args, c: &dyn EthBackend) -> EthResult<(Address, u64, usize, u64)> {
    a.at_most(3)?;
    let best = c.store().head().map_err(store)?.0.number;
    Ok((
        a.req(0)?,
        a.req::<Quantity>(1)?.get(),
        usize_of(a.req(2)?),
        best,
    ))
}

/// `ots_searchTransactionsBefore(address, block, pageSize)`: the transactions touching `address` in the
/// blocks before `block` (0: from the head), newest first, whole blocks until at least `pageSize`.
fn search_before(a: &Args, c: &dyn EthBackend) -> EthResult<Value> {
    let (address, number, size, best) = search_args(a, c)?;
    let s = c.store();
    let from = if number == 0 { best } else { number - 1 };
    let first_page = from >= best;
    let mut last_page = false;
    let mut hashes = Vec::new();
    // Blocks past the head do not exist: the walk starts at the head at the latest.
    for n in (1..=from.min(best)).rev() {
        if hashes.len() >= size {
            break;
        }
        if let Some(hash) = s.hash_by_number(n).map_err(store)? {
            hashes.extend(touching(c, hash, address)?);
        }
        if n == 1 {
            last_page = true;
        }
    }
    search_page(c, &hashes, first_page, last_page)
}

/// `ots_searchTransactionsAfter(address, block, pageSize)`: the same after `block` (0: from the first
/// block), oldest blocks first, answered newest first.
fn search_after(a: &Args, c: &dyn EthBackend) -> EthResult<Value> {
    let (address, number, size, best) = search_args(a, c)?;
    let s = c.store();
    let from = number.saturating_add(1).max(1);
    let mut first_page = from >= best;
    let mut last_page = false;
    let mut hashes = Vec::new();
    for n in from..=best {
        if n == 1 {
            last_page = true;
        }
        if hashes.len() >= size {
            break;
        }
        if let Some(hash) = s.hash_by_number(n).map_err(store)? {
            let mut block = touching(c, hash, address)?;
            block.reverse();
            hashes.extend(block);
        }
        if n == best {
            first_page = true;
        }
    }
    hashes.reverse();
    search_page(c, &hashes, first_page, last_page)
}

/// The hash of the transaction `sender` sent with `nonce` in block `hash`, if any.
fn sent_in(c: &dyn EthBackend, hash: B256, sender: Address, nonce: u64) -> EthResult<Option<B256>> {
    let Some(block) = c.block_json(hash, true)? else {
        return Ok(None);
    };
    let txs = block.get("transactions").and_then(Value::as_array);
    Ok(txs.into_iter().flatten().find_map(|tx| {
        let from: Address = serde_json::from_value(tx.get("from")?.clone()).ok()?;
        (from == sender && quantity(tx, "nonce") == U256::from(nonce))
            .then(|| serde_json::from_value(tx.get("hash")?.clone()).ok())?
    }))
}

/// `ots_getTransactionBySenderAndNonce(sender, nonce)`: the hash of the mined transaction, or null. A
/// binary search over the kept states finds the block after which the sender's nonce passed `nonce`;
/// where they are not kept, the blocks are searched from the head down.
fn tx_by_sender_and_nonce(a: &Args, c: &dyn EthBackend) -> EthResult<Value> {
    a.at_most(2)?;
    let sender: Address = a.req(0)?;
    let nonce: U256 = a.req(1)?;
    let Ok(nonce) = u64::try_from(nonce) else {
        return Ok(Value::Null);
    };
    let s = c.store();
    let head = s.head().map_err(store)?.0.number;
    let nonce_at = |n: u64| -> Option<u64> { s.state_at(n).ok()?.nonce(sender).ok() };
    match (nonce_at(0), nonce_at(head)) {
        (Some(first), Some(last)) if first <= nonce && nonce < last => {
            // The first block after which the nonce is past `nonce` holds the transaction.
            let (mut lo, mut hi) = (0, head);
            let mut kept = true;
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                match nonce_at(mid) {
                    Some(n) if n > nonce => hi = mid,
                    Some(_) => lo = mid,
                    None => {
                        kept = false;
                        break;
                    }
                }
            }
            if kept {
                if let Some(hash) = s.hash_by_number(hi).map_err(store)? {
                    return json(sent_in(c, hash, sender, nonce)?);
                }
            }
        }
        (Some(_), Some(_)) => return Ok(Value::Null),
        _ => {}
    }
    for n in (1..=head).rev() {
        if let Some(hash) = s.hash_by_number(n).map_err(store)? {
            if let Some(found) = sent_in(c, hash, sender, nonce)? {
                return json(found);
            }
        }
    }
    Ok(Value::Null)
}
