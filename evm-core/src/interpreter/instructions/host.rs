//! Instructions that read or write world state through the journal: BALANCE, SELFBALANCE, EXTCODESIZE,
//! EXTCODECOPY, EXTCODEHASH, BLOCKHASH, SLOAD, SSTORE, TLOAD, TSTORE, LOG0..LOG4, SELFDESTRUCT.
//!
//! Each body performs its state reads *before* popping or charging, so a not-ready read leaves the frame
//! untouched and the instruction re-runs on resume.

use super::system::copy_to_memory;
use super::{as_usize, expand};
use crate::interpreter::gas::{self, sstore_cost};
use crate::interpreter::{Ctl, Ctx, Frame};
use crate::outcome::HaltReason;
use crate::spec::SpecId;
use crate::view_try;
use alloy_primitives::{Address, Log, LogData, B256, U256};
use revm_primitives::KECCAK_EMPTY;

/// The address in the low 20 bytes of a stack word.
#[inline(always)]
pub fn to_address(v: U256) -> Address {
    Address::from_word(B256::from(v.to_be_bytes::<32>()))
}

/// Charges the EIP-2929 cold surcharge when `address` was cold (accesses charge 100 statically).
#[inline(always)]
fn warm_account_surcharge(f: &mut Frame, ctx: &mut Ctx<'_>, address: Address) -> bool {
    if ctx.spec.is_enabled_in(SpecId::BERLIN)
        && ctx
            .journal
            .access_account(address, gas::COLD_ACCOUNT_ACCESS - gas::WARM_STORAGE_READ)
    {
        return f
            .gas
            .charge(gas::COLD_ACCOUNT_ACCESS - gas::WARM_STORAGE_READ);
    }
    true
}

/// BALANCE
pub fn balance(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    let a = to_address(f.stack.peek(0));
    let b = view_try!(ctx, ctx.journal.balance(ctx.view, a));
    if !warm_account_surcharge(f, ctx, a) {
        return Ctl::Halt(HaltReason::OutOfGas);
    }
    *f.stack.top() = b;
    Ctl::Continue
}

/// SELFBALANCE (EIP-1884)
pub fn selfbalance(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    let b = view_try!(ctx, ctx.journal.balance(ctx.view, f.address));
    f.stack.push(b);
    Ctl::Continue
}

/// EXTCODESIZE (sees an EIP-7702 designator as 23 bytes of code)
pub fn extcodesize(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    let a = to_address(f.stack.peek(0));
    let code = view_try!(ctx, ctx.journal.code(ctx.view, a));
    if !warm_account_surcharge(f, ctx, a) {
        return Ctl::Halt(HaltReason::OutOfGas);
    }
    *f.stack.top() = U256::from(code.len());
    Ctl::Continue
}

/// EXTCODECOPY
pub fn extcodecopy(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    let a = to_address(f.stack.peek(0));
    let code = view_try!(ctx, ctx.journal.code(ctx.view, a));
    f.stack.pop();
    let (mem, src, len) = (f.stack.pop(), f.stack.pop(), f.stack.pop());
    if !warm_account_surcharge(f, ctx, a) {
        return Ctl::Halt(HaltReason::OutOfGas);
    }
    copy_to_memory(f, mem, src, len, code.bytes())
}

/// EXTCODEHASH (EIP-1052): zero for empty or missing accounts.
pub fn extcodehash(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    let a = to_address(f.stack.peek(0));
    let hash = view_try!(ctx, ctx.journal.code_hash(ctx.view, a));
    let empty = if hash == B256::ZERO {
        ctx.journal.note_absent_observed(a);
        true
    } else if hash == KECCAK_EMPTY {
        view_try!(ctx, ctx.journal.is_empty(ctx.view, a))
    } else {
        false
    };
    if !warm_account_surcharge(f, ctx, a) {
        return Ctl::Halt(HaltReason::OutOfGas);
    }
    *f.stack.top() = if empty {
        U256::ZERO
    } else {
        U256::from_be_bytes(hash.0)
    };
    Ctl::Continue
}

/// BLOCKHASH: the hash of one of the 256 previous blocks, else zero.
pub fn blockhash(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    let n = f.stack.peek(0);
    let current = ctx.env.block.number;
    let v = match u64::try_from(n) {
        Ok(n) if n < current && current - n <= revm_primitives::BLOCK_HASH_HISTORY => {
            let h = view_try!(ctx, ctx.view.block_hash(n));
            U256::from_be_bytes(h.0)
        }
        _ => U256::ZERO,
    };
    *f.stack.top() = v;
    Ctl::Continue
}

/// SLOAD (cold surcharge from Berlin, EIP-2929)
pub fn sload(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    let slot = f.stack.peek(0);
    let (v, cold) = view_try!(ctx, ctx.journal.sload(ctx.view, f.address, slot));
    if cold && ctx.spec.is_enabled_in(SpecId::BERLIN) {
        crate::charge!(f, gas::COLD_SLOAD - gas::WARM_STORAGE_READ);
    }
    *f.stack.top() = v;
    Ctl::Continue
}

/// SSTORE: EIP-2200 net metering from Istanbul, EIP-2929/3529 adjustments after.
pub fn sstore(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    if f.is_static {
        return Ctl::Halt(HaltReason::StaticStateChange);
    }
    // EIP-2200: fail when only the call stipend is left.
    if ctx.spec.is_enabled_in(SpecId::ISTANBUL) && f.gas.remaining() <= gas::SSTORE_SENTRY {
        return Ctl::Halt(HaltReason::OutOfGas);
    }
    let slot = f.stack.peek(0);
    let value = f.stack.peek(1);
    // The journal reads the slot before it changes anything, so a not-ready read leaves it untouched.
    let r = view_try!(ctx, ctx.journal.sstore(ctx.view, f.address, slot, value));
    f.stack.pop();
    f.stack.pop();
    let (cost, refund) = sstore_cost(ctx.spec, r.original, r.present, r.new, r.was_cold);
    crate::charge!(f, cost);
    f.gas.record_refund(refund);
    Ctl::Continue
}

/// TLOAD (EIP-1153)
pub fn tload(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    let slot = f.stack.top();
    *slot = ctx.journal.tload(f.address, *slot);
    Ctl::Continue
}

/// TSTORE (EIP-1153)
pub fn tstore(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    if f.is_static {
        return Ctl::Halt(HaltReason::StaticStateChange);
    }
    let slot = f.stack.pop();
    let value = f.stack.pop();
    ctx.journal.tstore(f.address, slot, value);
    Ctl::Continue
}

/// LOGn: a log with `N` topics.
pub fn log<const N: usize>(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    if f.is_static {
        return Ctl::Halt(HaltReason::StaticStateChange);
    }
    let offset = f.stack.pop();
    let len = f.stack.pop();
    let l = crate::gas_try!(as_usize(len));
    crate::charge!(f, gas::LOG_TOPIC * N as u64 + gas::LOG_DATA * l as u64);
    let (o, l) = crate::gas_try!(expand(f, offset, len));
    let mut topics = Vec::with_capacity(N);
    for _ in 0..N {
        topics.push(B256::from(f.stack.pop().to_be_bytes::<32>()));
    }
    let data = alloy_primitives::Bytes::copy_from_slice(f.memory.slice(o, l));
    ctx.journal.log(Log {
        address: f.address,
        data: LogData::new_unchecked(topics, data),
    });
    Ctl::Continue
}

/// SELFDESTRUCT: EIP-150 and EIP-161 gas, EIP-2929 cold beneficiary, EIP-3529 (no refund), EIP-6780
/// (only deletes a contract created in the same transaction).
pub fn selfdestruct(f: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
    if f.is_static {
        return Ctl::Halt(HaltReason::StaticStateChange);
    }
    let spec = ctx.spec;
    let me = f.address;
    let target = to_address(f.stack.peek(0));
    // Reads first.
    let balance = view_try!(ctx, ctx.journal.balance(ctx.view, me));
    view_try!(ctx, ctx.journal.code_hash(ctx.view, target));
    let new_account = if spec.is_enabled_in(SpecId::SPURIOUS_DRAGON) {
        !balance.is_zero() && view_try!(ctx, ctx.journal.is_empty(ctx.view, target))
    } else if spec.is_enabled_in(SpecId::TANGERINE) {
        !view_try!(ctx, ctx.journal.exists(ctx.view, target))
    } else {
        false
    };
    f.stack.pop();
    if new_account {
        crate::charge!(f, gas::NEW_ACCOUNT);
    }
    if spec.is_enabled_in(SpecId::BERLIN)
        && ctx.journal.access_account(target, gas::COLD_ACCOUNT_ACCESS)
    {
        crate::charge!(f, gas::COLD_ACCOUNT_ACCESS);
    }
    if !spec.is_enabled_in(SpecId::LONDON) && !ctx.journal.is_destroyed(me) {
        f.gas.record_refund(gas::SELFDESTRUCT_REFUND as i64);
    }
    let deletes = !spec.is_enabled_in(SpecId::CANCUN) || ctx.journal.is_created(me);
    let r = if deletes {
        ctx.journal
            .credit(ctx.view, target, balance)
            .and_then(|_| ctx.journal.set_balance(ctx.view, me, U256::ZERO))
    } else if target != me {
        ctx.journal
            .set_balance(ctx.view, me, U256::ZERO)
            .and_then(|_| ctx.journal.credit(ctx.view, target, balance))
    } else {
        ctx.journal.touch(ctx.view, target)
    };
    view_try!(ctx, r);
    if deletes {
        ctx.journal.mark_destroyed(me);
    }
    if let Some(t) = ctx.tracer.as_deref_mut() {
        t.selfdestruct(me, target, balance);
    }
    Ctl::Stop
}
