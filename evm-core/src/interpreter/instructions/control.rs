//! STOP, JUMP, JUMPI, PC, JUMPDEST, RETURN, REVERT, INVALID.

use super::expand;
use crate::interpreter::{Ctl, Ctx, Frame};
use crate::outcome::HaltReason;
use alloy_primitives::Bytes;
use revm_primitives::STACK_LIMIT;

/// STOP
pub fn stop(_: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    Ctl::Stop
}

/// INVALID and every undefined opcode.
pub fn invalid(_: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    Ctl::Halt(HaltReason::InvalidOpcode)
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
pub fn jump(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let d = super::as_usize_saturated(*f.stack.peek_ref(0));
    f.stack.drop_n(1);
    jump_to(f, d)
}

/// JUMPI
pub fn jumpi(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let d = super::as_usize_saturated(*f.stack.peek_ref(0));
    let taken = !f.stack.peek_ref(1).is_zero();
    f.stack.drop_n(2);
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
        std::ptr::null()
    }
}

/// The position of `ip` in the padded code of `f`.
#[inline(always)]
pub(crate) fn pc_of(f: &Frame, ip: *const u8) -> usize {
    // SAFETY: block-table instructions get pointers into `f.code`'s padded bytes.
    unsafe { ip.offset_from(f.code.padded().as_ptr()) as usize }
}

/// The block-table answer for a jump to `d`: a pointer to the JUMPDEST there, or null (invalid jump).
#[inline(always)]
fn jump_block_to(f: &mut Frame, ctx: &mut Ctx<'_>, d: usize) -> *const u8 {
    if !f.code.is_jumpdest(d) {
        ctx.ctl = Ctl::Halt(HaltReason::InvalidJump);
        return std::ptr::null();
    }
    // SAFETY: a JUMPDEST lies inside the code.
    unsafe { f.code.padded().as_ptr().add(d) }
}

/// JUMP of the block table.
pub(crate) fn jump_block(f: &mut Frame, ctx: &mut Ctx<'_>, _: *const u8) -> *const u8 {
    let d = super::as_usize_saturated(*f.stack.peek_ref(0));
    f.stack.drop_n(1);
    jump_block_to(f, ctx, d)
}

/// JUMPI of the block table: the fall-through begins a block.
pub(crate) fn jumpi_block(f: &mut Frame, ctx: &mut Ctx<'_>, ip: *const u8) -> *const u8 {
    let d = super::as_usize_saturated(*f.stack.peek_ref(0));
    let taken = !f.stack.peek_ref(1).is_zero();
    f.stack.drop_n(2);
    if taken {
        return jump_block_to(f, ctx, d);
    }
    // SAFETY: `ip` is just past an opcode inside the padded code, so it is readable.
    if unsafe { *ip } == 0x5b {
        return ip;
    }
    let ctl = begin_block(f, pc_of(f, ip));
    step(ctx, ctl, ip)
}

/// JUMPDEST of the block table: begins the block it heads.
pub(crate) fn jumpdest_block(f: &mut Frame, ctx: &mut Ctx<'_>, ip: *const u8) -> *const u8 {
    let ctl = begin_block(f, pc_of(f, ip) - 1);
    step(ctx, ctl, ip)
}

/// PC of the block table.
pub(crate) fn pc_block(f: &mut Frame, _: &mut Ctx<'_>, ip: *const u8) -> *const u8 {
    let pc = pc_of(f, ip) - 1;
    f.stack.push(alloy_primitives::U256::from(pc));
    ip
}

/// Begins the block at `pc` unless a JUMPDEST is there (which begins it itself when it runs).
#[inline(always)]
pub(crate) fn begin_block_at(f: &mut Frame, pc: usize) -> Ctl {
    // `pc` is at most the code length, and the padding follows the code.
    if f.code.padded().get(pc) == Some(&0x5b) {
        return Ctl::Continue;
    }
    begin_block(f, pc)
}

/// Charges the static gas of the block that begins at `pc` and checks the stack depth for all of it.
#[inline(always)]
pub(crate) fn begin_block(f: &mut Frame, pc: usize) -> Ctl {
    let b = f.code.block(pc);
    let len = f.stack.len() as u64;
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
pub fn pc(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    f.stack.push(alloy_primitives::U256::from(f.pc - 1));
    Ctl::Continue
}

/// JUMPDEST
pub fn jumpdest(_: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    Ctl::Continue
}

fn output(f: &mut Frame) -> Option<()> {
    let offset = f.stack.pop();
    let len = f.stack.pop();
    let (o, l) = expand(f, offset, len)?;
    f.output = Bytes::copy_from_slice(f.memory.slice(o, l));
    Some(())
}

/// RETURN
pub fn ret(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    crate::gas_try!(output(f));
    Ctl::Return
}

/// REVERT (EIP-140)
pub fn revert(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    crate::gas_try!(output(f));
    Ctl::Revert
}
