//! # parevm-benches
//!
//! Benchmarks of parevm beside revm. Nothing here is on the product path: revm is a normal dependency of
//! this crate only, as the yardstick.
//!
//! ```text
//! ../shared/bench-bytecode/*.hex -> interp::cases (pre-state + one call) -> engine::{Ours, Reference}
//!                                -> equality check (gas, output) -> timing::alternate -> report (table, CSV)
//! ```
//!
//! Suites (subcommands of the `parevm-benches` binary): `interp` (one transaction, our interpreter against
//! revm's); `synthetic` (generated blocks: parevm sequential, parevm parallel per thread count, revm
//! sequential); `mainnet` (recorded blocks through the block executor); `chain` (the persistent store);
//! `newpayload` (Engine API latency of `parevm node`: newPayload + forkchoice on generated OP blocks, and
//! the kona fixture blocks on their witness).
#![warn(missing_docs)]
#![deny(unsafe_code)]

pub mod chain;
pub mod check;
pub mod core_latency;
#[allow(unsafe_code)] // `getrusage` for process CPU time (a libc call).
pub mod cpu;
pub mod data;
pub mod engine;
pub mod error;
pub mod frames;
pub mod interp;
pub mod limits;
pub mod mainnet;
pub mod newpayload;
pub mod plot;
pub mod profile;
pub mod report;
pub mod synthetic;
pub mod timing;
pub mod world;

pub use error::BenchError;
