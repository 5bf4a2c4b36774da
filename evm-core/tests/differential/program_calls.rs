//! The call-shaped snippets of the program generator: CALL-family calls (with the gas choices that exercise
//! EIP-150 and the stipend), deep recursion, CREATE/CREATE2 of generated init code, precompile calls with
//! plausible inputs, control flow, stack shuffles, and rare halts.

use super::super::asm::op;
use super::{initcode, Gen, INITCODE_AT, LAST_CREATED};
use alloy_primitives::U256;
use parevm_evm_core::SpecId;

impl Gen<'_> {
    pub(super) fn call_gas(&mut self) {
        match self.rng.below(30) {
            0..=8 => {
                self.asm.op(op::GAS);
            }
            9..=11 => {
                self.asm.push_u(self.rng.range(0, 3000));
            }
            12..=14 => {
                self.asm.push_u(2300);
            }
            15..=25 => {
                self.asm.push_u(self.rng.range(5_000, 120_000));
            }
            26 => {
                self.asm.push(U256::MAX);
            }
            27 => {
                // All but a little: before EIP-150 this is what lets recursion reach the depth limit.
                let keep = self.rng.range(0, 1_000);
                self.asm.push_u(keep).op(op::GAS).op(op::SUB);
            }
            _ => {
                // Half of what is left.
                if self.on(SpecId::PETERSBURG) {
                    self.asm.op(op::GAS).push_u(1).op(0x1c); // SHR
                } else {
                    self.asm.push_u(2).op(op::GAS).op(0x04); // DIV
                }
            }
        }
    }

    pub(super) fn call(&mut self) {
        let mut kinds = vec![op::CALL, op::CALL, op::CALLCODE];
        if self.on(SpecId::HOMESTEAD) {
            kinds.push(op::DELEGATECALL);
        }
        if self.on(SpecId::BYZANTIUM) {
            kinds.extend_from_slice(&[op::STATICCALL, op::STATICCALL]);
        }
        let kind = self.rng.pick(&kinds);
        // Some argument words first.
        for _ in 0..self.rng.range(0, 2) {
            self.value();
            let at = self.rng.range(0x200, 0x260);
            self.asm.push_u(at).op(op::MSTORE);
        }
        let ret_len = if self.rng.chance(80) {
            self.rng.range(0, 0x40)
        } else {
            self.rng.range(0x40, 0x100)
        };
        let ret_off = self.rng.range(0x200, 0x300);
        let args_len = self.rng.range(0, 0x60);
        let args_off = self.rng.range(0x200, 0x280);
        self.asm
            .push_u(ret_len)
            .push_u(ret_off)
            .push_u(args_len)
            .push_u(args_off);
        if matches!(kind, op::CALL | op::CALLCODE) {
            let v = match self.rng.below(10) {
                0..=5 => U256::ZERO,
                6..=8 => U256::from(self.rng.range(1, 1000)),
                _ => U256::from(10u64).pow(U256::from(self.rng.range(18, 30))),
            };
            self.asm.push(v);
        }
        self.push_target();
        self.call_gas();
        self.asm.op(kind);
        self.record();
        if self.on(SpecId::BYZANTIUM) && self.rng.chance(30) {
            self.asm.op(op::RETURNDATASIZE);
            self.record();
        }
    }

    /// Calls itself (or a peer) with nearly all gas: deep recursion, the 1024 depth limit before EIP-150.
    pub(super) fn recurse(&mut self) {
        let mut kinds = vec![op::CALL, op::CALLCODE];
        if self.on(SpecId::HOMESTEAD) {
            kinds.push(op::DELEGATECALL);
        }
        let kind = self.rng.pick(&kinds);
        self.asm
            .push_u(0x20)
            .push_u(0x200)
            .push_u(self.rng.range(0, 0x20))
            .push_u(0x200);
        if kind != op::DELEGATECALL {
            self.asm.push_u(0);
        }
        if self.rng.chance(70) {
            self.asm.op(0x30); // ADDRESS
        } else {
            let a = self.rng.pick(&self.world.contracts);
            self.asm.push(U256::from_be_slice(a.as_slice()));
        }
        let keep = self.rng.range(0, 2_000);
        self.asm.push_u(keep).op(op::GAS).op(op::SUB).op(kind);
        self.record();
    }

    pub(super) fn create(&mut self) {
        let init = initcode(self.rng, self.world, self.nest);
        for (i, chunk) in init.chunks(32).enumerate() {
            let mut w = [0u8; 32];
            w[..chunk.len()].copy_from_slice(chunk);
            self.asm
                .op(op::PUSH32)
                .raw(&w)
                .push_u(INITCODE_AT + 32 * i as u64)
                .op(op::MSTORE);
        }
        let value = match self.rng.below(10) {
            0..=6 => U256::ZERO,
            7..=8 => U256::from(self.rng.range(1, 1000)),
            _ => U256::from(10u64).pow(U256::from(24u64)),
        };
        let create2 = self.on(SpecId::PETERSBURG) && self.rng.chance(40);
        let times = if self.rng.chance(15) { 2 } else { 1 };
        for _ in 0..times {
            if create2 {
                let salt = self.rng.range(0, 3);
                self.asm.push_u(salt);
            }
            self.asm
                .push_u(init.len() as u64)
                .push_u(INITCODE_AT)
                .push(value);
            self.asm.op(if create2 { op::CREATE2 } else { op::CREATE });
            self.asm.op(op::DUP1).push_u(LAST_CREATED).op(op::MSTORE);
            self.record();
        }
    }

    pub(super) fn precompile(&mut self) {
        let p = self.rng.range(1, self.world.last_precompile());
        let osaka_p256 = self.on(SpecId::OSAKA) && self.rng.chance(10);
        let input: Vec<u8> = match p {
            5 if self.rng.chance(70) => {
                // MODEXP with small lengths (and occasionally a large exponent length).
                let (bl, el, ml) = (
                    self.rng.range(0, 4),
                    self.rng.pick(&[0u64, 1, 2, 33, 64]),
                    self.rng.range(0, 4),
                );
                let mut v = Vec::new();
                for l in [bl, el, ml] {
                    v.extend_from_slice(&U256::from(l).to_be_bytes::<32>());
                }
                v.extend(self.rng.bytes((bl + el.min(40) + ml) as usize));
                v
            }
            6..=8 if self.rng.chance(50) => vec![0u8; self.rng.pick(&[0usize, 64, 128, 192])],
            9 if self.rng.chance(70) => {
                let mut v = vec![0u8; 213];
                v[..4].copy_from_slice(&(self.rng.range(0, 24) as u32).to_be_bytes());
                v[4..212].copy_from_slice(&self.rng.bytes(208));
                v[212] = self.rng.pick(&[0u8, 1, 2]);
                v
            }
            _ => {
                let n = self.rng.pick(&[0usize, 1, 32, 64, 96, 128, 160, 192, 213]);
                self.rng.bytes(n)
            }
        };
        let input = &input[..input.len().min(0x100)];
        for (i, chunk) in input.chunks(32).enumerate() {
            let mut w = [0u8; 32];
            w[..chunk.len()].copy_from_slice(chunk);
            self.asm
                .op(op::PUSH32)
                .raw(&w)
                .push_u(0x200 + 32 * i as u64)
                .op(op::MSTORE);
        }
        let ret_len = self.rng.range(0, 0x60);
        self.asm
            .push_u(ret_len)
            .push_u(0x200)
            .push_u(input.len() as u64)
            .push_u(0x200);
        let static_call = self.on(SpecId::BYZANTIUM) && self.rng.chance(50);
        if !static_call {
            self.asm.push_u(self.rng.pick(&[0u64, 0, 1]));
        }
        self.asm.push_u(if osaka_p256 { 0x100 } else { p });
        let gas = self.rng.pick(&[100u64, 3_000, 50_000, 200_000]);
        self.asm.push_u(gas).op(if static_call {
            op::STATICCALL
        } else {
            op::CALL
        });
        self.record();
    }

    pub(super) fn control(&mut self) {
        match self.rng.below(10) {
            0..=4 => {
                // Conditional skip over a snippet.
                let skip = self.asm.label();
                let cond = if self.rng.chance(50) {
                    U256::ZERO
                } else {
                    self.rng.word()
                };
                self.asm.push(cond).push_label(skip).op(op::JUMPI);
                self.in_loop = true;
                self.snippet();
                self.in_loop = false;
                self.asm.bind(skip);
            }
            5..=8 => {
                // A counted loop around one or two snippets; the counter stays on the stack.
                let top = self.asm.label();
                self.asm.push_u(self.rng.range(1, 6));
                self.asm.bind(top);
                self.in_loop = true;
                for _ in 0..self.rng.range(1, 2) {
                    self.snippet();
                }
                self.in_loop = false;
                self.asm
                    .push_u(1)
                    .op(op::SWAP1)
                    .op(op::SUB)
                    .op(op::DUP1)
                    .push_label(top)
                    .op(op::JUMPI)
                    .op(op::POP);
            }
            _ => {
                // Into the middle of a PUSH or onto a plain byte: an invalid jump.
                let here = self.asm.len() as u64;
                self.asm.push_u(here + 1).op(op::JUMP);
            }
        }
    }

    pub(super) fn stack(&mut self) {
        let n = self.rng.range(1, 17) as usize;
        for _ in 0..n {
            self.value();
        }
        let mut depth = n;
        for _ in 0..self.rng.range(1, 4) {
            if self.rng.chance(50) && depth < 20 {
                let k = self.rng.range(1, depth.min(16) as u64) as u8;
                self.asm.op(op::DUP1 + k - 1);
                depth += 1;
            } else if depth >= 2 {
                let k = self.rng.range(1, (depth - 1).min(16) as u64) as u8;
                self.asm.op(op::SWAP1 + k - 1);
            }
        }
        self.record();
        for _ in 1..depth {
            self.asm.op(op::POP);
        }
    }

    pub(super) fn rare(&mut self) {
        match self.rng.below(6) {
            0 => {
                // Stack overflow: push forever.
                let l = self.asm.label();
                self.asm.bind(l);
                self.asm.push_u(1).push_label(l).op(op::JUMP);
            }
            1 => {
                self.asm.op(op::ADD); // underflow at the outermost level
            }
            2 => {
                self.asm.op(self
                    .rng
                    .pick(&[0x0c, 0x21, 0x4f, 0xa5, 0xef, 0xf6, 0xfb, 0xfe]));
            }
            3 => {
                // Memory-only gas burner.
                let o = U256::from(self.rng.range(0x1_0000, 0x10_0000));
                self.asm.push(o).op(op::MLOAD).op(op::POP);
            }
            4 => {
                let n = self.rng.range(1, 6) as usize;
                let junk = self.rng.bytes(n);
                self.asm.raw(&junk);
            }
            _ => self.selfdestruct(),
        }
    }

    pub(super) fn selfdestruct(&mut self) {
        self.push_target();
        self.asm.op(op::SELFDESTRUCT);
    }
}
