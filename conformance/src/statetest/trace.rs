//! EIP-3155 tracing for `parevm statetest --trace`: one JSON object per executed instruction, written to
//! the sink as soon as the instruction has run, then one summary object per case. JSON lines only.
//!
//! Step fields, in geth's order: `pc`, `op`, `gas` (left before the instruction), `gasCost` (exact: the gas
//! the instruction took, measured at [`Tracer::step_end`]; for CALL and CREATE the gas handed to the child
//! included), `memSize`, `stack`, `returnData` (the last call's return data), `depth` (1 at the top),
//! `refund`, `opName`, and `error` when the instruction failed (a halt, or REVERT). Summary fields:
//! `stateRoot`, `output`, `gasUsed`, `pass`, `fork`, `time` (nanoseconds of execution).

use parevm_evm_core::interpreter::{Ctl, Frame, Tracer};
use parevm_evm_core::HaltReason;
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
        let _ = write!(head, r#"{{"pc":{},"op":{op},"gas":"0x{gas:x}""#, frame.pc);
        let mut tail = String::with_capacity(128);
        let _ = write!(tail, r#","memSize":{},"stack":["#, frame.memory.len());
        for (i, v) in frame.stack.as_slice().iter().enumerate() {
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
        Ctl::Halt(reason) => match reason {
            HaltReason::OutOfGas => "out of gas",
            HaltReason::StackUnderflow => "stack underflow",
            HaltReason::StackOverflow => "stack limit reached",
            HaltReason::InvalidOpcode => "invalid opcode",
            HaltReason::InvalidJump => "invalid jump destination",
            HaltReason::StaticStateChange => "write protection",
            HaltReason::ReturnDataOutOfBounds => "return data out of bounds",
            HaltReason::CreateCollision => "contract address collision",
            HaltReason::CodeSizeLimit => "max code size exceeded",
            HaltReason::InvalidCodePrefix => "invalid code: must not begin with 0xef",
            HaltReason::PrecompileError => "precompile failed",
            HaltReason::NonceOverflow => "nonce uint64 overflow",
        },
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

/// The mnemonic of an opcode (`UNDEFINED` for opcodes no fork defines).
pub fn op_name(op: u8) -> &'static str {
    const PUSH: [&str; 33] = [
        "PUSH0", "PUSH1", "PUSH2", "PUSH3", "PUSH4", "PUSH5", "PUSH6", "PUSH7", "PUSH8", "PUSH9",
        "PUSH10", "PUSH11", "PUSH12", "PUSH13", "PUSH14", "PUSH15", "PUSH16", "PUSH17", "PUSH18",
        "PUSH19", "PUSH20", "PUSH21", "PUSH22", "PUSH23", "PUSH24", "PUSH25", "PUSH26", "PUSH27",
        "PUSH28", "PUSH29", "PUSH30", "PUSH31", "PUSH32",
    ];
    const DUP: [&str; 16] = [
        "DUP1", "DUP2", "DUP3", "DUP4", "DUP5", "DUP6", "DUP7", "DUP8", "DUP9", "DUP10", "DUP11",
        "DUP12", "DUP13", "DUP14", "DUP15", "DUP16",
    ];
    const SWAP: [&str; 16] = [
        "SWAP1", "SWAP2", "SWAP3", "SWAP4", "SWAP5", "SWAP6", "SWAP7", "SWAP8", "SWAP9", "SWAP10",
        "SWAP11", "SWAP12", "SWAP13", "SWAP14", "SWAP15", "SWAP16",
    ];
    const LOG: [&str; 5] = ["LOG0", "LOG1", "LOG2", "LOG3", "LOG4"];
    match op {
        0x5f..=0x7f => PUSH[(op - 0x5f) as usize],
        0x80..=0x8f => DUP[(op - 0x80) as usize],
        0x90..=0x9f => SWAP[(op - 0x90) as usize],
        0xa0..=0xa4 => LOG[(op - 0xa0) as usize],
        _ => match op {
            0x00 => "STOP",
            0x01 => "ADD",
            0x02 => "MUL",
            0x03 => "SUB",
            0x04 => "DIV",
            0x05 => "SDIV",
            0x06 => "MOD",
            0x07 => "SMOD",
            0x08 => "ADDMOD",
            0x09 => "MULMOD",
            0x0a => "EXP",
            0x0b => "SIGNEXTEND",
            0x10 => "LT",
            0x11 => "GT",
            0x12 => "SLT",
            0x13 => "SGT",
            0x14 => "EQ",
            0x15 => "ISZERO",
            0x16 => "AND",
            0x17 => "OR",
            0x18 => "XOR",
            0x19 => "NOT",
            0x1a => "BYTE",
            0x1b => "SHL",
            0x1c => "SHR",
            0x1d => "SAR",
            0x1e => "CLZ",
            0x20 => "KECCAK256",
            0x30 => "ADDRESS",
            0x31 => "BALANCE",
            0x32 => "ORIGIN",
            0x33 => "CALLER",
            0x34 => "CALLVALUE",
            0x35 => "CALLDATALOAD",
            0x36 => "CALLDATASIZE",
            0x37 => "CALLDATACOPY",
            0x38 => "CODESIZE",
            0x39 => "CODECOPY",
            0x3a => "GASPRICE",
            0x3b => "EXTCODESIZE",
            0x3c => "EXTCODECOPY",
            0x3d => "RETURNDATASIZE",
            0x3e => "RETURNDATACOPY",
            0x3f => "EXTCODEHASH",
            0x40 => "BLOCKHASH",
            0x41 => "COINBASE",
            0x42 => "TIMESTAMP",
            0x43 => "NUMBER",
            0x44 => "PREVRANDAO",
            0x45 => "GASLIMIT",
            0x46 => "CHAINID",
            0x47 => "SELFBALANCE",
            0x48 => "BASEFEE",
            0x49 => "BLOBHASH",
            0x4a => "BLOBBASEFEE",
            0x4b => "SLOTNUM",
            0x50 => "POP",
            0x51 => "MLOAD",
            0x52 => "MSTORE",
            0x53 => "MSTORE8",
            0x54 => "SLOAD",
            0x55 => "SSTORE",
            0x56 => "JUMP",
            0x57 => "JUMPI",
            0x58 => "PC",
            0x59 => "MSIZE",
            0x5a => "GAS",
            0x5b => "JUMPDEST",
            0x5c => "TLOAD",
            0x5d => "TSTORE",
            0x5e => "MCOPY",
            0xe6 => "DUPN",
            0xe7 => "SWAPN",
            0xe8 => "EXCHANGE",
            0xf0 => "CREATE",
            0xf1 => "CALL",
            0xf2 => "CALLCODE",
            0xf3 => "RETURN",
            0xf4 => "DELEGATECALL",
            0xf5 => "CREATE2",
            0xfa => "STATICCALL",
            0xfd => "REVERT",
            0xfe => "INVALID",
            0xff => "SELFDESTRUCT",
            _ => "UNDEFINED",
        },
    }
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
        assert_eq!(step_error(Ctl::Continue), None);
        assert_eq!(step_error(Ctl::Return), None);
        assert_eq!(step_error(Ctl::Revert), Some("execution reverted"));
        assert_eq!(
            step_error(Ctl::Halt(HaltReason::OutOfGas)),
            Some("out of gas")
        );
    }
}
