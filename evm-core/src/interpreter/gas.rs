//! Gas accounting for a frame, and the gas rules that depend on more than the opcode: memory expansion,
//! SSTORE (EIP-2200 / EIP-2929 / EIP-3529), copies, logs, EXP and KECCAK256.

use super::super::spec::SpecId;
use alloy_primitives::U256;

/// Base cost of a word of memory (Yellow Paper G_memory).
pub const MEMORY: u64 = 3;
/// Per-word cost of copying (G_copy).
pub const COPY: u64 = 3;
/// KECCAK256 per word.
pub const KECCAK_WORD: u64 = 6;
/// LOG per topic.
pub const LOG_TOPIC: u64 = 375;
/// LOG per data byte.
pub const LOG_DATA: u64 = 8;
/// Value transfer in CALL.
pub const CALL_VALUE: u64 = 9000;
/// Stipend given to the callee of a value-bearing CALL.
pub const CALL_STIPEND: u64 = 2300;
/// Creating an account via CALL/SELFDESTRUCT.
pub const NEW_ACCOUNT: u64 = 25000;
/// EIP-2929 cold account access.
pub const COLD_ACCOUNT_ACCESS: u64 = 2600;
/// EIP-2929 cold SLOAD.
pub const COLD_SLOAD: u64 = 2100;
/// EIP-2929 warm read.
pub const WARM_STORAGE_READ: u64 = 100;
/// SSTORE setting a zero slot to non-zero.
pub const SSTORE_SET: u64 = 20000;
/// SSTORE changing a non-zero slot (pre-Berlin value; Berlin subtracts the cold SLOAD cost).
pub const SSTORE_RESET: u64 = 5000;
/// Refund for clearing a slot before London.
pub const SSTORE_CLEARS_REFUND_LEGACY: u64 = 15000;
/// EIP-2200 minimum gas left for SSTORE (the "stipend sentry").
pub const SSTORE_SENTRY: u64 = 2300;
/// CREATE per byte of deployed code.
pub const CODE_DEPOSIT: u64 = 200;
/// EIP-3860 per word of init code.
pub const INITCODE_WORD: u64 = 2;
/// SELFDESTRUCT refund before London.
pub const SELFDESTRUCT_REFUND: u64 = 24000;

/// Gas of one frame.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gas {
    limit: u64,
    remaining: u64,
    refund: i64,
}

impl Gas {
    /// A frame with `limit` gas.
    #[inline]
    pub fn new(limit: u64) -> Self {
        Self {
            limit,
            remaining: limit,
            refund: 0,
        }
    }

    /// Gas the frame started with.
    #[inline]
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Gas left.
    #[inline]
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Gas spent so far.
    #[inline]
    pub fn spent(&self) -> u64 {
        self.limit - self.remaining
    }

    /// Refund counter (may be negative inside a frame; EIP-2200 can take refunds back).
    #[inline]
    pub fn refund(&self) -> i64 {
        self.refund
    }

    /// Charges `cost`; false (charging nothing) when not enough is left.
    #[inline(always)]
    #[must_use]
    pub fn charge(&mut self, cost: u64) -> bool {
        match self.remaining.checked_sub(cost) {
            Some(r) => {
                self.remaining = r;
                true
            }
            None => false,
        }
    }

    /// Returns gas (unused child gas, or a static charge undone when a frame parks).
    #[inline]
    pub fn give_back(&mut self, amount: u64) {
        self.remaining += amount;
    }

    /// Consumes all remaining gas (exceptional halt).
    #[inline]
    pub fn spend_all(&mut self) {
        self.remaining = 0;
    }

    /// Adds to the refund counter.
    #[inline]
    pub fn record_refund(&mut self, r: i64) {
        self.refund += r;
    }
}

/// Total cost of `words` words of memory: `3*w + w^2/512`.
#[inline]
pub fn memory_cost(words: u64) -> u64 {
    MEMORY
        .saturating_mul(words)
        .saturating_add(words.saturating_mul(words) / 512)
}

/// Cost of copying `len` bytes (per started word).
#[inline]
pub fn copy_cost(len: u64) -> Option<u64> {
    COPY.checked_mul(len.div_ceil(32))
}

/// Dynamic cost of EXP: 10 (50 from Spurious Dragon, EIP-160) per byte of exponent.
pub fn exp_cost(spec: SpecId, exponent: U256) -> u64 {
    let per_byte = if spec.is_enabled_in(SpecId::SPURIOUS_DRAGON) {
        50
    } else {
        10
    };
    per_byte * (exponent.bit_len() as u64).div_ceil(8)
}

/// SSTORE gas and refund for one store, by fork. Returns `(gas, refund delta)`.
///
/// `original` is the slot's value at the start of the transaction, `present` before this store.
pub fn sstore_cost(
    spec: SpecId,
    original: U256,
    present: U256,
    new: U256,
    was_cold: bool,
) -> (u64, i64) {
    if !spec.is_enabled_in(SpecId::ISTANBUL) {
        // Frontier rules (Constantinople's EIP-1283 never reached mainnet: Petersburg removed it).
        let gas = if present.is_zero() && !new.is_zero() {
            SSTORE_SET
        } else {
            SSTORE_RESET
        };
        let refund = if !present.is_zero() && new.is_zero() {
            SSTORE_CLEARS_REFUND_LEGACY as i64
        } else {
            0
        };
        return (gas, refund);
    }
    let berlin = spec.is_enabled_in(SpecId::BERLIN);
    // EIP-2200 with EIP-2929 and EIP-3529 parameters.
    let sload = if berlin { WARM_STORAGE_READ } else { 800 };
    let reset = if berlin {
        SSTORE_RESET - COLD_SLOAD
    } else {
        SSTORE_RESET
    };
    let clears: i64 = if spec.is_enabled_in(SpecId::LONDON) {
        // EIP-3529: SSTORE_RESET - COLD_SLOAD + ACCESS_LIST_STORAGE_KEY = 4800.
        4800
    } else {
        SSTORE_CLEARS_REFUND_LEGACY as i64
    };
    let cold = if berlin && was_cold { COLD_SLOAD } else { 0 };

    let (gas, refund) = if present == new {
        (sload, 0)
    } else if original == present {
        if original.is_zero() {
            (SSTORE_SET, 0)
        } else {
            (reset, if new.is_zero() { clears } else { 0 })
        }
    } else {
        let mut refund = 0i64;
        if !original.is_zero() {
            if present.is_zero() {
                refund -= clears;
            } else if new.is_zero() {
                refund += clears;
            }
        }
        if original == new {
            if original.is_zero() {
                refund += (SSTORE_SET - sload) as i64;
            } else {
                refund += (reset - sload) as i64;
            }
        }
        (sload, refund)
    };
    (gas + cold, refund)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(x: u64) -> U256 {
        U256::from(x)
    }

    #[test]
    fn memory_cost_formula() {
        assert_eq!(memory_cost(0), 0);
        assert_eq!(memory_cost(1), 3);
        assert_eq!(memory_cost(32), 98);
    }

    #[test]
    fn exp_cost_by_fork() {
        assert_eq!(exp_cost(SpecId::HOMESTEAD, u(256)), 20);
        assert_eq!(exp_cost(SpecId::BERLIN, u(256)), 100);
        assert_eq!(exp_cost(SpecId::BERLIN, U256::ZERO), 0);
    }

    #[test]
    fn sstore_eip2200_table() {
        // Istanbul: EIP-2200 examples (original, present -> new).
        assert_eq!(
            sstore_cost(SpecId::ISTANBUL, u(0), u(0), u(0), false),
            (800, 0)
        );
        assert_eq!(
            sstore_cost(SpecId::ISTANBUL, u(0), u(0), u(1), false),
            (20000, 0)
        );
        assert_eq!(
            sstore_cost(SpecId::ISTANBUL, u(1), u(1), u(0), false),
            (5000, 15000)
        );
        assert_eq!(
            sstore_cost(SpecId::ISTANBUL, u(1), u(0), u(1), false),
            (800, -15000 + 4200)
        );
        // Berlin cold set.
        assert_eq!(
            sstore_cost(SpecId::BERLIN, u(0), u(0), u(1), true),
            (22100, 0)
        );
        // London clear refund 4800.
        assert_eq!(
            sstore_cost(SpecId::LONDON, u(1), u(1), u(0), false),
            (2900, 4800)
        );
        // Frontier.
        assert_eq!(
            sstore_cost(SpecId::FRONTIER, u(1), u(1), u(0), false),
            (5000, 15000)
        );
    }
}
