//! ADD, MUL, SUB, DIV, SDIV, MOD, SMOD, ADDMOD, MULMOD, EXP, SIGNEXTEND.

use crate::interpreter::gas::exp_cost;
use crate::interpreter::stack::{is_zero_word, word, Sp};
use crate::interpreter::{Ctl, Ctx, Frame};
use alloy_primitives::U256;

/// ADD
pub fn add(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    *b = a.wrapping_add(*b);
    Ctl::Continue
}

/// MUL
pub fn mul(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    *b = a.wrapping_mul(*b);
    Ctl::Continue
}

/// SUB
pub fn sub(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    *b = a.wrapping_sub(*b);
    Ctl::Continue
}

/// DIV (x / 0 = 0)
pub fn div(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    let d = word(b);
    *b = if is_zero_word(d) {
        U256::ZERO
    } else {
        a.wrapping_div(d)
    };
    Ctl::Continue
}

/// Two's-complement magnitude and sign of a word.
#[inline(always)]
fn abs_sign(x: U256) -> (U256, bool) {
    let neg = x.bit(255);
    (if neg { x.wrapping_neg() } else { x }, neg)
}

/// SDIV (two's complement, MIN / -1 = MIN). Done on magnitudes: signed 256-bit division is slow.
pub fn sdiv(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    let d = word(b);
    *b = if is_zero_word(d) {
        U256::ZERO
    } else {
        let (ua, na) = abs_sign(a);
        let (ub, nb) = abs_sign(d);
        let q = ua.wrapping_div(ub);
        if na != nb {
            q.wrapping_neg()
        } else {
            q
        }
    };
    Ctl::Continue
}

/// MOD (x % 0 = 0)
pub fn rem(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    let d = word(b);
    *b = if is_zero_word(d) {
        U256::ZERO
    } else {
        a.wrapping_rem(d)
    };
    Ctl::Continue
}

/// SMOD (result takes the sign of the dividend)
pub fn smod(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (a, b) = sp.pop_top();
    let d = word(b);
    *b = if is_zero_word(d) {
        U256::ZERO
    } else {
        let (ua, na) = abs_sign(a);
        let (ub, _) = abs_sign(d);
        let r = ua.wrapping_rem(ub);
        if na {
            r.wrapping_neg()
        } else {
            r
        }
    };
    Ctl::Continue
}

/// ADDMOD (arbitrary precision)
pub fn addmod(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let a = sp.pop();
    let (b, n) = sp.pop_top();
    *n = a.add_mod(b, *n);
    Ctl::Continue
}

/// MULMOD (arbitrary precision)
pub fn mulmod(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let a = sp.pop();
    let (b, n) = sp.pop_top();
    *n = a.mul_mod(b, *n);
    Ctl::Continue
}

/// EXP: 10 static plus a per-byte cost of the exponent.
pub fn exp(f: &mut Frame, ctx: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let exponent = sp.peek(1);
    crate::charge!(f, exp_cost(ctx.spec, exponent));
    let (base, e) = sp.pop_top();
    *e = base.wrapping_pow(*e);
    Ctl::Continue
}

/// SIGNEXTEND: extend the sign bit of byte `b` (0 = least significant).
pub fn signextend(_: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (b, x) = sp.pop_top();
    if b < U256::from(31) {
        let bit = b.to::<usize>() * 8 + 7;
        let mask = (U256::from(1) << bit) - U256::from(1);
        let v = word(x);
        *x = if v.bit(bit) { v | !mask } else { v & mask };
    }
    Ctl::Continue
}
