//! Frame and transaction context: KECCAK256, ADDRESS, ORIGIN, CALLER, CALLVALUE, CALLDATA*, CODE*,
//! GASPRICE, RETURNDATA*, GAS.

use super::{as_usize, as_usize_saturated, expand};
use crate::interpreter::gas::{copy_cost, KECCAK_WORD};
use crate::interpreter::stack::Sp;
use crate::interpreter::{Ctl, Ctx, Frame};
use crate::outcome::HaltReason;
use alloy_primitives::U256;

#[inline(always)]
fn push_address(sp: &mut Sp, a: alloy_primitives::Address) -> Ctl {
    sp.push(U256::from_be_slice(a.as_slice()));
    Ctl::Continue
}

/// KECCAK256: 30 static + 6 per word + expansion.
pub fn keccak256_op(f: &mut Frame, ctx: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let offset = sp.pop();
    let len = sp.pop();
    let l = crate::gas_try!(as_usize(len));
    crate::charge!(f, KECCAK_WORD * (l as u64).div_ceil(32));
    let (o, l) = crate::gas_try!(expand(f, offset, len));
    let h = ctx.keccak.hash(f.memory.slice(o, l));
    sp.push(U256::from_be_bytes(h.0));
    Ctl::Continue
}

/// ADDRESS
pub fn address(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let a = f.address;
    push_address(sp, a)
}

/// ORIGIN
pub fn origin(_: &mut Frame, ctx: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    push_address(sp, ctx.env.tx.caller)
}

/// CALLER
pub fn caller(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let a = f.caller;
    push_address(sp, a)
}

/// CALLVALUE
pub fn callvalue(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(f.value);
    Ctl::Continue
}

/// CALLDATALOAD: 32 bytes from the input, zero-padded.
pub fn calldataload(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let i = as_usize_saturated(*sp.top());
    let mut word = [0u8; 32];
    if i < f.input.len() {
        let n = (f.input.len() - i).min(32);
        word[..n].copy_from_slice(&f.input[i..i + n]);
    }
    *sp.top() = U256::from_be_bytes(word);
    Ctl::Continue
}

/// CALLDATASIZE
pub fn calldatasize(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(U256::from(f.input.len()));
    Ctl::Continue
}

/// Shared body of the *COPY instructions over a data source padded with zeros.
#[inline(always)]
pub(crate) fn copy_to_memory(f: &mut Frame, mem: U256, src: U256, len: U256, data: &[u8]) -> Ctl {
    let l = crate::gas_try!(as_usize(len));
    crate::charge!(f, crate::gas_try!(copy_cost(l as u64)));
    let (o, l) = crate::gas_try!(expand(f, mem, len));
    f.memory.set_padded(o, as_usize_saturated(src), l, data);
    Ctl::Continue
}

/// CALLDATACOPY
pub fn calldatacopy(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (mem, src, len) = (sp.pop(), sp.pop(), sp.pop());
    let input = f.input.clone();
    copy_to_memory(f, mem, src, len, &input)
}

/// CODESIZE
pub fn codesize(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(U256::from(f.code.len()));
    Ctl::Continue
}

/// CODECOPY
pub fn codecopy(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (mem, src, len) = (sp.pop(), sp.pop(), sp.pop());
    let code = f.code.clone();
    copy_to_memory(f, mem, src, len, code.bytes())
}

/// GASPRICE: the effective gas price.
pub fn gasprice(_: &mut Frame, ctx: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(ctx.env.tx.effective_gas_price(ctx.env.block.basefee));
    Ctl::Continue
}

/// RETURNDATASIZE (EIP-211)
pub fn returndatasize(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(U256::from(f.return_data.len()));
    Ctl::Continue
}

/// RETURNDATACOPY (EIP-211): reading past the end halts.
pub fn returndatacopy(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let (mem, src, len) = (sp.pop(), sp.pop(), sp.pop());
    let end = src.checked_add(len);
    if end.is_none_or(|e| e > U256::from(f.return_data.len())) {
        return Ctl::Halt(HaltReason::ReturnDataOutOfBounds);
    }
    let data = f.return_data.clone();
    copy_to_memory(f, mem, src, len, &data)
}

/// GAS: gas left after this instruction.
pub fn gas(f: &mut Frame, _: &mut Ctx<'_>) -> Ctl {
    f.stack.push(U256::from(f.gas.remaining()));
    Ctl::Continue
}
