//! The synthetic blocks: pevm's gigagas layouts (raw transfers, independent ERC-20 transfers, independent
//! Uniswap swaps; see `../shared/bench-bytecode/README.md`), a fully dependent chain and a hot mix. Each is a
//! pre-state plus transactions, sized by a scale factor (1.0 = about one gigagas for pevm's blocks).

use super::rng::Rng;
use super::storage::{map, short_string, word};
use super::uniswap;
use crate::data::bench_bytecode;
use crate::error::BenchError;
use crate::world::{Account, Chain, Tx};
use alloy_primitives::{Address, Bytes, U256};
use parevm_evm_core::SpecId;

/// The chain of pevm's gigagas blocks: Osaka, revm's default block (number 0, timestamp 1, coinbase 0x0).
pub const CHAIN: Chain = Chain {
    spec: SpecId::OSAKA,
    number: 0,
    timestamp: 1,
    coinbase: Address::ZERO,
};

/// Gas price of pevm's ERC-20 and Uniswap transactions.
pub const PEVM_GAS_PRICE: u128 = 0xb2d0_5e07;

/// A block to execute: its pre-state and transactions.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Short name (table row, CSV key, plot legend).
    pub name: &'static str,
    /// The chain it runs on.
    pub chain: Chain,
    /// The pre-state.
    pub accounts: Vec<Account>,
    /// The transactions, in block order.
    pub txs: Vec<Tx>,
}

/// Names of the synthetic workloads, in table order.
pub const NAMES: [&str; 5] = [
    "raw_transfers",
    "erc20",
    "uniswap",
    "dependent_chain",
    "hot_mix",
];

/// The fee recipient of `--absent-coinbase` runs: an address no workload's pre-state holds, so that the
/// block's first fee credit creates it (a block whose fee recipient is new, as on a fresh chain).
pub const ABSENT_COINBASE: Address = Address::new([0xc0; 20]);

/// `w` with its fee recipient moved to [`ABSENT_COINBASE`], absent from its pre-state.
pub fn with_absent_coinbase(mut w: Workload) -> Workload {
    w.chain.coinbase = ABSENT_COINBASE;
    w
}

/// Builds the workload called `name` at `scale`.
pub fn build(name: &str, scale: f64) -> Result<Workload, BenchError> {
    let n = |full: usize| ((full as f64 * scale).ceil() as usize).max(1);
    match name {
        "raw_transfers" => Ok(raw_transfers(n(47_620))),
        "erc20" => erc20(n(33_628)),
        "uniswap" => uniswap::block(n(6_413)),
        "dependent_chain" => Ok(dependent_chain(n(20_000))),
        "hot_mix" => hot_mix(n(30_000)),
        other => Err(BenchError::Setup {
            case: other.into(),
            reason: "unknown workload".into(),
        }),
    }
}

/// pevm's raw transfers: accounts `0x0` and 1000.. (as integers), balance 2^255, nonce 1; each sends 1 wei
/// to itself with gas limit 21,000 and gas price 1.
pub fn raw_transfers(n: usize) -> Workload {
    let rich = U256::from(1u8) << 255;
    let mut accounts = vec![Account::eoa(Address::ZERO, rich, 1)];
    let mut txs = Vec::with_capacity(n);
    for i in 0..n {
        let a = Address::from_word(U256::from(1000 + i as u64).into());
        accounts.push(Account::eoa(a, rich, 1));
        txs.push(Tx {
            caller: a,
            to: Some(a),
            value: U256::from(1u8),
            data: Bytes::new(),
            gas_limit: 21_000,
            gas_price: 1,
            nonce: 1,
        });
    }
    Workload {
        name: "raw_transfers",
        chain: CHAIN,
        accounts,
        txs,
    }
}

/// A sender of pevm's ERC-20 and Uniswap blocks: 4,567 ETH, nonce 0.
fn pevm_sender(address: Address) -> Account {
    Account::eoa(
        address,
        U256::from(4_567u64) * U256::from(10u64).pow(U256::from(21u64)),
        0,
    )
}

/// `transfer(to, amount)` calldata.
pub fn transfer_call(to: Address, amount: U256) -> Bytes {
    let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
    data.extend_from_slice(&word(to).to_be_bytes::<32>());
    data.extend_from_slice(&amount.to_be_bytes::<32>());
    data.into()
}

/// pevm's `ERC20Token` at `token`, with `holders` holding 1e18 each.
pub fn pevm_token(
    token: Address,
    name: &str,
    symbol: &str,
    holders: &[Address],
) -> Result<Account, BenchError> {
    let e18 = U256::from(10u64).pow(U256::from(18u64));
    let mut storage = vec![
        (U256::from(2u8), U256::from(222_222u64) * e18),
        (U256::from(3u8), short_string(name)),
        (U256::from(4u8), short_string(symbol)),
        (U256::from(5u8), U256::from(18u8)),
    ];
    storage.extend(holders.iter().map(|h| (map(U256::ZERO, &[word(*h)]), e18)));
    Ok(Account::contract(
        token,
        bench_bytecode("pevm_ERC20Token.hex")?,
        storage,
    ))
}

/// pevm's independent ERC-20 block: one token, each sender calls `transfer(self, random u8)`.
pub fn erc20(n: usize) -> Result<Workload, BenchError> {
    let mut rng = Rng::new(0xe2c20);
    let token = rng.address();
    let senders: Vec<Address> = (0..n).map(|_| rng.address()).collect();
    let mut accounts = vec![
        Account::eoa(Address::ZERO, U256::ZERO, 0),
        pevm_token(token, "Gold Token", "GLD", &senders)?,
    ];
    accounts.extend(senders.iter().map(|s| pevm_sender(*s)));
    let txs = senders
        .iter()
        .map(|s| Tx {
            caller: *s,
            to: Some(token),
            value: U256::ZERO,
            data: transfer_call(*s, U256::from(rng.below(256))),
            gas_limit: 35_000,
            gas_price: PEVM_GAS_PRICE,
            nonce: 0,
        })
        .collect();
    Ok(Workload {
        name: "erc20",
        chain: CHAIN,
        accounts,
        txs,
    })
}

/// A counter contract: `sstore(0, sload(0) + 1)`.
pub const COUNTER_CODE: [u8; 8] = [0x5f, 0x54, 0x60, 0x01, 0x01, 0x5f, 0x55, 0x00];

/// Fully dependent: one sender with consecutive nonces, each transaction incrementing one counter, so every
/// transaction reads what the previous one wrote (nonce, balance and the counter slot).
pub fn dependent_chain(n: usize) -> Workload {
    let mut rng = Rng::new(0xc4a1);
    let sender = rng.address();
    let counter = rng.address();
    let accounts = vec![
        Account::eoa(Address::ZERO, U256::ZERO, 0),
        pevm_sender(sender),
        Account::contract(
            counter,
            Bytes::from_static(&COUNTER_CODE),
            vec![(U256::ZERO, U256::from(1u8))],
        ),
    ];
    let txs = (0..n)
        .map(|i| Tx {
            caller: sender,
            to: Some(counter),
            value: U256::ZERO,
            data: Bytes::new(),
            gas_limit: 50_000,
            gas_price: PEVM_GAS_PRICE,
            nonce: i as u64,
        })
        .collect();
    Workload {
        name: "dependent_chain",
        chain: CHAIN,
        accounts,
        txs,
    }
}

/// A hot mix: 60% independent raw transfers, 25% ERC-20 transfers from distinct senders to one hot
/// recipient, 15% increments of one shared counter, shuffled. Every sender is distinct.
pub fn hot_mix(n: usize) -> Result<Workload, BenchError> {
    let mut rng = Rng::new(0x4071);
    let token = rng.address();
    let counter = rng.address();
    let hot = rng.address();
    let mut holders = Vec::new();
    let mut accounts = vec![
        Account::eoa(Address::ZERO, U256::ZERO, 0),
        Account::contract(
            counter,
            Bytes::from_static(&COUNTER_CODE),
            vec![(U256::ZERO, U256::from(1u8))],
        ),
    ];
    let mut txs = Vec::with_capacity(n);
    for _ in 0..n {
        let sender = rng.address();
        accounts.push(pevm_sender(sender));
        let (to, data, gas_limit, value) = match rng.below(100) {
            0..=59 => (sender, Bytes::new(), 21_000, U256::from(1u8)),
            60..=84 => {
                holders.push(sender);
                (
                    token,
                    transfer_call(hot, U256::from(1 + rng.below(255))),
                    60_000,
                    U256::ZERO,
                )
            }
            _ => (counter, Bytes::new(), 50_000, U256::ZERO),
        };
        txs.push(Tx {
            caller: sender,
            to: Some(to),
            value,
            data,
            gas_limit,
            gas_price: PEVM_GAS_PRICE,
            nonce: 0,
        });
    }
    accounts.push(pevm_token(token, "Gold Token", "GLD", &holders)?);
    Ok(Workload {
        name: "hot_mix",
        chain: CHAIN,
        accounts,
        txs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_coinbase_is_in_no_pre_state() {
        for w in [raw_transfers(64), dependent_chain(64)] {
            let w = with_absent_coinbase(w);
            assert_eq!(w.chain.coinbase, ABSENT_COINBASE);
            assert!(
                w.accounts.iter().all(|a| a.address != ABSENT_COINBASE),
                "{} holds the absent fee recipient",
                w.name
            );
        }
    }
}
