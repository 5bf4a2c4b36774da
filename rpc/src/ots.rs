//! The Otterscan namespace (`ots_*`, API level 8) as anvil serves it, so that an Otterscan block explorer
//! runs against `parevm dev`: a transaction's call list, internal transfers and revert data, a block's
//! details and paged transactions with receipts, an address's transaction history, a contract's creator.
//!
//! ```text
//! ots_traceTransaction                                -> trace_ns::tx_traces (Parity traces of one replay)
//! ots_getInternalOperations                           -> trace_ns::tx_tree (the call tracer's tree)
//! ots_getContractCreator, ots_searchTransactions*    -> trace_ns::block_traces over blocks (replayed)
//! ots_getBlockDetails*, ots_getBlockTransactions     -> convert::{block, transaction, receipt}
//! ots_getTransactionError                            -> Chain::replay without a tracer: the revert data
//! ```
//! Shapes are alloy's Otterscan types, filled as anvil fills them: the whole block (not the slimmed one the
//! Otterscan spec allows), no issuance (a dev chain pays no block reward), the total fees as gas used times
//! effective gas price summed over the receipts, transaction inputs cut to their selector in
//! `ots_getBlockTransactions`, and anvil's paging of the address history (whole blocks, newest first).

use crate::context::RpcContext;
use crate::convert;
use crate::error::{RpcError, RpcResult};
use crate::eth::blocks::mined_by_sender_and_nonce;
use crate::params::Args;
use crate::register::{blocking, json, method};
use crate::trace_ns::{block_traces, tx_traces, tx_tree};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use alloy_rpc_types_eth::{Block, BlockTransactions};
use alloy_rpc_types_trace::geth::CallFrame;
use alloy_rpc_types_trace::otterscan::{
    BlockDetails, ContractCreator, InternalIssuance, InternalOperation, OperationType, OtsBlock,
    OtsBlockTransactions, OtsReceipt, OtsTransactionReceipt, TraceEntry, TransactionsWithReceipts,
};
use alloy_rpc_types_trace::parity::{Action, TraceOutput};
use jsonrpsee::RpcModule;
use parevm_chain::SharedBlock;
use parevm_evm_core::{ExecStatus, TxExecution};
use serde_json::Value;
use std::collections::HashSet;

/// The Otterscan API level served (what Otterscan requires, as anvil answers).
pub const API_LEVEL: u64 = 8;

/// A number as JSON number or hex quantity (Otterscan sends numbers).
#[derive(serde::Deserialize)]
#[serde(untagged)]
pub enum Quantity {
    /// A JSON number.
    Number(u64),
    /// A hex quantity.
    Hex(U64),
}

impl Quantity {
    /// The number.
    pub fn get(self) -> u64 {
        match self {
            Quantity::Number(n) => n,
            Quantity::Hex(h) => h.to(),
        }
    }
}

/// A block as a JSON number (what Otterscan sends), a hex number or a tag.
#[derive(serde::Deserialize)]
#[serde(untagged)]
pub enum BlockArg {
    /// A JSON number.
    Number(u64),
    /// A hex number or a tag.
    Tag(BlockNumberOrTag),
}

impl BlockArg {
    /// The block as a number or tag.
    pub fn tag(self) -> BlockNumberOrTag {
        match self {
            BlockArg::Number(n) => BlockNumberOrTag::Number(n),
            BlockArg::Tag(t) => t,
        }
    }
}

/// A count or page number (saturating).
pub fn usize_of(q: Quantity) -> usize {
    usize::try_from(q.get()).unwrap_or(usize::MAX)
}

fn block_not_found() -> RpcError {
    RpcError::Server("block not found".into())
}

/// `ots_getApiLevel`.
fn api_level(_: &Args, _: &RpcContext) -> RpcResult<Value> {
    json(API_LEVEL)
}

/// `ots_hasCode(address, block)`.
fn has_code(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(2)?;
    let address: Address = a.req(0)?;
    let tag = a
        .opt::<BlockArg>(1)?
        .map_or_else(Default::default, BlockArg::tag);
    let block = ctx.state_block(Some(BlockId::Number(tag)))?;
    json(code_at(ctx, block.number(), address)?)
}

/// Whether `address` has code after block `number`.
fn code_at(ctx: &RpcContext, number: u64, address: Address) -> RpcResult<bool> {
    let code = ctx.chain.read_state(number, |s| {
        let hash = s.code_hash(address)?;
        s.code_by_hash(hash)
    })??;
    Ok(!code.bytes().is_empty())
}

/// `ots_getTransactionError(hash)`: the revert data of a reverted transaction, else empty bytes (a
/// transaction that halted, succeeded or is unknown).
fn transaction_error(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(1)?;
    let hash: B256 = a.req(0)?;
    let run = ctx.chain.replay(&hash, |env, view| {
        TxExecution::new(env.clone()).resume(view)
    })?;
    match run.transpose()? {
        Some(out) if out.status == ExecStatus::Revert => json(out.output),
        _ => json(Bytes::new()),
    }
}

/// `ots_getBlockDetails(block)` and `ots_getBlockDetailsByHash(hash)`.
fn details(block: &SharedBlock) -> RpcResult<Value> {
    let total_fees = block.receipts.iter().fold(U256::ZERO, |sum, r| {
        sum + U256::from(r.gas_used) * U256::from(r.effective_gas_price)
    });
    json(BlockDetails::new(
        convert::block(block, false),
        InternalIssuance::default(),
        total_fees,
    ))
}

fn block_details(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(1)?;
    let tag = a.req::<BlockArg>(0)?.tag();
    details(&ctx.block_by_tag(tag).ok_or_else(block_not_found)?)
}

fn block_details_by_hash(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(1)?;
    let hash: B256 = a.req(0)?;
    details(&ctx.chain.block_by_hash(&hash).ok_or_else(block_not_found)?)
}

/// Transaction `i` of `block`'s receipt in Otterscan's shape, with the block's timestamp.
fn ots_receipt(block: &SharedBlock, i: usize) -> Option<OtsTransactionReceipt> {
    let r = convert::receipt(block, i)?;
    let receipt = r.inner.map_inner(|envelope| OtsReceipt {
        status: envelope.status(),
        cumulative_gas_used: envelope.cumulative_gas_used(),
        logs: Some(envelope.logs().to_vec()),
        logs_bloom: Some(envelope.logs_bloom().to_owned()),
        r#type: envelope.tx_type() as u8,
    });
    Some(OtsTransactionReceipt {
        receipt,
        timestamp: Some(block.header.timestamp),
    })
}

/// `ots_getBlockTransactions(number, page, pageSize)`: page `page` (from 0) of `pageSize` transactions of
/// the block, with their receipts; the block's `transactionCount` counts the page.
fn block_transactions(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(3)?;
    let number = a.req::<Quantity>(0)?.get();
    let page = usize_of(a.req(1)?);
    let size = usize_of(a.req(2)?);
    let block = ctx
        .chain
        .block_by_number(number)
        .ok_or_else(block_not_found)?;
    let indices: Vec<usize> = (0..block.txs.len())
        .skip(page.saturating_mul(size))
        .take(size)
        .collect();
    let full = convert::block(&block, false);
    let txs: Vec<_> = indices
        .iter()
        .filter_map(|&i| convert::transaction(&block, i))
        .collect();
    let receipts = indices
        .iter()
        .filter_map(|&i| ots_receipt(&block, i))
        .collect();
    let transaction_count = txs.len();
    json(OtsBlockTransactions {
        fullblock: OtsBlock {
            block: Block {
                transactions: BlockTransactions::Full(txs),
                ..full
            },
            transaction_count,
        },
        receipts,
    })
}

/// `ots_traceTransaction(hash)`: the calls of the transaction in call order with their depth, value,
/// input and output (creations and self-destructs left out, as anvil does).
fn trace_transaction(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(1)?;
    let hash: B256 = a.req(0)?;
    let traces = tx_traces(ctx, &hash)?.unwrap_or_default();
    json(
        traces
            .iter()
            .filter_map(|t| TraceEntry::from_transaction_trace(&t.trace))
            .collect::<Vec<_>>(),
    )
}

/// The internal operations of a transaction's call tree, in call order: value moved by plain calls,
/// creations (with the address, also of one that failed), and self-destructs. A frame that ran SELFDESTRUCT
/// is reported as the self-destruct (its beneficiary and the balance it moved) in its own place, not as its
/// call: revm-inspectors keeps the self-destruct on the frame, which anvil reports.
pub fn internal_operations(top: &CallFrame) -> Vec<InternalOperation> {
    fn walk(f: &CallFrame, out: &mut Vec<InternalOperation>) {
        let value = f.value.unwrap_or_default();
        let to = f.to.unwrap_or(Address::ZERO);
        let destruct = f.calls.iter().find(|c| c.typ == "SELFDESTRUCT");
        let kind = match (destruct, f.typ.as_str()) {
            (Some(_), _) => Some(OperationType::OpSelfDestruct),
            (None, "CALL") if !value.is_zero() => Some(OperationType::OpTransfer),
            (None, "CREATE") => Some(OperationType::OpCreate),
            (None, "CREATE2") => Some(OperationType::OpCreate2),
            _ => None,
        };
        if let Some(r#type) = kind {
            let (from, to, value) = match destruct {
                Some(d) => (
                    d.from,
                    d.to.unwrap_or_default(),
                    d.value.unwrap_or_default(),
                ),
                None => (f.from, to, value),
            };
            out.push(InternalOperation {
                r#type,
                from,
                to,
                value,
            });
        }
        for c in f.calls.iter().filter(|c| c.typ != "SELFDESTRUCT") {
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    walk(top, &mut out);
    out
}

/// `ots_getInternalOperations(hash)`.
fn get_internal_operations(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(1)?;
    let hash: B256 = a.req(0)?;
    let tree = tx_tree(ctx, &hash)?
        .ok_or_else(|| RpcError::Server(format!("transaction {hash} not found")))?;
    json(internal_operations(&tree))
}

/// The last creation of `address` in `block`.
fn creator_in(
    ctx: &RpcContext,
    block: &SharedBlock,
    address: Address,
) -> RpcResult<Option<ContractCreator>> {
    let traces = block_traces(ctx, block)?;
    Ok(traces
        .iter()
        .rev()
        .find_map(|t| match (&t.trace.action, &t.trace.result) {
            (Action::Create(c), Some(TraceOutput::Create(out))) if out.address == address => {
                Some(ContractCreator {
                    hash: t.transaction_hash?,
                    creator: c.from,
                })
            }
            _ => None,
        }))
}

/// `ots_getContractCreator(address)`: the transaction that last created `address` and the account that
/// created it (the sender, or the factory contract); null for an account no block created. Where the
/// kept states allow, a binary search over them finds the block whose state first holds the code, and
/// only that block is replayed; otherwise every block from the head down (anvil's walk).
fn contract_creator(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(1)?;
    let address: Address = a.req(0)?;
    let head = ctx.chain.head().number();
    let genesis = ctx.chain.genesis().number();
    let has = |n: u64| code_at(ctx, n, address).ok();
    if has(head) == Some(true) && has(genesis) == Some(false) {
        let (mut lo, mut hi) = (genesis, head);
        let mut kept = true;
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            match has(mid) {
                Some(true) => hi = mid,
                Some(false) => lo = mid,
                None => {
                    kept = false;
                    break;
                }
            }
        }
        if kept {
            if let Some(block) = ctx.chain.block_by_number(hi) {
                if let Some(found) = creator_in(ctx, &block, address)? {
                    return json(found);
                }
            }
        }
    }
    for n in (genesis..=head).rev() {
        let Some(block) = ctx.chain.block_by_number(n) else {
            continue;
        };
        if let Some(found) = creator_in(ctx, &block, address)? {
            return json(found);
        }
    }
    Ok(Value::Null)
}

/// The transactions of `block` whose traces touch `address`, newest first, each once.
fn touching(ctx: &RpcContext, block: &SharedBlock, address: Address) -> RpcResult<Vec<B256>> {
    let mut seen = HashSet::new();
    Ok(block_traces(ctx, block)?
        .iter()
        .rev()
        .filter(|t| t.trace.contains_address(address))
        .filter_map(|t| t.transaction_hash)
        .filter(|h| seen.insert(*h))
        .collect())
}

/// The page of an address search: full transactions and Otterscan receipts of `hashes`.
fn search_page(
    ctx: &RpcContext,
    hashes: &[B256],
    first_page: bool,
    last_page: bool,
) -> RpcResult<Value> {
    let mut txs = Vec::with_capacity(hashes.len());
    let mut receipts = Vec::with_capacity(hashes.len());
    for hash in hashes {
        let (block, i) = ctx
            .chain
            .transaction(hash)
            .ok_or_else(|| RpcError::Internal(format!("transaction {hash} left the chain")))?;
        txs.extend(convert::transaction(&block, i));
        receipts.extend(ots_receipt(&block, i));
    }
    json(TransactionsWithReceipts {
        txs,
        receipts,
        first_page,
        last_page,
    })
}

/// `ots_searchTransactionsBefore(address, block, pageSize)`: the transactions touching `address` in the
/// blocks before `block` (0: from the head), newest first, whole blocks until at least `pageSize`.
fn search_before(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(3)?;
    let address: Address = a.req(0)?;
    let number = a.req::<Quantity>(1)?.get();
    let size = usize_of(a.req(2)?);
    let best = ctx.chain.head().number();
    let from = if number == 0 { best } else { number - 1 };
    let to = ctx.chain.genesis().number() + 1;
    let first_page = from >= best;
    let mut last_page = false;
    let mut hashes = Vec::new();
    // Blocks past the head do not exist: the walk starts at the head at the latest.
    for n in (to..=from.min(best)).rev() {
        if let Some(block) = ctx.chain.block_by_number(n) {
            // Full before this block: stop without replaying it.
            if hashes.len() >= size {
                break;
            }
            hashes.extend(touching(ctx, &block, address)?);
        }
        if n == to {
            last_page = true;
        }
    }
    search_page(ctx, &hashes, first_page, last_page)
}

/// `ots_searchTransactionsAfter(address, block, pageSize)`: the same after `block` (0: from the first
/// block), oldest blocks first, answered newest first.
fn search_after(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(3)?;
    let address: Address = a.req(0)?;
    let number = a.req::<Quantity>(1)?.get();
    let size = usize_of(a.req(2)?);
    let best = ctx.chain.head().number();
    let first_block = ctx.chain.genesis().number() + 1;
    let from = if number == 0 {
        first_block
    } else {
        number.saturating_add(1)
    };
    let mut first_page = from >= best;
    let mut last_page = false;
    let mut hashes = Vec::new();
    for n in from..=best {
        if n == first_block {
            last_page = true;
        }
        if let Some(block) = ctx.chain.block_by_number(n) {
            // Full before this block: stop without replaying it.
            if hashes.len() >= size {
                break;
            }
            hashes.extend(touching(ctx, &block, address)?);
        }
        if n == best {
            first_page = true;
        }
    }
    hashes.reverse();
    search_page(ctx, &hashes, first_page, last_page)
}

/// `ots_getTransactionBySenderAndNonce(address, nonce)`: the hash of the mined transaction, or null.
fn tx_by_sender_and_nonce(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(2)?;
    let sender: Address = a.req(0)?;
    let nonce: U256 = a.req(1)?;
    let Ok(nonce) = u64::try_from(nonce) else {
        return Ok(Value::Null);
    };
    json(mined_by_sender_and_nonce(ctx, sender, nonce).map(|(block, i)| block.txs[i].hash))
}

/// `erigon_getHeaderByNumber(block)`, which Otterscan calls: the block with transaction hashes.
fn header_by_number(a: &Args, ctx: &RpcContext) -> RpcResult<Value> {
    a.at_most(1)?;
    let tag = a.req::<BlockArg>(0)?.tag();
    json(ctx.block_by_tag(tag).map(|b| convert::block(&b, false)))
}

/// Registers the methods.
pub fn register(m: &mut RpcModule<RpcContext>) {
    method(m, "ots_getApiLevel", api_level);
    method(m, "ots_hasCode", has_code);
    method(m, "ots_getBlockDetails", block_details);
    method(m, "ots_getBlockDetailsByHash", block_details_by_hash);
    method(m, "ots_getBlockTransactions", block_transactions);
    method(m, "erigon_getHeaderByNumber", header_by_number);
    blocking(m, "ots_getTransactionError", transaction_error);
    blocking(m, "ots_traceTransaction", trace_transaction);
    blocking(m, "ots_getInternalOperations", get_internal_operations);
    blocking(m, "ots_getContractCreator", contract_creator);
    blocking(m, "ots_searchTransactionsBefore", search_before);
    blocking(m, "ots_searchTransactionsAfter", search_after);
    blocking(
        m,
        "ots_getTransactionBySenderAndNonce",
        tx_by_sender_and_nonce,
    );
}
