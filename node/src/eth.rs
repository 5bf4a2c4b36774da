//! The eth methods a rollup node (and a user of the node) reads, answered from the chain store: blocks
//! with full OP transactions serialized by op-alloy-rpc-types (deposit fields included, so kona and
//! op-node can rebuild the payload and re-check its hash), head labels, account state and proofs.
//!
//! ```text
//! block id (tag | number | hash) -> ChainStore labels / canonical index -> header, body, receipts
//!   -> alloy_rpc_types_eth::Block<op_alloy_rpc_types::Transaction>
//! state queries -> ChainStore::state_at(n) (head or recent, via reverse diffs) -> StateView / proof
//! ```

use crate::engine_api::{EngineContext, EngineError};
use crate::service::OpNode;
use alloy_consensus::{BlockBody, Header, Sealed};
use alloy_eips::eip2718::Encodable2718;
use alloy_eips::eip4895::Withdrawals;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use alloy_rpc_types_eth::{
    Block, BlockTransactions, EIP1186AccountProofResponse, EIP1186StorageProof, Log,
    TransactionInfo,
};
use alloy_serde::JsonStorageKey;
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;
use op_alloy_consensus::transaction::{OpDepositInfo, OpTransactionInfo};
use op_alloy_consensus::{OpReceiptEnvelope, OpTxEnvelope};
use parevm_evm_core::{BlockEnv, CfgEnv, StateView};
use parevm_rpc::params::Args;
use parevm_storage::{ChainStore, HistoricalState, Label};
use serde::Serialize;
use serde_json::Value;

/// An eth method's answer.
pub type EthResult<T> = Result<T, EngineError>;

/// Invalid method parameters.
const INVALID_PARAMS: i32 = -32602;
/// Most slots one `eth_getStorageValues` call reads.
pub const MAX_STORAGE_VALUES: usize = 1024;

/// A -32000 server error.
pub fn server(message: impl Into<String>) -> EngineError {
    EngineError::new(-32000, message)
}

/// Serializes an answer.
pub fn json<T: Serialize>(v: T) -> EthResult<Value> {
    serde_json::to_value(v).map_err(|e| server(e.to_string()))
}

/// What the eth methods need from a chain: the store, and how its blocks, transactions and receipts look
/// in JSON (OP types for the OP node, Ethereum types for Ethereum mode).
pub trait EthBackend: Send + Sync {
    /// The chain store.
    fn store(&self) -> &ChainStore;
    /// EIP-155 chain id.
    fn chain_id(&self) -> u64;
    /// Block `hash` as RPC shows it (transaction hashes, or full transactions); `None` when unknown.
    fn block_json(&self, hash: B256, full: bool) -> EthResult<Option<Value>>;
    /// Transaction `index` of block `hash`; `None` when either is unknown.
    fn transaction_json(&self, hash: B256, index: usize) -> EthResult<Option<Value>>;
    /// The receipts of block `hash`; `None` when unknown.
    fn receipts_json(&self, hash: B256) -> EthResult<Option<Vec<Value>>>;
    /// The logs of block `hash` with their block positions (empty when unknown).
    fn block_logs(&self, hash: B256) -> EthResult<Vec<Log>>;
    /// The transaction pool.
    fn pool(&self) -> &crate::pool::NodePool;
    /// The pool's admission rules for a transaction sent while `head` is the head block.
    fn pool_rules(&self, head: &Header) -> EthResult<crate::pool::PoolRules>;
    /// What a call in the context of block `header` runs with (`eth_call`, `eth_estimateGas`,
    /// `eth_createAccessList`): the EVM settings (the chain's rules for calls) and the block environment.
    fn call_env(&self, header: &Header) -> EthResult<(CfgEnv, BlockEnv)>;
    /// The chain's fee market (the fee methods, [`crate::eth_fees`]).
    fn fees(&self) -> &dyn crate::eth_fees::FeeMarket;
    /// Replays block `hash` on the stored state after its parent as it ran (its block-level changes
    /// first), calling `f` with each traced transaction (every one, or only `last` when given) before
    /// running it; returns the traced transactions' hashes and deployed code ([`crate::eth_trace`]).
    fn replay_block(
        &self,
        hash: B256,
        last: Option<usize>,
        f: &mut crate::eth_trace::ReplayHook<'_>,
    ) -> EthResult<Vec<crate::eth_trace::ReplayedTx>>;
}

/// A handler context that holds an [`EthBackend`].
pub trait EthContext: Send + Sync + 'static {
    /// The chain the eth methods read.
    fn backend(&self) -> &dyn EthBackend;
}

impl EthContext for EngineContext {
    fn backend(&self) -> &dyn EthBackend {
        &*self.node
    }
}

type Handler = fn(&Args, &dyn EthBackend) -> EthResult<Value>;

pub(crate) fn register<C: EthContext>(m: &mut RpcModule<C>, name: &'static str, f: Handler) {
    let r = m.register_blocking_method(name, move |params, ctx, _| {
        let args = Args::new(&params).map_err(EngineError::from);
        let out = args.and_then(|a| f(&a, ctx.backend()));
        out.map_err(|e| ErrorObjectOwned::owned(e.code, e.message, e.data))
    });
    debug_assert!(r.is_ok(), "duplicate method {name}");
}

/// Adds the eth/net/web3 read methods to `m`.
pub fn register_eth<C: EthContext>(m: &mut RpcModule<C>) {
    register(m, "eth_chainId", |_, n| json(U64::from(n.chain_id())));
    register(m, "net_version", |_, n| json(n.chain_id().to_string()));
    register(m, "web3_clientVersion", |_, _| {
        json(format!("parevm/v{}", env!("CARGO_PKG_VERSION")))
    });
    register(m, "eth_syncing", |_, _| json(false));
    register(m, "eth_blockNumber", |_, n| {
        json(U64::from(n.store().head().map_err(store)?.0.number))
    });
    register(m, "eth_getBlockByNumber", |a, n| {
        a.at_most(2)?;
        let tag: BlockNumberOrTag = a.req(0)?;
        let full: bool = a.opt(1)?.unwrap_or(false);
        match resolve(n, BlockId::Number(tag))? {
            Some((_, hash)) => Ok(n.block_json(hash, full)?.unwrap_or(Value::Null)),
            None => Ok(Value::Null),
        }
    });
    register(m, "eth_getBlockByHash", |a, n| {
        a.at_most(2)?;
        let hash = hash_arg(a, 0)?;
        let full: bool = a.opt(1)?.unwrap_or(false);
        Ok(n.block_json(hash, full)?.unwrap_or(Value::Null))
    });
    register(m, "eth_getBlockReceipts", |a, n| {
        a.at_most(1)?;
        let id: BlockId = a.req(0)?;
        match resolve(n, id)? {
            Some((_, hash)) => json(n.receipts_json(hash)?),
            None => Ok(Value::Null),
        }
    });
    register(m, "eth_getTransactionReceipt", |a, n| {
        a.at_most(1)?;
        let tx = hash_arg(a, 0)?;
        let Some(loc) = n.store().transaction_location(&tx).map_err(store)? else {
            return Ok(Value::Null);
        };
        let receipts = n.receipts_json(loc.block_hash)?.unwrap_or_default();
        json(receipts.into_iter().nth(loc.index as usize))
    });
    register(m, "eth_getTransactionByHash", |a, n| {
        a.at_most(1)?;
        let tx = hash_arg(a, 0)?;
        let Some(loc) = n.store().transaction_location(&tx).map_err(store)? else {
            return Ok(Value::Null);
        };
        Ok(n.transaction_json(loc.block_hash, loc.index as usize)?
            .unwrap_or(Value::Null))
    });
    crate::eth_blocks::register_block_reads(m);
    crate::eth_fees::register_fees(m);
    register(m, "eth_call", crate::eth_exec::call);
    register(m, "eth_estimateGas", crate::eth_exec::estimate_gas);
    register(
        m,
        "eth_createAccessList",
        crate::eth_exec::create_access_list,
    );
    register(
        m,
        "eth_sendRawTransaction",
        crate::pool::send_raw_transaction,
    );
    register(m, "txpool_content", crate::pool::content);
    register(m, "txpool_contentFrom", crate::pool::content_from);
    register(m, "txpool_status", crate::pool::status);
    register(m, "eth_getBalance", |a, n| {
        let address: Address = a.req(0)?;
        let state = state(n, a.opt(1)?)?;
        json(state.balance(address).map_err(|e| server(e.to_string()))?)
    });
    register(m, "eth_getTransactionCount", |a, n| {
        let address: Address = a.req(0)?;
        let state = state(n, a.opt(1)?)?;
        json(U64::from(
            state.nonce(address).map_err(|e| server(e.to_string()))?,
        ))
    });
    register(m, "eth_getCode", |a, n| {
        let address: Address = a.req(0)?;
        let state = state(n, a.opt(1)?)?;
        let hash = state
            .code_hash(address)
            .map_err(|e| server(e.to_string()))?;
        if hash.is_zero() || hash == parevm_evm_core::KECCAK_EMPTY {
            return json(Bytes::new());
        }
        let code = state
            .code_by_hash(hash)
            .map_err(|e| server(e.to_string()))?;
        json(code.bytes().clone())
    });
    register(m, "eth_getStorageAt", |a, n| {
        let address: Address = a.req(0)?;
        let slot = slot_arg(a, 1)?;
        let state = state(n, a.opt(2)?)?;
        let v = state
            .storage(address, U256::from_be_bytes(slot.as_b256().0))
            .map_err(|e| server(e.to_string()))?;
        json(B256::from(v.to_be_bytes::<32>()))
    });
    register(m, "eth_getStorageValues", |a, n| {
        a.at_most(2)?;
        let req: std::collections::BTreeMap<Address, Vec<JsonStorageKey>> = a.req(0)?;
        if req.is_empty() {
            return Err(EngineError::new(INVALID_PARAMS, "empty request"));
        }
        let total: usize = req.values().map(Vec::len).sum();
        if total > MAX_STORAGE_VALUES {
            return Err(EngineError::new(
                INVALID_PARAMS,
                format!("too many slots ({total} > {MAX_STORAGE_VALUES})"),
            ));
        }
        let state = state(n, a.opt(1)?)?;
        let mut out = serde_json::Map::new();
        for (address, keys) in req {
            let values = keys
                .iter()
                .map(|k| {
                    let v = state
                        .storage(address, U256::from_be_bytes(k.as_b256().0))
                        .map_err(|e| server(e.to_string()))?;
                    Ok(B256::from(v.to_be_bytes::<32>()))
                })
                .collect::<EthResult<Vec<B256>>>()?;
            out.insert(format!("0x{}", hex::encode(address)), json(values)?);
        }
        Ok(Value::Object(out))
    });
    register(m, "eth_getProof", |a, n| {
        a.at_most(3)?;
        let address: Address = a.req(0)?;
        let keys: Vec<JsonStorageKey> = a.req(1)?;
        let state = state(n, a.opt(2)?)?;
        let slots: Vec<U256> = keys
            .iter()
            .map(|k| U256::from_be_bytes(k.as_b256().0))
            .collect();
        let p = state.proof(address, &slots).map_err(store)?;
        let account = p.account.unwrap_or_default();
        json(EIP1186AccountProofResponse {
            address,
            balance: account.balance,
            code_hash: account.code_hash,
            nonce: account.nonce,
            storage_hash: p.storage_root(),
            account_proof: p.proof.clone(),
            storage_proof: keys
                .into_iter()
                .zip(p.storage)
                .map(|(key, s)| EIP1186StorageProof {
                    key,
                    value: s.value,
                    proof: s.proof,
                })
                .collect(),
        })
    });
}

impl EthBackend for OpNode {
    fn store(&self) -> &ChainStore {
        OpNode::store(self)
    }
    fn chain_id(&self) -> u64 {
        self.config().chain_id
    }
    fn block_json(&self, hash: B256, full: bool) -> EthResult<Option<Value>> {
        rpc_block(self, hash, full)?.map(json).transpose()
    }
    fn transaction_json(&self, hash: B256, index: usize) -> EthResult<Option<Value>> {
        let Some(Block { transactions, .. }) = rpc_block(self, hash, true)? else {
            return Ok(None);
        };
        transactions
            .into_transactions()
            .nth(index)
            .map(json)
            .transpose()
    }
    fn receipts_json(&self, hash: B256) -> EthResult<Option<Vec<Value>>> {
        crate::receipts::block_receipts(self, hash)?
            .map(|rs| rs.into_iter().map(json).collect())
            .transpose()
    }
    fn block_logs(&self, hash: B256) -> EthResult<Vec<Log>> {
        Ok(crate::receipts::block_receipts(self, hash)?
            .unwrap_or_default()
            .into_iter()
            .flat_map(|r| r.inner.inner.receipt.as_receipt().logs.clone())
            .collect())
    }
    fn pool(&self) -> &crate::pool::NodePool {
        OpNode::pool(self)
    }
    fn pool_rules(&self, head: &Header) -> EthResult<crate::pool::PoolRules> {
        Ok(crate::pool::op_rules(
            self.config().chain_id,
            self.fork_at(head.timestamp),
        ))
    }
    fn call_env(&self, header: &Header) -> EthResult<(CfgEnv, BlockEnv)> {
        // op-reth's calls: op-revm with an empty envelope, which pays no L1 fee and no operator fee.
        let fork = self.fork_at(header.timestamp);
        let cfg = CfgEnv::new(self.config().chain_id, fork.spec())
            .with_rules(parevm_op_stack_adapter::OpRules::for_calls(fork));
        let block = BlockEnv {
            number: header.number,
            beneficiary: header.beneficiary,
            timestamp: header.timestamp,
            gas_limit: header.gas_limit,
            basefee: U256::from(header.base_fee_per_gas.unwrap_or_default()),
            difficulty: U256::ZERO,
            prevrandao: Some(header.mix_hash),
            // Ecotone: BLOBBASEFEE answers 1 (no blobs on L2).
            blob_basefee: fork
                .is_active(parevm_op_stack_adapter::OpFork::Ecotone)
                .then_some(1),
            slot_number: None,
        };
        Ok((cfg, block))
    }
    fn fees(&self) -> &dyn crate::eth_fees::FeeMarket {
        self
    }
    fn replay_block(
        &self,
        hash: B256,
        last: Option<usize>,
        f: &mut crate::eth_trace::ReplayHook<'_>,
    ) -> EthResult<Vec<crate::eth_trace::ReplayedTx>> {
        crate::eth_trace::replay_op(self, hash, last, f)
    }
}

/// Parameter `i` as a 32-byte hash, refusing a hex string without the `0x` prefix (as geth does).
pub fn hash_arg(a: &Args, i: usize) -> EthResult<B256> {
    let raw: Value = a.req(i)?;
    if raw.as_str().is_some_and(|s| !s.starts_with("0x")) {
        return Err(EngineError::new(
            INVALID_PARAMS,
            format!("invalid argument {i}: hex string without 0x prefix"),
        ));
    }
    serde_json::from_value(raw)
        .map_err(|e| EngineError::new(INVALID_PARAMS, format!("invalid argument {i}: {e}")))
}

/// A storage key parameter: at most 32 bytes of hex (geth refuses longer keys).
fn slot_arg(a: &Args, i: usize) -> EthResult<JsonStorageKey> {
    let raw: Value = a.req(i)?;
    if let Some(s) = raw.as_str() {
        let digits = s.strip_prefix("0x").unwrap_or(s);
        if digits.len() > 64 {
            return Err(EngineError::new(
                INVALID_PARAMS,
                format!("storage key too long (want at most 32 bytes): {s:?}"),
            ));
        }
    }
    serde_json::from_value(raw)
        .map_err(|e| EngineError::new(INVALID_PARAMS, format!("invalid argument {i}: {e}")))
}

/// A store failure as a -32000 error.
pub fn store(e: parevm_storage::StoreError) -> EngineError {
    server(e.to_string())
}

/// The canonical block an id names: `(number, hash)`, or `None` when the chain has no such block.
pub fn resolve(n: &dyn EthBackend, id: BlockId) -> EthResult<Option<(u64, B256)>> {
    let s = n.store();
    let by_label = |l: Label| -> EthResult<Option<(u64, B256)>> {
        Ok(s.label(l).map_err(store)?.map(|r| (r.number, r.hash)))
    };
    match id {
        BlockId::Hash(h) => {
            let hash = h.block_hash;
            Ok(s.number_by_hash(&hash).map_err(store)?.map(|n| (n, hash)))
        }
        BlockId::Number(tag) => match tag {
            BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => {
                let head = s.head().map_err(store)?.0;
                Ok(Some((head.number, head.hash)))
            }
            BlockNumberOrTag::Safe => by_label(Label::Safe),
            BlockNumberOrTag::Finalized => by_label(Label::Finalized),
            BlockNumberOrTag::Earliest => Ok(s.hash_by_number(0).map_err(store)?.map(|h| (0, h))),
            BlockNumberOrTag::Number(num) => {
                Ok(s.hash_by_number(num).map_err(store)?.map(|h| (num, h)))
            }
        },
    }
}

/// The state after the block `id` names (latest when not given).
pub fn state(n: &dyn EthBackend, id: Option<BlockId>) -> EthResult<HistoricalState> {
    let id = id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest));
    let (number, _) = resolve(n, id)?.ok_or_else(|| server("block not found"))?;
    n.store().state_at(number).map_err(store)
}

/// A block as RPC shows it: `None` when unknown.
pub fn rpc_block(
    n: &OpNode,
    hash: B256,
    full: bool,
) -> EthResult<Option<Block<op_alloy_rpc_types::Transaction, alloy_rpc_types_eth::Header>>> {
    let s = n.store();
    let Some(header) = s.header_by_hash(&hash).map_err(store)? else {
        return Ok(None);
    };
    let body: BlockBody<OpTxEnvelope> = s
        .body(&hash)
        .map_err(store)?
        .ok_or_else(|| server(format!("block {hash} has no stored body")))?;
    let size = s
        .block_rlp(&hash)
        .map_err(store)?
        .map(|b| U256::from(b.len()));
    let transactions = if full {
        BlockTransactions::Full(rpc_transactions(n, &header, hash, &body)?)
    } else {
        BlockTransactions::Hashes(body.transactions.iter().map(|t| t.tx_hash()).collect())
    };
    let withdrawals = body
        .withdrawals
        .clone()
        .or_else(|| header.withdrawals_root.map(|_| Withdrawals::default()));
    Ok(Some(Block {
        header: alloy_rpc_types_eth::Header::from_consensus(
            Sealed::new_unchecked(header, hash),
            None,
            size,
        ),
        uncles: Vec::new(),
        transactions,
        withdrawals,
    }))
}

fn rpc_transactions(
    n: &OpNode,
    header: &Header,
    hash: B256,
    body: &BlockBody<OpTxEnvelope>,
) -> EthResult<Vec<op_alloy_rpc_types::Transaction>> {
    let s = n.store();
    let senders = s.senders(&hash).map_err(store)?.unwrap_or_default();
    let receipts: Vec<Bytes> = s.receipts_rlp(&hash).map_err(store)?.unwrap_or_default();
    let mut out = Vec::with_capacity(body.transactions.len());
    for (i, tx) in body.transactions.iter().enumerate() {
        let sender = senders
            .get(i)
            .copied()
            .ok_or_else(|| server(format!("block {hash}: no sender for transaction {i}")))?;
        let deposit_meta = match receipts.get(i).map(decode_receipt).transpose()? {
            Some(OpReceiptEnvelope::Deposit(d)) => OpDepositInfo {
                deposit_nonce: d.receipt.deposit_nonce,
                deposit_receipt_version: d.receipt.deposit_receipt_version,
            },
            _ => OpDepositInfo::default(),
        };
        let info = OpTransactionInfo::new(
            TransactionInfo {
                hash: Some(tx.tx_hash()),
                index: Some(i as u64),
                block_hash: Some(hash),
                block_number: Some(header.number),
                block_timestamp: Some(header.timestamp),
                base_fee: header.base_fee_per_gas,
            },
            deposit_meta,
        );
        out.push(op_alloy_rpc_types::Transaction::from_transaction(
            alloy_consensus::transaction::Recovered::new_unchecked(tx.clone(), sender),
            info,
        ));
    }
    Ok(out)
}

/// Decodes a stored EIP-2718 receipt.
pub fn decode_receipt(bytes: &Bytes) -> EthResult<OpReceiptEnvelope> {
    use alloy_eips::eip2718::Decodable2718;
    OpReceiptEnvelope::decode_2718(&mut bytes.as_ref())
        .map_err(|e| server(format!("stored receipt: {e}")))
}

/// EIP-2718 bytes of a stored transaction (tests and re-execution).
pub fn encoded(tx: &OpTxEnvelope) -> Bytes {
    Bytes::from(tx.encoded_2718())
}
