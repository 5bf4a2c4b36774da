//! # parevm-trace
//!
//! Tracers for `debug_traceTransaction`, `debug_traceCall` and `debug_traceBlock*`, answering in the JSON
//! shapes geth defines (and anvil serves): the default struct logger, `callTracer` and `prestateTracer`
//! (plain and `diffMode`).
//!
//! ```text
//! replayed transaction -> TxExecution + Tracer hooks (step, frame_start, frame_end, log)
//!   StructLogger  -> DefaultFrame { gas, failed, returnValue, structLogs }
//!   CallTracer    -> CallFrame tree (type, from, to, value, gas, gasUsed, input, output, error, calls, logs)
//!                 -> parity::flatten: Parity-style flat traces (`trace_transaction`, `trace_block`)
//!   VmTracer      -> Parity's vmTrace (instructions, pushes, memory, sub-traces of calls)
//! TxOutcome (read and write sets) + the state before the transaction
//!   prestate      -> PreStateFrame::Default | PreStateFrame::Diff
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod call;
pub mod parity;
pub mod prestate;
pub mod struct_log;
pub mod vm;

pub use call::CallTracer;
pub use prestate::{prestate, PrestateOptions};
pub use struct_log::{StructLogConfig, StructLogger};
pub use vm::VmTracer;
