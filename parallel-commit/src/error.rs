//! Why a parallel block execution produced no result. Invalid transactions are not errors: they are
//! `Err(InvalidTx)` entries in the per-transaction results, exactly as in the sequential path.

use crate::types::TxIdx;

/// A failure of the block execution as a whole. No partial result is ever returned with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParallelError {
    /// A worker panicked while it executed, validated or committed transaction `tx`.
    #[error("worker panicked while processing transaction {tx}: {message}")]
    WorkerPanic {
        /// The transaction being processed.
        tx: TxIdx,
        /// The panic payload, when it was a string.
        message: String,
    },
    /// A worker panicked outside any transaction (a scheduler bug).
    #[error("worker panicked outside any transaction: {message}")]
    SchedulerPanic {
        /// The panic payload, when it was a string.
        message: String,
    },
    /// The base state view failed (the message names the transaction that hit it).
    #[error("state backend error: {0}")]
    Backend(String),
    /// A worker thread could not be started.
    #[error("could not spawn worker thread: {0}")]
    Spawn(String),
    /// An internal invariant of the protocol did not hold (a bug in this crate).
    #[error("parallel protocol violated at transaction {tx}: {message}")]
    Protocol {
        /// The transaction where it was detected.
        tx: TxIdx,
        /// What went wrong.
        message: String,
    },
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}
