//! The `interp` suite: one transaction per contract, run by our interpreter and by revm from the same
//! pre-state in the same process. Each case is checked (both engines agree on status, gas used and output)
//! before it is timed.

pub mod cases;
pub mod suite;

pub use cases::{all_cases, InterpCase};
pub use suite::{check, run_suite, InterpRow, SuiteOptions};
