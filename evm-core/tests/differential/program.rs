//! The bytecode generator: random but plausible programs built from small stack-neutral snippets
//! (arithmetic, environment reads, memory, storage, logs, calls, creations, loops), each observable through
//! memory that the program finally returns or through storage.
//!
//! Memory layout of every generated program:
//! `0x000..0x200` results (a rolling cursor), `0x200..0x400` call arguments and return buffers,
//! `0x3e0` the address of the last contract this frame created, `0x400..` init code for CREATE.

use super::asm::{op, Asm};
use super::rng::Rng;
use alloy_primitives::{Address, U256};
use parevm_evm_core::SpecId;

#[path = "program_calls.rs"]
mod calls;

/// Where the last created address is kept.
const LAST_CREATED: u64 = 0x3e0;
/// Where init code is assembled before CREATE.
const INITCODE_AT: u64 = 0x400;

/// What a program may refer to: the fork and the addresses of the world it lives in.
#[derive(Clone, Debug)]
pub struct World {
    /// The fork (gates which opcodes are emitted).
    pub spec: SpecId,
    /// Contracts of the pre-state (programs call these most).
    pub contracts: Vec<Address>,
    /// Other accounts: EOAs, empty and missing addresses, the sender, the coinbase.
    pub others: Vec<Address>,
    /// Current block number (BLOCKHASH arguments are drawn around it).
    pub block_number: u64,
}

impl World {
    fn on(&self, fork: SpecId) -> bool {
        self.spec.is_enabled_in(fork)
    }

    /// The highest precompile address of the fork.
    pub fn last_precompile(&self) -> u64 {
        if self.on(SpecId::PRAGUE) {
            0x11
        } else if self.on(SpecId::CANCUN) {
            0x0a
        } else if self.on(SpecId::ISTANBUL) {
            0x09
        } else if self.on(SpecId::BYZANTIUM) {
            0x08
        } else {
            0x04
        }
    }
}

/// Generates one program of about `snippets` snippets; `nest` counts init-code levels (creations stop at 2).
pub fn program(rng: &mut Rng, world: &World, snippets: usize, nest: u32) -> Vec<u8> {
    let mut g = Gen {
        rng,
        world,
        asm: Asm::new(world.on(SpecId::SHANGHAI)),
        cursor: 0,
        nest,
        in_loop: false,
    };
    if nest == 0 && g.rng.chance(10) {
        g.recurse();
    }
    for _ in 0..snippets {
        g.snippet();
    }
    g.terminate();
    g.asm.finish()
}

/// Init code for a creation: usually deploys a generated runtime, sometimes reverts, fails or returns
/// code the fork must reject.
pub fn initcode(rng: &mut Rng, world: &World, nest: u32) -> Vec<u8> {
    let push0 = world.on(SpecId::SHANGHAI);
    match rng.weighted(&[12, 2, 2, 1, 1, 1, 3]) {
        0 => {
            let n = rng.range(0, 6) as usize;
            let runtime = program(rng, world, n, nest + 1);
            let mut prefix = Gen {
                rng,
                world,
                asm: Asm::new(push0),
                cursor: 0,
                nest: nest + 1,
                in_loop: true,
            };
            for _ in 0..prefix.rng.range(0, 2) {
                prefix.snippet();
            }
            deploy_wrapper(prefix.asm.finish(), &runtime)
        }
        1 => {
            let mut g = Gen {
                rng,
                world,
                asm: Asm::new(push0),
                cursor: 0,
                nest: nest + 1,
                in_loop: true,
            };
            g.snippet();
            let len = g.rng.range(0, 64);
            g.asm.push_u(len).push_u(0).op(op::REVERT);
            g.asm.finish()
        }
        2 => {
            // A code the fork must reject or size-check: 0xEF prefix (EIP-3541) or around the EIP-170 limit.
            let mut a = Asm::new(push0);
            let len = rng.pick(&[1u64, 2, 33, 0x6000, 0x6001]);
            let first = if rng.chance(70) { 0xef } else { 0x60 };
            a.push_u(first)
                .push_u(0)
                .op(op::MSTORE8)
                .push_u(len)
                .push_u(0)
                .op(op::RETURN);
            a.finish()
        }
        3 => Vec::new(),
        4 => vec![op::INVALID],
        5 => {
            let mut a = Asm::new(push0);
            a.push(U256::from_be_slice(world.contracts[0].as_slice()))
                .op(op::SELFDESTRUCT);
            a.finish()
        }
        _ => {
            let n = rng.range(1, 5) as usize;
            program(rng, world, n, nest + 1)
        }
    }
}

/// `prefix`, then CODECOPY of `runtime` (appended after the wrapper) and RETURN of it.
fn deploy_wrapper(mut prefix: Vec<u8>, runtime: &[u8]) -> Vec<u8> {
    // The suffix has a fixed length: PUSH2 len, PUSH2 off, PUSH1 0, CODECOPY, PUSH2 len, PUSH1 0, RETURN.
    const SUFFIX: usize = 15;
    let len = (runtime.len() as u16).to_be_bytes();
    let off = ((prefix.len() + SUFFIX) as u16).to_be_bytes();
    prefix.extend_from_slice(&[
        op::PUSH2,
        len[0],
        len[1],
        op::PUSH2,
        off[0],
        off[1],
        op::PUSH1,
        0,
        op::CODECOPY,
    ]);
    prefix.extend_from_slice(&[op::PUSH2, len[0], len[1], op::PUSH1, 0, op::RETURN]);
    prefix.extend_from_slice(runtime);
    prefix
}

struct Gen<'a> {
    rng: &'a mut Rng,
    world: &'a World,
    asm: Asm,
    cursor: u64,
    nest: u32,
    in_loop: bool,
}

impl Gen<'_> {
    fn on(&self, fork: SpecId) -> bool {
        self.world.on(fork)
    }

    /// One stack-neutral snippet.
    fn snippet(&mut self) {
        let creates = self.nest < 2;
        let weights = [
            20,                               // arithmetic
            10,                               // environment
            10,                               // memory
            12,                               // storage
            4,                                // logs
            12,                               // calls
            if creates { 5 } else { 0 },      // creations
            4,                                // precompiles
            if self.in_loop { 0 } else { 5 }, // control flow
            4,                                // stack shuffles
            1,                                // rare halts and junk
        ];
        match self.rng.weighted(&weights) {
            0 => self.arith(),
            1 => self.env(),
            2 => self.memory(),
            3 => self.storage(),
            4 => self.log(),
            5 => self.call(),
            6 => self.create(),
            7 => self.precompile(),
            8 => self.control(),
            9 => self.stack(),
            _ => self.rare(),
        }
    }

    /// Consumes the value on top of the stack so that it stays observable.
    fn record(&mut self) {
        match self.rng.below(10) {
            0..=5 => {
                let at = self.cursor;
                self.cursor = (self.cursor + 32) % 0x200;
                self.asm.push_u(at).op(op::MSTORE);
            }
            6..=7 => {
                let slot = self.rng.range(0x10, 0x17);
                self.asm.push_u(slot).op(op::SSTORE);
            }
            _ => {
                self.asm.op(op::POP);
            }
        }
    }

    fn value(&mut self) {
        match self.rng.below(10) {
            0 => {
                let a = self.rng.pick(&self.world.contracts);
                self.asm.push(U256::from_be_slice(a.as_slice()));
            }
            1 => {
                self.asm.op(self.rng.pick(&[0x30, 0x33, 0x34, 0x36, 0x5a]));
            }
            _ => {
                let w = self.rng.word();
                self.asm.push(w);
            }
        }
    }

    /// A memory offset: mostly small, sometimes expensive, rarely absurd.
    fn offset(&mut self) -> U256 {
        match self.rng.below(200) {
            0..=184 => U256::from(self.rng.range(0, 0x300)),
            185..=196 => U256::from(self.rng.range(0x1000, 0x8000)),
            197 => U256::from(1u64 << 32),
            198 => U256::from(u64::MAX),
            _ => U256::MAX,
        }
    }

    /// A copy length: mostly small, sometimes zero with an absurd offset, rarely large.
    fn length(&mut self) -> U256 {
        match self.rng.below(200) {
            0..=39 => U256::ZERO,
            40..=192 => U256::from(self.rng.range(1, 0x80)),
            193..=198 => U256::from(self.rng.range(0x100, 0x4000)),
            _ => U256::MAX,
        }
    }

    fn push_target(&mut self) {
        match self.rng.below(20) {
            0..=9 => {
                let a = self.rng.pick(&self.world.contracts);
                self.asm.push(U256::from_be_slice(a.as_slice()));
            }
            10..=12 => {
                let a = self.rng.pick(&self.world.others);
                self.asm.push(U256::from_be_slice(a.as_slice()));
            }
            13..=14 => {
                let p = self.rng.range(1, self.world.last_precompile());
                self.asm.push_u(p);
            }
            15 => {
                self.asm.op(0x30); // ADDRESS
            }
            16 => {
                self.asm.op(0x33); // CALLER
            }
            17..=18 => {
                self.asm.push_u(LAST_CREATED).op(op::MLOAD);
            }
            _ => {
                // High bits set: addresses are the low 160 bits of the word.
                let a = self.rng.pick(&self.world.contracts);
                let w = U256::from_be_slice(a.as_slice()) | (self.rng.u256() << 160);
                self.asm.push(w);
            }
        }
    }

    fn arith(&mut self) {
        let mut binary = vec![
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x14,
        ];
        binary.extend_from_slice(&[0x16, 0x17, 0x18, 0x1a]);
        if self.on(SpecId::PETERSBURG) {
            binary.extend_from_slice(&[0x1b, 0x1c, 0x1d]);
        }
        self.value();
        for _ in 0..self.rng.range(1, 3) {
            match self.rng.below(10) {
                0 => {
                    let u = if self.on(SpecId::OSAKA) && self.rng.chance(50) {
                        0x1e
                    } else {
                        self.rng.pick(&[0x15, 0x19])
                    };
                    self.asm.op(u);
                }
                1 => {
                    self.value();
                    self.value();
                    let t = self.rng.pick(&[0x08, 0x09]);
                    self.asm.op(t);
                }
                _ => {
                    self.value();
                    if self.rng.chance(50) {
                        self.asm.op(op::SWAP1);
                    }
                    let b = self.rng.pick(&binary);
                    self.asm.op(b);
                }
            }
        }
        self.record();
    }

    fn env(&mut self) {
        let mut nullary = vec![
            0x30, 0x32, 0x33, 0x34, 0x36, 0x38, 0x3a, 0x41, 0x42, 0x43, 0x44, 0x45, 0x58, 0x59,
            0x5a,
        ];
        if self.on(SpecId::BYZANTIUM) {
            nullary.push(0x3d);
        }
        if self.on(SpecId::ISTANBUL) {
            nullary.extend_from_slice(&[0x46, 0x47]);
        }
        if self.on(SpecId::LONDON) {
            nullary.push(0x48);
        }
        if self.on(SpecId::CANCUN) {
            nullary.push(0x4a);
        }
        match self.rng.below(8) {
            0..=2 => {
                let o = self.rng.pick(&nullary);
                self.asm.op(o);
            }
            3 => {
                self.push_target();
                let mut unary = vec![op::BALANCE, op::EXTCODESIZE];
                if self.on(SpecId::PETERSBURG) {
                    unary.push(op::EXTCODEHASH);
                }
                let o = self.rng.pick(&unary);
                self.asm.op(o);
            }
            4 => {
                // Twice on the same address: the second access is warm from Berlin on.
                self.push_target();
                self.asm
                    .op(op::DUP1)
                    .op(op::BALANCE)
                    .op(op::SWAP1)
                    .op(op::EXTCODESIZE)
                    .op(op::ADD);
            }
            5 => {
                let n = self.world.block_number;
                let arg = match self.rng.below(4) {
                    0 => n,
                    1 => n.saturating_sub(self.rng.range(1, 256)),
                    2 => n.saturating_sub(self.rng.range(250, 300)),
                    _ => self.rng.u64(),
                };
                self.asm.push_u(arg).op(op::BLOCKHASH);
            }
            6 => {
                let off = if self.rng.chance(80) {
                    U256::from(self.rng.range(0, 80))
                } else {
                    self.rng.word()
                };
                self.asm.push(off).op(op::CALLDATALOAD);
            }
            _ => {
                if self.on(SpecId::CANCUN) {
                    let i = if self.rng.chance(80) {
                        U256::from(self.rng.range(0, 7))
                    } else {
                        self.rng.word()
                    };
                    self.asm.push(i).op(op::BLOBHASH);
                } else {
                    self.asm.op(op::GAS);
                }
            }
        }
        self.record();
    }

    fn memory(&mut self) {
        match self.rng.below(10) {
            0 | 1 => {
                self.value();
                let o = self.offset();
                self.asm.push(o).op(op::MSTORE);
            }
            2 => {
                self.value();
                let o = self.offset();
                self.asm.push(o).op(op::MSTORE8);
            }
            3 => {
                let o = self.offset();
                self.asm.push(o).op(op::MLOAD);
                self.record();
            }
            4 => {
                let (len, src, dst) = (self.length(), self.offset(), self.offset());
                self.asm.push(len).push(src).push(dst);
                let o = if self.on(SpecId::CANCUN) {
                    op::MCOPY
                } else {
                    op::CALLDATACOPY
                };
                self.asm.op(o);
            }
            5 => {
                let (len, dst) = (self.length(), self.offset());
                let src = if self.rng.chance(80) {
                    U256::from(self.rng.range(0, 100))
                } else {
                    self.rng.word()
                };
                self.asm.push(len).push(src).push(dst).op(op::CALLDATACOPY);
            }
            6 => {
                let (len, dst) = (self.length(), self.offset());
                let src = if self.rng.chance(80) {
                    U256::from(self.rng.range(0, 200))
                } else {
                    self.rng.word()
                };
                self.asm.push(len).push(src).push(dst).op(op::CODECOPY);
            }
            7 => {
                let (len, dst) = (self.length(), self.offset());
                let src = U256::from(self.rng.range(0, 100));
                self.asm.push(len).push(src).push(dst);
                self.push_target();
                self.asm.op(op::EXTCODECOPY);
            }
            8 => {
                if self.on(SpecId::BYZANTIUM) {
                    // Often in bounds after a call, sometimes past the end (an exceptional halt).
                    let len = U256::from(self.rng.range(0, 40));
                    let src = U256::from(self.rng.range(0, 8));
                    let dst = self.offset();
                    self.asm
                        .push(len)
                        .push(src)
                        .push(dst)
                        .op(op::RETURNDATACOPY);
                } else {
                    self.asm.op(op::MSIZE).op(op::POP);
                }
            }
            _ => {
                let (len, off) = (self.length(), self.offset());
                self.asm.push(len).push(off).op(op::KECCAK256);
                self.record();
            }
        }
    }

    fn slot(&mut self) -> U256 {
        if self.rng.chance(85) {
            U256::from(self.rng.range(0, 7))
        } else {
            self.rng.word()
        }
    }

    fn storage(&mut self) {
        let transient = self.on(SpecId::CANCUN) && self.rng.chance(20);
        let (load, store) = if transient {
            (op::TLOAD, op::TSTORE)
        } else {
            (op::SLOAD, op::SSTORE)
        };
        match self.rng.below(6) {
            0..=1 => {
                let slot = self.slot();
                self.asm.push(slot).op(load);
                self.record();
            }
            2..=3 => {
                self.value();
                let slot = self.slot();
                self.asm.push(slot).op(store);
            }
            _ => {
                // A sequence on one slot: exercises EIP-2200/3529 refunds (set, reset, restore original).
                let slot = self.slot();
                for _ in 0..self.rng.range(2, 4) {
                    let v = self.rng.pick(&[0u64, 0, 1, 2, 3]);
                    self.asm.push_u(v).push(slot).op(store);
                }
                if self.rng.chance(50) {
                    self.asm.push(slot).op(load);
                    self.record();
                }
            }
        }
    }

    fn log(&mut self) {
        let n = self.rng.range(0, 4);
        for _ in 0..n {
            self.value();
        }
        let len = if self.rng.chance(90) {
            U256::from(self.rng.range(0, 0x60))
        } else {
            self.length()
        };
        let off = self.offset();
        self.asm.push(len).push(off).op(op::LOG0 + n as u8);
    }

    fn terminate(&mut self) {
        match self.rng.weighted(&[10, 3, 3, 1, 2, 2]) {
            0 => {
                let len = self.rng.range(0, 0x240);
                self.asm.push_u(len).push_u(0).op(op::RETURN);
            }
            1 => {
                let len = self.rng.range(0, 0x40);
                let o = if self.on(SpecId::BYZANTIUM) {
                    op::REVERT
                } else {
                    op::RETURN
                };
                self.asm.push_u(len).push_u(0).op(o);
            }
            2 => {
                self.asm.op(op::STOP);
            }
            3 => {
                self.asm.op(op::INVALID);
            }
            4 => self.selfdestruct(),
            _ => {}
        }
    }
}
