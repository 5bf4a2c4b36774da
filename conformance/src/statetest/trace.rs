//! EIP-3155 tracing for `parevm statetest --trace`: one JSON object per executed instruction
//! (`pc`, `op`, `gas`, `gasCost`, `memSize`, `stack`, `depth`, `refund`, `opName`).
//!
//! The EVM calls [`Tracer::step`] *before* each instruction, so an instruction's `gasCost` is only known at
//! the next step in the same frame: steps are buffered and `gasCost` is filled in as `gas` drops. For a
//! CALL or CREATE that includes what the child frame used; for the last instruction of a frame it is 0.

use parevm_evm_core::interpreter::{Frame, Tracer};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

/// One buffered step.
#[derive(Clone, Debug)]
struct Step {
    pc: usize,
    op: u8,
    gas: u64,
    gas_cost: u64,
    mem_size: usize,
    stack: Vec<String>,
    depth: usize,
    refund: i64,
}

/// The trace of one transaction, shared between the tracer (inside the EVM) and the runner.
#[derive(Debug, Default)]
struct Buffer {
    steps: Vec<Step>,
    /// Index of the latest step of each open frame, by depth.
    open: Vec<usize>,
}

/// Records EIP-3155 steps. Clones share one buffer: the EVM owns one clone, the runner renders another.
#[derive(Clone, Debug, Default)]
pub struct Eip3155Tracer {
    buf: Arc<Mutex<Buffer>>,
}

impl Eip3155Tracer {
    /// A new, empty tracer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Renders the recorded steps as JSON lines.
    pub fn render(&self) -> String {
        let buf = match self.buf.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut out = String::with_capacity(buf.steps.len() * 128);
        for s in &buf.steps {
            let _ = write!(
                out,
                r#"{{"pc":{},"op":{},"gas":"0x{:x}","gasCost":"0x{:x}","memSize":{},"stack":[{}],"depth":{},"refund":{},"opName":"{}"}}"#,
                s.pc,
                s.op,
                s.gas,
                s.gas_cost,
                s.mem_size,
                s.stack.join(","),
                s.depth,
                s.refund,
                op_name(s.op)
            );
            out.push('\n');
        }
        out
    }
}

impl Tracer for Eip3155Tracer {
    fn step(&mut self, frame: &Frame, op: u8, refund: i64) {
        let mut buf = match self.buf.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        let depth = frame.depth + 1;
        let gas = frame.gas.remaining();
        // Frames deeper than this one have finished.
        buf.open.truncate(depth);
        if let Some(&prev) = buf.open.get(depth - 1) {
            let prev_gas = buf.steps[prev].gas;
            buf.steps[prev].gas_cost = prev_gas.saturating_sub(gas);
        }
        let idx = buf.steps.len();
        buf.steps.push(Step {
            pc: frame.pc,
            op,
            gas,
            gas_cost: 0,
            mem_size: frame.memory.len(),
            stack: frame
                .stack
                .as_slice()
                .iter()
                .map(|v| format!("\"0x{v:x}\""))
                .collect(),
            depth,
            refund,
        });
        if buf.open.len() < depth {
            buf.open.resize(depth, idx);
        }
        buf.open[depth - 1] = idx;
    }
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
}
