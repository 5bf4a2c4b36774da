//! MLOAD, MSTORE, MSTORE8, MSIZE, MCOPY.

use super::{as_usize, expand, expand_word};
use crate::interpreter::gas::copy_cost;
use crate::interpreter::stack::Sp;
use crate::interpreter::{Ctl, Ctx, Frame};
use alloy_primitives::U256;

/// MLOAD
pub fn mload(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let offset = *sp.top();
    let o = crate::gas_try!(expand_word(f, offset));
    *sp.top() = U256::from_be_bytes(f.memory.word(o));
    Ctl::Continue
}

/// MSTORE
pub fn mstore(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let offset = sp.pop();
    let value = sp.pop();
    let o = crate::gas_try!(expand_word(f, offset));
    f.memory.set_word(o, value.to_be_bytes::<32>());
    Ctl::Continue
}

/// MSTORE8
pub fn mstore8(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let offset = sp.pop();
    let value = sp.pop();
    let (o, _) = crate::gas_try!(expand(f, offset, U256::from(1)));
    f.memory.slice_mut(o, 1)[0] = value.byte(0);
    Ctl::Continue
}

/// MSIZE
pub fn msize(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    sp.push(U256::from(f.memory.len()));
    Ctl::Continue
}

/// MCOPY (EIP-5656): 3 static + 3 per word + expansion over both ranges.
pub fn mcopy(f: &mut Frame, _: &mut Ctx<'_>, sp: &mut Sp) -> Ctl {
    let dst = sp.pop();
    let src = sp.pop();
    let len = sp.pop();
    let l = crate::gas_try!(as_usize(len));
    crate::charge!(f, crate::gas_try!(copy_cost(l as u64)));
    if l == 0 {
        return Ctl::Continue;
    }
    let (d, _) = crate::gas_try!(expand(f, dst, len));
    let (s, _) = crate::gas_try!(expand(f, src, len));
    f.memory.copy_within(d, s, l);
    Ctl::Continue
}
