//! # parevm-node
//!
//! `parevm node`: the OP-Stack execution client a rollup node (kona-node, op-node) drives through the
//! Engine API. It executes and builds blocks with op-stack-adapter on the parallel engine, keeps the chain
//! in parevm-storage (redb), and answers the eth methods a rollup node reads.
//!
//! ```text
//! rollup node --JWT--> server (auth port) --> engine_api: params, versions, error codes
//!                                               |
//!                                               v
//!                  service::OpNode: newPayload / forkchoice / payload building
//!                     | build_block / execute (op-stack-adapter, parallel-commit)
//!                     v
//!                  state::NodeState (the store's per-block overlay) -> ChainStore::commit_block
//!                  forkchoice: unwind_to (reverse diffs), safe/finalized labels
//! eth_* (auth port and --http) --> eth: blocks with OP transactions, state, proofs from the store
//! ```
//! Modules: [`config`] (genesis + rollup.json), [`store`] (opening the chain store per `--durable-every`),
//! [`jwt`] (auth), [`state`], [`service`], [`engine_api`],
//! [`eth`] (the eth methods over an [`eth::EthBackend`]), [`eth_blocks`], [`eth_build`] (testing_buildBlockV1), [`eth_simulate`] (eth_simulateV1 on the store, run by
//! `parevm_rpc::simulate`), [`eth_exec`], [`eth_fees`] (both modes), [`eth_trace`], [`eth_ots`] (Otterscan),
//! [`eth_config`], [`eth_forkchoice`], [`pool`] (eth_sendRawTransaction and txpool_*), [`receipts`], [`server`], [`error`], and [`ethereum`]: the same eth
//! methods over a chain that follows Ethereum's rules (no `--rollup-config` and no OP genesis: what the
//! execution-apis tests run against).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod engine_api;
pub mod error;
pub mod eth;
pub mod eth_blocks;
pub mod eth_build;
pub mod eth_config;
pub mod eth_exec;
pub mod eth_fees;
pub mod eth_forkchoice;
pub mod eth_ots;
pub mod eth_simulate;
pub mod eth_trace;
pub mod ethereum;
pub mod jwt;
pub mod pool;
pub mod receipts;
pub mod server;
pub mod service;
pub mod state;
pub mod store;

pub use config::NodeChain;
pub use error::NodeError;
pub use service::OpNode;
pub use store::{open_store, NodeDurability};
