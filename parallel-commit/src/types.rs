//! The vocabulary of parallel execution: one name for each concept the scheduler, the multi-version
//! memory and the workers talk about.
//!
//! # The transaction status state machine
//!
//! Each transaction of the block moves through these states; the scheduler owns the transitions (each one
//! under the transaction's status lock). `i` is the incarnation: it grows by one each time the transaction
//! is aborted and must run again from scratch.
//!
//! ```text
//!                    try_incarnate                    finish_execution                commit
//!  ReadyToExecute(i) -------------> Executing(i) --------------------> Executed(i) ----------> Committed(i)
//!     ^         ^                      |    ^                              |                   (final)
//!     |         |       add_dependency |    | resume: same TxExecution,    | try_validation_abort
//!     |         |   (read hit tx k's   |    | same incarnation, continues  | (a read went stale)
//!     |         |    unfinished write) v    | from the blocked opcode      v
//!     |         '------------------ Parked(i)                          Aborting(i)
//!     |          k finished: ReadyToExecute(i)                             |
//!     |          (the parked execution is kept)                           |
//!     '---------------------------------------------------------------------'
//!                       set_ready_status: ReadyToExecute(i + 1), writes of i become ESTIMATEs
//! ```
//!
//! * Only `Executed(i)` transactions are validated; only the transaction at the commit index, once every
//!   lower one is `Committed`, can become `Committed`.
//! * `Parked` keeps the incarnation: parking is a pause, not an abort, and nothing the execution did is
//!   thrown away.
//! * `Committed` is terminal: a committed transaction's entries in multi-version memory never change again.

use alloy_primitives::Address;

pub use parevm_evm_core::{Location, ReadSet, TxIdx, WriteSet};

/// How many times a transaction has been aborted and started over (0 for the first execution).
pub type Incarnation = u32;

/// One execution attempt of one transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TxVersion {
    /// The transaction.
    pub tx: TxIdx,
    /// Its incarnation.
    pub incarnation: Incarnation,
}

impl TxVersion {
    /// Version `incarnation` of transaction `tx`.
    pub fn new(tx: TxIdx, incarnation: Incarnation) -> Self {
        Self { tx, incarnation }
    }
}

/// Work the scheduler hands to a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// Execute (or resume a parked execution of) this version.
    Execute(TxVersion),
    /// Re-read this version's read set and abort it if any value changed.
    Validate(TxVersion),
}

/// Where a transaction is in its life (see the module documentation for the transitions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxStatus {
    /// Waiting for a worker to (re)start or resume it.
    ReadyToExecute,
    /// A worker is running it.
    Executing,
    /// Its execution read a value that a lower, unfinished transaction will write; the paused
    /// execution waits for that transaction.
    Parked,
    /// Finished; its writes are in multi-version memory.
    Executed,
    /// A validation found a stale read; its writes are being turned into estimates.
    Aborting,
    /// Final: validated with every lower transaction committed.
    Committed,
}

/// A transaction's status and incarnation, changed together under one lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxState {
    /// Current status.
    pub status: TxStatus,
    /// Current incarnation.
    pub incarnation: Incarnation,
}

/// A key of multi-version memory: a [`Location`] or the storage generation of an account.
///
/// `StorageWipe(a)` has an entry at every transaction that wiped `a`'s storage (destroyed it, or created
/// it anew), so a storage read below can tell "the last write to this slot" from "the storage was wiped
/// after it".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MvKey {
    /// One versioned location.
    Loc(Location),
    /// The account's whole storage was wiped.
    StorageWipe(Address),
}
