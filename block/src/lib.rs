//! # parevm-block
//!
//! Block execution: a block on top of its parent, validated, executed and checked against its header.
//!
//! ```text
//! block RLP -> decode_block -> BlockInput (senders recovered)
//!           -> BlockExecutor::execute(&mut StateStore, parent)
//!                header + body checks -> system calls -> transactions (TxRunner) -> withdrawals, rewards
//!                -> requests -> receipts root, bloom, state root compared with the header
//!           -> BlockOutcome, or BlockError with the state rolled back
//! ```
//!
//! The state sits behind [`StateStore`] so a persistent store can replace
//! [`parevm_state::InMemoryState`]; transactions run through [`txs::run_transactions`], whose
//! [`TxRunner`] picks the sequential loop or the parallel executor.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod body;
pub mod decode_diag;
pub mod error;
pub mod executor;
pub mod fork;
pub mod genesis;
pub mod header;
pub mod input;
pub mod receipt;
pub mod requests;
pub mod rewards;
pub mod store;
pub mod system;
pub mod trace;
pub mod tx_env;
pub mod txs;

pub use error::{BlockError, HeaderError};
pub use executor::{block_env, BlockExecutor, BlockOutcome, Mode};
pub use fork::{Activation, ForkParams, ForkSchedule};
pub use genesis::{ChainSpec, GenesisError};
pub use input::{decode_block, BlockInput, DecodeError, DecodedBlock};
pub use receipt::TypedReceipt;
pub use store::StateStore;
pub use trace::{BlockTracer, TraceHook};
pub use txs::TxRunner;
