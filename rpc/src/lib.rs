//! # parevm-rpc
//!
//! The eth JSON-RPC server over HTTP and WebSocket (jsonrpsee on tokio) on top of the chain service.
//!
//! ```text
//! client --HTTP/WS--> server (limits, CORS) --> RpcModule: method name -> handler(Args, RpcContext)
//!   eth_* / net_* / web3_*   -> Chain (state, blocks, pool, call, estimate)
//!   eth_sendTransaction      -> Driver::sign_transaction -> Chain::add_transaction -> Driver::submitted
//!   eth_subscribe            -> Chain's broadcast of new blocks and pending transactions
//!   debug_trace*             -> Chain::replay + tracers (struct logs, callTracer, prestateTracer)
//!   trace_* / ots_*          -> the call tracer's tree as Parity traces, Otterscan's views of them
//!   trace_replayBlock*       -> a block run again: traces and state diffs (trace_replay)
//!   txpool_*                 -> Chain's pool
//!   eth_simulateV1           -> simulate: blocks built on a copy of the state, never kept
//! ```
//! The [`context::Driver`] trait is the seam to whoever drives the chain: `parevm dev` (dev accounts,
//! automine) now, the OP node's Engine API later. Dev methods live in `parevm-devnet` and are merged into
//! the same module.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod access_list;
pub mod context;
pub mod convert;
pub mod debug;
pub mod debug_raw;
pub mod eip712;
pub mod error;
pub mod eth;
pub mod eth_config;
pub mod fee_history;
pub mod filters;
pub mod ots;
pub mod params;
pub mod pubsub;
pub mod register;
pub mod server;
pub mod simulate;
pub mod trace_ns;
pub mod trace_replay;
pub mod txpool;

pub use context::{Driver, RpcContext};
pub use error::{RpcError, RpcResult};
pub use server::{eth_module, start, RunningServer, ServerOptions};
