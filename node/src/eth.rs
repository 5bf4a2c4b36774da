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
    Block, BlockTransactions, EIP1186AccountProofResponse, EIP1186StorageProof, TransactionInfo,
};
use alloy_serde::JsonStorageKey;
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;
use op_alloy_consensus::transaction::{OpDepositInfo, OpTransactionInfo};
use op_alloy_consensus::{OpReceiptEnvelope, OpTxEnvelope};
use parevm_evm_core::StateView;
use parevm_rpc::params::Args;
use parevm_storage::{HistoricalState, Label};
use serde::Serialize;
use serde_json::Value;

type EthResult<T> = Result<T, EngineError>;

fn server(message: impl Into<String>) -> EngineError {
    EngineError {
        code: -32000,
        message: message.into(),
    }
}

fn json<T: Serialize>(v: T) -> EthResult<Value> {
    serde_json::to_value(v).map_err(|e| server(e.to_string()))
}

type Handler = fn(&Args, &OpNode) -> EthResult<Value>;

fn register(m: &mut RpcModule<EngineContext>, name: &'static str, f: Handler) {
    let r = m.register_blocking_method(name, move |params, ctx, _| {
        let args = Args::new(&params).map_err(EngineError::from);
        let out = args.and_then(|a| f(&a, &ctx.node));
        out.map_err(|e| ErrorObjectOwned::owned(e.code, e.message, None::<()>))
    });
    debug_assert!(r.is_ok(), "duplicate method {name}");
}

/// Adds the eth/net/web3 read methods to `m`.
pub fn register_eth(m: &mut RpcModule<EngineContext>) {
    register(m, "eth_chainId", |_, n| {
        json(U64::from(n.config().chain_id))
    });
    register(m, "net_version", |_, n| {
        json(n.config().chain_id.to_string())
    });
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
            Some((_, hash)) => json(rpc_block(n, hash, full)?),
            None => Ok(Value::Null),
        }
    });
    register(m, "eth_getBlockByHash", |a, n| {
        a.at_most(2)?;
        let hash: B256 = a.req(0)?;
        let full: bool = a.opt(1)?.unwrap_or(false);
        json(rpc_block(n, hash, full)?)
    });
    register(m, "eth_getBlockReceipts", |a, n| {
        a.at_most(1)?;
        let id: BlockId = a.req(0)?;
        match resolve(n, id)? {
            Some((_, hash)) => json(crate::receipts::block_receipts(n, hash)?),
            None => Ok(Value::Null),
        }
    });
    register(m, "eth_getTransactionReceipt", |a, n| {
        a.at_most(1)?;
        let tx: B256 = a.req(0)?;
        let Some(loc) = n.store().transaction_location(&tx).map_err(store)? else {
            return Ok(Value::Null);
        };
        let receipts = crate::receipts::block_receipts(n, loc.block_hash)?.unwrap_or_default();
        json(receipts.into_iter().nth(loc.index as usize))
    });
    register(m, "eth_getTransactionByHash", |a, n| {
        a.at_most(1)?;
        let tx: B256 = a.req(0)?;
        let Some(loc) = n.store().transaction_location(&tx).map_err(store)? else {
            return Ok(Value::Null);
        };
        let Some(Block { transactions, .. }) = rpc_block(n, loc.block_hash, true)? else {
            return Ok(Value::Null);
        };
        json(transactions.into_transactions().nth(loc.index as usize))
    });
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
        let slot: JsonStorageKey = a.req(1)?;
        let state = state(n, a.opt(2)?)?;
        let v = state
            .storage(address, U256::from_be_bytes(slot.as_b256().0))
            .map_err(|e| server(e.to_string()))?;
        json(B256::from(v.to_be_bytes::<32>()))
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

fn store(e: parevm_storage::StoreError) -> EngineError {
    server(e.to_string())
}

/// The canonical block an id names: `(number, hash)`, or `None` when the chain has no such block.
pub fn resolve(n: &OpNode, id: BlockId) -> EthResult<Option<(u64, B256)>> {
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

fn state(n: &OpNode, id: Option<BlockId>) -> EthResult<HistoricalState> {
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
