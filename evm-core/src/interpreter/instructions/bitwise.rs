//! Comparisons and bit operations: LT, GT, SLT, SGT, EQ, ISZERO, AND, OR, XOR, NOT, BYTE, SHL, SHR, SAR, CLZ.

use crate::interpreter::stack::{is_zero_word, word, Sp};
use crate::interpreter::{Ctl, Ctx, Frame};
use alloy_primitives::{I256, U256};

#[inline(always)]
fn flag(b: bool) -> U256 {
    U256::from(b as u8)
}

/// LT
pub fn lt(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    *b = flag(a < *b);
    Ctl::Continue
}

/// GT
pub fn gt(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    *b = flag(a > *b);
    Ctl::Continue
}

/// SLT
pub fn slt(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    *b = flag(I256::from_raw(a) < I256::from_raw(*b));
    Ctl::Continue
}

/// SGT
pub fn sgt(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    *b = flag(I256::from_raw(a) > I256::from_raw(*b));
    Ctl::Continue
}

/// EQ
pub fn eq(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    *b = flag(a == word(b));
    Ctl::Continue
}

/// ISZERO
pub fn iszero(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let a = sp.top();
    *a = flag(is_zero_word(word(a)));
    Ctl::Continue
}

/// AND
pub fn and(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    *b = word(b) & a;
    Ctl::Continue
}

/// OR
pub fn or(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    *b = word(b) | a;
    Ctl::Continue
}

/// XOR
pub fn xor(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    *b = word(b) ^ a;
    Ctl::Continue
}

/// NOT
pub fn not(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let a = sp.top();
    *a = !word(a);
    Ctl::Continue
}

/// BYTE: byte `i` of `x`, 0 = most significant.
pub fn byte(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (i, x) = sp.pop_top();
    *x = if i < U256::from(32) {
        U256::from(x.byte(31 - i.to::<usize>()))
    } else {
        U256::ZERO
    };
    Ctl::Continue
}

/// SHL (EIP-145)
pub fn shl(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (s, x) = sp.pop_top();
    *x = if s < U256::from(256) {
        *x << s.to::<usize>()
    } else {
        U256::ZERO
    };
    Ctl::Continue
}

/// SHR (EIP-145)
pub fn shr(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (s, x) = sp.pop_top();
    *x = if s < U256::from(256) {
        *x >> s.to::<usize>()
    } else {
        U256::ZERO
    };
    Ctl::Continue
}

/// SAR (EIP-145): arithmetic shift.
pub fn sar(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (s, x) = sp.pop_top();
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
pub fn clz(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let x = sp.top();
    *x = U256::from(x.leading_zeros());
    Ctl::Continue
}
