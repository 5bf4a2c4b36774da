//! A minimal assembler: opcodes, pushes of the right width, and forward or backward labels patched at the
//! end. Only what the program generator needs.

use alloy_primitives::U256;

/// Opcode bytes the generator emits by name.
#[allow(missing_docs, dead_code)]
pub mod op {
    pub const STOP: u8 = 0x00;
    pub const ADD: u8 = 0x01;
    pub const SUB: u8 = 0x03;
    pub const LT: u8 = 0x10;
    pub const ISZERO: u8 = 0x15;
    pub const KECCAK256: u8 = 0x20;
    pub const BALANCE: u8 = 0x31;
    pub const CALLDATALOAD: u8 = 0x35;
    pub const CALLDATACOPY: u8 = 0x37;
    pub const CODECOPY: u8 = 0x39;
    pub const EXTCODESIZE: u8 = 0x3b;
    pub const EXTCODECOPY: u8 = 0x3c;
    pub const RETURNDATASIZE: u8 = 0x3d;
    pub const RETURNDATACOPY: u8 = 0x3e;
    pub const EXTCODEHASH: u8 = 0x3f;
    pub const BLOCKHASH: u8 = 0x40;
    pub const BLOBHASH: u8 = 0x49;
    pub const POP: u8 = 0x50;
    pub const MLOAD: u8 = 0x51;
    pub const MSTORE: u8 = 0x52;
    pub const MSTORE8: u8 = 0x53;
    pub const SLOAD: u8 = 0x54;
    pub const SSTORE: u8 = 0x55;
    pub const JUMP: u8 = 0x56;
    pub const JUMPI: u8 = 0x57;
    pub const MSIZE: u8 = 0x59;
    pub const GAS: u8 = 0x5a;
    pub const JUMPDEST: u8 = 0x5b;
    pub const TLOAD: u8 = 0x5c;
    pub const TSTORE: u8 = 0x5d;
    pub const MCOPY: u8 = 0x5e;
    pub const PUSH0: u8 = 0x5f;
    pub const PUSH1: u8 = 0x60;
    pub const PUSH2: u8 = 0x61;
    pub const PUSH32: u8 = 0x7f;
    pub const DUP1: u8 = 0x80;
    pub const SWAP1: u8 = 0x90;
    pub const LOG0: u8 = 0xa0;
    pub const CREATE: u8 = 0xf0;
    pub const CALL: u8 = 0xf1;
    pub const CALLCODE: u8 = 0xf2;
    pub const RETURN: u8 = 0xf3;
    pub const DELEGATECALL: u8 = 0xf4;
    pub const CREATE2: u8 = 0xf5;
    pub const STATICCALL: u8 = 0xfa;
    pub const REVERT: u8 = 0xfd;
    pub const INVALID: u8 = 0xfe;
    pub const SELFDESTRUCT: u8 = 0xff;
}

/// A jump target, bound once with [`Asm::bind`].
#[derive(Clone, Copy, Debug)]
pub struct Label(usize);

/// Bytecode under construction.
#[derive(Debug, Default)]
pub struct Asm {
    code: Vec<u8>,
    /// Whether PUSH0 (EIP-3855, Shanghai) may be used for zero.
    push0: bool,
    labels: Vec<Option<usize>>,
    fixups: Vec<(usize, Label)>,
}

impl Asm {
    /// An empty program; `push0` allows PUSH0 for zero pushes.
    pub fn new(push0: bool) -> Self {
        Self {
            push0,
            ..Self::default()
        }
    }

    /// Current length in bytes.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// Appends one opcode.
    pub fn op(&mut self, op: u8) -> &mut Self {
        self.code.push(op);
        self
    }

    /// Appends raw bytes.
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.code.extend_from_slice(bytes);
        self
    }

    /// Pushes `v` with the narrowest PUSH.
    pub fn push(&mut self, v: U256) -> &mut Self {
        if v.is_zero() {
            if self.push0 {
                return self.op(op::PUSH0);
            }
            return self.raw(&[op::PUSH1, 0]);
        }
        let bytes = v.to_be_bytes::<32>();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let n = 32 - skip;
        self.op(op::PUSH1 + n as u8 - 1).raw(&bytes[skip..])
    }

    /// Pushes a small number.
    pub fn push_u(&mut self, v: u64) -> &mut Self {
        self.push(U256::from(v))
    }

    /// A new unbound label.
    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    /// Binds `l` here and emits its JUMPDEST.
    pub fn bind(&mut self, l: Label) -> &mut Self {
        self.labels[l.0] = Some(self.code.len());
        self.op(op::JUMPDEST)
    }

    /// Pushes the address of `l` (PUSH2, patched in [`Asm::finish`]).
    pub fn push_label(&mut self, l: Label) -> &mut Self {
        self.fixups.push((self.code.len() + 1, l));
        self.raw(&[op::PUSH2, 0, 0])
    }

    /// The finished bytecode with every label patched (an unbound label points at 0).
    pub fn finish(mut self) -> Vec<u8> {
        for (at, l) in &self.fixups {
            let dest = self.labels[l.0].unwrap_or(0) as u16;
            self.code[*at..*at + 2].copy_from_slice(&dest.to_be_bytes());
        }
        self.code
    }
}
