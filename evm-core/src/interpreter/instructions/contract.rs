//! CALL, CALLCODE, DELEGATECALL, STATICCALL, CREATE, CREATE2: compute gas, then hand a
//! [`FrameRequest`] to the transaction's frame loop (the interpreter never recurses).

use super::host::to_address;
use super::{as_usize, expand};
use crate::interpreter::gas;
use crate::interpreter::{CallRequest, CallScheme, CreateRequest, Ctl, Ctx, Frame, FrameRequest};
use crate::outcome::HaltReason;
use crate::spec::SpecId;
use crate::view_try;
use alloy_primitives::{Bytes, U256};

/// EIP-150: all but one 64th of what is left.
#[inline]
fn all_but_one_64th(remaining: u64) -> u64 {
    remaining - remaining / 64
}

fn call_common(f: &mut Frame, ctx: &mut Ctx<'_>, scheme: CallScheme) -> Ctl {
    let spec = ctx.spec;
    let has_value = matches!(scheme, CallScheme::Call | CallScheme::CallCode);
    let gas_req = f.stack.peek(0);
    let addr = to_address(f.stack.peek(1));
    let value = if has_value {
        f.stack.peek(2)
    } else {
        U256::ZERO
    };
    let base = if has_value { 3 } else { 2 };
    let (args_off, args_len) = (f.stack.peek(base), f.stack.peek(base + 1));
    let (ret_off, ret_len) = (f.stack.peek(base + 2), f.stack.peek(base + 3));
    if scheme == CallScheme::Call && f.is_static && !value.is_zero() {
        return Ctl::Halt(HaltReason::StaticStateChange);
    }

    // State reads, before anything changes.
    let mut code = view_try!(ctx, ctx.journal.code(ctx.view, addr));
    let mut delegate = None;
    if spec.is_enabled_in(SpecId::PRAGUE) {
        if let Some(d) = code.delegation() {
            code = view_try!(ctx, ctx.journal.code(ctx.view, d));
            delegate = Some(d);
        }
    }
    let new_account = if scheme != CallScheme::Call {
        false
    } else if spec.is_enabled_in(SpecId::SPURIOUS_DRAGON) {
        !value.is_zero() && view_try!(ctx, ctx.journal.is_empty(ctx.view, addr))
    } else {
        !view_try!(ctx, ctx.journal.exists(ctx.view, addr))
    };

    for _ in 0..base + 4 {
        f.stack.pop();
    }
    let (ao, al) = crate::gas_try!(expand(f, args_off, args_len));
    let (ro, rl) = crate::gas_try!(expand(f, ret_off, ret_len));

    let mut cost = 0u64;
    if spec.is_enabled_in(SpecId::BERLIN) {
        if ctx
            .journal
            .access_account(addr, gas::COLD_ACCOUNT_ACCESS - gas::WARM_STORAGE_READ)
        {
            cost += gas::COLD_ACCOUNT_ACCESS - gas::WARM_STORAGE_READ;
        }
        if let Some(d) = delegate {
            cost += if ctx
                .journal
                .access_account(d, gas::COLD_ACCOUNT_ACCESS - gas::WARM_STORAGE_READ)
            {
                gas::COLD_ACCOUNT_ACCESS
            } else {
                gas::WARM_STORAGE_READ
            };
        }
    }
    if has_value && !value.is_zero() {
        cost += gas::CALL_VALUE;
    }
    if new_account {
        cost += gas::NEW_ACCOUNT;
    }
    crate::charge!(f, cost);

    let requested = u64::try_from(gas_req).unwrap_or(u64::MAX);
    let mut gas_limit = if spec.is_enabled_in(SpecId::TANGERINE) {
        requested.min(all_but_one_64th(f.gas.remaining()))
    } else {
        requested
    };
    crate::charge!(f, gas_limit);
    if has_value && !value.is_zero() {
        gas_limit += gas::CALL_STIPEND;
    }

    let input = Bytes::copy_from_slice(f.memory.slice(ao, al));
    let (target, caller, transfer, apparent_value, is_static) = match scheme {
        CallScheme::Call => (addr, f.address, value, value, f.is_static),
        CallScheme::CallCode => (f.address, f.address, value, value, f.is_static),
        CallScheme::DelegateCall => (f.address, f.caller, U256::ZERO, f.value, f.is_static),
        CallScheme::StaticCall => (addr, f.address, U256::ZERO, U256::ZERO, true),
    };
    ctx.request = Some(FrameRequest::Call(CallRequest {
        scheme,
        target,
        code_address: addr,
        code,
        caller,
        transfer,
        apparent_value,
        input,
        gas_limit,
        is_static,
        ret_offset: ro,
        ret_len: rl,
    }));
    Ctl::Request
}

/// CALL
pub fn call(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    call_common(f, ctx, CallScheme::Call)
}

/// CALLCODE
pub fn callcode(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    call_common(f, ctx, CallScheme::CallCode)
}

/// DELEGATECALL (EIP-7)
pub fn delegatecall(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    call_common(f, ctx, CallScheme::DelegateCall)
}

/// STATICCALL (EIP-214)
pub fn staticcall(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    call_common(f, ctx, CallScheme::StaticCall)
}

fn create_common(f: &mut Frame, ctx: &mut Ctx<'_>, create2: bool) -> Ctl {
    if f.is_static {
        return Ctl::Halt(HaltReason::StaticStateChange);
    }
    let spec = ctx.spec;
    let value = f.stack.pop();
    let offset = f.stack.pop();
    let len = f.stack.pop();
    let salt = if create2 { Some(f.stack.pop()) } else { None };
    let l = crate::gas_try!(as_usize(len));
    let words = (l as u64).div_ceil(32);
    if spec.is_enabled_in(SpecId::SHANGHAI) {
        // EIP-3860: limit and meter init code.
        if l > ctx.env.cfg.max_initcode_size() {
            return Ctl::Halt(HaltReason::OutOfGas);
        }
        crate::charge!(f, gas::INITCODE_WORD * words);
    }
    if create2 {
        crate::charge!(f, gas::KECCAK_WORD * words);
    }
    let (o, l) = crate::gas_try!(expand(f, offset, len));
    let gas_limit = if spec.is_enabled_in(SpecId::TANGERINE) {
        all_but_one_64th(f.gas.remaining())
    } else {
        f.gas.remaining()
    };
    crate::charge!(f, gas_limit);
    ctx.request = Some(FrameRequest::Create(CreateRequest {
        caller: f.address,
        value,
        init_code: Bytes::copy_from_slice(f.memory.slice(o, l)),
        gas_limit,
        salt,
    }));
    Ctl::Request
}

/// CREATE
pub fn create(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    create_common(f, ctx, false)
}

/// CREATE2 (EIP-1014)
pub fn create2(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    create_common(f, ctx, true)
}
