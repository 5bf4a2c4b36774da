//! # parevm-testkit
//!
//! Test support shared by the integration tests of `parevm-node` and the `parevm` binary and by the
//! benches (never by the shipped crates): one plain HTTP/1.1 JSON-RPC client, used against anvil, the
//! devnet, the eth port of `parevm node` and, with an HS256 token issued per call, its Engine API port;
//! and the small OP test chain's genesis ([`op_genesis`]).
//!
//! ```text
//! http::post(addr, body, authorization?) -> Answer { status, body }     (raw: replayed request/response pairs,
//!                                                                 401 checks)
//! rpc::Rpc::call(method, params) -> result | panic               (typed: JSON-RPC envelopes, tokens)
//! bad_params::param_sets() + well_formed + record_panics           (sweeps of every method, in process)
//! ```
//! Blocking on purpose: callers are plain `#[test]`s or move the call to a blocking thread.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bad_params;
pub mod http;
pub mod op_genesis;
pub mod rpc;

pub use http::{post, Answer, HttpError};
pub use rpc::{hs256_token, quantity, quantity_u128, Rpc};
