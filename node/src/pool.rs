//! The node's transaction pool: `eth_sendRawTransaction` admits signed transactions into parevm-chain's
//! [`TxPool`] (per sender in nonce order, pending and queued) after checking them against the head state,
//! and the `txpool_*` methods show what it holds.
//!
//! ```text
//! raw bytes -> 0x7E (deposit): refused; 0x03 (blob) on an OP chain: refused
//!           -> decode (EIP-2718) -> recover sender
//!           -> rules of the head (PoolRules: CfgEnv, OP fork) + head state
//!           -> parevm_chain::validate::validate_tx (type enabled, chain id, gas limit, intrinsic gas,
//!              tip <= fee cap, gas * fee cap + value)
//!           -> worst-case extras: blob gas * max blob fee; on OP chains L1 fee + operator fee
//!           -> nonce (below the state's: refused; after a gap: queued) -> TxPool::add -> hash
//! ```
//! The OP sequencer takes its block candidates from [`NodePool::best`], drops what the builder found
//! invalid ([`NodePool::remove`]) and, after every new head, what the chain mined ([`NodePool::evict_mined`]).
//! A fee cap below the base fee is kept waiting (as geth's pool keeps it), so admission does not check
//! the base fee. `txpool_content`/`contentFrom`/`inspect` leave blob transactions out, as geth's blob pool
//! does; `txpool_status` counts them.

use crate::engine_api::EngineError;
use crate::eth::{json, server, state, EthBackend, EthResult};
use alloy_consensus::transaction::SignerRecoverable as _;
use alloy_consensus::{Transaction as _, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_eips::eip2718::Encodable2718;
use alloy_eips::eip4844::DATA_GAS_PER_BLOB;
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use parevm_chain::validate::validate_tx;
use parevm_chain::{ChainError, PoolError, PoolTx, TxOrder, TxPool};
use parevm_evm_core::{CfgEnv, StateView, ViewError};
use parevm_op_stack_adapter::{l1_fee_inputs, OpFork};
use parevm_rpc::convert::pool_transaction;
use parevm_rpc::params::Args;
use parking_lot::Mutex;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most transactions the pool holds.
pub const MAX_POOL_TXS: usize = 4096;

/// The deposit transaction type (OP Stack): only derivation from L1 creates them.
const DEPOSIT_TX_TYPE: u8 = 0x7e;
/// The blob transaction type (EIP-4844).
const BLOB_TX_TYPE: u8 = 0x03;
/// Invalid method parameters.
const INVALID_PARAMS: i32 = -32602;
/// geth's code for a transaction the pool refuses.
const REJECTED: i32 = -32000;

/// Pooled transactions in sender and nonce order.
pub type PoolTxs = Vec<Arc<PoolTx>>;

/// The pool, shared by the eth handlers.
#[derive(Debug)]
pub struct NodePool {
    pool: Mutex<TxPool>,
}

impl Default for NodePool {
    fn default() -> Self {
        Self {
            pool: Mutex::new(TxPool::new(TxOrder::Fees, MAX_POOL_TXS)),
        }
    }
}

impl NodePool {
    /// The pooled transactions as `(pending, queued)` against the sender nonces of `view`; transactions
    /// whose nonce the chain has used since they arrived are dropped first.
    pub fn split(&self, view: &dyn StateView) -> EthResult<(PoolTxs, PoolTxs)> {
        let mut pool = self.pool.lock();
        let mut nonces: BTreeMap<Address, u64> = BTreeMap::new();
        let (pending, queued) = pool.split(|_| 0);
        for t in pending.iter().chain(&queued) {
            if let std::collections::btree_map::Entry::Vacant(slot) = nonces.entry(t.sender) {
                slot.insert(view.nonce(t.sender).map_err(|e| server(e.to_string()))?);
            }
        }
        let nonce_of = |a: Address| nonces.get(&a).copied().unwrap_or(0);
        pool.prune(nonce_of);
        Ok(pool.split(nonce_of))
    }
}

impl NodePool {
    /// The sender nonces of `view` for every sender in the pool.
    fn nonces(pool: &TxPool, view: &dyn StateView) -> Result<BTreeMap<Address, u64>, ViewError> {
        let mut nonces = BTreeMap::new();
        let (pending, queued) = pool.split(|_| 0);
        for t in pending.iter().chain(&queued) {
            if let std::collections::btree_map::Entry::Vacant(slot) = nonces.entry(t.sender) {
                slot.insert(view.nonce(t.sender)?);
            }
        }
        Ok(nonces)
    }

    /// The block candidates against the nonces of `view` (the state a block is built on), best first at
    /// `basefee`, as EIP-2718 bytes.
    pub fn best(&self, view: &dyn StateView, basefee: U256) -> Result<Vec<Bytes>, ViewError> {
        let pool = self.pool.lock();
        let nonces = Self::nonces(&pool, view)?;
        Ok(pool
            .best(|a| nonces.get(&a).copied().unwrap_or(0), basefee)
            .iter()
            .map(|t| Bytes::from(t.envelope.encoded_2718()))
            .collect())
    }

    /// Drops the transactions `hashes` (ones a block builder found invalid).
    pub fn remove(&self, hashes: impl IntoIterator<Item = B256>) {
        let mut pool = self.pool.lock();
        for h in hashes {
            pool.remove(&h);
        }
    }

    /// Drops every transaction whose nonce `view` (the state after a new head) has used: the mined
    /// ones, and any they replaced.
    pub fn evict_mined(&self, view: &dyn StateView) -> Result<(), ViewError> {
        let mut pool = self.pool.lock();
        let nonces = Self::nonces(&pool, view)?;
        pool.prune(|a| nonces.get(&a).copied().unwrap_or(0));
        Ok(())
    }
}

/// What the chain's rules say about a transaction sent now (those of the head block).
#[derive(Clone, Debug)]
pub struct PoolRules {
    /// Chain id and EVM rules (transaction types enabled, intrinsic gas).
    pub cfg: CfgEnv,
    /// The OP fork on an OP chain (L1 and operator fee checked, blob transactions refused); `None` on
    /// an Ethereum chain.
    pub op_fork: Option<OpFork>,
}

/// A refusal in geth's form: code -32000 and the reason.
fn rejected(message: impl Into<String>) -> EngineError {
    EngineError::new(REJECTED, message)
}

fn pool_error(e: ChainError) -> EngineError {
    match e {
        ChainError::Pool(PoolError::NonceTooLow { tx, state }) => {
            rejected(format!("nonce too low: next nonce {state}, tx nonce {tx}"))
        }
        ChainError::Pool(PoolError::InsufficientFunds { balance, cost }) => rejected(format!(
            "insufficient funds for gas * price + value: balance {balance}, tx cost {cost}"
        )),
        ChainError::Pool(p) => rejected(p.to_string()),
        other => server(other.to_string()),
    }
}

/// Checks the signed transaction `raw` against the head of `n` and pools it; returns its hash.
pub fn send_raw(n: &dyn EthBackend, raw: &[u8]) -> EthResult<B256> {
    let head = n.store().head().map_err(crate::eth::store)?.1;
    let rules = n.pool_rules(&head)?;
    match raw.first() {
        Some(&DEPOSIT_TX_TYPE) => {
            return Err(rejected(
                "transaction type not supported: deposit transactions come only from L1",
            ))
        }
        Some(&BLOB_TX_TYPE) if rules.op_fork.is_some() => {
            return Err(rejected(
                "transaction type not supported: an OP chain takes no blob transactions",
            ))
        }
        _ => {}
    }
    let mut buf = raw;
    let envelope = TxEnvelope::decode_2718(&mut buf).map_err(|e| {
        EngineError::new(INVALID_PARAMS, format!("failed to decode transaction: {e}"))
    })?;
    if !buf.is_empty() {
        return Err(EngineError::new(
            INVALID_PARAMS,
            "failed to decode transaction: trailing bytes",
        ));
    }
    let sender = envelope
        .recover_signer()
        .map_err(|_| rejected("invalid sender: bad transaction signature"))?;
    let tx = parevm_rpc::eth::send::pool_tx_with_sender(envelope, sender);
    let view = state(n, None)?;
    let state_nonce = view.nonce(sender).map_err(|e| server(e.to_string()))?;
    if tx.nonce() < state_nonce {
        return Err(pool_error(
            PoolError::NonceTooLow {
                tx: tx.nonce(),
                state: state_nonce,
            }
            .into(),
        ));
    }
    let extra = worst_case_extra(&rules, &view, &tx, raw)?;
    validate_tx(&rules.cfg, &view, head.gas_limit, 0, &tx).map_err(|e| match e {
        // The reported cost is the whole worst case, extras included.
        ChainError::Pool(PoolError::InsufficientFunds { balance, cost }) => pool_error(
            PoolError::InsufficientFunds {
                balance,
                cost: cost.saturating_add(extra),
            }
            .into(),
        ),
        other => pool_error(other),
    })?;
    if !extra.is_zero() {
        let balance = view.balance(sender).map_err(|e| server(e.to_string()))?;
        let cost = U256::from(tx.env.gas_limit)
            .saturating_mul(tx.env.gas_price)
            .saturating_add(tx.env.value)
            .saturating_add(extra);
        if balance < cost {
            return Err(pool_error(
                PoolError::InsufficientFunds { balance, cost }.into(),
            ));
        }
    }
    let added = n
        .pool()
        .pool
        .lock()
        .add(tx, state_nonce)
        .map_err(|e| pool_error(e.into()))?;
    Ok(added.hash)
}

/// What the sender may pay beyond gas × fee cap + value: blob gas at its fee cap, and on an OP chain the
/// L1 data fee and the operator fee at the head's L1Block values.
fn worst_case_extra(
    rules: &PoolRules,
    view: &dyn StateView,
    tx: &PoolTx,
    raw: &[u8],
) -> EthResult<U256> {
    let blobs = tx.envelope.blob_versioned_hashes().map_or(0, <[B256]>::len) as u64;
    let mut extra = U256::from(blobs * DATA_GAS_PER_BLOB)
        .saturating_mul(U256::from(tx.envelope.max_fee_per_blob_gas().unwrap_or(0)));
    if let Some(fork) = rules.op_fork {
        let inputs = l1_fee_inputs(fork, view).map_err(|e| server(e.to_string()))?;
        extra = extra
            .saturating_add(inputs.l1_fee(fork, raw))
            .saturating_add(inputs.operator_fee(fork, tx.env.gas_limit));
    }
    Ok(extra)
}

/// `eth_sendRawTransaction(bytes)`.
pub fn send_raw_transaction(a: &Args, n: &dyn EthBackend) -> EthResult<Value> {
    let raw: Bytes = a.req(0)?;
    json(send_raw(n, &raw)?)
}

fn by_sender(txs: &[Arc<PoolTx>], from: Option<Address>) -> EthResult<Value> {
    let mut out: BTreeMap<Address, Map<String, Value>> = BTreeMap::new();
    for t in txs {
        if t.envelope.is_eip4844() || from.is_some_and(|f| f != t.sender) {
            continue;
        }
        out.entry(t.sender)
            .or_default()
            .insert(t.nonce().to_string(), json(pool_transaction(t))?);
    }
    // Senders keyed in their EIP-55 form, as geth writes them.
    Ok(Value::Object(
        out.into_iter()
            .map(|(a, txs)| (a.to_checksum(None), Value::Object(txs)))
            .collect(),
    ))
}

fn content_of(n: &dyn EthBackend, from: Option<Address>) -> EthResult<Value> {
    let (pending, queued) = n.pool().split(&state(n, None)?)?;
    let (pending, queued) = (by_sender(&pending, from)?, by_sender(&queued, from)?);
    match from {
        Some(_) => {
            // contentFrom: nonce -> transaction, without the sender level.
            let first = |v: Value| {
                v.as_object()
                    .and_then(|m| m.values().next().cloned())
                    .unwrap_or_else(|| Value::Object(Map::new()))
            };
            Ok(serde_json::json!({ "pending": first(pending), "queued": first(queued) }))
        }
        None => Ok(serde_json::json!({ "pending": pending, "queued": queued })),
    }
}

/// `txpool_content`: pending and queued transactions by sender and nonce.
pub fn content(_: &Args, n: &dyn EthBackend) -> EthResult<Value> {
    content_of(n, None)
}

/// `txpool_contentFrom(address)`: one sender's pending and queued transactions by nonce.
pub fn content_from(a: &Args, n: &dyn EthBackend) -> EthResult<Value> {
    let from: Address = a.req(0)?;
    content_of(n, Some(from))
}

/// `txpool_status`: how many transactions are pending and queued.
pub fn status(_: &Args, n: &dyn EthBackend) -> EthResult<Value> {
    let (pending, queued) = n.pool().split(&state(n, None)?)?;
    json(serde_json::json!({
        "pending": U64::from(pending.len()),
        "queued": U64::from(queued.len()),
    }))
}

/// The pool rules of an Ethereum chain at `fork`.
pub fn ethereum_rules(chain_id: u64, fork: &parevm_block::fork::ForkParams) -> PoolRules {
    let mut cfg = CfgEnv::new(chain_id, fork.spec);
    cfg.blob = fork.blob;
    PoolRules { cfg, op_fork: None }
}

/// The pool rules of an OP chain at `fork`.
pub fn op_rules(chain_id: u64, fork: OpFork) -> PoolRules {
    PoolRules {
        cfg: CfgEnv::new(chain_id, fork.spec()),
        op_fork: Some(fork),
    }
}
