//! Instruction bodies, one module per opcode family. Each body holds only its semantics and dynamic gas;
//! the [`super::table`] does stack checks, static gas and fork gating.

pub mod arithmetic;
pub mod bitwise;
pub mod block_info;
pub mod contract;
pub mod control;
pub mod host;
pub mod memory_ops;
pub mod stack_ops;
pub mod system;

use super::frame::Frame;
use alloy_primitives::U256;

/// Converts a stack word to a memory offset or length; `None` when it cannot fit in memory.
#[inline(always)]
pub(crate) fn as_usize(v: U256) -> Option<usize> {
    let limbs = v.as_limbs();
    if limbs[1] != 0 || limbs[2] != 0 || limbs[3] != 0 || limbs[0] > u32::MAX as u64 {
        return None;
    }
    Some(limbs[0] as usize)
}

/// Saturating conversion of a stack word to usize (for offsets into data that is zero-padded).
#[inline(always)]
pub(crate) fn as_usize_saturated(v: U256) -> usize {
    let limbs = v.as_limbs();
    if limbs[1] != 0 || limbs[2] != 0 || limbs[3] != 0 {
        return usize::MAX;
    }
    usize::try_from(limbs[0]).unwrap_or(usize::MAX)
}

/// Charges memory expansion for `[offset, offset+len)` and grows memory. Offsets are only validated when
/// `len` is non-zero. Returns false on out-of-gas.
#[inline(always)]
pub(crate) fn expand(frame: &mut Frame, offset: U256, len: U256) -> Option<(usize, usize)> {
    let len = as_usize(len)?;
    if len == 0 {
        return Some((0, 0));
    }
    let offset = as_usize(offset)?;
    let end = offset.checked_add(len)?;
    if end > frame.memory.len() {
        grow(frame, end)?;
    }
    Some((offset, len))
}

/// [`expand`] for a 32-byte word at `offset` (MLOAD, MSTORE); returns the offset.
#[inline(always)]
pub(crate) fn expand_word(frame: &mut Frame, offset: U256) -> Option<usize> {
    let offset = as_usize(offset)?;
    let end = offset + 32;
    if end > frame.memory.len() {
        grow(frame, end)?;
    }
    Some(offset)
}

/// The slow path of memory expansion: charges the quadratic cost and grows memory to cover `[0, end)`.
#[inline(never)]
fn grow(frame: &mut Frame, end: usize) -> Option<()> {
    let cost = frame.memory.expansion_cost(0, end)?;
    if !frame.gas.charge(cost) {
        return None;
    }
    frame.memory.resize_for(0, end);
    Some(())
}

/// Halts with out-of-gas unless the expression is `Some`.
#[macro_export]
macro_rules! gas_try {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return $crate::interpreter::Ctl::Halt($crate::outcome::HaltReason::OutOfGas),
        }
    };
}

/// Charges gas or halts with out-of-gas.
#[macro_export]
macro_rules! charge {
    ($frame:expr, $cost:expr) => {
        if !$frame.gas.charge($cost) {
            return $crate::interpreter::Ctl::Halt($crate::outcome::HaltReason::OutOfGas);
        }
    };
}
