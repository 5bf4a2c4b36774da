//! Ethereum mode: `parevm node` over a chain that follows Ethereum's rules (a geth-style genesis without
//! OP settings and no `--rollup-config`), filled by `parevm import`. It serves the same eth methods as the
//! OP node ([`crate::eth::register_eth`]), with Ethereum's JSON: alloy-rpc-types-eth blocks, transactions
//! (blob transactions included) and receipts (`blobGasUsed`/`blobGasPrice` on blob transactions, `root`
//! before Byzantium), plus `eth_call`, `eth_estimateGas` and the fee methods
//! ([`crate::eth_exec`]) and the debug tracers over replayed stored blocks ([`crate::eth_trace`]).
//!
//! ```text
//! genesis.json --ChainStore::init_genesis (writes, or checks it is the stored chain)--> ChainSpec
//! ChainStore: header, body (BlockTx), senders, receipts (ReceiptEnvelope) -> alloy_rpc_types_eth JSON
//! ```
//! No Engine API is served in this mode: blocks come from `parevm import`.

use crate::eth::{json, server, store, EthBackend, EthContext, EthResult};
use crate::NodeError;
use alloy_consensus::transaction::{Recovered, SignerRecoverable as _};
use alloy_consensus::{BlockBody, Header, Sealed, Transaction as _};
use alloy_eips::eip4844::DATA_GAS_PER_BLOB;
use alloy_primitives::{TxKind, B256, U256};
use alloy_rpc_types_eth::{Block, BlockTransactions, Log, TransactionInfo, TransactionReceipt};
use parevm_block::fork::ForkParams;
use parevm_block::genesis::{ChainSpec, Genesis};
use parevm_block::input::BlockTx;
use parevm_evm_core::env::blob_basefee;
use parevm_storage::ChainStore;
use serde_json::Value;

/// An Ethereum transaction as RPC shows it.
pub type EthTransaction = alloy_rpc_types_eth::Transaction<BlockTx>;

/// A chain that follows Ethereum's rules, read from the store.
pub struct EthereumChain {
    store: ChainStore,
    spec: ChainSpec,
    pool: crate::pool::NodePool,
}

impl std::fmt::Debug for EthereumChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EthereumChain")
            .field("chain_id", &self.spec.chain_id)
            .finish()
    }
}

impl EthContext for EthereumChain {
    fn backend(&self) -> &dyn EthBackend {
        self
    }
}

impl EthereumChain {
    /// Opens the chain of `genesis` in `store`: an empty store gets the genesis written (as `parevm init`),
    /// a store holding another chain is refused ([`parevm_storage::StoreError::GenesisMismatch`]).
    pub fn open(store: ChainStore, genesis: &Genesis) -> Result<Self, NodeError> {
        // Writes the genesis into an empty store; over a stored chain it only checks that the file gives the
        // same genesis hash (a typed mismatch naming both otherwise).
        store.init_genesis(genesis)?;
        let spec = store.chain_spec()?;
        Ok(Self {
            store,
            spec,
            pool: crate::pool::NodePool::default(),
        })
    }

    /// The chain spec (chain id, forks).
    pub fn spec(&self) -> &ChainSpec {
        &self.spec
    }

    /// The rules in force for `header`.
    pub fn fork(&self, header: &Header) -> EthResult<ForkParams> {
        self.spec
            .schedule
            .at(header.number, header.timestamp)
            .ok_or_else(|| server(format!("no fork at block {}", header.number)))
    }

    /// The blob base fee of `header`'s block (`None` before Cancun).
    pub fn blob_base_fee(&self, header: &Header) -> EthResult<Option<u128>> {
        let fork = self.fork(header)?;
        Ok(header
            .excess_blob_gas
            .map(|excess| blob_basefee(excess, fork.blob.update_fraction)))
    }

    fn parts(&self, hash: B256) -> EthResult<Option<(Header, BlockBody<BlockTx>)>> {
        let s = &self.store;
        let Some(header) = s.header_by_hash(&hash).map_err(store)? else {
            return Ok(None);
        };
        let body: BlockBody<BlockTx> = s
            .body(&hash)
            .map_err(store)?
            .ok_or_else(|| server(format!("block {hash} has no stored body")))?;
        Ok(Some((header, body)))
    }

    fn transactions(
        &self,
        header: &Header,
        hash: B256,
        body: &BlockBody<BlockTx>,
    ) -> EthResult<Vec<EthTransaction>> {
        let senders = self
            .store
            .senders(&hash)
            .map_err(store)?
            .unwrap_or_default();
        body.transactions
            .iter()
            .enumerate()
            .map(|(i, tx)| {
                let sender = match senders.get(i) {
                    Some(s) => *s,
                    None => tx
                        .recover_signer()
                        .map_err(|e| server(format!("block {hash} transaction {i}: {e}")))?,
                };
                let info = TransactionInfo {
                    hash: Some(*tx.tx_hash()),
                    index: Some(i as u64),
                    block_hash: Some(hash),
                    block_number: Some(header.number),
                    block_timestamp: Some(header.timestamp),
                    base_fee: header.base_fee_per_gas,
                };
                Ok(EthTransaction::from_transaction(
                    Recovered::new_unchecked(tx.clone(), sender),
                    info,
                ))
            })
            .collect()
    }

    /// The receipts of block `hash` as RPC shows them; `None` when unknown.
    pub fn receipts(&self, hash: B256) -> EthResult<Option<Vec<TransactionReceipt>>> {
        let Some((header, body)) = self.parts(hash)? else {
            return Ok(None);
        };
        let stored = self
            .store
            .receipts(&hash)
            .map_err(store)?
            .unwrap_or_default();
        let senders = self
            .store
            .senders(&hash)
            .map_err(store)?
            .unwrap_or_default();
        let blob_price = self.blob_base_fee(&header)?;
        let mut out = Vec::with_capacity(body.transactions.len());
        let mut cursor = crate::receipts::ReceiptCursor::new(&header, hash);
        for (i, tx) in body.transactions.iter().enumerate() {
            let envelope = stored
                .get(i)
                .cloned()
                .ok_or_else(|| server(format!("block {hash}: no receipt for transaction {i}")))?;
            let from = senders
                .get(i)
                .copied()
                .ok_or_else(|| server(format!("block {hash}: no sender for transaction {i}")))?;
            let gas_used = cursor.gas_used(envelope.cumulative_gas_used());
            let tx_hash = *tx.tx_hash();
            let receipt = envelope.map_logs(|inner| cursor.log(inner, tx_hash, i));
            let blobs = tx.blob_versioned_hashes().map_or(0, |h| h.len() as u64);
            let is_blob = tx.is_eip4844();
            out.push(TransactionReceipt {
                inner: receipt,
                transaction_hash: tx_hash,
                transaction_index: Some(i as u64),
                block_hash: Some(hash),
                block_number: Some(header.number),
                gas_used,
                effective_gas_price: tx.effective_gas_price(header.base_fee_per_gas),
                blob_gas_used: is_blob.then_some(blobs * DATA_GAS_PER_BLOB),
                blob_gas_price: if is_blob { blob_price } else { None },
                from,
                to: tx.to(),
                contract_address: match tx.kind() {
                    TxKind::Create => Some(from.create(tx.nonce())),
                    TxKind::Call(_) => None,
                },
            });
        }
        Ok(Some(out))
    }
}

impl EthBackend for EthereumChain {
    fn store(&self) -> &ChainStore {
        &self.store
    }

    fn chain_id(&self) -> u64 {
        self.spec.chain_id
    }

    fn block_json(&self, hash: B256, full: bool) -> EthResult<Option<Value>> {
        let Some((header, body)) = self.parts(hash)? else {
            return Ok(None);
        };
        let size = self
            .store
            .block_rlp(&hash)
            .map_err(store)?
            .map(|b| U256::from(b.len()));
        let transactions = if full {
            BlockTransactions::Full(self.transactions(&header, hash, &body)?)
        } else {
            BlockTransactions::Hashes(body.transactions.iter().map(|t| *t.tx_hash()).collect())
        };
        let block: Block<EthTransaction> = Block {
            header: alloy_rpc_types_eth::Header::from_consensus(
                Sealed::new_unchecked(header, hash),
                None,
                size,
            ),
            uncles: body.ommers.iter().map(Header::hash_slow).collect(),
            transactions,
            withdrawals: body.withdrawals.clone(),
        };
        json(block).map(Some)
    }

    fn transaction_json(&self, hash: B256, index: usize) -> EthResult<Option<Value>> {
        let Some((header, body)) = self.parts(hash)? else {
            return Ok(None);
        };
        if index >= body.transactions.len() {
            return Ok(None);
        }
        let mut txs = self.transactions(&header, hash, &body)?;
        json(txs.swap_remove(index)).map(Some)
    }

    fn receipts_json(&self, hash: B256) -> EthResult<Option<Vec<Value>>> {
        self.receipts(hash)?
            .map(|rs| rs.into_iter().map(json).collect())
            .transpose()
    }

    fn block_logs(&self, hash: B256) -> EthResult<Vec<Log>> {
        Ok(self
            .receipts(hash)?
            .unwrap_or_default()
            .into_iter()
            .flat_map(|r| r.inner.logs().to_vec())
            .collect())
    }

    fn pool(&self) -> &crate::pool::NodePool {
        &self.pool
    }

    fn pool_rules(&self, head: &Header) -> EthResult<crate::pool::PoolRules> {
        Ok(crate::pool::ethereum_rules(
            self.spec.chain_id,
            &self.fork(head)?,
        ))
    }

    fn call_env(
        &self,
        header: &Header,
    ) -> EthResult<(parevm_evm_core::CfgEnv, parevm_evm_core::BlockEnv)> {
        let fork = self.fork(header)?;
        let mut cfg = parevm_evm_core::CfgEnv::new(self.spec.chain_id, fork.spec);
        cfg.blob = fork.blob;
        Ok((cfg, parevm_block::executor::block_env(header, &fork)))
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
        crate::eth_trace::replay_ethereum(self, hash, last, f)
    }
}
