//! # parevm-chain
//!
//! The chain service both `parevm dev` and `parevm node` run: a transaction pool, a block builder on the
//! parallel engine's block-building mode, the chain's blocks and head state, recent history, and events.
//!
//! ```text
//!  RPC (eth_sendRawTransaction, ...)          devnet miner / Engine API
//!        |                                            |
//!        v                                            v
//!  Chain::add_transaction -> TxPool ----best----> Chain::mine(BlockParams)
//!                                                     |  builder: execute_building (parallel-commit)
//!                                                     v
//!                    BlockStore + History (reverse diffs) + head state -> broadcast new block
//! ```
//! What drives mining (a transaction arriving, a timer, `evm_mine`, `engine_forkchoiceUpdated`) is the
//! caller's business; this crate never decides when a block is made.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod block;
pub mod builder;
pub mod call;
pub mod config;
pub mod error;
pub mod history;
pub mod journal;
pub mod overrides;
pub mod pool;
pub mod proof;
pub mod service;
pub mod store;
pub mod validate;

pub use block::{ChainBlock, ChainTx, SharedBlock, TxReceipt};
pub use builder::{block_env, cfg_env, BlockParams};
pub use call::{block_env_of, CallError, Estimate};
pub use config::{ChainConfig, TxOrder};
pub use error::{ChainError, PoolError};
pub use journal::{AccountAfter, Journal, JournalError, StateChanges};
pub use pool::{Added, PoolTx, TxPool};
pub use service::{Chain, ChainSnapshot, Mined};
