//! The opcode tables: for every opcode and fork, the instruction, its static gas and its stack bounds.
//! Facts live here as data; instruction bodies stay free of fork gating and stack checks.
//!
//! Each fork has two tables. The *checked* table ([`Table`]) charges static gas and checks stack bounds per
//! instruction; the tracing loop uses it, so that every traced step sees exact gas. The *block* table
//! ([`Tables::block`]) holds the bare bodies: code analysis ([`crate::code`]) sums the static gas and stack
//! bounds of each basic block, and the block is charged and checked once, where it begins (JUMPDEST, the
//! fall-through of JUMPI, frame start, and after an instruction that reads the gas left). Static gas that
//! depends on the fork (BALANCE, EXTCODE*, SLOAD, CALL*, SELFDESTRUCT) is left out of the block sums and
//! charged by those instructions' block-table wrappers, so one analysis serves every fork.

use super::frame::{Ctl, Ctx, Frame};
use super::instructions::*;
use super::stack::Sp;
use crate::outcome::HaltReason;
use crate::spec::SpecId;
use revm_primitives::STACK_LIMIT;
use std::sync::OnceLock;

/// An instruction body.
pub type Instr = fn(&mut Frame, &mut Ctx<'_>) -> Ctl;

/// A block-table instruction: gets the stack pointer and a pointer just past its opcode in the padded code,
/// and returns where execution goes on, or null when the loop stops (with the reason in [`Ctx::ctl`] and the
/// pointer past its opcode in `Ctx::stop_ip`), and the stack pointer after it. The argument order keeps the
/// stack pointer in the register it comes back in. While the block loop runs, the frame's [`Stack`](super::stack::Stack) length
/// is stale: the [`Sp`] passed along is the stack (see [`op!`] for how the other bodies see it).
pub(crate) type BlockInstr = fn(&mut Frame, &mut Ctx<'_>, Sp, *const u8) -> Next;

/// What a block-table instruction returns: the next instruction (or null) and the stack pointer. Two
/// pointers, returned in registers.
pub(crate) type Next = (*const u8, Sp);

/// What the dispatch loop needs about one opcode under one fork: 16 bytes, so an entry is one shift away.
#[derive(Clone, Copy, Debug)]
pub struct OpInfo {
    /// The body.
    pub f: Instr,
    /// Static gas charged before the body runs.
    pub gas: u32,
    /// Minimum stack depth (the opcode's inputs).
    pub min_stack: u16,
    /// `max_stack - min_stack`: the loop checks both bounds with one unsigned compare,
    /// `len - min_stack <= stack_range` (wrapping).
    pub stack_range: u16,
}

impl OpInfo {
    /// Maximum stack depth before the opcode that keeps the stack within 1024 words.
    pub fn max_stack(&self) -> u16 {
        self.min_stack + self.stack_range
    }
}

/// The checked table of one fork.
pub type Table = [OpInfo; 256];

/// Both tables of one fork.
#[derive(Debug)]
pub struct Tables {
    /// Per-instruction gas and stack checks (the tracing loop).
    pub checked: Table,
    /// Bare bodies for the block-metered loop (gas and stack checked per basic block).
    pub(crate) block: [BlockInstr; 256],
}

/// How an opcode shapes basic blocks (see [`crate::code`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpKind {
    /// Runs inside a block.
    Normal,
    /// JUMPDEST: begins a block (and charges it).
    JumpDest,
    /// Ends a block; the next instruction begins one (JUMPI's fall-through, and instructions that read the
    /// gas left: GAS, SSTORE, CALL*, CREATE*).
    Boundary,
    /// Ends a block; what follows is only reached by a jump (STOP, JUMP, RETURN, REVERT, INVALID,
    /// SELFDESTRUCT and undefined opcodes).
    Terminator,
}

/// Fork-independent facts about an opcode, for code analysis.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OpFacts {
    /// Static gas summed into the block (zero for fork-dependent static gas, which the body's wrapper charges).
    pub gas: u32,
    /// Stack inputs.
    pub inputs: u8,
    /// Stack outputs.
    pub outputs: u8,
    /// Block shape.
    pub kind: OpKind,
}

/// Checked-table body of undefined opcodes.
fn invalid_checked(_: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    Ctl::Halt(HaltReason::InvalidOpcode)
}

const UNDEFINED: OpInfo = OpInfo {
    f: invalid_checked,
    gas: 0,
    min_stack: 0,
    stack_range: STACK_LIMIT as u16,
};

/// The table entry for instruction `$f` with static gas `$gas`, `$inputs` stack inputs and `$outputs` outputs,
/// with the bare body and the stack facts beside it. `$f` works on the frame's stack (`frame.stack`): the
/// block-table wrapper hands the loop's stack pointer back to the frame before it and takes it again after.
///
/// The stack facts become constants of a wrapper around `$f`: the wrapper checks the depth with immediate
/// compares (only the bounds that can fail for this opcode) before the body runs, so the dispatch loop does
/// no per-opcode table lookups for stack bounds. The same facts are kept in the entry as data.
macro_rules! op {
    ($f:expr, $gas:expr, $inputs:expr, $outputs:expr) => {{
        fn bare(frame: &mut Frame, ctx: &mut Ctx<'_>, sp: Sp, ip: *const u8) -> Next {
            frame.stack.set_sp(sp);
            let ctl = $f(frame, ctx);
            (control::step(ctx, ctl, ip), frame.stack.sp())
        }
        fn checked_body(frame: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
            $f(frame, ctx)
        }
        entry!(checked_body, bare, $gas, $inputs, $outputs)
    }};
}

/// [`op!`] for a body that works on the loop's stack pointer (`fn(&mut Frame, &mut Ctx, &mut Sp) -> Ctl`; the
/// frame's `stack` is stale while it runs and must not be touched): in the block table it gets the
/// pointer from the loop, in a register, and the frame's stack is not touched; the checked table makes one
/// from the frame's stack and hands it back after.
macro_rules! sp_op {
    ($f:expr, $gas:expr, $inputs:expr, $outputs:expr) => {{
        fn bare(frame: &mut Frame, ctx: &mut Ctx<'_>, mut sp: Sp, ip: *const u8) -> Next {
            let ctl = $f(frame, ctx, &mut sp);
            (control::step(ctx, ctl, ip), sp)
        }
        fn checked_body(frame: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
            let mut sp = frame.stack.sp();
            #[cfg(debug_assertions)]
            let before = frame.stack.len();
            let ctl = $f(frame, ctx, &mut sp);
            #[cfg(debug_assertions)]
            debug_assert_eq!(
                frame.stack.len(),
                before,
                "an Sp body touched the frame's stack"
            );
            frame.stack.set_sp(sp);
            ctl
        }
        entry!(checked_body, bare, $gas, $inputs, $outputs)
    }};
}

/// The [`Entry`] for a checked body `$checked` (stack bounds are checked before it) and a block body `$bare`.
macro_rules! entry {
    ($checked:ident, $bare:ident, $gas:expr, $inputs:expr, $outputs:expr) => {{
        const IN: usize = $inputs;
        const OUT: usize = $outputs;
        /// Highest depth before the opcode that keeps the stack within 1024 words.
        const MAX: usize = if OUT > IN {
            STACK_LIMIT - (OUT - IN)
        } else {
            STACK_LIMIT
        };
        fn checked(frame: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
            let len = frame.stack.len();
            if IN > 0 && len < IN {
                return Ctl::Halt(HaltReason::StackUnderflow);
            }
            if MAX < STACK_LIMIT && len > MAX {
                return Ctl::Halt(HaltReason::StackOverflow);
            }
            $checked(frame, ctx)
        }
        Entry {
            info: OpInfo {
                f: checked,
                gas: $gas,
                min_stack: IN as u16,
                stack_range: (MAX - IN) as u16,
            },
            body: $bare,
            inputs: IN as u8,
            outputs: OUT as u8,
        }
    }};
}

/// What [`op!`] makes of one opcode.
struct Entry {
    info: OpInfo,
    body: BlockInstr,
    inputs: u8,
    outputs: u8,
}

/// The tables of one fork while they are built.
struct Builder {
    checked: Table,
    block: [BlockInstr; 256],
    io: [(u8, u8); 256],
    defined: [bool; 256],
}

impl Builder {
    fn set(&mut self, op: usize, e: Entry) {
        self.checked[op] = e.info;
        self.block[op] = e.body;
        self.io[op] = (e.inputs, e.outputs);
        self.defined[op] = true;
    }
}

/// Block-table wrapper for an instruction that reads the gas left: after it, a new block begins.
macro_rules! boundary {
    ($f:expr) => {{
        fn w(frame: &mut Frame, ctx: &mut Ctx<'_>, sp: Sp, ip: *const u8) -> Next {
            frame.stack.set_sp(sp);
            let ctl = $f(frame, ctx);
            (after_boundary(frame, ctx, ctl, ip), frame.stack.sp())
        }
        w as BlockInstr
    }};
}

/// Block-table wrapper for an instruction whose static gas depends on the fork: charges it first (and gives
/// it back when the instruction blocks on state, so the retry charges it again). `$boundary` also begins a
/// new block after it.
macro_rules! metered {
    ($f:expr, $op:expr, $boundary:expr) => {{
        fn w(frame: &mut Frame, ctx: &mut Ctx<'_>, sp: Sp, ip: *const u8) -> Next {
            let gas = fork_gas(ctx.spec, $op) as u64;
            if !frame.gas.charge(gas) {
                return (control::step(ctx, Ctl::Halt(HaltReason::OutOfGas), ip), sp);
            }
            frame.stack.set_sp(sp);
            let ctl = $f(frame, ctx);
            if ctl == Ctl::Blocked {
                frame.gas.give_back(gas);
            }
            let next = if $boundary {
                after_boundary(frame, ctx, ctl, ip)
            } else {
                control::step(ctx, ctl, ip)
            };
            (next, frame.stack.sp())
        }
        w as BlockInstr
    }};
}

/// After a block-ending instruction that reads the gas left: begin the next block now when the frame goes on,
/// or when it resumes (after the child frame a CALL or CREATE asked for). The frame's stack is current here.
#[inline(always)]
fn after_boundary(frame: &mut Frame, ctx: &mut Ctx<'_>, ctl: Ctl, ip: *const u8) -> *const u8 {
    match ctl {
        Ctl::Continue => {
            let ctl = control::begin_block_at(frame, control::pc_of(frame, ip));
            control::step(ctx, ctl, ip)
        }
        Ctl::Request => {
            frame.block_pending = true;
            control::step(ctx, ctl, ip)
        }
        _ => control::step(ctx, ctl, ip),
    }
}

/// Block-table entry of GAS. On a helper frame's forked journal it notes a GAS whose value is used other
/// than as the gas argument of a call right after it (`journal/fork.rs`): only then does the frame's run
/// depend on its gas limit.
fn gas_block(frame: &mut Frame, ctx: &mut Ctx<'_>, sp: Sp, ip: *const u8) -> Next {
    if ctx.journal.watches_gas() {
        // SAFETY: `ip` is just past this opcode inside the padded code, which ends in 33 STOP bytes.
        let next = unsafe { *ip };
        if !matches!(next, 0xf1 | 0xf2 | 0xf4 | 0xfa) {
            ctx.journal.note_gas_sensitive();
        }
    }
    frame.stack.set_sp(sp);
    let ctl = system::gas(frame, ctx);
    (after_boundary(frame, ctx, ctl, ip), frame.stack.sp())
}

/// Block-table entry of undefined opcodes.
fn undefined(_: &mut Frame, ctx: &mut Ctx<'_>, sp: Sp, ip: *const u8) -> Next {
    (
        control::step(ctx, Ctl::Halt(HaltReason::InvalidOpcode), ip),
        sp,
    )
}

/// Static gas of the opcodes whose static gas changed between forks (EIP-150 Tangerine, EIP-1884 Istanbul,
/// EIP-2929 Berlin); zero for every other opcode.
#[inline(always)]
pub(crate) fn fork_gas(spec: SpecId, op: u8) -> u32 {
    use SpecId::*;
    let on = |fork: SpecId| spec.is_enabled_in(fork);
    match op {
        // BALANCE
        0x31 => {
            if on(BERLIN) {
                100
            } else if on(ISTANBUL) {
                700
            } else if on(TANGERINE) {
                400
            } else {
                20
            }
        }
        // EXTCODESIZE, EXTCODECOPY
        0x3b | 0x3c => {
            if on(BERLIN) {
                100
            } else if on(TANGERINE) {
                700
            } else {
                20
            }
        }
        // EXTCODEHASH
        0x3f => {
            if on(BERLIN) {
                100
            } else if on(ISTANBUL) {
                700
            } else {
                400
            }
        }
        // SLOAD
        0x54 => {
            if on(BERLIN) {
                100
            } else if on(ISTANBUL) {
                800
            } else if on(TANGERINE) {
                200
            } else {
                50
            }
        }
        // CALL, CALLCODE, DELEGATECALL, STATICCALL
        0xf1 | 0xf2 | 0xf4 | 0xfa => {
            if on(BERLIN) {
                100
            } else if on(TANGERINE) {
                700
            } else {
                40
            }
        }
        // SELFDESTRUCT
        0xff if on(TANGERINE) => 5000,
        _ => 0,
    }
}

/// PUSH1..PUSH32 of the block table.
const PUSH_BLOCK: [BlockInstr; 32] = [
    stack_ops::push_block::<1>,
    stack_ops::push_block::<2>,
    stack_ops::push_block::<3>,
    stack_ops::push_block::<4>,
    stack_ops::push_block::<5>,
    stack_ops::push_block::<6>,
    stack_ops::push_block::<7>,
    stack_ops::push_block::<8>,
    stack_ops::push_block::<9>,
    stack_ops::push_block::<10>,
    stack_ops::push_block::<11>,
    stack_ops::push_block::<12>,
    stack_ops::push_block::<13>,
    stack_ops::push_block::<14>,
    stack_ops::push_block::<15>,
    stack_ops::push_block::<16>,
    stack_ops::push_block::<17>,
    stack_ops::push_block::<18>,
    stack_ops::push_block::<19>,
    stack_ops::push_block::<20>,
    stack_ops::push_block::<21>,
    stack_ops::push_block::<22>,
    stack_ops::push_block::<23>,
    stack_ops::push_block::<24>,
    stack_ops::push_block::<25>,
    stack_ops::push_block::<26>,
    stack_ops::push_block::<27>,
    stack_ops::push_block::<28>,
    stack_ops::push_block::<29>,
    stack_ops::push_block::<30>,
    stack_ops::push_block::<31>,
    stack_ops::push_block::<32>,
];

/// Opcodes with fork-dependent static gas (see [`fork_gas`]).
const FORK_GAS_OPS: [u8; 10] = [0x31, 0x3b, 0x3c, 0x3f, 0x54, 0xf1, 0xf2, 0xf4, 0xfa, 0xff];

/// PUSHn entries.
macro_rules! pushes {
    ($t:ident; $($n:literal)*) => {
        $( $t.set(0x5f + $n, sp_op!(stack_ops::push::<$n>, 3, 0, 1)); )*
    };
}

/// DUPn and SWAPn entries.
macro_rules! dups_swaps {
    ($t:ident; $($n:literal)*) => {
        $(
            $t.set(0x7f + $n, sp_op!(stack_ops::dup::<$n>, 3, $n, $n + 1));
            $t.set(0x8f + $n, sp_op!(stack_ops::swap::<$n>, 3, $n + 1, $n + 1));
        )*
    };
}

/// LOGn entries.
macro_rules! logs {
    ($t:ident; $($n:literal)*) => {
        $( $t.set(0xa0 + $n, op!(host::log::<$n>, 375, $n + 2, 0)); )*
    };
}

/// The checked table for `spec`, built once per fork.
pub fn table(spec: SpecId) -> &'static Table {
    &tables(spec).checked
}

/// Both tables for `spec`, built once per fork.
pub fn tables(spec: SpecId) -> &'static Tables {
    static TABLES: [OnceLock<Box<Tables>>; SpecId::AMSTERDAM as usize + 1] =
        [const { OnceLock::new() }; SpecId::AMSTERDAM as usize + 1];
    TABLES[spec as usize].get_or_init(|| Box::new(build(spec).0))
}

/// How many words `op` pushes onto the stack (zero for an undefined opcode), as of the latest fork: what a
/// tracer reads back after the instruction (Parity's `vmTrace`).
pub fn stack_outputs(op: u8) -> usize {
    facts()[op as usize].outputs as usize
}

/// Fork-independent opcode facts for block analysis: stack shape and static gas as of the latest fork. An
/// opcode a fork does not have yet halts there, so its facts in an earlier fork only decide the halt reason.
pub(crate) fn facts() -> &'static [OpFacts; 256] {
    static FACTS: OnceLock<Box<[OpFacts; 256]>> = OnceLock::new();
    FACTS.get_or_init(|| {
        let (t, b) = build(SpecId::AMSTERDAM);
        let mut f = [OpFacts {
            gas: 0,
            inputs: 0,
            outputs: 0,
            kind: OpKind::Terminator,
        }; 256];
        for (op, entry) in f.iter_mut().enumerate() {
            if !b.defined[op] {
                continue;
            }
            let kind = match op {
                0x5b => OpKind::JumpDest,
                0x57 | 0x5a | 0x55 | 0xf0 | 0xf1 | 0xf2 | 0xf4 | 0xf5 | 0xfa => OpKind::Boundary,
                0x00 | 0x56 | 0xf3 | 0xfd | 0xfe | 0xff => OpKind::Terminator,
                _ => OpKind::Normal,
            };
            let gas = if FORK_GAS_OPS.contains(&(op as u8)) {
                0
            } else {
                t.checked[op].gas
            };
            *entry = OpFacts {
                gas,
                inputs: b.io[op].0,
                outputs: b.io[op].1,
                kind,
            };
        }
        Box::new(f)
    })
}

fn build(spec: SpecId) -> (Tables, Builder) {
    use SpecId::*;
    let on = |fork: SpecId| spec.is_enabled_in(fork);
    let mut b = Builder {
        checked: [UNDEFINED; 256],
        block: [undefined as BlockInstr; 256],
        io: [(0, 0); 256],
        defined: [false; 256],
    };

    let balance_gas = fork_gas(spec, 0x31);
    let extcode_gas = fork_gas(spec, 0x3b);
    let extcodehash_gas = fork_gas(spec, 0x3f);
    let sload_gas = fork_gas(spec, 0x54);
    let call_gas = fork_gas(spec, 0xf1);
    let selfdestruct_gas = fork_gas(spec, 0xff);

    b.set(0x00, sp_op!(control::stop, 0, 0, 0));
    b.set(0x01, sp_op!(arithmetic::add, 3, 2, 1));
    b.set(0x02, sp_op!(arithmetic::mul, 5, 2, 1));
    b.set(0x03, sp_op!(arithmetic::sub, 3, 2, 1));
    b.set(0x04, sp_op!(arithmetic::div, 5, 2, 1));
    b.set(0x05, sp_op!(arithmetic::sdiv, 5, 2, 1));
    b.set(0x06, sp_op!(arithmetic::rem, 5, 2, 1));
    b.set(0x07, sp_op!(arithmetic::smod, 5, 2, 1));
    b.set(0x08, sp_op!(arithmetic::addmod, 8, 3, 1));
    b.set(0x09, sp_op!(arithmetic::mulmod, 8, 3, 1));
    b.set(0x0a, sp_op!(arithmetic::exp, 10, 2, 1));
    b.set(0x0b, sp_op!(arithmetic::signextend, 5, 2, 1));

    b.set(0x10, sp_op!(bitwise::lt, 3, 2, 1));
    b.set(0x11, sp_op!(bitwise::gt, 3, 2, 1));
    b.set(0x12, sp_op!(bitwise::slt, 3, 2, 1));
    b.set(0x13, sp_op!(bitwise::sgt, 3, 2, 1));
    b.set(0x14, sp_op!(bitwise::eq, 3, 2, 1));
    b.set(0x15, sp_op!(bitwise::iszero, 3, 1, 1));
    b.set(0x16, sp_op!(bitwise::and, 3, 2, 1));
    b.set(0x17, sp_op!(bitwise::or, 3, 2, 1));
    b.set(0x18, sp_op!(bitwise::xor, 3, 2, 1));
    b.set(0x19, sp_op!(bitwise::not, 3, 1, 1));
    b.set(0x1a, sp_op!(bitwise::byte, 3, 2, 1));
    if on(PETERSBURG) {
        // EIP-145
        b.set(0x1b, sp_op!(bitwise::shl, 3, 2, 1));
        b.set(0x1c, sp_op!(bitwise::shr, 3, 2, 1));
        b.set(0x1d, sp_op!(bitwise::sar, 3, 2, 1));
    }
    if on(OSAKA) {
        // EIP-7939
        b.set(0x1e, sp_op!(bitwise::clz, 5, 1, 1));
    }

    b.set(0x20, sp_op!(system::keccak256_op, 30, 2, 1));

    b.set(0x30, sp_op!(system::address, 2, 0, 1));
    b.set(0x31, op!(host::balance, balance_gas, 1, 1));
    b.set(0x32, sp_op!(system::origin, 2, 0, 1));
    b.set(0x33, sp_op!(system::caller, 2, 0, 1));
    b.set(0x34, sp_op!(system::callvalue, 2, 0, 1));
    b.set(0x35, sp_op!(system::calldataload, 3, 1, 1));
    b.set(0x36, sp_op!(system::calldatasize, 2, 0, 1));
    b.set(0x37, sp_op!(system::calldatacopy, 3, 3, 0));
    b.set(0x38, sp_op!(system::codesize, 2, 0, 1));
    b.set(0x39, sp_op!(system::codecopy, 3, 3, 0));
    b.set(0x3a, sp_op!(system::gasprice, 2, 0, 1));
    b.set(0x3b, op!(host::extcodesize, extcode_gas, 1, 1));
    b.set(0x3c, op!(host::extcodecopy, extcode_gas, 4, 0));
    if on(BYZANTIUM) {
        // EIP-211
        b.set(0x3d, sp_op!(system::returndatasize, 2, 0, 1));
        b.set(0x3e, sp_op!(system::returndatacopy, 3, 3, 0));
    }
    if on(PETERSBURG) {
        // EIP-1052
        b.set(0x3f, op!(host::extcodehash, extcodehash_gas, 1, 1));
    }

    b.set(0x40, op!(host::blockhash, 20, 1, 1));
    b.set(0x41, sp_op!(block_info::coinbase, 2, 0, 1));
    b.set(0x42, sp_op!(block_info::timestamp, 2, 0, 1));
    b.set(0x43, sp_op!(block_info::number, 2, 0, 1));
    b.set(0x44, sp_op!(block_info::difficulty, 2, 0, 1));
    b.set(0x45, sp_op!(block_info::gaslimit, 2, 0, 1));
    if on(ISTANBUL) {
        // EIP-1344, EIP-1884
        b.set(0x46, sp_op!(block_info::chainid, 2, 0, 1));
        b.set(0x47, op!(host::selfbalance, 5, 0, 1));
    }
    if on(LONDON) {
        // EIP-3198
        b.set(0x48, sp_op!(block_info::basefee, 2, 0, 1));
    }
    if on(CANCUN) {
        // EIP-4844, EIP-7516
        b.set(0x49, sp_op!(block_info::blobhash, 3, 1, 1));
        b.set(0x4a, sp_op!(block_info::blobbasefee, 2, 0, 1));
    }

    b.set(0x50, sp_op!(stack_ops::pop, 2, 1, 0));
    b.set(0x51, sp_op!(memory_ops::mload, 3, 1, 1));
    b.set(0x52, sp_op!(memory_ops::mstore, 3, 2, 0));
    b.set(0x53, sp_op!(memory_ops::mstore8, 3, 2, 0));
    b.set(0x54, op!(host::sload, sload_gas, 1, 1));
    b.set(0x55, op!(host::sstore, 0, 2, 0));
    b.set(0x56, sp_op!(control::jump, 8, 1, 0));
    b.set(0x57, sp_op!(control::jumpi, 10, 2, 0));
    b.set(0x58, sp_op!(control::pc, 2, 0, 1));
    b.set(0x59, sp_op!(memory_ops::msize, 2, 0, 1));
    b.set(0x5a, op!(system::gas, 2, 0, 1));
    b.set(0x5b, sp_op!(control::jumpdest, 1, 0, 0));
    if on(CANCUN) {
        // EIP-1153, EIP-5656
        b.set(0x5c, op!(host::tload, 100, 1, 1));
        b.set(0x5d, op!(host::tstore, 100, 2, 0));
        b.set(0x5e, sp_op!(memory_ops::mcopy, 3, 3, 0));
    }
    if on(SHANGHAI) {
        // EIP-3855
        b.set(0x5f, sp_op!(stack_ops::push0, 2, 0, 1));
    }
    // PUSH1..PUSH32, DUP1..DUP16, SWAP1..SWAP16, LOG0..LOG4.
    pushes!(b; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32);
    dups_swaps!(b; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
    logs!(b; 0 1 2 3 4);

    b.set(0xf0, op!(contract::create, 32000, 3, 1));
    b.set(0xf1, op!(contract::call, call_gas, 7, 1));
    b.set(0xf2, op!(contract::callcode, call_gas, 7, 1));
    b.set(0xf3, sp_op!(control::ret, 0, 2, 0));
    if on(HOMESTEAD) {
        // EIP-7
        b.set(0xf4, op!(contract::delegatecall, call_gas, 6, 1));
    }
    if on(PETERSBURG) {
        // EIP-1014
        b.set(0xf5, op!(contract::create2, 32000, 4, 1));
    }
    if on(BYZANTIUM) {
        // EIP-214, EIP-140
        b.set(0xfa, op!(contract::staticcall, call_gas, 6, 1));
        b.set(0xfd, sp_op!(control::revert, 0, 2, 0));
    }
    b.set(0xfe, sp_op!(control::invalid, 0, 0, 0));
    b.set(0xff, op!(host::selfdestruct, selfdestruct_gas, 1, 0));

    // The block table: JUMPDEST and JUMPI begin blocks; wrappers for fork-dependent static gas and for the
    // instructions after which a block begins.
    let d = b.defined;
    b.block[0x5b] = control::jumpdest_block;
    b.block[0x56] = control::jump_block;
    b.block[0x57] = control::jumpi_block;
    b.block[0x58] = control::pc_block;
    for n in 1..=32 {
        b.block[0x5f + n] = PUSH_BLOCK[n - 1];
    }
    // Fused `PUSHn d; JUMP(I)` pairs: opcode bytes no fork defines, which only the block loop's copy of the
    // code holds (see `crate::code`); they stay undefined in the checked table.
    b.block[crate::code::PUSH1_JUMP as usize] = control::push_jump_block::<1>;
    b.block[crate::code::PUSH2_JUMP as usize] = control::push_jump_block::<2>;
    b.block[crate::code::PUSH1_JUMPI as usize] = control::push_jumpi_block::<1>;
    b.block[crate::code::PUSH2_JUMPI as usize] = control::push_jumpi_block::<2>;
    b.block[0x5a] = gas_block;
    b.block[0x55] = boundary!(host::sstore);
    b.block[0xf0] = boundary!(contract::create);
    if d[0xf5] {
        b.block[0xf5] = boundary!(contract::create2);
    }
    b.block[0x31] = metered!(host::balance, 0x31, false);
    b.block[0x3b] = metered!(host::extcodesize, 0x3b, false);
    b.block[0x3c] = metered!(host::extcodecopy, 0x3c, false);
    if d[0x3f] {
        b.block[0x3f] = metered!(host::extcodehash, 0x3f, false);
    }
    b.block[0x54] = metered!(host::sload, 0x54, false);
    b.block[0xff] = metered!(host::selfdestruct, 0xff, false);
    b.block[0xf1] = metered!(contract::call, 0xf1, true);
    b.block[0xf2] = metered!(contract::callcode, 0xf2, true);
    if d[0xf4] {
        b.block[0xf4] = metered!(contract::delegatecall, 0xf4, true);
    }
    if d[0xfa] {
        b.block[0xfa] = metered!(contract::staticcall, 0xfa, true);
    }
    let tables = Tables {
        checked: b.checked,
        block: b.block,
    };
    (tables, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fork_gating() {
        assert_eq!(
            table(SpecId::FRONTIER)[0xf4].min_stack,
            0,
            "no DELEGATECALL in Frontier"
        );
        assert_eq!(table(SpecId::HOMESTEAD)[0xf4].min_stack, 6);
        assert_eq!(table(SpecId::SHANGHAI)[0x5f].gas, 2);
        assert_eq!(table(SpecId::ISTANBUL)[0x54].gas, 800);
        assert_eq!(table(SpecId::BERLIN)[0x54].gas, 100);
        assert_eq!(table(SpecId::OSAKA)[0x1e].gas, 5);
        assert_eq!(table(SpecId::PRAGUE)[0x1e].gas, 0);
    }

    #[test]
    fn stack_bounds() {
        let t = table(SpecId::CANCUN);
        assert_eq!(t[0x60].max_stack(), 1023);
        assert_eq!(t[0x90].min_stack, 2);
        assert_eq!(t[0x8f].min_stack, 16);
        assert_eq!(t[0x01].max_stack(), 1024);
        assert_eq!(std::mem::size_of::<OpInfo>(), 16);
    }
}
