//! POP, PUSH0..PUSH32, DUP1..DUP16, SWAP1..SWAP16.

use crate::interpreter::table::Instr;
use crate::interpreter::{Ctl, Ctx, Frame};
use alloy_primitives::U256;

/// POP
pub fn pop(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    f.stack.pop();
    Ctl::Continue
}

/// PUSH0 (EIP-3855)
pub fn push0(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    f.stack.push(U256::ZERO);
    Ctl::Continue
}

/// PUSHn: reads n immediate bytes (zero past the end of code, which the padding provides).
fn push<const N: usize>(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let pc = f.pc;
    let code = f.code.padded();
    debug_assert!(pc + N <= code.len());
    // SAFETY: `pc` is just past an opcode inside the code, and the code is followed by 33 padding bytes,
    // so the N <= 32 immediate bytes are in bounds.
    unsafe { f.stack.push_be_bytes::<N>(code.as_ptr().add(pc)) };
    f.pc = pc + N;
    Ctl::Continue
}

fn dup<const N: usize>(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    f.stack.dup(N);
    Ctl::Continue
}

fn swap<const N: usize>(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    f.stack.swap(N);
    Ctl::Continue
}

/// PUSH1..PUSH32.
pub const PUSH: [Instr; 32] = [
    push::<1>, push::<2>, push::<3>, push::<4>, push::<5>, push::<6>, push::<7>, push::<8>,
    push::<9>, push::<10>, push::<11>, push::<12>, push::<13>, push::<14>, push::<15>, push::<16>,
    push::<17>, push::<18>, push::<19>, push::<20>, push::<21>, push::<22>, push::<23>, push::<24>,
    push::<25>, push::<26>, push::<27>, push::<28>, push::<29>, push::<30>, push::<31>, push::<32>,
];

/// DUP1..DUP16.
pub const DUP: [Instr; 16] = [
    dup::<1>, dup::<2>, dup::<3>, dup::<4>, dup::<5>, dup::<6>, dup::<7>, dup::<8>, dup::<9>,
    dup::<10>, dup::<11>, dup::<12>, dup::<13>, dup::<14>, dup::<15>, dup::<16>,
];

/// SWAP1..SWAP16.
pub const SWAP: [Instr; 16] = [
    swap::<1>, swap::<2>, swap::<3>, swap::<4>, swap::<5>, swap::<6>, swap::<7>, swap::<8>,
    swap::<9>, swap::<10>, swap::<11>, swap::<12>, swap::<13>, swap::<14>, swap::<15>, swap::<16>,
];
