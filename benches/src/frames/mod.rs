//! `frames`: blocks of one heavy transaction whose work is inside its call frames (issue 16). They are the
//! measuring stick of frame-level parallelism: a transaction-level engine can only run such a block on one
//! thread, so any speedup at 2 threads comes from splitting the transaction itself.
//!
//! `workloads` builds the blocks (pairing verifiers, a BLS12-381 MSM, a Multicall3 batch of independent
//! token transfers),
//! `pairing` the verifier's inputs, `suite` checks the engines against each other and times them.

pub mod bundle;
pub mod pairing;
pub mod suite;
pub mod workloads;

pub use suite::{run_suite, FramesOptions, FramesRow};
pub use workloads::{build, NAMES};
