//! Tracing a whole block: a [`BlockTracer`] hands each transaction its instruction tracer (EIP-3155) and hears
//! how the transaction ended. `parevm blocktest --trace` uses it; a traced block runs its transactions one
//! after another on the calling thread, whatever the executor's runner says.

use parevm_evm_core::interpreter::Tracer;
use parevm_evm_core::{TxError, TxOutcome};
use std::fmt;
use std::sync::Arc;

/// Gives the transactions of a block their tracers.
pub trait BlockTracer: Send + Sync {
    /// The tracer of the transaction at `index` in its block.
    fn tracer(&self, index: usize) -> Box<dyn Tracer + Send>;

    /// The transaction at `index` finished (or was rejected).
    fn tx_end(&self, _index: usize, _result: Result<&TxOutcome, &TxError>) {}
}

/// A shared [`BlockTracer`], as [`crate::BlockExecutor::trace`] holds it.
#[derive(Clone)]
pub struct TraceHook(pub Arc<dyn BlockTracer>);

impl fmt::Debug for TraceHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TraceHook")
    }
}
