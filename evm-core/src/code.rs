//! Analysed bytecode: the raw code, a STOP-padded copy the block loop reads without bounds checks (with
//! `PUSH1`/`PUSH2` + `JUMP`/`JUMPI` pairs to a known JUMPDEST fused into one opcode), the
//! JUMPDEST bitmap and the basic blocks. Analysis happens once per code hash; state views hand out shared
//! [`Code`] handles.
//!
//! A basic block begins at the code's start, at every JUMPDEST, and after JUMPI and the instructions that read
//! the gas left (GAS, SSTORE, CALL*, CREATE*); it ends before the next beginning or at an instruction that
//! stops the flow (STOP, JUMP, RETURN, REVERT, INVALID, SELFDESTRUCT, undefined opcodes). For each block the
//! analysis sums the static gas and finds the stack depth it needs and the most it grows, so the interpreter
//! checks and charges a block once (see [`crate::interpreter::table`]). Within a block that faults, the
//! exceptional halt may be reported with another reason than per-instruction execution would give (say, out
//! of gas rather than stack underflow); the outcome is the same, since every exceptional halt consumes all gas
//! and reverts the frame.

use crate::interpreter::table::{self, OpKind};
use alloy_primitives::{keccak256, Address, Bytes, B256};
use revm_primitives::KECCAK_EMPTY;
use std::sync::{Arc, OnceLock};

/// Shared, analysed bytecode.
pub type Code = Arc<Bytecode>;

/// EIP-7702 delegation designator prefix: `0xef0100 || address`.
pub const DELEGATION_PREFIX: [u8; 3] = [0xef, 0x01, 0x00];
/// Length of an EIP-7702 delegation designator.
pub const DELEGATION_LEN: usize = 23;

/// Bytes appended after the code so that PUSH32 at the last byte and running off the end both read STOP.
const PADDING: usize = 33;

/// `PUSH1 d; JUMP` in the block loop's copy of the code, where `d` is a JUMPDEST (an opcode byte no fork
/// defines: real occurrences of 0x0c..=0x0f are rewritten to INVALID in that copy, which halts the same way).
pub(crate) const PUSH1_JUMP: u8 = 0x0c;
/// `PUSH2 d; JUMP`, `d` a JUMPDEST.
pub(crate) const PUSH2_JUMP: u8 = 0x0d;
/// `PUSH1 d; JUMPI`, `d` a JUMPDEST.
pub(crate) const PUSH1_JUMPI: u8 = 0x0e;
/// `PUSH2 d; JUMPI`, `d` a JUMPDEST.
pub(crate) const PUSH2_JUMPI: u8 = 0x0f;

/// What the interpreter checks and charges where a basic block begins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BlockInfo {
    /// Static gas of the block's instructions (fork-dependent static gas excluded).
    pub gas: u64,
    /// Stack depth the block needs at its start.
    pub need: u32,
    /// Most words the stack grows above its depth at the block's start.
    pub grow: u32,
}

/// A block no code has: it always underflows (a safe answer for a lookup that finds nothing).
const NO_BLOCK: BlockInfo = BlockInfo {
    gas: u64::MAX,
    need: u32::MAX,
    grow: 0,
};

/// Set bits of every byte value.
const POPCOUNT8: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).count_ones() as u8;
        i += 1;
    }
    t
};

/// Analysed contract code.
///
/// Aligned to a cache line so that, inside its `Arc` ([`Code`]), the fields the interpreter reads on every
/// jump lie on lines of their own, away from the reference counts: threads that execute the same contract
/// at once bump those counts on every load of the code, and a field sharing their line would be fetched
/// from the other core after each bump.
#[derive(Clone, Debug)]
#[repr(align(64))]
pub struct Bytecode {
    original: Bytes,
    /// The code as the block loop runs it: followed by [`PADDING`] STOP bytes, with each `PUSH1`/`PUSH2` of a
    /// jump to a known JUMPDEST replaced by a fused opcode ([`PUSH1_JUMP`] and the three after it), and real
    /// occurrences of those four undefined opcodes replaced by INVALID. Immediates and every other opcode are
    /// as deployed. The tracing loop reads opcodes from `original` instead ([`Bytecode::op_at`]).
    padded: Box<[u8]>,
    jumpdests: Box<[u64]>,
    /// Where blocks begin, as a bitmap over `0..=len`, one byte per 8 code positions.
    start_bits: Box<[u8]>,
    /// For each byte of `start_bits`, the number of block beginnings before its first position.
    starts_before: Box<[u32]>,
    /// The blocks in code order.
    blocks: Box<[BlockInfo]>,
    hash: OnceLock<B256>,
}

impl Bytecode {
    /// Analyses `code`: finds the JUMPDESTs that are not PUSH data and the basic blocks.
    pub fn new(code: Bytes) -> Self {
        let len = code.len();
        let mut padded = Vec::with_capacity(len + PADDING);
        padded.extend_from_slice(&code);
        padded.resize(len + PADDING, 0);
        let mut jumpdests = vec![0u64; len.div_ceil(64).max(1)];
        let mut starts = vec![0u64; (len + 1).div_ceil(64)];
        let mut blocks = Vec::new();
        let facts = table::facts();
        // The open block: its facts, and the stack height so far relative to its start (None: dead code after
        // a terminator, until the next JUMPDEST).
        let mut open: Option<(BlockInfo, i64)> = Some((BlockInfo::default(), 0));
        starts[0] |= 1;
        let mut i = 0;
        while i < len {
            let op = code[i];
            let f = facts[op as usize];
            if op == 0x5b {
                jumpdests[i / 64] |= 1 << (i % 64);
                // A JUMPDEST begins a block, unless the open block began right here.
                if starts[i / 64] & (1 << (i % 64)) == 0 {
                    if let Some((b, _)) = open.take() {
                        blocks.push(b);
                    }
                    starts[i / 64] |= 1 << (i % 64);
                    open = Some((BlockInfo::default(), 0));
                } else if open.is_none() {
                    open = Some((BlockInfo::default(), 0));
                }
            }
            let next = if (0x60..=0x7f).contains(&op) {
                i + 1 + (op - 0x5f) as usize
            } else {
                i + 1
            };
            if let Some((b, height)) = open.as_mut() {
                b.gas = b.gas.saturating_add(f.gas as u64);
                let need = f.inputs as i64 - *height;
                if need > b.need as i64 {
                    b.need = need.min(u32::MAX as i64) as u32;
                }
                *height += f.outputs as i64 - f.inputs as i64;
                if *height > b.grow as i64 {
                    b.grow = (*height).min(u32::MAX as i64) as u32;
                }
                match f.kind {
                    OpKind::Normal | OpKind::JumpDest => {}
                    OpKind::Boundary => {
                        blocks.push(*b);
                        // `next <= len` here: boundary instructions have no immediates.
                        starts[next / 64] |= 1 << (next % 64);
                        open = Some((BlockInfo::default(), 0));
                    }
                    OpKind::Terminator => {
                        blocks.push(*b);
                        open = None;
                    }
                }
            }
            i = next;
        }
        if let Some((b, _)) = open {
            blocks.push(b);
        }
        fuse_jumps(&code, &jumpdests, &mut padded);
        let groups = (len + 1).div_ceil(8);
        let start_bits: Box<[u8]> = (0..groups)
            .map(|g| (starts[g / 8] >> (8 * (g % 8))) as u8)
            .collect();
        let mut before = 0u32;
        let starts_before = start_bits
            .iter()
            .map(|bits| {
                let b = before;
                before += bits.count_ones();
                b
            })
            .collect();
        Self {
            original: code,
            padded: padded.into_boxed_slice(),
            jumpdests: jumpdests.into_boxed_slice(),
            start_bits,
            starts_before,
            blocks: blocks.into_boxed_slice(),
            hash: OnceLock::new(),
        }
    }

    /// The block that begins at `pc` (a block beginning: the start, a JUMPDEST, or just after JUMPI or an
    /// instruction that reads the gas left).
    #[inline(always)]
    pub(crate) fn block(&self, pc: usize) -> &BlockInfo {
        let g = pc / 8;
        let (Some(&bits), Some(&before)) = (self.start_bits.get(g), self.starts_before.get(g))
        else {
            return &NO_BLOCK;
        };
        debug_assert!(bits & (1 << (pc % 8)) != 0, "no block begins at {pc}");
        // The beginnings before `pc` in its byte, counted with a table: the portable x86-64 target has no
        // popcount instruction, and the bit-twiddling fallback for a 64-bit word cost ~20 instructions per
        // block.
        let below = bits & ((1u16 << (pc % 8)) - 1) as u8;
        let idx = before as usize + POPCOUNT8[below as usize] as usize;
        self.blocks.get(idx).unwrap_or(&NO_BLOCK)
    }

    /// Analyses code whose hash is already known (saves a keccak).
    pub fn with_hash(code: Bytes, hash: B256) -> Self {
        let c = Self::new(code);
        let _ = c.hash.set(hash);
        c
    }

    /// The empty code.
    ///
    /// One per thread: every account without code is loaded as this, and one `Arc` shared by all threads
    /// would move its reference counts' cache line between the cores on every load (see `code_twins`).
    pub fn empty() -> Code {
        thread_local! {
            static EMPTY: Code = Arc::new(Bytecode::with_hash(Bytes::new(), KECCAK_EMPTY));
        }
        EMPTY.with(Arc::clone)
    }

    /// The code as deployed.
    #[inline]
    pub fn bytes(&self) -> &Bytes {
        &self.original
    }

    /// Code length in bytes (without padding).
    #[inline]
    pub fn len(&self) -> usize {
        self.original.len()
    }

    /// True for empty code.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.original.is_empty()
    }

    /// The code followed by at least 33 zero bytes, with the block loop's fused jumps (see the field): the
    /// immediates and JUMPDESTs are as deployed, other opcode bytes need not be.
    #[inline]
    pub(crate) fn padded(&self) -> &[u8] {
        &self.padded
    }

    /// The opcode byte at `pc` as deployed (STOP past the end).
    #[inline]
    pub fn op_at(&self, pc: usize) -> u8 {
        self.original.get(pc).copied().unwrap_or(0)
    }

    /// keccak256 of the code (computed on first use).
    pub fn hash(&self) -> B256 {
        *self.hash.get_or_init(|| keccak256(&self.original))
    }

    /// True when `pc` is a JUMPDEST opcode (not PUSH data).
    #[inline]
    pub fn is_jumpdest(&self, pc: usize) -> bool {
        if pc >= self.original.len() {
            return false;
        }
        debug_assert!(pc / 64 < self.jumpdests.len());
        // SAFETY: the bitmap has `len.div_ceil(64)` words and `pc < len`.
        let word = unsafe { *self.jumpdests.get_unchecked(pc / 64) };
        word & (1 << (pc % 64)) != 0
    }

    /// The delegate address if this code is an EIP-7702 delegation designator.
    pub fn delegation(&self) -> Option<Address> {
        delegation_target(&self.original)
    }
}

/// Rewrites `padded` (a copy of `code`) for the block loop: a `PUSH1`/`PUSH2` whose next opcode is JUMP or
/// JUMPI and whose immediate is a JUMPDEST becomes the fused opcode, and a real opcode in the fused range
/// becomes INVALID (0xfe). `jumpdests` is the finished JUMPDEST bitmap of `code`.
fn fuse_jumps(code: &[u8], jumpdests: &[u64], padded: &mut [u8]) {
    let len = code.len();
    let is_dest = |d: usize| d < len && jumpdests[d / 64] & (1 << (d % 64)) != 0;
    let mut i = 0;
    while i < len {
        let op = code[i];
        match op {
            PUSH1_JUMP..=PUSH2_JUMPI => padded[i] = 0xfe,
            0x60 | 0x61 => {
                let n = (op - 0x5f) as usize;
                let j = i + 1 + n;
                if j < len && (code[j] == 0x56 || code[j] == 0x57) {
                    let d = if n == 1 {
                        code[i + 1] as usize
                    } else {
                        (code[i + 1] as usize) << 8 | code[i + 2] as usize
                    };
                    if is_dest(d) {
                        padded[i] = match (n, code[j]) {
                            (1, 0x56) => PUSH1_JUMP,
                            (_, 0x56) => PUSH2_JUMP,
                            (1, _) => PUSH1_JUMPI,
                            _ => PUSH2_JUMPI,
                        };
                    }
                }
            }
            _ => {}
        }
        i += if (0x60..=0x7f).contains(&op) {
            1 + (op - 0x5f) as usize
        } else {
            1
        };
    }
}

impl PartialEq for Bytecode {
    fn eq(&self, other: &Self) -> bool {
        self.original == other.original
    }
}

impl Eq for Bytecode {}

/// The delegate address if `code` is exactly an EIP-7702 designator `0xef0100 || address`.
pub fn delegation_target(code: &[u8]) -> Option<Address> {
    (code.len() == DELEGATION_LEN && code[..3] == DELEGATION_PREFIX)
        .then(|| Address::from_slice(&code[3..]))
}

/// The designator code that delegates to `address`.
pub fn delegation_code(address: Address) -> Bytes {
    let mut v = Vec::with_capacity(DELEGATION_LEN);
    v.extend_from_slice(&DELEGATION_PREFIX);
    v.extend_from_slice(address.as_slice());
    v.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_data_is_not_a_jumpdest() {
        // PUSH1 0x5b, JUMPDEST
        let c = Bytecode::new(Bytes::from_static(&[0x60, 0x5b, 0x5b]));
        assert!(!c.is_jumpdest(1));
        assert!(c.is_jumpdest(2));
        assert!(!c.is_jumpdest(3));
        assert_eq!(c.padded().len(), 3 + 33);
    }

    #[test]
    fn truncated_push_at_end() {
        let c = Bytecode::new(Bytes::from_static(&[0x7f, 0x5b]));
        assert!(!c.is_jumpdest(1));
    }

    /// Block lookups by position, across the bitmap's byte groups: block k is a JUMPDEST and k PUSH0s, so its
    /// static gas is 1 + 2k (JUMPDEST 1, PUSH0 2) and it grows the stack by k.
    #[test]
    fn block_lookup_across_byte_groups() {
        let mut code = Vec::new();
        let mut starts = Vec::new();
        for k in 0..40 {
            starts.push(code.len());
            code.push(0x5b);
            code.extend(std::iter::repeat_n(0x5f, k));
        }
        let c = Bytecode::new(code.into());
        for (k, &pc) in starts.iter().enumerate() {
            let b = c.block(pc);
            assert_eq!(
                (b.gas, b.need, b.grow),
                (1 + 2 * k as u64, 0, k as u32),
                "block {k} at {pc}"
            );
        }
    }

    /// `PUSHn d; JUMP(I)` to a JUMPDEST becomes one fused opcode in the block loop's copy; a jump to a
    /// non-JUMPDEST and PUSH3 stay as deployed; a real opcode in the fused range becomes INVALID there, and
    /// `op_at` still answers the deployed bytes.
    #[test]
    fn jumps_to_known_dests_are_fused() {
        #[rustfmt::skip]
        let code = [
            0x60, 0x04, 0x56,       // 0: PUSH1 4 JUMP
            0x0c,                   // 3: undefined
            0x5b,                   // 4: JUMPDEST
            0x61, 0x00, 0x04, 0x57, // 5: PUSH2 4 JUMPI
            0x60, 0x03, 0x56,       // 9: PUSH1 3 JUMP (3 is no JUMPDEST)
            0x62, 0x00, 0x00, 0x04, 0x56, // 12: PUSH3 4 JUMP (not fused)
            0x60, 0x04, 0x57,       // 17: PUSH1 4 JUMPI
            0x61, 0x00, 0x04, 0x56, // 20: PUSH2 4 JUMP
        ];
        let c = Bytecode::new(Bytes::copy_from_slice(&code));
        let p = c.padded();
        assert_eq!(
            (p[0], p[3], p[5], p[9], p[12], p[17], p[20]),
            (
                PUSH1_JUMP,
                0xfe,
                PUSH2_JUMPI,
                0x60,
                0x62,
                PUSH1_JUMPI,
                PUSH2_JUMP
            )
        );
        assert_eq!(&p[1..3], &code[1..3], "immediates and the jump stay");
        assert_eq!(
            (c.op_at(0), c.op_at(3), c.op_at(23), c.op_at(99)),
            (0x60, 0x0c, 0x56, 0)
        );
    }

    #[test]
    fn delegation_designator() {
        let a = Address::repeat_byte(0x11);
        let code = delegation_code(a);
        assert_eq!(delegation_target(&code), Some(a));
        assert_eq!(delegation_target(&code[..22]), None);
    }
}
