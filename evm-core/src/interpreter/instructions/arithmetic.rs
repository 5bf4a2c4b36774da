//! ADD, MUL, SUB, DIV, SDIV, MOD, SMOD, ADDMOD, MULMOD, EXP, SIGNEXTEND.

use crate::interpreter::gas::exp_cost;
use crate::interpreter::{Ctl, Ctx, Frame};
use alloy_primitives::{I256, U256};

/// ADD
pub fn add(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b = a.wrapping_add(*b);
    Ctl::Continue
}

/// MUL
pub fn mul(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b = a.wrapping_mul(*b);
    Ctl::Continue
}

/// SUB
pub fn sub(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b = a.wrapping_sub(*b);
    Ctl::Continue
}

/// DIV (x / 0 = 0)
pub fn div(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b = if b.is_zero() {
        U256::ZERO
    } else {
        a.wrapping_div(*b)
    };
    Ctl::Continue
}

/// SDIV (two's complement, MIN / -1 = MIN)
pub fn sdiv(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b = if b.is_zero() {
        U256::ZERO
    } else {
        let (a, d) = (I256::from_raw(a), I256::from_raw(*b));
        a.wrapping_div(d).into_raw()
    };
    Ctl::Continue
}

/// MOD (x % 0 = 0)
pub fn rem(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b = if b.is_zero() {
        U256::ZERO
    } else {
        a.wrapping_rem(*b)
    };
    Ctl::Continue
}

/// SMOD (sign of the dividend)
pub fn smod(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (a, b) = f.stack.pop_top();
    *b = if b.is_zero() {
        U256::ZERO
    } else {
        let (a, d) = (I256::from_raw(a), I256::from_raw(*b));
        a.wrapping_rem(d).into_raw()
    };
    Ctl::Continue
}

/// ADDMOD (arbitrary precision)
pub fn addmod(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let a = f.stack.pop();
    let (b, n) = f.stack.pop_top();
    *n = a.add_mod(b, *n);
    Ctl::Continue
}

/// MULMOD (arbitrary precision)
pub fn mulmod(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let a = f.stack.pop();
    let (b, n) = f.stack.pop_top();
    *n = a.mul_mod(b, *n);
    Ctl::Continue
}

/// EXP: 10 static plus a per-byte cost of the exponent.
pub fn exp(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    let exponent = f.stack.peek(1);
    crate::charge!(f, exp_cost(ctx.spec, exponent));
    let (base, e) = f.stack.pop_top();
    *e = base.wrapping_pow(*e);
    Ctl::Continue
}

/// SIGNEXTEND: extend the sign bit of byte `b` (0 = least significant).
pub fn signextend(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    let (b, x) = f.stack.pop_top();
    if b < U256::from(31) {
        let bit = b.to::<usize>() * 8 + 7;
        let mask = (U256::from(1) << bit) - U256::from(1);
        *x = if x.bit(bit) { *x | !mask } else { *x & mask };
    }
    Ctl::Continue
}
