//! The chain service: one chain's head state, blocks, history and pool behind one handle, shared by the RPC
//! server, the devnet's miner and (later) the Engine API.
//!
//! ```text
//! add_transaction -> validate_tx -> TxPool::add ----------------------------.
//!                                                                           v
//! mine(BlockParams) -> TxPool::best -> build_block (parallel building) -> BlockStore + History + head state
//!                                                                           |
//!                                   broadcast: new blocks, new pending hashes (filters, subscriptions)
//! read_state(block) -> head state, or a HistoricView for a recent block
//! ```
//! Locks: `inner` (state, blocks, history) is taken before `pool` whenever both are held.

use crate::block::{ChainBlock, SharedBlock};
use crate::builder::{build_block, cfg_env, seal, BlockParams, Built};
use crate::config::ChainConfig;
use crate::error::{ChainError, PoolError};
use crate::history::History;
use crate::journal::{Journal, StateChanges};
use crate::pool::{Added, PoolTx, TxPool};
use crate::store::BlockStore;
use crate::validate::validate_tx;
use alloy_consensus::{Header, EMPTY_OMMER_ROOT_HASH};
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Bytes, B256, U256};
use alloy_trie::EMPTY_ROOT_HASH;
use parevm_block::header::next_base_fee;
use parevm_evm_core::{CfgEnv, SpecId, StateView};
use parevm_parallel_commit::SkipReason;
use parevm_state::InMemoryState;
use parevm_storage::MemRoot;
use parking_lot::{Mutex, MutexGuard, RwLock};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Most transactions the pool holds.
pub const POOL_LIMIT: usize = 100_000;

/// What a mined block left out.
#[derive(Clone, Debug)]
pub struct Mined {
    /// The new head.
    pub block: SharedBlock,
    /// Candidates the builder skipped, and why (invalid ones were dropped from the pool).
    pub skipped: Vec<(B256, SkipReason)>,
}

/// A saved chain: state and head, to return to.
#[derive(Clone, Debug)]
pub struct ChainSnapshot {
    state: InMemoryState,
    head: u64,
}

impl ChainSnapshot {
    /// The head block number when the snapshot was taken.
    pub fn head(&self) -> u64 {
        self.head
    }
}

struct Inner {
    state: InMemoryState,
    /// Keeps the state root incremental: each block re-hashes only what differs from the last root's state.
    root: MemRoot,
    store: BlockStore,
    history: History,
}

/// The chain service.
pub struct Chain {
    config: ChainConfig,
    /// The chain id in force: the configuration's until `anvil_setChainId` changes it.
    chain_id: AtomicU64,
    /// The first block's number and the base fee of the block after it: the configuration's until a reset
    /// forks another chain at another block.
    first_number: AtomicU64,
    first_base_fee: AtomicU64,
    inner: RwLock<Inner>,
    pool: Mutex<TxPool>,
    new_blocks: broadcast::Sender<SharedBlock>,
    new_pending: broadcast::Sender<B256>,
    /// The durable copy of the chain (`--datadir`), told of every change before it is visible.
    journal: RwLock<Option<Arc<dyn Journal>>>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("chain_id", &self.chain_id())
            .field("head", &self.head().number())
            .finish()
    }
}

/// The genesis block of a chain whose state is `state` (its root is computed here).
pub fn genesis_block(
    config: &ChainConfig,
    state: &InMemoryState,
    timestamp: u64,
    number: u64,
) -> ChainBlock {
    let spec = config.spec;
    let header = Header {
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: config.coinbase,
        state_root: state.state_root(),
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        number,
        gas_limit: config.gas_limit,
        timestamp,
        extra_data: Bytes::new(),
        base_fee_per_gas: spec
            .is_enabled_in(SpecId::LONDON)
            .then_some(config.base_fee),
        withdrawals_root: spec
            .is_enabled_in(SpecId::SHANGHAI)
            .then_some(EMPTY_ROOT_HASH),
        blob_gas_used: spec.is_enabled_in(SpecId::CANCUN).then_some(0),
        excess_blob_gas: spec.is_enabled_in(SpecId::CANCUN).then_some(0),
        parent_beacon_block_root: spec.is_enabled_in(SpecId::CANCUN).then_some(B256::ZERO),
        requests_hash: spec
            .is_enabled_in(SpecId::PRAGUE)
            .then_some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    };
    seal(header, Vec::new(), Vec::new(), spec)
}

impl Chain {
    /// A chain starting from `state` with a genesis block at `timestamp`.
    pub fn new(config: ChainConfig, state: InMemoryState, timestamp: u64) -> Arc<Self> {
        let genesis = Arc::new(genesis_block(
            &config,
            &state,
            timestamp,
            config.genesis_number,
        ));
        Self::from_parts(config, state, BlockStore::new(genesis))
    }

    /// A chain whose first block is another chain's block (`parevm dev --fork-url`): `header` as that
    /// chain has it (so the first local block's parent hash is its hash), without its transactions, and
    /// `state` reading from that chain at the block.
    pub fn forked(config: ChainConfig, state: InMemoryState, header: Header) -> Arc<Self> {
        let first = Arc::new(seal(header, Vec::new(), Vec::new(), config.spec));
        Self::from_parts(config, state, BlockStore::new(first))
    }

    fn from_parts(config: ChainConfig, mut state: InMemoryState, store: BlockStore) -> Arc<Self> {
        let store_first = store.first().number();
        let head = store.head().clone();
        state.set_block_hash(head.number(), head.hash);
        let (new_blocks, _) = broadcast::channel(1024);
        let (new_pending, _) = broadcast::channel(4096);
        Arc::new(Self {
            inner: RwLock::new(Inner {
                state,
                root: MemRoot::new(),
                store,
                history: History::new(config.history),
            }),
            pool: Mutex::new(TxPool::new(config.order, POOL_LIMIT)),
            first_number: AtomicU64::new(store_first),
            first_base_fee: AtomicU64::new(config.base_fee),
            chain_id: AtomicU64::new(config.chain_id),
            config,
            new_blocks,
            new_pending,
            journal: RwLock::new(None),
        })
    }

    /// A chain recovered from a durable copy: `blocks` from genesis to the head, in order, and `state` the
    /// state after the last of them.
    pub fn restore(
        config: ChainConfig,
        mut state: InMemoryState,
        blocks: Vec<SharedBlock>,
    ) -> Result<Arc<Self>, ChainError> {
        let mut blocks = blocks.into_iter();
        let genesis = blocks
            .next()
            .ok_or_else(|| ChainError::BlockNotFound("genesis of the stored chain".into()))?;
        let mut store = BlockStore::new(genesis);
        for b in blocks {
            let head = store.head();
            if b.number() != head.number() + 1 || b.header.parent_hash != head.hash {
                return Err(ChainError::BlockNotFound(format!(
                    "block {} of the stored chain does not follow block {} ({})",
                    b.number(),
                    head.number(),
                    head.hash
                )));
            }
            store.push(b);
        }
        // BLOCKHASH serves the last 256 blocks.
        let head = store.head().number();
        for n in head.saturating_sub(256)..head {
            if let Some(b) = store.by_number(n) {
                state.set_block_hash(n, b.hash);
            }
        }
        Ok(Self::from_parts(config, state, store))
    }

    /// Keeps a durable copy of this chain from now on: the journal first gets the whole head state.
    pub fn set_journal(&self, journal: Arc<dyn Journal>) -> Result<(), ChainError> {
        let inner = self.inner.read();
        journal.state_replaced(&inner.state, inner.store.head())?;
        *self.journal.write() = Some(journal);
        Ok(())
    }

    fn journal(&self) -> Option<Arc<dyn Journal>> {
        self.journal.read().clone()
    }

    /// Tells the journal that `inner`'s state was replaced outside a block. The in-memory change stands
    /// either way; a failure is logged (the copy on disk then still holds the previous head).
    fn journal_state(&self, inner: &Inner) {
        if let Some(j) = self.journal() {
            if let Err(e) = j.state_replaced(&inner.state, inner.store.head()) {
                tracing::error!("{e}");
            }
        }
    }

    /// The configuration the chain started with (its chain id may have changed since: [`Chain::chain_id`]).
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The chain id transactions must carry now, which the CHAINID opcode reads.
    pub fn chain_id(&self) -> u64 {
        self.chain_id.load(Ordering::Relaxed)
    }

    /// Changes the chain id (anvil's `anvil_setChainId`): from now on, transactions must carry it and
    /// CHAINID reads it; the blocks and the pool are kept.
    pub fn set_chain_id(&self, id: u64) {
        self.chain_id.store(id, Ordering::Relaxed);
    }

    /// The configuration in force: the start configuration with the chain id in force.
    fn config_now(&self) -> ChainConfig {
        ChainConfig {
            chain_id: self.chain_id(),
            ..self.config.clone()
        }
    }

    /// The EVM settings of the next block, calls and traces: the configuration's, with the chain id in force.
    pub fn cfg_env(&self) -> CfgEnv {
        cfg_env(&self.config_now())
    }

    /// The newest block.
    pub fn head(&self) -> SharedBlock {
        self.inner.read().store.head().clone()
    }

    /// The first block of the chain (its genesis, at `genesis_number`).
    pub fn genesis(&self) -> SharedBlock {
        self.inner.read().store.first().clone()
    }

    /// Block `number`.
    pub fn block_by_number(&self, number: u64) -> Option<SharedBlock> {
        self.inner.read().store.by_number(number).cloned()
    }

    /// The block with `hash`.
    pub fn block_by_hash(&self, hash: &B256) -> Option<SharedBlock> {
        self.inner.read().store.by_hash(hash).cloned()
    }

    /// The block holding the transaction with `hash`, and its index there.
    pub fn transaction(&self, hash: &B256) -> Option<(SharedBlock, usize)> {
        let inner = self.inner.read();
        inner.store.tx(hash).map(|(b, i)| (b.clone(), i))
    }

    /// Runs `f` on the state after block `number` (the head state for the head or anything newer).
    pub fn read_state<R>(
        &self,
        number: u64,
        f: impl FnOnce(&(dyn StateView + Sync)) -> R,
    ) -> Result<R, ChainError> {
        let inner = self.inner.read();
        let head = inner.store.head().number();
        if number >= head {
            return Ok(f(&inner.state));
        }
        if !inner.history.covers(number, head) {
            return Err(ChainError::StatePruned(number));
        }
        let view = inner.history.view_at(&inner.state, number);
        Ok(f(&view))
    }

    /// Runs `f` on the head state itself (whole-state work: proofs, dumps).
    pub fn read_head<R>(&self, f: impl FnOnce(&InMemoryState) -> R) -> R {
        f(&self.inner.read().state)
    }

    /// Changes the head state outside any block (devnet methods such as `anvil_setBalance`); the pool then
    /// drops transactions whose nonce the change used up.
    pub fn edit_state<R>(&self, f: impl FnOnce(&mut InMemoryState) -> R) -> R {
        let mut inner = self.inner.write();
        let r = f(&mut inner.state);
        self.state_changed(&mut inner);
        r
    }

    /// After the head state changed outside a block (an edit, a revert, a rollback): the next root is
    /// computed over the whole state, the durable copy takes a checkpoint, and the pool drops what the
    /// state's nonces make invalid.
    fn state_changed(&self, inner: &mut Inner) {
        inner.root.invalidate();
        self.journal_state(inner);
        let state = &inner.state;
        self.pool
            .lock()
            .prune(|a| state.nonce(a).unwrap_or_default());
    }

    /// The base fee the block after the head gets under EIP-1559.
    pub fn next_base_fee(&self) -> u64 {
        self.base_fee_after(&self.head())
    }

    /// The base fee of the block after `parent` under EIP-1559. The first block has the configured base
    /// fee (the genesis block's, or what a fork's block implies for the next), as anvil's does.
    pub fn base_fee_after(&self, parent: &ChainBlock) -> u64 {
        if parent.number() == self.first_number.load(Ordering::Relaxed) {
            return self.first_base_fee.load(Ordering::Relaxed);
        }
        let parent_fee = parent
            .header
            .base_fee_per_gas
            .unwrap_or(self.config.base_fee);
        next_base_fee(parent.header.gas_used, parent.header.gas_limit, parent_fee)
    }

    /// Validates `tx` for a next block with `gas_limit` and `basefee` and adds it to the pool.
    pub fn add_transaction(
        &self,
        tx: PoolTx,
        gas_limit: u64,
        basefee: u64,
    ) -> Result<Added, ChainError> {
        let inner = self.inner.read();
        let cfg = self.cfg_env();
        let state_nonce = inner.state.nonce(tx.sender)?;
        if tx.nonce() < state_nonce {
            return Err(PoolError::NonceTooLow {
                tx: tx.nonce(),
                state: state_nonce,
            }
            .into());
        }
        validate_tx(&cfg, &inner.state, gas_limit, basefee, &tx)?;
        let added = self.pool.lock().add(tx, state_nonce)?;
        drop(inner);
        let _ = self.new_pending.send(added.hash);
        Ok(added)
    }

    /// The pool (for txpool_* and dropping transactions). Do not hold it across other chain calls.
    pub fn pool(&self) -> MutexGuard<'_, TxPool> {
        self.pool.lock()
    }

    /// Pending and queued transactions as the head state sees them.
    pub fn pool_split(&self) -> (Vec<Arc<PoolTx>>, Vec<Arc<PoolTx>>) {
        let inner = self.inner.read();
        let state = &inner.state;
        self.pool
            .lock()
            .split(|a| state.nonce(a).unwrap_or_default())
    }

    /// Number of executable pool transactions.
    pub fn pending_count(&self) -> usize {
        self.pool_split().0.len()
    }

    /// The block that mining with `params` would make now, on a copy of the head state, without its state
    /// root (zero, as anvil's pending block): the pool's executable transactions after the head. Nothing
    /// changes.
    pub fn pending_block(&self, params: &BlockParams) -> Result<ChainBlock, ChainError> {
        Ok(self.build_pending(params)?.0)
    }

    /// Runs `f` on the state after the pending block ([`Chain::pending_block`]): the head state with the
    /// pool's executable transactions applied. Nothing changes.
    pub fn read_pending_state<R>(
        &self,
        params: &BlockParams,
        f: impl FnOnce(&(dyn StateView + Sync)) -> R,
    ) -> Result<R, ChainError> {
        let (_, state) = self.build_pending(params)?;
        Ok(f(&state))
    }

    /// The pending block and the state after it, built on a copy of the head state.
    fn build_pending(
        &self,
        params: &BlockParams,
    ) -> Result<(ChainBlock, InMemoryState), ChainError> {
        let inner = self.inner.read();
        let basefee = U256::from(params.base_fee);
        let candidates = self
            .pool
            .lock()
            .best(|a| inner.state.nonce(a).unwrap_or_default(), basefee);
        let parent = inner.store.head().clone();
        let mut state = inner.state.clone();
        drop(inner);
        let built = build_block(
            &self.config_now(),
            &mut state,
            None,
            &parent,
            params,
            &candidates,
        )?;
        Ok((built.block, state))
    }

    /// Mines the next block from the pool's executable transactions.
    pub fn mine(&self, params: &BlockParams) -> Result<Mined, ChainError> {
        self.mine_with(params, None)
    }

    /// [`Chain::mine`] with exactly `txs` as the candidates, in that order, instead of the pool's best
    /// (`anvil_reorg`'s blocks); the pool is left as it is but for what the new state makes invalid.
    pub fn mine_with(
        &self,
        params: &BlockParams,
        txs: Option<Vec<Arc<PoolTx>>>,
    ) -> Result<Mined, ChainError> {
        let mut inner = self.inner.write();
        let inner = &mut *inner;
        let basefee = U256::from(params.base_fee);
        let candidates = match txs {
            Some(txs) => txs,
            None => {
                let state = &inner.state;
                self.pool
                    .lock()
                    .best(|a| state.nonce(a).unwrap_or_default(), basefee)
            }
        };
        let parent = inner.store.head().clone();
        let Built {
            block,
            undo,
            skipped,
        } = build_block(
            &self.config_now(),
            &mut inner.state,
            Some(&mut inner.root),
            &parent,
            params,
            &candidates,
        )?;
        if let Some(j) = self.journal() {
            // Durable before anyone can see it; a block that cannot be kept is undone.
            let changes = StateChanges::after(&undo, &inner.state);
            if let Err(e) = j.block_mined(&block, &changes) {
                undo.restore(&mut inner.state);
                inner.root.invalidate();
                return Err(e.into());
            }
        }
        let block = Arc::new(block);
        inner.history.push(block.number(), undo);
        inner.store.push(block.clone());
        {
            let state = &inner.state;
            let mut pool = self.pool.lock();
            for (hash, why) in &skipped {
                // A nonce ahead of the state waits for its predecessor; anything else invalid is dropped.
                let keep = match why {
                    SkipReason::GasLimit { .. } => true,
                    SkipReason::Invalid(parevm_evm_core::InvalidTx::NonceMismatch {
                        tx,
                        state,
                    }) => tx > state,
                    SkipReason::Invalid(_) => false,
                };
                if !keep {
                    if let Some(t) = pool.remove(hash) {
                        tracing::warn!(hash = %t.hash, reason = ?why, "dropped invalid transaction");
                    }
                }
            }
            pool.prune(|a| state.nonce(a).unwrap_or_default());
        }
        let _ = self.new_blocks.send(block.clone());
        Ok(Mined { block, skipped })
    }

    /// Saves the state and head.
    pub fn snapshot(&self) -> ChainSnapshot {
        let inner = self.inner.read();
        ChainSnapshot {
            state: inner.state.clone(),
            head: inner.store.head().number(),
        }
    }

    /// Returns to a snapshot: blocks after its head are dropped and its state restored.
    pub fn revert(&self, snapshot: ChainSnapshot) {
        let mut inner = self.inner.write();
        inner.store.truncate_above(snapshot.head);
        inner.history.truncate_above(snapshot.head);
        inner.state = snapshot.state;
        self.state_changed(&mut inner);
    }

    /// Takes the newest `depth` blocks off (`anvil_rollback`): their diffs restore the state before them,
    /// their transactions are dropped (not returned to the pool), and the pool loses what the older nonces
    /// make invalid. Refused, changing nothing, when `depth` reaches the genesis block or beyond the
    /// blocks whose diffs are kept.
    pub fn rollback(&self, depth: u64) -> Result<u64, ChainError> {
        let mut inner = self.inner.write();
        let head = inner.store.head().number();
        let first = inner.store.first().number();
        if depth > head - first {
            return Err(ChainError::Rollback(format!(
                "Rollback depth must not exceed current chain height: current height {}, depth {depth}",
                head - first
            )));
        }
        let target = head - depth;
        if depth > 0 && !inner.history.covers(target, head) {
            return Err(ChainError::StatePruned(target));
        }
        // `covers` says every diff above the target is kept (the history is contiguous up to the head);
        // each is still checked before anything changes.
        if (target + 1..=head).any(|n| !inner.history.has(n)) {
            return Err(ChainError::StatePruned(target));
        }
        for n in (target + 1..=head).rev() {
            if let Some(undo) = inner.history.pop(n) {
                undo.restore(&mut inner.state);
            }
        }
        inner.store.truncate_above(target);
        self.state_changed(&mut inner);
        Ok(target)
    }

    /// Starts over from `state` with a new genesis at `timestamp` (anvil_reset); the pool is emptied.
    pub fn reset(&self, state: InMemoryState, timestamp: u64) {
        let genesis = genesis_block(&self.config, &state, timestamp, self.config.genesis_number);
        self.reset_to(state, genesis, self.config.base_fee);
    }

    /// Starts over from `state` with `genesis` as the first block (a fork's block, again or another) and
    /// `base_fee` for the block after it; the pool is emptied.
    pub fn reset_to(&self, state: InMemoryState, genesis: ChainBlock, base_fee: u64) {
        let genesis = Arc::new(genesis);
        let mut inner = self.inner.write();
        self.first_number.store(genesis.number(), Ordering::Relaxed);
        self.first_base_fee.store(base_fee, Ordering::Relaxed);
        inner.store = BlockStore::new(genesis.clone());
        inner.history.clear();
        inner.state = state;
        inner.root.invalidate();
        inner.state.set_block_hash(genesis.number(), genesis.hash);
        self.journal_state(&inner);
        self.pool.lock().clear();
    }

    /// A copy of the state after block `number` (at most the head) and that block: the head state with
    /// the kept diffs of the blocks above it undone (`eth_simulateV1` builds its blocks on it).
    pub fn state_at(&self, number: u64) -> Result<(InMemoryState, SharedBlock), ChainError> {
        let inner = self.inner.read();
        let head = inner.store.head().number();
        let block = inner
            .store
            .by_number(number.min(head))
            .ok_or_else(|| ChainError::BlockNotFound(number.to_string()))?
            .clone();
        if !inner.history.covers(number, head) {
            return Err(ChainError::StatePruned(number));
        }
        let mut state = inner.state.clone();
        inner.history.restore_to(&mut state, number);
        Ok((state, block))
    }

    /// A copy of the head state (state dumps).
    pub fn state_copy(&self) -> (InMemoryState, SharedBlock) {
        let inner = self.inner.read();
        (inner.state.clone(), inner.store.head().clone())
    }

    /// New blocks as they are mined.
    pub fn subscribe_blocks(&self) -> broadcast::Receiver<SharedBlock> {
        self.new_blocks.subscribe()
    }

    /// Hashes of transactions as they enter the pool.
    pub fn subscribe_pending(&self) -> broadcast::Receiver<B256> {
        self.new_pending.subscribe()
    }
}
