//! `parevm blocktest --trace`: every transaction of every block traced as EIP-3155 JSON lines (the same step
//! lines as `statetest --trace`), each transaction closed by a line with its `output`, `gasUsed` and `error`.

use crate::statetest::trace::{tx_end_line, Eip3155Tracer, TraceSink};
use parevm_block::{BlockTracer, TraceHook};
use parevm_evm_core::interpreter::Tracer;
use parevm_evm_core::{TxError, TxOutcome};
use std::sync::Arc;

/// Traces a block's transactions to one sink.
#[derive(Debug)]
struct SinkTracer(TraceSink);

impl BlockTracer for SinkTracer {
    fn tracer(&self, _index: usize) -> Box<dyn Tracer + Send> {
        Box::new(Eip3155Tracer::new(self.0.clone()))
    }

    fn tx_end(&self, _index: usize, result: Result<&TxOutcome, &TxError>) {
        self.0.line(&tx_end_line(result));
    }
}

/// The block executor's trace hook writing to `sink`.
pub fn block_trace(sink: TraceSink) -> TraceHook {
    TraceHook(Arc::new(SinkTracer(sink)))
}
