//! # parevm-storage
//!
//! The persistent chain: world state, the trie nodes of the account and storage tries, headers, bodies,
//! senders, receipts, the transaction index, number <-> hash, head labels, per-block reverse diffs and the
//! chain config, in an embedded database (redb) behind a narrow key-value seam ([`kv::Kv`]); or the same
//! in memory ([`kv::mem::MemKv`]) for tests and the devnet's default.
//!
//! ```text
//! parevm init   -> ChainStore::init_genesis(genesis.json)        block 0, its state and trie, labels
//! block N       -> ChainStore::begin_block() -> BlockState        head state (cached) + the block's overlay
//!               -> BlockExecutor::execute(&mut BlockState, ..)    sequential or parallel, unchanged
//!               -> BlockState::state_root()                       incremental: changed paths only,
//!                                                                 storage tries in parallel (rayon)
//!               -> ChainStore::commit_block(NewBlock, &state)     one atomic batch: state, trie nodes,
//!                                                                 block, receipts, indexes, reverse diff,
//!                                                                 `latest`
//! reorg         -> ChainStore::unwind_to(n)                       reverse diffs, root checked vs header n
//! readers       -> header/body/receipts by number or hash, transaction_location, label, total_difficulty
//! state         -> state_at(n) / latest_state() -> HistoricalState: StateView + proof(address, slots)
//! ```
//!
//! ## API for a chain service (devnet, OP node)
//! - Open: [`ChainStore::open`] (a datadir holding `chain.redb`), [`ChainStore::open_in_memory`].
//! - Start a chain: [`ChainStore::init_genesis`] (geth-style genesis) or [`ChainStore::init_chain`] (any
//!   alloc and header rule, e.g. OP genesis).
//! - Write: `let mut state = store.begin_block()?;` execute the block on `state` (it is a
//!   [`parevm_block::StateStore`]), then [`ChainStore::commit_block`] with a [`NewBlock`] (header, hash, body
//!   RLP, transaction hashes, senders, EIP-2718 receipts: chain-agnostic bytes, so OP blocks fit). Nothing is
//!   visible before the commit returns; a dropped `BlockState` leaves no trace.
//! - Head labels: [`ChainStore::head`], [`ChainStore::label`] (`Latest` is the unsafe head),
//!   [`ChainStore::set_safe_finalized`]; [`ChainStore::unwind_to`] moves the head back (not below
//!   finalized).
//! - Forkchoice (Engine API): [`ChainStore::forkchoice`] with a [`Forkchoice`] (head, safe, finalized)
//!   unwinds to a canonical head and sets the labels, or returns [`ForkchoiceOutcome::Reorg`] (unwind to
//!   the ancestor, execute the listed blocks, commit each, call again) or [`ForkchoiceOutcome::Unknown`];
//!   [`ChainStore::insert_side_block`] keeps a payload that is not on the head; [`ChainStore::reorg_path`].
//! - Reads: [`ChainStore::hash_by_number`], [`ChainStore::number_by_hash`], [`ChainStore::header_by_number`],
//!   [`ChainStore::header_by_hash`], [`ChainStore::body`], [`ChainStore::block_rlp`], [`ChainStore::senders`],
//!   [`ChainStore::tx_hashes`], [`ChainStore::receipts`], [`ChainStore::transaction_location`],
//!   [`ChainStore::total_difficulty`].
//! - State at the head or a recent block: [`ChainStore::state_at`] -> [`HistoricalState`] (a
//!   [`parevm_evm_core::StateView`] for `eth_call`, plus `account`, `slot` and `proof` for `eth_getProof`).
//!
//! ## Choices
//! - A state held in memory gets the same incremental root through [`MemRoot`] (the chain service's, for
//!   `parevm dev`): its leaves and nodes in a [`kv::mem::MemKv`], the state diffed against the last root's.
//! - The incremental trie lives here (`trie/`), not in `parevm-state`: it is inseparable from the stored
//!   node tables and the hashed state layout it walks, while `parevm-state` stays the plain in-memory world
//!   with the from-scratch root that the property tests hold this one equal to.
//! - State is stored by hashed key (the trie's order), so the leaves under any trie path are one range scan;
//!   preimages are kept to list accounts by address. Execution reads hash the address (cached per address).
//! - One [`kv::WriteBatch`] per block, committed by the backend in one transaction, durable at once by
//!   default: a crash (kill -9 included) leaves the last committed block as the head, whose root matches its
//!   header. [`ChainStore::open_with`] and a [`Durability`] bound make only every Nth commit (or the first
//!   after a delay) durable; a crash then leaves the last durable block as the head, as consistent, and
//!   pages rewritten within a group are written once (`parevm import` does this by default).
//!   [`Durability::BEHIND`] makes every commit durable on a background thread right after it returns (the
//!   caller does not wait for the disk; a crash loses at most the latest commit, never half of one).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod chain;
pub mod changes;
pub mod codec;
pub mod error;
pub mod failpoint;
pub mod import;
pub mod kv;
pub mod mem_root;
pub mod overlay;
pub mod reader;
pub mod stats;
pub mod trie;

pub use chain::{
    AccountProof, BlockRef, ChainStore, CommitStats, Forkchoice, ForkchoiceOutcome,
    HistoricalState, Label, NewBlock, StorageProof, TxLocation,
};
pub use codec::Account;
pub use error::StoreError;
pub use kv::layered::FlushPolicy;
pub use kv::redb::Durability;
pub use kv::LayerStats;
pub use mem_root::MemRoot;
pub use overlay::BlockState;
