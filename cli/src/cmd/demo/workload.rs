//! The demo's generated block: a seeded mix of ETH transfers, token transfers, increments of one hot
//! counter and contract creations, over a pre-state that funds every sender. Bytecode is assembled here so
//! the demo needs no data beside the binary.

use alloy_primitives::{Address, Bytes, TxKind, U256};
use parevm_evm_core::env::tx_type;
use parevm_evm_core::{BlockEnv, CfgEnv, Env, SpecId, TxEnv};
use parevm_state::InMemoryState;

/// Chain id of the demo chain.
const CHAIN_ID: u64 = 1;
/// Base fee of the demo block, in wei.
const BASE_FEE: u64 = 7;
/// Token balance every sender starts with.
const TOKEN_SUPPLY: u64 = 1_000_000;

/// What share of the block each kind of transaction takes, in percent; the rest are ETH transfers.
#[derive(Clone, Copy, Debug)]
pub struct Mix {
    /// Token transfers between distinct holders.
    pub token: u64,
    /// Increments of one shared storage slot: every one conflicts with the others.
    pub hot: u64,
    /// Contract creations (CREATE from an EOA).
    pub create: u64,
}

/// A generated block with the state it runs on.
pub struct Workload {
    /// The pre-state.
    pub state: InMemoryState,
    /// One environment per transaction, in block order.
    pub envs: Vec<Env>,
    /// Transactions per kind: ETH transfers, token transfers, hot increments, creations.
    pub counts: [usize; 4],
}

/// xorshift64*: a small deterministic generator (not for anything but test data).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn address(&mut self) -> Address {
        let mut b = [0u8; 20];
        for chunk in b.chunks_mut(8) {
            let w = self.next().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Address::from(b)
    }
}

/// Opcodes used below.
mod op {
    pub const STOP: u8 = 0x00;
    pub const ADD: u8 = 0x01;
    pub const SUB: u8 = 0x03;
    pub const LT: u8 = 0x10;
    pub const CALLER: u8 = 0x33;
    pub const CALLDATALOAD: u8 = 0x35;
    pub const CODECOPY: u8 = 0x39;
    pub const MSTORE: u8 = 0x52;
    pub const SLOAD: u8 = 0x54;
    pub const SSTORE: u8 = 0x55;
    pub const JUMPI: u8 = 0x57;
    pub const JUMPDEST: u8 = 0x5b;
    pub const PUSH0: u8 = 0x5f;
    pub const PUSH1: u8 = 0x60;
    pub const DUP1: u8 = 0x80;
    pub const DUP2: u8 = 0x81;
    pub const DUP3: u8 = 0x82;
    pub const SWAP1: u8 = 0x90;
    pub const LOG1: u8 = 0xa1;
    pub const RETURN: u8 = 0xf3;
    pub const REVERT: u8 = 0xfd;
}

/// A token keeping balances in the slot named by the holder's address. Calldata: `to (32) ++ amount (32)`.
/// Reverts on insufficient balance; logs the amount with the sender as topic.
fn token_code() -> Bytes {
    use op::*;
    let mut c = vec![
        PUSH1,
        0x20,
        CALLDATALOAD, // amount
        CALLER,
        SLOAD, // bal, amount
        DUP2,
        DUP2,
        LT, // bal < amount, bal, amount
        PUSH1,
        0,
        JUMPI, // patched below: jump to the revert
        DUP2,
        SWAP1,
        SUB,
        CALLER,
        SSTORE, // amount
        PUSH0,
        CALLDATALOAD,
        DUP1,
        SLOAD,
        DUP3,
        ADD,
        SWAP1,
        SSTORE, // amount
        PUSH0,
        MSTORE,
        CALLER,
        PUSH1,
        0x20,
        PUSH0,
        LOG1,
        STOP,
    ];
    let revert_at = c.len() as u8;
    c[9] = revert_at;
    c.extend_from_slice(&[JUMPDEST, PUSH0, PUSH0, REVERT]);
    Bytes::from(c)
}

/// A counter: adds one to slot 0.
fn counter_code() -> Bytes {
    use op::*;
    Bytes::from(vec![PUSH0, SLOAD, PUSH1, 1, ADD, PUSH0, SSTORE, STOP])
}

/// Init code that deploys [`counter_code`].
fn counter_initcode() -> Bytes {
    use op::*;
    let runtime = counter_code();
    let len = runtime.len() as u8;
    let mut c = vec![
        PUSH1, len, PUSH1, 10, PUSH0, CODECOPY, PUSH1, len, PUSH0, RETURN,
    ];
    c.extend_from_slice(&runtime);
    Bytes::from(c)
}

/// Generates `txs` transactions with `mix` from `seed`, on fork `spec`.
pub fn generate(txs: usize, mix: Mix, seed: u64, spec: SpecId) -> Workload {
    let mut rng = Rng(seed | 1);
    let token = rng.address();
    let counter = rng.address();
    let beneficiary = rng.address();
    let mut state = InMemoryState::new();
    state.insert_account(counter, U256::ZERO, 1, counter_code(), []);
    // The fee recipient exists before the block, as a block producer's does.
    state.insert_account(beneficiary, U256::from(1), 0, Bytes::new(), []);

    let block = BlockEnv {
        number: 1,
        beneficiary,
        timestamp: 1_700_000_000,
        gas_limit: u64::MAX / 2,
        basefee: U256::from(BASE_FEE),
        prevrandao: Some(Default::default()),
        blob_basefee: Some(1),
        ..Default::default()
    };
    let cfg = CfgEnv::new(CHAIN_ID, spec);
    let mut holders = Vec::new();
    let mut envs = Vec::with_capacity(txs);
    let mut counts = [0usize; 4];
    for _ in 0..txs {
        let sender = rng.address();
        state.insert_account(sender, U256::from(10u128.pow(19)), 0, Bytes::new(), []);
        let roll = rng.next() % 100;
        let (class, kind, value, data, gas_limit) = if roll < mix.token {
            holders.push(sender);
            let to = rng.address();
            let amount = U256::from(1 + rng.next() % 1000);
            let mut data = [0u8; 64];
            data[12..32].copy_from_slice(to.as_slice());
            data[32..].copy_from_slice(&amount.to_be_bytes::<32>());
            (
                1,
                TxKind::Call(token),
                U256::ZERO,
                Bytes::from(data.to_vec()),
                90_000,
            )
        } else if roll < mix.token + mix.hot {
            (2, TxKind::Call(counter), U256::ZERO, Bytes::new(), 60_000)
        } else if roll < mix.token + mix.hot + mix.create {
            (3, TxKind::Create, U256::ZERO, counter_initcode(), 120_000)
        } else {
            let value = U256::from(1 + rng.next() % 1_000_000_000);
            (0, TxKind::Call(rng.address()), value, Bytes::new(), 21_000)
        };
        counts[class] += 1;
        envs.push(Env {
            cfg: cfg.clone(),
            block: block.clone(),
            tx: TxEnv {
                tx_type: tx_type::EIP1559,
                caller: sender,
                gas_limit,
                gas_price: U256::from(BASE_FEE + 2),
                gas_priority_fee: Some(U256::from(1)),
                kind,
                value,
                data,
                nonce: 0,
                chain_id: Some(CHAIN_ID),
                ..Default::default()
            },
        });
    }
    let storage = holders
        .iter()
        .map(|h| (U256::from_be_slice(h.as_slice()), U256::from(TOKEN_SUPPLY)));
    state.insert_account(
        token,
        U256::ZERO,
        1,
        token_code(),
        storage.collect::<Vec<_>>(),
    );
    Workload {
        state,
        envs,
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parevm_parallel_commit::execute_sequential;

    #[test]
    fn every_generated_transaction_succeeds_sequentially() {
        let mix = Mix {
            token: 40,
            hot: 10,
            create: 10,
        };
        let w = generate(400, mix, 7, SpecId::PRAGUE);
        assert!(w.counts.iter().all(|&n| n > 0), "{:?}", w.counts);
        let results = execute_sequential(&w.envs, &w.state);
        for (i, r) in results.iter().enumerate() {
            let out = r
                .as_ref()
                .unwrap_or_else(|e| panic!("tx {i} invalid: {e:?}"));
            assert!(out.status.is_success(), "tx {i}: {:?}", out.status);
        }
        // Token transfers log once each; the others log nothing.
        let logs: usize = results.iter().flatten().map(|o| o.logs.len()).sum();
        assert_eq!(logs, w.counts[1]);
    }

    #[test]
    fn the_same_seed_gives_the_same_block() {
        let mix = Mix {
            token: 30,
            hot: 30,
            create: 10,
        };
        let a = generate(50, mix, 3, SpecId::CANCUN);
        let b = generate(50, mix, 3, SpecId::CANCUN);
        assert_eq!(a.state.state_root(), b.state.state_root());
        let ta: Vec<_> = a
            .envs
            .iter()
            .map(|e| (e.tx.caller, e.tx.kind, e.tx.value))
            .collect();
        let tb: Vec<_> = b
            .envs
            .iter()
            .map(|e| (e.tx.caller, e.tx.kind, e.tx.value))
            .collect();
        assert_eq!(ta, tb);
    }
}
