//! STOP, JUMP, JUMPI, PC, JUMPDEST, RETURN, REVERT, INVALID.

use super::expand;
use crate::interpreter::stack::{is_zero_word, Sp};
use crate::interpreter::table::Next;
use crate::interpreter::{Ctl, Ctx, Frame};
use crate::outcome::HaltReason;
use alloy_primitives::Bytes;
use revm_primitives::STACK_LIMIT;

/// STOP
pub fn stop(_: &mut Frame, _: &mut Ctx<'_>, _: &mut Sp) -> Ctl {
    Ctl::Stop
}

/// INVALID (0xFE); undefined opcodes halt in the tables' own entries.
pub fn invalid(_: &mut Frame, _: &mut Ctx<'_>, _: &mut Sp) -> Ctl {
    Ctl::Halt(HaltReason::DesignatedInvalid)
}

#[inline(always)]
fn jump_to(f: &mut Frame, d: usize) -> Ctl {
    if !f.code.is_jumpdest(d) {
        return Ctl::Halt(HaltReason::InvalidJump);
    }
    f.pc = d;
    Ctl::Continue
}

/// JUMP
pub fn jump(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let d = super::as_usize_saturated(sp.peek(0));
    sp.drop_n(1);
    jump_to(f, d)
}

/// JUMPI
pub fn jumpi(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let d = super::as_usize_saturated(sp.peek(0));
    let taken = !is_zero_word(sp.peek(1));
    sp.drop_n(2);
    if taken {
        return jump_to(f, d);
    }
    Ctl::Continue
}

/// Turns a body's answer into a block-table answer: `next` to go on, else null with the answer in
/// [`Ctx::ctl`].
#[inline(always)]
pub(crate) fn step(ctx: &mut Ctx<'_>, ctl: Ctl, next: *const u8) -> *const u8 {
    if ctl == Ctl::Continue {
        next
    } else {
        ctx.ctl = ctl;
        ctx.stop_ip = next;
        std::ptr::null()
    }
}

/// The position of `ip` in the padded code of `f`.
#[inline(always)]
pub(crate) fn pc_of(f: &Frame, ip: *const u8) -> usize {
    // SAFETY: block-table instructions get pointers into `f.code`'s padded bytes.
    unsafe { ip.offset_from(f.code.padded().as_ptr()) as usize }
}

/// The block-table answer for a jump to `d` with `sp`: the JUMPDEST there begins its block here (charged and
/// checked), and execution goes on just past it, or null (invalid jump, or the block's check failed).
#[inline(always)]
fn jump_block_to(f: &mut Frame, ctx: &mut Ctx<'_>, d: usize, sp: Sp, ip: *const u8) -> *const u8 {
    if !f.code.is_jumpdest(d) {
        return step(ctx, Ctl::Halt(HaltReason::InvalidJump), ip);
    }
    jump_known(f, ctx, d, sp, ip)
}

/// The block-table answer for a jump to `d`, which code analysis found to be a JUMPDEST (a fused
/// `PUSHn d; JUMP(I)`): the block there begins here and execution goes on just past it; `past` is where the
/// pair ends (the stop position when the block's check fails).
#[inline(always)]
fn jump_known(f: &mut Frame, ctx: &mut Ctx<'_>, d: usize, sp: Sp, past: *const u8) -> *const u8 {
    debug_assert!(f.code.is_jumpdest(d));
    let len = sp.len_from(f.stack.as_slice().as_ptr());
    let ctl = begin_block(f, d, len);
    if ctl != Ctl::Continue {
        return step(ctx, ctl, past);
    }
    // SAFETY: a JUMPDEST lies inside the code, so the byte after it is inside the padded code.
    unsafe { f.code.padded().as_ptr().add(d + 1) }
}

/// The `N`-byte big-endian jump target at `ip` (N is 1 or 2).
///
/// # Safety
/// `ip` must be valid for reading `N` bytes.
#[inline(always)]
unsafe fn target<const N: usize>(ip: *const u8) -> usize {
    // SAFETY: forwarded from the caller.
    unsafe {
        if N == 1 {
            *ip as usize
        } else {
            (*ip as usize) << 8 | *ip.add(1) as usize
        }
    }
}

/// `PUSHn d; JUMP` of the block table, fused by code analysis (`d` is a JUMPDEST; the pair's static gas is
/// in its block): one dispatch, and the target never goes through the stack.
pub(crate) fn push_jump_block<const N: usize>(
    f: &mut Frame,
    ctx: &mut Ctx<'_>,
    sp: Sp,
    ip: *const u8,
) -> Next {
    // SAFETY: `ip` is just past a PUSHn inside the code, followed by its N immediates and the JUMP.
    let (d, past) = unsafe { (target::<N>(ip), ip.add(N + 1)) };
    (jump_known(f, ctx, d, sp, past), sp)
}

/// `PUSHn d; JUMPI` of the block table, fused by code analysis (`d` is a JUMPDEST): the condition is the
/// stack's top; the fall-through begins a block.
pub(crate) fn push_jumpi_block<const N: usize>(
    f: &mut Frame,
    ctx: &mut Ctx<'_>,
    mut sp: Sp,
    ip: *const u8,
) -> Next {
    // SAFETY: `ip` is just past a PUSHn inside the code, followed by its N immediates and the JUMPI.
    let (d, past) = unsafe { (target::<N>(ip), ip.add(N + 1)) };
    let taken = !is_zero_word(sp.peek(0));
    sp.drop_n(1);
    if taken {
        return (jump_known(f, ctx, d, sp, past), sp);
    }
    // SAFETY: `past` is just past the JUMPI, an opcode inside the code, so it is inside the padded code.
    if unsafe { *past } == 0x5b {
        return (past, sp);
    }
    let len = sp.len_from(f.stack.as_slice().as_ptr());
    let ctl = begin_block(f, pc_of(f, past), len);
    (step(ctx, ctl, past), sp)
}

/// JUMP of the block table.
pub(crate) fn jump_block(f: &mut Frame, ctx: &mut Ctx<'_>, mut sp: Sp, ip: *const u8) -> Next {
    let d = super::as_usize_saturated(sp.pop());
    (jump_block_to(f, ctx, d, sp, ip), sp)
}

/// JUMPI of the block table: the fall-through begins a block.
pub(crate) fn jumpi_block(f: &mut Frame, ctx: &mut Ctx<'_>, mut sp: Sp, ip: *const u8) -> Next {
    let d = super::as_usize_saturated(sp.peek(0));
    let taken = !is_zero_word(sp.peek(1));
    sp.drop_n(2);
    if taken {
        return (jump_block_to(f, ctx, d, sp, ip), sp);
    }
    // SAFETY: `ip` is just past an opcode inside the padded code, so it is readable.
    if unsafe { *ip } == 0x5b {
        return (ip, sp);
    }
    let len = sp.len_from(f.stack.as_slice().as_ptr());
    let ctl = begin_block(f, pc_of(f, ip), len);
    (step(ctx, ctl, ip), sp)
}

/// JUMPDEST of the block table, reached by falling through into it (a jump begins the block itself and skips
/// the JUMPDEST): begins the block it heads.
pub(crate) fn jumpdest_block(f: &mut Frame, ctx: &mut Ctx<'_>, sp: Sp, ip: *const u8) -> Next {
    let len = sp.len_from(f.stack.as_slice().as_ptr());
    let ctl = begin_block(f, pc_of(f, ip) - 1, len);
    (step(ctx, ctl, ip), sp)
}

/// PC of the block table.
pub(crate) fn pc_block(f: &mut Frame, _: &mut Ctx<'_>, mut sp: Sp, ip: *const u8) -> Next {
    let pc = pc_of(f, ip) - 1;
    sp.push(alloy_primitives::U256::from(pc));
    (ip, sp)
}

/// Begins the block at `pc` unless a JUMPDEST is there (which begins it itself when it runs). The frame's
/// stack must be current (not held in an [`Sp`]).
#[inline(always)]
pub(crate) fn begin_block_at(f: &mut Frame, pc: usize) -> Ctl {
    // `pc` is at most the code length, and the padding follows the code.
    if f.code.padded().get(pc) == Some(&0x5b) {
        return Ctl::Continue;
    }
    let len = f.stack.len();
    begin_block(f, pc, len)
}

/// Charges the static gas of the block that begins at `pc` and checks the stack depth (`len` words now)
/// for all of it: this check is what lets the block's instructions use [`Sp`]'s unchecked accessors.
#[inline(always)]
pub(crate) fn begin_block(f: &mut Frame, pc: usize, len: usize) -> Ctl {
    let b = f.code.block(pc);
    let len = len as u64;
    if len < b.need as u64 {
        return Ctl::Halt(HaltReason::StackUnderflow);
    }
    if len + b.grow as u64 > STACK_LIMIT as u64 {
        return Ctl::Halt(HaltReason::StackOverflow);
    }
    if !f.gas.charge(b.gas) {
        return Ctl::Halt(HaltReason::OutOfGas);
    }
    Ctl::Continue
}

/// PC
pub fn pc(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(alloy_primitives::U256::from(f.pc - 1));
    Ctl::Continue
}

/// JUMPDEST
pub fn jumpdest(_: &mut Frame, _: &mut Ctx<'_>, _: &mut Sp) -> Ctl {
    Ctl::Continue
}

fn output(f: &mut Frame, sp: &mut Sp) -> Option<()> {
    let offset = sp.pop();
    let len = sp.pop();
    let (o, l) = expand(f, offset, len)?;
    f.output = Bytes::copy_from_slice(f.memory.slice(o, l));
    Some(())
}

/// RETURN
pub fn ret(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    crate::gas_try!(output(f, sp));
    Ctl::Return
}

/// REVERT (EIP-140)
pub fn revert(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    crate::gas_try!(output(f, sp));
    Ctl::Revert
}
