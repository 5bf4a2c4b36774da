//! Comparisons and bit operations: LT, GT, SLT, SGT, EQ, ISZERO, AND, OR, XOR, NOT, BYTE, SHL, SHR, SAR, CLZ.

use crate::interpreter::{Ctl, Ctx, Frame};
use alloy_primitives::{I256, U256};

#[inline(always)]
fn flag(b: bool) -> U256 {
    U256::from(b as u8)
}

/// LT
pub fn lt(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b = flag(a < *b);
    Ctl::Continue
}

/// GT
pub fn gt(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b = flag(a > *b);
    Ctl::Continue
}

/// SLT
pub fn slt(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b = flag(I256::from_raw(a) < I256::from_raw(*b));
    Ctl::Continue
}

/// SGT
pub fn sgt(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b = flag(I256::from_raw(a) > I256::from_raw(*b));
    Ctl::Continue
}

/// EQ
pub fn eq(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b = flag(a == *b);
    Ctl::Continue
}

/// ISZERO
pub fn iszero(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let a = f.stack.top();
    *a = flag(a.is_zero());
    Ctl::Continue
}

/// AND
pub fn and(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b &= a;
    Ctl::Continue
}

/// OR
pub fn or(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b |= a;
    Ctl::Continue
}

/// XOR
pub fn xor(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b ^= a;
    Ctl::Continue
}

/// NOT
pub fn not(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let a = f.stack.top();
    *a = !*a;
    Ctl::Continue
}

/// BYTE: byte `i` of `x`, 0 = most significant.
pub fn byte(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (i, x) = f.stack.pop_top();
    *x = if i < U256::from(32) {
        U256::from(x.byte(31 - i.to::<usize>()))
    } else {
        U256::ZERO
    };
    Ctl::Continue
}

/// SHL (EIP-145)
pub fn shl(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (s, x) = f.stack.pop_top();
    *x = if s < U256::from(256) {
        *x << s.to::<usize>()
    } else {
        U256::ZERO
    };
    Ctl::Continue
}

/// SHR (EIP-145)
pub fn shr(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (s, x) = f.stack.pop_top();
    *x = if s < U256::from(256) {
        *x >> s.to::<usize>()
    } else {
        U256::ZERO
    };
    Ctl::Continue
}

/// SAR (EIP-145): arithmetic shift.
pub fn sar(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (s, x) = f.stack.pop_top();
    let neg = x.bit(255);
    *x = if s < U256::from(256) {
        x.arithmetic_shr(s.to::<usize>())
    } else if neg {
        U256::MAX
    } else {
        U256::ZERO
    };
    Ctl::Continue
}

/// CLZ (EIP-7939): number of leading zero bits, 256 for zero.
pub fn clz(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let x = f.stack.top();
    *x = U256::from(x.leading_zeros());
    Ctl::Continue
}
