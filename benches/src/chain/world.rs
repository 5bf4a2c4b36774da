//! The generated world of the chain benchmark: N funded accounts at pseudo-random addresses, T ERC-20
//! tokens (pevm's `ERC20Token`) with H holders each, and a pool of senders each holding one token; blocks
//! of `transfer(random account, 1)` calls, one per sender.

use crate::error::BenchError;
use crate::synthetic::rng::Rng;
use crate::synthetic::workloads::{pevm_token, transfer_call, CHAIN, PEVM_GAS_PRICE};
use crate::world::{Account, Tx};
use alloy_primitives::{Address, U256};

/// The generated pre-state and the blocks to run on it.
pub struct ChainWorld {
    /// Every account of the pre-state.
    pub accounts: Vec<Account>,
    /// Blocks of transactions, in order.
    pub blocks: Vec<Vec<Tx>>,
}

/// Builds a world of `accounts` filler accounts and `tokens` tokens with `holders` holders each, and
/// `blocks` blocks of `txs` transfers.
pub fn generate(
    accounts: usize,
    tokens: usize,
    holders: usize,
    blocks: usize,
    txs: usize,
) -> Result<ChainWorld, BenchError> {
    let mut rng = Rng::new(0xc4a1_2024);
    let one_eth = U256::from(10u64).pow(U256::from(18u64));
    let filler: Vec<Address> = (0..accounts).map(|_| rng.address()).collect();
    let senders: Vec<Address> = (0..blocks * txs).map(|_| rng.address()).collect();
    let token_addresses: Vec<Address> = (0..tokens).map(|_| rng.address()).collect();
    let mut out: Vec<Account> = filler
        .iter()
        .map(|a| Account::eoa(*a, one_eth, 1))
        .collect();
    out.push(Account::eoa(CHAIN.coinbase, U256::ZERO, 0));
    for (t, token) in token_addresses.iter().enumerate() {
        let mut holding: Vec<Address> = (0..holders)
            .map(|_| filler[rng.below(filler.len() as u64) as usize])
            .collect();
        holding.extend(senders.iter().skip(t).step_by(tokens));
        out.push(pevm_token(*token, "Bench Token", "BNCH", &holding)?);
    }
    out.extend(
        senders
            .iter()
            .map(|s| Account::eoa(*s, U256::from(100u64) * one_eth, 0)),
    );
    let blocks = senders
        .chunks(txs)
        .enumerate()
        .map(|(b, chunk)| {
            chunk
                .iter()
                .enumerate()
                .map(|(j, s)| {
                    let token = token_addresses[(b * txs + j) % tokens];
                    let to = filler[rng.below(filler.len() as u64) as usize];
                    Tx {
                        caller: *s,
                        to: Some(token),
                        value: U256::ZERO,
                        data: transfer_call(to, U256::from(1u8)),
                        gas_limit: 100_000,
                        gas_price: PEVM_GAS_PRICE,
                        nonce: 0,
                    }
                })
                .collect()
        })
        .collect();
    Ok(ChainWorld {
        accounts: out,
        blocks,
    })
}
