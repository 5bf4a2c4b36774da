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
//! revm's); `mainnet` and `synthetic` (whole blocks, sequential and parallel) are reserved for the block
//! executor and the parallel engine.
#![warn(missing_docs)]

pub mod data;
pub mod engine;
pub mod error;
pub mod interp;
pub mod report;
pub mod timing;
pub mod world;

pub use error::BenchError;
