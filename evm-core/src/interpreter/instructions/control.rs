//! STOP, JUMP, JUMPI, PC, JUMPDEST, RETURN, REVERT, INVALID.

use super::expand;
use crate::interpreter::{Ctl, Ctx, Frame};
use crate::outcome::HaltReason;
use alloy_primitives::Bytes;

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
