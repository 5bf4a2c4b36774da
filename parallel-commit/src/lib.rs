//! # parevm-parallel-commit
//!
//! Executes a block's transactions on N worker threads and produces exactly the sequential result, at every
//! thread count, every time.
//!
//! ```text
//! envs -> Scheduler --Task::Execute--> Worker: TxExecution::resume(&MvView) -> TxOutcome { reads, writes }
//!            ^    \                                  |  NotReady(k): park, resume when k finishes
//!            |     '--Task::Validate--> re-read the read set in multi-version memory, abort if stale
//!            '-------- ordered commit: validate with all lower txs final -> results in block order
//! ```
//!
//! * [`execute_sequential`] is the reference: transaction `i` sees the base state plus the writes of
//!   transactions `< i`; an invalid transaction writes nothing.
//! * [`execute_parallel`] runs Block-STM-style optimistic execution over per-location multi-version
//!   memory, with three additions: parked executions are resumed instead of restarted, transactions commit
//!   in order after a final validation (which alone decides correctness and termination), and static
//!   write predictions make same-sender chains wait instead of aborting. It is adaptive: every block
//!   starts with a short serial warm-up on the calling thread, and stretches that prove to be chains run
//!   as serial batches at the cost of the sequential path while the helpers sleep (`adapt.rs`).
//! * [`execute_building`] builds a block from candidates the way a sequential builder would.
//!
//! The protocol is described in `docs/parallel.md`.
#![warn(missing_docs)]
// Unsafe code is denied everywhere but in `prefetch.rs` (a cache hint that cannot fault, its one use) and
// `slot.rs` (the lookahead engine's outcome cell, published by its state's Release store).
#![deny(unsafe_code)]

mod adapt;
mod building;
mod chaos;
mod compare;
mod config;
mod error;
mod executor;
mod frame_history;
mod frames;
mod hot;
mod in_place;
mod lookahead;
#[cfg(test)]
mod model;
mod mv_memory;
mod pools;
mod prefetch;
mod report;
mod scheduler;
mod sequential;
mod serial;
mod slot;
mod strikes;
mod sync;
pub mod types;
mod view;
mod worker;
mod writes;

pub use building::{
    build_sequential, execute_building, execute_building_with, BuiltBlock, SkipReason,
};
pub use compare::{compare_results, same_effects, ResultMismatch};
pub use config::{
    force_parallel_path, set_frame_lookahead, set_frame_min_time, Engine, ParallelConfig,
    CHAOS_ENV, FORCE_ENV, FRAMES_ENV, FRAME_MIN_TIME, REDO_ENV, REDO_GAP, REDO_MIN_GAS,
};
pub use error::ParallelError;
pub use executor::{execute_parallel, execute_parallel_with, BlockExecution, REPORT_ENV};
pub use in_place::execute_in_place;
pub use pools::kept_pool;
pub use report::{ExecMode, ExecReport};
pub use sequential::{execute_sequential, try_execute_sequential, Overlay};
pub use types::{Incarnation, Task, TxIdx, TxState, TxStatus, TxVersion};
