//! EIP-3155 tracing for `parevm statetest --trace`: one JSON object per executed instruction, written to
//! the sink as soon as the instruction has run, then one summary object per case. JSON lines only.
//!
//! Step fields, in geth's order: `pc`, `op`, `gas` (left before the instruction), `gasCost` (exact: the gas
//! the instruction took, measured at [`Tracer::step_end`]; for CALL and CREATE the gas handed to the child
//! included), `memSize`, `stack`, `returnData` (the last call's return data), `depth` (1 at the top),
//! `refund`, `opName`, and `error` when the instruction failed (a halt, or REVERT). Summary fields:
//! `stateRoot`, `output`, `gasUsed`, `pass`, `fork`, `time` (nanoseconds of execution).

use parevm_evm_core::interpreter::{Ctl, Frame, Tracer};
use parevm_evm_core::{ExecStatus, TxError, TxOutcome};
use std::fmt;
use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Where trace lines go: shared by every case of a run (a `--trace` run executes one case at a time).
#[derive(Clone)]
pub struct TraceSink(Arc<Mutex<Box<dyn Write + Send>>>);

impl TraceSink {
    /// A sink writing to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self(Arc::new(Mutex::new(out)))
    }

    /// Standard error.
    pub fn stderr() -> Self {
        Self::new(Box::new(std::io::stderr()))
    }

    /// Writes one line (a closed output is ignored: tracing never fails a case).
    pub fn line(&self, text: &str) {
        let mut out = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let _ = out.write_all(text.as_bytes());
        let _ = out.write_all(b"\n");
    }
}

impl fmt::Debug for TraceSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TraceSink")
    }
}

/// The step line being built: everything but `gasCost` and `error`, known at [`Tracer::step`].
#[derive(Debug, Default)]
struct Pending {
    /// `{"pc":…,"op":…,"gas":"0x…"` (up to the gas).
    head: String,
    /// `,"memSize":…,…,"opName":"…"` (after the gas cost).
    tail: String,
    gas: u64,
}

/// Writes EIP-3155 steps to a [`TraceSink`] as the EVM runs them.
#[derive(Debug)]
pub struct Eip3155Tracer {
    sink: TraceSink,
    pending: Option<Pending>,
}

impl Eip3155Tracer {
    /// A tracer writing to `sink`.
    pub fn new(sink: TraceSink) -> Self {
        Self {
            sink,
            pending: None,
        }
    }
}

impl Tracer for Eip3155Tracer {
    fn step(&mut self, frame: &Frame, op: u8, refund: i64) {
        let gas = frame.gas.remaining();
        let mut head = String::with_capacity(64);
        let _ = write!(head, r#"{{"pc":{},"op":{op},"gas":"0x{gas:x}""#, frame.pc());
        let mut tail = String::with_capacity(128);
        let _ = write!(tail, r#","memSize":{},"stack":["#, frame.memory.len());
        for (i, v) in frame.stack().iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(tail, r#"{sep}"0x{v:x}""#);
        }
        let _ = write!(
            tail,
            r#"],"returnData":"0x{}","depth":{},"refund":{refund},"opName":"{}""#,
            hex::encode(&frame.return_data),
            frame.depth + 1,
            op_name(op)
        );
        self.pending = Some(Pending { head, tail, gas });
    }

    fn step_end(&mut self, frame: &Frame, _op: u8, ctl: Ctl) {
        let Some(p) = self.pending.take() else {
            return;
        };
        let cost = p.gas.saturating_sub(frame.gas.remaining());
        let mut line = p.head;
        let _ = write!(line, r#","gasCost":"0x{cost:x}""#);
        line.push_str(&p.tail);
        if let Some(e) = step_error(ctl) {
            let _ = write!(line, r#","error":"{e}""#);
        }
        line.push('}');
        self.sink.line(&line);
    }
}

/// The `error` of a step that ended its frame abnormally (geth's wording).
fn step_error(ctl: Ctl) -> Option<&'static str> {
    Some(match ctl {
        Ctl::Revert => "execution reverted",
        Ctl::Halt(reason) => reason.geth_message(),
        _ => return None,
    })
}

/// The closing line of a case: `stateRoot`, `output`, `gasUsed`, `pass`, `fork`, `time`.
pub fn summary_line(
    state_root: alloy_primitives::B256,
    output: &[u8],
    gas_used: u64,
    pass: bool,
    fork: &str,
    time_ns: u128,
) -> String {
    format!(
        r#"{{"stateRoot":"{state_root}","output":"0x{}","gasUsed":"0x{gas_used:x}","pass":{pass},"fork":"{fork}","time":{time_ns}}}"#,
        hex::encode(output)
    )
}

/// The line that closes one transaction of a traced block (geth's `evm blocktest --trace`): `output`,
/// `gasUsed`, and `error` when it did not succeed (or was rejected).
pub fn tx_end_line(result: Result<&TxOutcome, &TxError>) -> String {
    match result {
        Ok(o) => {
            let mut line = format!(
                r#"{{"output":"0x{}","gasUsed":"0x{:x}""#,
                hex::encode(&o.output),
                o.gas_used
            );
            match o.status {
                ExecStatus::Success => {}
                ExecStatus::Revert => line.push_str(r#","error":"execution reverted""#),
                ExecStatus::Halt(h) => {
                    let _ = write!(line, r#","error":"{}""#, h.geth_message());
                }
            }
            line.push('}');
            line
        }
        Err(e) => serde_json::json!({"output": "0x", "gasUsed": "0x0", "error": e.to_string()})
            .to_string(),
    }
}

/// The mnemonic of an opcode (`UNDEFINED` for opcodes no fork defines); the table lives in evm-core.
pub fn op_name(op: u8) -> &'static str {
    parevm_evm_core::interpreter::op_name(op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(op_name(0x00), "STOP");
        assert_eq!(op_name(0x5f), "PUSH0");
        assert_eq!(op_name(0x7f), "PUSH32");
        assert_eq!(op_name(0x8f), "DUP16");
        assert_eq!(op_name(0x9f), "SWAP16");
        assert_eq!(op_name(0xa4), "LOG4");
        assert_eq!(op_name(0xef), "UNDEFINED");
    }

    #[test]
    fn errors_use_geth_wording() {
        use parevm_evm_core::HaltReason;
        assert_eq!(step_error(Ctl::Continue), None);
        assert_eq!(step_error(Ctl::Return), None);
        assert_eq!(step_error(Ctl::Revert), Some("execution reverted"));
        assert_eq!(
            step_error(Ctl::Halt(HaltReason::OutOfGas)),
            Some("out of gas")
        );
    }
}
