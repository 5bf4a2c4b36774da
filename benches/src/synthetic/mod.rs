//! The `synthetic` suite: generated blocks executed sequentially by parevm (the reference path), in
//! parallel by `parevm-parallel-commit` at several thread counts, and sequentially by revm as a yardstick.
//! Every parallel result is checked equal to the sequential one, and revm's gas and status per transaction
//! to parevm's, before anything is timed.

pub mod rng;
pub mod storage;
pub mod suite;
mod uniswap;
pub mod workloads;

pub use suite::{run_suite, SyntheticOptions, SyntheticRow};
pub use workloads::{build, Workload, NAMES};
