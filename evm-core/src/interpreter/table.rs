//! The opcode table: for every opcode and fork, the instruction, its static gas and its stack bounds.
//! Facts live here as data; instruction bodies stay free of fork gating and stack checks.

use super::frame::{Ctl, Ctx, Frame};
use super::instructions::*;
use crate::outcome::HaltReason;
use crate::spec::SpecId;
use revm_primitives::STACK_LIMIT;
use std::sync::OnceLock;

/// An instruction body.
pub type Instr = fn(&mut Frame, &mut Ctx<'_>) -> Ctl;

/// What the dispatch loop needs about one opcode under one fork: 16 bytes, so an entry is one shift away.
#[derive(Clone, Copy, Debug)]
pub struct OpInfo {
    /// The body.
    pub f: Instr,
    /// Static gas charged before the body runs.
    pub gas: u32,
    /// Minimum stack depth (the opcode's inputs).
    pub min_stack: u16,
    /// `max_stack - min_stack`: the loop checks both bounds with one unsigned compare,
    /// `len - min_stack <= stack_range` (wrapping).
    pub stack_range: u16,
}

impl OpInfo {
    /// Maximum stack depth before the opcode that keeps the stack within 1024 words.
    pub fn max_stack(&self) -> u16 {
        self.min_stack + self.stack_range
    }
}

/// The table of one fork.
pub type Table = [OpInfo; 256];

const UNDEFINED: OpInfo = OpInfo {
    f: control::invalid,
    gas: 0,
    min_stack: 0,
    stack_range: STACK_LIMIT as u16,
};

/// The table entry for instruction `$f` with static gas `$gas`, `$inputs` stack inputs and `$outputs` outputs.
///
/// The stack facts become constants of a wrapper around `$f`: the wrapper checks the depth with immediate
/// compares (only the bounds that can fail for this opcode) before the body runs, so the dispatch loop does
/// no per-opcode table lookups for stack bounds. The same facts are kept in the entry as data.
macro_rules! op {
    ($f:expr, $gas:expr, $inputs:expr, $outputs:expr) => {{
        const IN: usize = $inputs;
        const OUT: usize = $outputs;
        /// Highest depth before the opcode that keeps the stack within 1024 words.
        const MAX: usize = if OUT > IN {
            STACK_LIMIT - (OUT - IN)
        } else {
            STACK_LIMIT
        };
        fn checked(frame: &mut Frame, ctx: &mut Ctx<'_>) -> Ctl {
            let len = frame.stack.len();
            if IN > 0 && len < IN {
                return Ctl::Halt(HaltReason::StackUnderflow);
            }
            if MAX < STACK_LIMIT && len > MAX {
                return Ctl::Halt(HaltReason::StackOverflow);
            }
            $f(frame, ctx)
        }
        OpInfo {
            f: checked,
            gas: $gas,
            min_stack: IN as u16,
            stack_range: (MAX - IN) as u16,
        }
    }};
}

/// PUSHn entries.
macro_rules! pushes {
    ($t:ident; $($n:literal)*) => {
        $( $t[0x5f + $n] = op!(stack_ops::push::<$n>, 3, 0, 1); )*
    };
}

/// DUPn and SWAPn entries.
macro_rules! dups_swaps {
    ($t:ident; $($n:literal)*) => {
        $(
            $t[0x7f + $n] = op!(stack_ops::dup::<$n>, 3, $n, $n + 1);
            $t[0x8f + $n] = op!(stack_ops::swap::<$n>, 3, $n + 1, $n + 1);
        )*
    };
}

/// LOGn entries.
macro_rules! logs {
    ($t:ident; $($n:literal)*) => {
        $( $t[0xa0 + $n] = op!(host::log::<$n>, 375, $n + 2, 0); )*
    };
}

/// The table for `spec`, built once per fork.
pub fn table(spec: SpecId) -> &'static Table {
    static TABLES: [OnceLock<Box<Table>>; SpecId::AMSTERDAM as usize + 1] =
        [const { OnceLock::new() }; SpecId::AMSTERDAM as usize + 1];
    TABLES[spec as usize].get_or_init(|| Box::new(build(spec)))
}

fn build(spec: SpecId) -> Table {
    use SpecId::*;
    let on = |fork: SpecId| spec.is_enabled_in(fork);
    let mut t = [UNDEFINED; 256];

    // Gas that changed with EIP-150 (Tangerine), EIP-1884 (Istanbul) and EIP-2929 (Berlin).
    let berlin = on(BERLIN);
    let balance_gas = if berlin {
        100
    } else if on(ISTANBUL) {
        700
    } else if on(TANGERINE) {
        400
    } else {
        20
    };
    let extcode_gas = if berlin {
        100
    } else if on(TANGERINE) {
        700
    } else {
        20
    };
    let extcodehash_gas = if berlin {
        100
    } else if on(ISTANBUL) {
        700
    } else {
        400
    };
    let sload_gas = if berlin {
        100
    } else if on(ISTANBUL) {
        800
    } else if on(TANGERINE) {
        200
    } else {
        50
    };
    let call_gas = if berlin {
        100
    } else if on(TANGERINE) {
        700
    } else {
        40
    };
    let selfdestruct_gas = if on(TANGERINE) { 5000 } else { 0 };

    t[0x00] = op!(control::stop, 0, 0, 0);
    t[0x01] = op!(arithmetic::add, 3, 2, 1);
    t[0x02] = op!(arithmetic::mul, 5, 2, 1);
    t[0x03] = op!(arithmetic::sub, 3, 2, 1);
    t[0x04] = op!(arithmetic::div, 5, 2, 1);
    t[0x05] = op!(arithmetic::sdiv, 5, 2, 1);
    t[0x06] = op!(arithmetic::rem, 5, 2, 1);
    t[0x07] = op!(arithmetic::smod, 5, 2, 1);
    t[0x08] = op!(arithmetic::addmod, 8, 3, 1);
    t[0x09] = op!(arithmetic::mulmod, 8, 3, 1);
    t[0x0a] = op!(arithmetic::exp, 10, 2, 1);
    t[0x0b] = op!(arithmetic::signextend, 5, 2, 1);

    t[0x10] = op!(bitwise::lt, 3, 2, 1);
    t[0x11] = op!(bitwise::gt, 3, 2, 1);
    t[0x12] = op!(bitwise::slt, 3, 2, 1);
    t[0x13] = op!(bitwise::sgt, 3, 2, 1);
    t[0x14] = op!(bitwise::eq, 3, 2, 1);
    t[0x15] = op!(bitwise::iszero, 3, 1, 1);
    t[0x16] = op!(bitwise::and, 3, 2, 1);
    t[0x17] = op!(bitwise::or, 3, 2, 1);
    t[0x18] = op!(bitwise::xor, 3, 2, 1);
    t[0x19] = op!(bitwise::not, 3, 1, 1);
    t[0x1a] = op!(bitwise::byte, 3, 2, 1);
    if on(PETERSBURG) {
        // EIP-145
        t[0x1b] = op!(bitwise::shl, 3, 2, 1);
        t[0x1c] = op!(bitwise::shr, 3, 2, 1);
        t[0x1d] = op!(bitwise::sar, 3, 2, 1);
    }
    if on(OSAKA) {
        // EIP-7939
        t[0x1e] = op!(bitwise::clz, 5, 1, 1);
    }

    t[0x20] = op!(system::keccak256_op, 30, 2, 1);

    t[0x30] = op!(system::address, 2, 0, 1);
    t[0x31] = op!(host::balance, balance_gas, 1, 1);
    t[0x32] = op!(system::origin, 2, 0, 1);
    t[0x33] = op!(system::caller, 2, 0, 1);
    t[0x34] = op!(system::callvalue, 2, 0, 1);
    t[0x35] = op!(system::calldataload, 3, 1, 1);
    t[0x36] = op!(system::calldatasize, 2, 0, 1);
    t[0x37] = op!(system::calldatacopy, 3, 3, 0);
    t[0x38] = op!(system::codesize, 2, 0, 1);
    t[0x39] = op!(system::codecopy, 3, 3, 0);
    t[0x3a] = op!(system::gasprice, 2, 0, 1);
    t[0x3b] = op!(host::extcodesize, extcode_gas, 1, 1);
    t[0x3c] = op!(host::extcodecopy, extcode_gas, 4, 0);
    if on(BYZANTIUM) {
        // EIP-211
        t[0x3d] = op!(system::returndatasize, 2, 0, 1);
        t[0x3e] = op!(system::returndatacopy, 3, 3, 0);
    }
    if on(PETERSBURG) {
        // EIP-1052
        t[0x3f] = op!(host::extcodehash, extcodehash_gas, 1, 1);
    }

    t[0x40] = op!(host::blockhash, 20, 1, 1);
    t[0x41] = op!(block_info::coinbase, 2, 0, 1);
    t[0x42] = op!(block_info::timestamp, 2, 0, 1);
    t[0x43] = op!(block_info::number, 2, 0, 1);
    t[0x44] = op!(block_info::difficulty, 2, 0, 1);
    t[0x45] = op!(block_info::gaslimit, 2, 0, 1);
    if on(ISTANBUL) {
        // EIP-1344, EIP-1884
        t[0x46] = op!(block_info::chainid, 2, 0, 1);
        t[0x47] = op!(host::selfbalance, 5, 0, 1);
    }
    if on(LONDON) {
        // EIP-3198
        t[0x48] = op!(block_info::basefee, 2, 0, 1);
    }
    if on(CANCUN) {
        // EIP-4844, EIP-7516
        t[0x49] = op!(block_info::blobhash, 3, 1, 1);
        t[0x4a] = op!(block_info::blobbasefee, 2, 0, 1);
    }

    t[0x50] = op!(stack_ops::pop, 2, 1, 0);
    t[0x51] = op!(memory_ops::mload, 3, 1, 1);
    t[0x52] = op!(memory_ops::mstore, 3, 2, 0);
    t[0x53] = op!(memory_ops::mstore8, 3, 2, 0);
    t[0x54] = op!(host::sload, sload_gas, 1, 1);
    t[0x55] = op!(host::sstore, 0, 2, 0);
    t[0x56] = op!(control::jump, 8, 1, 0);
    t[0x57] = op!(control::jumpi, 10, 2, 0);
    t[0x58] = op!(control::pc, 2, 0, 1);
    t[0x59] = op!(memory_ops::msize, 2, 0, 1);
    t[0x5a] = op!(system::gas, 2, 0, 1);
    t[0x5b] = op!(control::jumpdest, 1, 0, 0);
    if on(CANCUN) {
        // EIP-1153, EIP-5656
        t[0x5c] = op!(host::tload, 100, 1, 1);
        t[0x5d] = op!(host::tstore, 100, 2, 0);
        t[0x5e] = op!(memory_ops::mcopy, 3, 3, 0);
    }
    if on(SHANGHAI) {
        // EIP-3855
        t[0x5f] = op!(stack_ops::push0, 2, 0, 1);
    }
    // PUSH1..PUSH32, DUP1..DUP16, SWAP1..SWAP16, LOG0..LOG4.
    pushes!(t; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32);
    dups_swaps!(t; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
    logs!(t; 0 1 2 3 4);

    t[0xf0] = op!(contract::create, 32000, 3, 1);
    t[0xf1] = op!(contract::call, call_gas, 7, 1);
    t[0xf2] = op!(contract::callcode, call_gas, 7, 1);
    t[0xf3] = op!(control::ret, 0, 2, 0);
    if on(HOMESTEAD) {
        // EIP-7
        t[0xf4] = op!(contract::delegatecall, call_gas, 6, 1);
    }
    if on(PETERSBURG) {
        // EIP-1014
        t[0xf5] = op!(contract::create2, 32000, 4, 1);
    }
    if on(BYZANTIUM) {
        // EIP-214, EIP-140
        t[0xfa] = op!(contract::staticcall, call_gas, 6, 1);
        t[0xfd] = op!(control::revert, 0, 2, 0);
    }
    t[0xfe] = op!(control::invalid, 0, 0, 0);
    t[0xff] = op!(host::selfdestruct, selfdestruct_gas, 1, 0);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fork_gating() {
        assert_eq!(
            table(SpecId::FRONTIER)[0xf4].min_stack,
            0,
            "no DELEGATECALL in Frontier"
        );
        assert_eq!(table(SpecId::HOMESTEAD)[0xf4].min_stack, 6);
        assert_eq!(table(SpecId::SHANGHAI)[0x5f].gas, 2);
        assert_eq!(table(SpecId::ISTANBUL)[0x54].gas, 800);
        assert_eq!(table(SpecId::BERLIN)[0x54].gas, 100);
        assert_eq!(table(SpecId::OSAKA)[0x1e].gas, 5);
        assert_eq!(table(SpecId::PRAGUE)[0x1e].gas, 0);
    }

    #[test]
    fn stack_bounds() {
        let t = table(SpecId::CANCUN);
        assert_eq!(t[0x60].max_stack(), 1023);
        assert_eq!(t[0x90].min_stack, 2);
        assert_eq!(t[0x8f].min_stack, 16);
        assert_eq!(t[0x01].max_stack(), 1024);
        assert_eq!(std::mem::size_of::<OpInfo>(), 16);
    }
}
