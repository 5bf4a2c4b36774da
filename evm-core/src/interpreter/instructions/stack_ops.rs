//! POP, PUSH0..PUSH32, DUP1..DUP16, SWAP1..SWAP16.

use crate::interpreter::stack::Sp;
use crate::interpreter::table::Next;
use crate::interpreter::{Ctl, Ctx, Frame};
use alloy_primitives::U256;

/// POP
pub fn pop(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.pop();
    Ctl::Continue
}

/// PUSH0 (EIP-3855)
pub fn push0(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(U256::ZERO);
    Ctl::Continue
}

/// PUSHn: reads n immediate bytes (zero past the end of code, which the padding provides).
/// PUSHn (EIP-3855 for PUSH0 is separate).
pub fn push<const N: usize>(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let pc = f.pc;
    let code = f.code.padded();
    debug_assert!(pc + N <= code.len());
    // SAFETY: `pc` is just past an opcode inside the code, and the code is followed by 33 padding bytes,
    // so the N <= 32 immediate bytes are in bounds.
    unsafe { sp.push_be_bytes::<N>(code.as_ptr().add(pc)) };
    f.pc = pc + N;
    Ctl::Continue
}

/// PUSHn of the block table: the immediate bytes are at `ip`.
pub(crate) fn push_block<const N: usize>(
    _: &mut Frame,
    _: &mut Ctx<'_>,
    mut sp: Sp,
    ip: *const u8,
) -> Next {
    // SAFETY: `ip` is just past an opcode inside the code, and the code is followed by 33 padding bytes,
    // so the N <= 32 immediate bytes are in bounds, and so is the pointer past them.
    unsafe {
        sp.push_be_bytes::<N>(ip);
        (ip.add(N), sp)
    }
}

/// DUPn: copies the n-th word to the top.
pub fn dup<const N: usize>(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.dup(N);
    Ctl::Continue
}

/// SWAPn: swaps the top with the word n below it.
pub fn swap<const N: usize>(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.swap(N);
    Ctl::Continue
}
