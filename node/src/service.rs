//! The OP node's chain: the persistent store (parevm-storage) plus the blocks the consensus layer has
//! shown us but not made canonical yet, the payloads we built, and forkchoice.
//!
//! ```text
//! newPayload(block)      parent == head: execute on the head's overlay (parallel engine), keep it VALID
//!                        parent elsewhere: keep the block, ACCEPTED / SYNCING
//! forkchoiceUpdated(s)   head canonical: unwind to it (reverse diffs) if it is behind the head
//!                        head kept: unwind to its canonical ancestor, execute+commit the path in order
//!                        safe/finalized: labels in the store; attributes -> build_payload on the new head
//!                        (forced transactions, then the pool's best unless noTxPool; invalid ones dropped)
//! commit                 the pool evicts what the new head mined
//! getPayload(id)         the block built for id
//! ```
//! One mutex serialises every Engine API call (they are serial in the rollup node anyway); reads go to the
//! store directly. Nothing reaches the store before it executed to the header's state root: the store's
//! commit is one atomic batch, so a crash leaves the last committed block as head.

use crate::config::NodeChain;
use crate::error::NodeError;
use crate::state::NodeState;
use alloy_consensus::{BlockBody, Header};
use alloy_eips::eip2718::Encodable2718;
use alloy_eips::eip4895::Withdrawals;
use alloy_primitives::map::HashMap;
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rpc_types_engine::{ForkchoiceState, PayloadId, PayloadStatus, PayloadStatusEnum};
use op_alloy_consensus::{OpReceiptEnvelope, OpTxEnvelope};
use op_alloy_rpc_types_engine::OpPayloadAttributes;
use parevm_op_stack_adapter::block::attributes_of;
use parevm_op_stack_adapter::{
    build_block_with_pool, BuildTimings, OpBlockError, OpChainConfig, OpFork, Runner,
};
use parevm_storage::{ChainStore, Label, NewBlock};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::Arc;

/// How many built payloads are kept for getPayload.
const PAYLOADS_KEPT: usize = 64;
/// How many non-canonical blocks are kept (a reorg deeper than this needs the blocks again).
const BLOCKS_KEPT: usize = 1024;

/// A block with everything execution produced.
#[derive(Clone, Debug)]
pub struct ExecutedBlock {
    /// Header.
    pub header: Header,
    /// Hash.
    pub hash: B256,
    /// EIP-2718 transactions.
    pub transactions: Vec<Bytes>,
    /// Decoded transactions.
    pub envelopes: Vec<OpTxEnvelope>,
    /// Their senders (a deposit's `from`).
    pub senders: Vec<Address>,
    /// Transaction hashes.
    pub tx_hashes: Vec<B256>,
    /// Receipts.
    pub receipts: Vec<OpReceiptEnvelope>,
    /// Priority fees paid to the fee recipient (getPayload's `blockValue`).
    pub block_value: U256,
    /// Where the execution's wall time went.
    pub timings: BuildTimings,
}

impl ExecutedBlock {
    /// The consensus block.
    pub fn block(&self) -> alloy_consensus::Block<OpTxEnvelope> {
        alloy_consensus::Block {
            header: self.header.clone(),
            body: BlockBody {
                transactions: self.envelopes.clone(),
                ommers: Vec::new(),
                withdrawals: self.header.withdrawals_root.map(|_| Withdrawals::default()),
            },
        }
    }
}

/// A block we were given or built: its parts, and, once executed on the current head, its state.
struct Kept {
    header: Header,
    hash: B256,
    transactions: Vec<Bytes>,
    executed: Option<(Arc<ExecutedBlock>, NodeState)>,
}

/// What a forkchoice update answered.
#[derive(Debug)]
pub enum ForkchoiceOutcome {
    /// The head is set (and the payload id when attributes were given).
    Valid {
        /// The new head.
        head: B256,
        /// The payload being built.
        payload_id: Option<PayloadId>,
    },
    /// The head or one of its ancestors is missing.
    Syncing,
    /// The head's path holds an invalid block.
    Invalid(PayloadStatus),
}

/// Why a forkchoice update was refused (Engine API error codes).
#[derive(Debug, thiserror::Error)]
pub enum ForkchoiceError {
    /// -38002: safe/finalized not canonical, zero head, a head below the finalized block.
    #[error("invalid forkchoice state: {0}")]
    InvalidState(String),
    /// -38003: attributes that cannot build a block on the head.
    #[error("invalid payload attributes: {0}")]
    InvalidAttributes(String),
    /// -32603: the node's own failure.
    #[error(transparent)]
    Node(#[from] NodeError),
}

struct Inner {
    kept: HashMap<B256, Kept>,
    kept_order: VecDeque<B256>,
    invalid: HashMap<B256, (Option<B256>, String)>,
    payloads: HashMap<PayloadId, Arc<ExecutedBlock>>,
    payload_order: VecDeque<PayloadId>,
    /// The phases of the latest block newPayload executed (its number).
    last_timings: Option<(u64, BuildTimings)>,
}

/// The first header field in which a given block differs from its execution (`None` when only fields
/// execution does not compute differ): the reason newPayload gives for an INVALID block.
fn header_mismatch(given: &Header, built: &Header) -> Option<OpBlockError> {
    let fields: [(&'static str, String, String); 9] = [
        (
            "stateRoot",
            given.state_root.to_string(),
            built.state_root.to_string(),
        ),
        (
            "receiptsRoot",
            given.receipts_root.to_string(),
            built.receipts_root.to_string(),
        ),
        (
            "gasUsed",
            given.gas_used.to_string(),
            built.gas_used.to_string(),
        ),
        (
            "logsBloom",
            given.logs_bloom.to_string(),
            built.logs_bloom.to_string(),
        ),
        (
            "transactionsRoot",
            given.transactions_root.to_string(),
            built.transactions_root.to_string(),
        ),
        (
            "withdrawalsRoot",
            format!("{:?}", given.withdrawals_root),
            format!("{:?}", built.withdrawals_root),
        ),
        (
            "blobGasUsed",
            format!("{:?}", given.blob_gas_used),
            format!("{:?}", built.blob_gas_used),
        ),
        (
            "baseFeePerGas",
            format!("{:?}", given.base_fee_per_gas),
            format!("{:?}", built.base_fee_per_gas),
        ),
        (
            "extraData",
            given.extra_data.to_string(),
            built.extra_data.to_string(),
        ),
    ];
    fields
        .into_iter()
        .find(|(_, g, b)| g != b)
        .map(|(field, expected, got)| OpBlockError::HeaderMismatch {
            field,
            expected,
            got,
        })
}

/// The node's chain.
pub struct OpNode {
    chain: NodeChain,
    store: ChainStore,
    runner: Runner,
    inner: Mutex<Inner>,
    pool: crate::pool::NodePool,
}

impl std::fmt::Debug for OpNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpNode")
            .field("chain_id", &self.chain.config.chain_id)
            .finish()
    }
}

fn status(s: PayloadStatusEnum, latest_valid: Option<B256>) -> PayloadStatus {
    PayloadStatus::new(s, latest_valid)
}

fn invalid(latest_valid: Option<B256>, why: String) -> PayloadStatus {
    status(
        PayloadStatusEnum::Invalid {
            validation_error: why,
        },
        latest_valid,
    )
}

impl OpNode {
    /// Opens the chain in `store`, writing the genesis when the store is empty (a different genesis over
    /// an existing chain is refused). `threads` = 1 runs blocks sequentially.
    pub fn open(chain: NodeChain, store: ChainStore, threads: usize) -> Result<Self, NodeError> {
        let g = &chain.genesis;
        let hash = match store.genesis_hash() {
            // An existing chain: its genesis must be this one.
            Ok(stored) => stored,
            Err(parevm_storage::StoreError::NotInitialized) => {
                let header = g.header.clone();
                store.init_chain(None, &g.state, |root| Header {
                    state_root: root,
                    ..header
                })?
            }
            Err(e) => return Err(e.into()),
        };
        if hash != g.hash {
            return Err(NodeError::Config(format!(
                "the datadir holds the chain with genesis {hash}, the genesis file gives {}",
                g.hash
            )));
        }
        let runner = if threads <= 1 {
            Runner::Sequential
        } else {
            Runner::Parallel(threads)
        };
        Ok(Self {
            chain,
            store,
            runner,
            inner: Mutex::new(Inner {
                kept: HashMap::default(),
                kept_order: VecDeque::new(),
                invalid: HashMap::default(),
                payloads: HashMap::default(),
                payload_order: VecDeque::new(),
                last_timings: None,
            }),
            pool: crate::pool::NodePool::default(),
        })
    }

    /// The transaction pool (`eth_sendRawTransaction`, `txpool_*`).
    pub fn pool(&self) -> &crate::pool::NodePool {
        &self.pool
    }

    /// The chain config.
    pub fn config(&self) -> &OpChainConfig {
        &self.chain.config
    }

    /// The store (reads).
    pub fn store(&self) -> &ChainStore {
        &self.store
    }

    /// The genesis hash.
    pub fn genesis_hash(&self) -> B256 {
        self.chain.genesis.hash
    }

    /// The fork at `timestamp`.
    pub fn fork_at(&self, timestamp: u64) -> OpFork {
        self.chain.config.fork_at(timestamp)
    }

    /// Executes `header`'s block (or builds from `attrs` when given) on the store's head state; a build
    /// takes `pool`'s transactions after the forced ones where they fit and run, and the pool drops the
    /// ones found invalid.
    fn execute_on_head(
        &self,
        parent: &Header,
        parent_hash: B256,
        attrs: &OpPayloadAttributes,
        expected: Option<&Header>,
        pool: &[Bytes],
    ) -> Result<(Arc<ExecutedBlock>, NodeState), NodeError> {
        let mut state = NodeState(self.store.begin_block()?);
        let built = build_block_with_pool(
            &self.chain.config,
            &mut state,
            parent,
            parent_hash,
            attrs,
            self.runner,
            pool,
        )?;
        let t = built.timings;
        tracing::debug!(
            number = built.header.number,
            txs = built.transactions.len(),
            decode_us = t.decode.as_micros() as u64,
            execute_us = t.execute.as_micros() as u64,
            include_us = t.include.as_micros() as u64,
            root_us = t.root.as_micros() as u64,
            seal_us = t.seal.as_micros() as u64,
            "block executed"
        );
        for s in &built.skipped {
            tracing::debug!(hash = %s.hash, invalid = s.invalid, reason = %s.reason, "pool transaction skipped");
        }
        self.pool
            .remove(built.skipped.iter().filter(|s| s.invalid).map(|s| s.hash));
        if let Some(given) = expected {
            let expected = given.hash_slow();
            if built.hash != expected {
                return Err(header_mismatch(given, &built.header)
                    .unwrap_or(OpBlockError::HashMismatch {
                        expected,
                        got: built.hash,
                    })
                    .into());
            }
        }
        let base_fee = U256::from(built.header.base_fee_per_gas.unwrap_or_default());
        let mut envelopes = Vec::with_capacity(built.transactions.len());
        let mut senders = Vec::with_capacity(built.transactions.len());
        let mut tx_hashes = Vec::with_capacity(built.transactions.len());
        let mut block_value = U256::ZERO;
        // The transactions as the build decoded them: each sender is recovered once per block.
        for (tx, outcome) in built.txs.into_iter().zip(&built.outcomes) {
            if !tx.is_deposit() {
                let tip = tx
                    .env
                    .effective_gas_price(base_fee)
                    .saturating_sub(base_fee);
                block_value += tip * U256::from(outcome.gas_used);
            }
            senders.push(tx.env.caller);
            tx_hashes.push(tx.envelope.tx_hash());
            envelopes.push(tx.envelope);
        }
        let block = ExecutedBlock {
            header: built.header,
            hash: built.hash,
            transactions: built.transactions,
            envelopes,
            senders,
            tx_hashes,
            receipts: built.receipts,
            block_value,
            timings: built.timings,
        };
        Ok((Arc::new(block), state))
    }

    /// The phases of the latest block newPayload executed, with its number.
    pub fn last_timings(&self) -> Option<(u64, BuildTimings)> {
        self.inner.lock().last_timings
    }

    /// Writes an executed block as the new head.
    fn commit(&self, block: &ExecutedBlock, state: &NodeState) -> Result<(), NodeError> {
        let body = alloy_rlp::encode(block.block().body);
        let receipts: Vec<Bytes> = block
            .receipts
            .iter()
            .map(|r| Bytes::from(r.encoded_2718()))
            .collect();
        self.store.commit_block(
            NewBlock {
                header: &block.header,
                hash: block.hash,
                body: &body,
                tx_hashes: &block.tx_hashes,
                senders: &block.senders,
                receipts: &receipts,
            },
            &state.0,
        )?;
        tracing::info!(number = block.header.number, hash = %block.hash, txs = block.transactions.len(),
            gas = block.header.gas_used, "new head");
        // The pool forgets what the chain has mined (built blocks and newPayload blocks alike).
        let view = self.store.latest_state()?;
        self.pool
            .evict_mined(&view)
            .map_err(|e| NodeError::Internal(format!("pool: {e}")))?;
        Ok(())
    }

    fn is_canonical(&self, hash: &B256) -> Result<Option<u64>, NodeError> {
        Ok(match self.store.number_by_hash(hash)? {
            Some(n) if self.store.hash_by_number(n)? == Some(*hash) => Some(n),
            _ => None,
        })
    }

    fn keep(inner: &mut Inner, kept: Kept) {
        let hash = kept.hash;
        if inner.kept.insert(hash, kept).is_none() {
            inner.kept_order.push_back(hash);
        }
        while inner.kept_order.len() > BLOCKS_KEPT {
            if let Some(old) = inner.kept_order.pop_front() {
                inner.kept.remove(&old);
            }
        }
    }

    /// `engine_newPayload`: `header` and `transactions` are the payload's block (its hash already checked
    /// against the payload's `blockHash` by the caller).
    pub fn new_payload(
        &self,
        header: Header,
        transactions: Vec<Bytes>,
    ) -> Result<PayloadStatus, NodeError> {
        let hash = header.hash_slow();
        let mut inner = self.inner.lock();
        if let Some((latest, why)) = inner.invalid.get(&hash) {
            return Ok(invalid(*latest, why.clone()));
        }
        if self.is_canonical(&hash)?.is_some()
            || inner.kept.get(&hash).is_some_and(|k| k.executed.is_some())
        {
            return Ok(status(PayloadStatusEnum::Valid, Some(hash)));
        }
        if let Some((latest, _)) = inner.invalid.get(&header.parent_hash).cloned() {
            let why = format!("parent {} is invalid", header.parent_hash);
            inner.invalid.insert(hash, (latest, why.clone()));
            return Ok(invalid(latest, why));
        }
        let (head, head_header) = self.store.head()?;
        if header.parent_hash == head.hash {
            let attrs = attributes_of(&self.chain.config, &header, transactions.clone());
            return match self.execute_on_head(&head_header, head.hash, &attrs, Some(&header), &[]) {
                Ok((block, state)) => {
                    inner.last_timings = Some((block.header.number, block.timings));
                    Self::keep(
                        &mut inner,
                        Kept {
                            header,
                            hash,
                            transactions,
                            executed: Some((block, state)),
                        },
                    );
                    Ok(status(PayloadStatusEnum::Valid, Some(hash)))
                }
                Err(NodeError::Block(e)) => {
                    let why = e.to_string();
                    tracing::warn!(number = header.number, %hash, %why, "invalid payload");
                    inner.invalid.insert(hash, (Some(head.hash), why.clone()));
                    Ok(invalid(Some(head.hash), why))
                }
                Err(e) => Err(e),
            };
        }
        let parent_known = self.store.number_by_hash(&header.parent_hash)?.is_some()
            || inner.kept.contains_key(&header.parent_hash);
        Self::keep(
            &mut inner,
            Kept {
                header,
                hash,
                transactions,
                executed: None,
            },
        );
        Ok(if parent_known {
            status(PayloadStatusEnum::Accepted, None)
        } else {
            status(PayloadStatusEnum::Syncing, None)
        })
    }

    /// `engine_forkchoiceUpdated`.
    pub fn forkchoice_updated(
        &self,
        fc: ForkchoiceState,
        attrs: Option<(OpPayloadAttributes, u8)>,
    ) -> Result<ForkchoiceOutcome, ForkchoiceError> {
        if fc.head_block_hash.is_zero() {
            return Err(ForkchoiceError::InvalidState(
                "head block hash is zero".into(),
            ));
        }
        let mut inner = self.inner.lock();
        if let Some((latest, why)) = inner.invalid.get(&fc.head_block_hash) {
            return Ok(ForkchoiceOutcome::Invalid(invalid(*latest, why.clone())));
        }
        let head_hash = fc.head_block_hash;
        if let Some(n) = self.is_canonical(&head_hash)? {
            let head = self.store.head().map_err(NodeError::from)?.0;
            if n < head.number {
                self.unwind(&mut inner, n)?;
            }
        } else if inner.kept.contains_key(&head_hash) {
            // The path from a canonical ancestor to the head, oldest first.
            let mut path = vec![head_hash];
            let ancestor = loop {
                let Some(last) = path.last().and_then(|h| inner.kept.get(h)) else {
                    return Ok(ForkchoiceOutcome::Syncing);
                };
                let parent = last.header.parent_hash;
                if let Some(n) = self.is_canonical(&parent)? {
                    break n;
                }
                if !inner.kept.contains_key(&parent) {
                    return Ok(ForkchoiceOutcome::Syncing);
                }
                path.push(parent);
            };
            path.reverse();
            let head = self.store.head().map_err(NodeError::from)?.0;
            if ancestor < head.number {
                self.unwind(&mut inner, ancestor)?;
            }
            for hash in path {
                if let Some(status) = self.make_canonical(&mut inner, hash)? {
                    return Ok(ForkchoiceOutcome::Invalid(status));
                }
            }
        } else {
            return Ok(ForkchoiceOutcome::Syncing);
        }

        // Safe and finalized must be canonical now.
        let mut labels = Vec::new();
        for (what, hash, label) in [
            ("safe", fc.safe_block_hash, Label::Safe),
            ("finalized", fc.finalized_block_hash, Label::Finalized),
        ] {
            if hash.is_zero() {
                let current = self.store.label(label).map_err(NodeError::from)?;
                labels.push(current.map_or(self.chain.genesis.hash, |r| r.hash));
            } else if self.is_canonical(&hash)?.is_some() {
                labels.push(hash);
            } else {
                return Err(ForkchoiceError::InvalidState(format!(
                    "{what} block {hash} is not on the canonical chain"
                )));
            }
        }
        self.store
            .set_safe_finalized(labels[0], labels[1])
            .map_err(NodeError::from)?;

        let payload_id = match attrs {
            None => None,
            Some((attrs, version)) => Some(self.build_payload(&mut inner, &attrs, version)?),
        };
        Ok(ForkchoiceOutcome::Valid {
            head: head_hash,
            payload_id,
        })
    }

    fn unwind(&self, inner: &mut Inner, to: u64) -> Result<(), ForkchoiceError> {
        let finalized = self
            .store
            .label(Label::Finalized)
            .map_err(NodeError::from)?
            .map_or(0, |r| r.number);
        if to < finalized {
            return Err(ForkchoiceError::InvalidState(format!(
                "head {to} is below the finalized block {finalized}"
            )));
        }
        // Blocks unwound stay available for a later forkchoice back to them.
        let head = self.store.head().map_err(NodeError::from)?.0;
        for n in (to + 1)..=head.number {
            let Some(hash) = self.store.hash_by_number(n).map_err(NodeError::from)? else {
                continue;
            };
            let Some(header) = self.store.header_by_hash(&hash).map_err(NodeError::from)? else {
                continue;
            };
            let body: Option<BlockBody<OpTxEnvelope>> =
                self.store.body(&hash).map_err(NodeError::from)?;
            let transactions = body
                .map(|b| {
                    b.transactions
                        .iter()
                        .map(|t| Bytes::from(t.encoded_2718()))
                        .collect()
                })
                .unwrap_or_default();
            Self::keep(
                inner,
                Kept {
                    header,
                    hash,
                    transactions,
                    executed: None,
                },
            );
        }
        self.store.unwind_to(to).map_err(NodeError::from)?;
        for k in inner.kept.values_mut() {
            k.executed = None;
        }
        tracing::info!(to, from = head.number, "unwound the unsafe head");
        Ok(())
    }

    /// Makes kept block `hash` (a child of the head) canonical; `Some(status)` when it is invalid.
    fn make_canonical(
        &self,
        inner: &mut Inner,
        hash: B256,
    ) -> Result<Option<PayloadStatus>, ForkchoiceError> {
        let (head, head_header) = self.store.head().map_err(NodeError::from)?;
        let Some(kept) = inner.kept.get_mut(&hash) else {
            return Err(NodeError::Internal(format!("block {hash} vanished")).into());
        };
        let ready = match kept.executed.take() {
            Some((block, state)) if state.0.parent() == (head.number, head.hash) => {
                Some((block, state))
            }
            _ => None,
        };
        let (block, state) = match ready {
            Some(x) => x,
            None => {
                let attrs =
                    attributes_of(&self.chain.config, &kept.header, kept.transactions.clone());
                let given = kept.header.clone();
                match self.execute_on_head(&head_header, head.hash, &attrs, Some(&given), &[]) {
                    Ok(x) => x,
                    Err(NodeError::Block(e)) => {
                        let why = e.to_string();
                        inner.invalid.insert(hash, (Some(head.hash), why.clone()));
                        inner.kept.remove(&hash);
                        return Ok(Some(invalid(Some(head.hash), why)));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        self.commit(&block, &state)?;
        inner.kept.remove(&hash);
        // Overlays on the old head are stale now.
        for k in inner.kept.values_mut() {
            k.executed = None;
        }
        Ok(None)
    }

    fn build_payload(
        &self,
        inner: &mut Inner,
        attrs: &OpPayloadAttributes,
        version: u8,
    ) -> Result<PayloadId, ForkchoiceError> {
        let (head, head_header) = self.store.head().map_err(NodeError::from)?;
        let pa = &attrs.payload_attributes;
        if pa.timestamp <= head_header.timestamp {
            return Err(ForkchoiceError::InvalidAttributes(format!(
                "timestamp {} is not after the head's {}",
                pa.timestamp, head_header.timestamp
            )));
        }
        let id = attrs.payload_id(&head.hash, version);
        if inner.payloads.contains_key(&id) {
            return Ok(id);
        }
        // The sequencer's own transactions, unless the rollup node asked for the attributes' alone.
        let pool = if attrs.no_tx_pool.unwrap_or(false) {
            Vec::new()
        } else {
            let base_fee = parevm_op_stack_adapter::block::base_fee::next_base_fee(
                &self.chain.config,
                &head_header,
                pa.timestamp,
            )
            .map_err(ForkchoiceError::InvalidAttributes)?;
            let view = self.store.latest_state().map_err(NodeError::from)?;
            self.pool
                .best(&view, U256::from(base_fee))
                .map_err(|e| NodeError::Internal(format!("pool: {e}")))?
        };
        let (block, state) = self
            .execute_on_head(&head_header, head.hash, attrs, None, &pool)
            .map_err(|e| match e {
                NodeError::Block(b) => ForkchoiceError::InvalidAttributes(b.to_string()),
                other => ForkchoiceError::Node(other),
            })?;
        tracing::info!(number = block.header.number, hash = %block.hash, %id, "built payload");
        Self::keep(
            inner,
            Kept {
                header: block.header.clone(),
                hash: block.hash,
                transactions: block.transactions.clone(),
                executed: Some((block.clone(), state)),
            },
        );
        inner.payloads.insert(id, block);
        inner.payload_order.push_back(id);
        while inner.payload_order.len() > PAYLOADS_KEPT {
            if let Some(old) = inner.payload_order.pop_front() {
                inner.payloads.remove(&old);
            }
        }
        Ok(id)
    }

    /// `engine_getPayload`: the block built for `id`.
    pub fn payload(&self, id: &PayloadId) -> Option<Arc<ExecutedBlock>> {
        self.inner.lock().payloads.get(id).cloned()
    }
}
