//! Balance credits after the transactions: EIP-4895 withdrawals (Shanghai on, amounts in gwei) and, before
//! the Merge, the block reward and the ommer (uncle) rewards.

use crate::error::BlockError;
use crate::store::StateStore;
use alloy_consensus::Header;
use alloy_eips::eip4895::Withdrawal;
use alloy_primitives::{Address, U256};
use parevm_evm_core::{AccountWrite, BalanceWrite, SpecId, KECCAK_EMPTY};

/// One gwei in wei.
const GWEI: u64 = 1_000_000_000;

/// The base block reward of `spec`: 5 ETH to Spurious Dragon, 3 ETH from Byzantium (EIP-649),
/// 2 ETH from Constantinople (EIP-1234), none from the Merge (EIP-3675).
pub fn block_reward(spec: SpecId) -> Option<U256> {
    let eth = U256::from(10u64).pow(U256::from(18));
    if spec.is_enabled_in(SpecId::MERGE) {
        None
    } else if spec.is_enabled_in(SpecId::PETERSBURG) {
        Some(eth * U256::from(2))
    } else if spec.is_enabled_in(SpecId::BYZANTIUM) {
        Some(eth * U256::from(3))
    } else {
        Some(eth * U256::from(5))
    }
}

/// The credits of the block reward: `(address, amount)` for the beneficiary (base reward plus 1/32 per
/// ommer) and for each ommer's beneficiary (`(ommer + 8 - number) / 8` of the base reward).
pub fn reward_credits(
    beneficiary: Address,
    number: u64,
    ommers: &[Header],
    spec: SpecId,
) -> Vec<(Address, U256)> {
    let Some(base) = block_reward(spec) else {
        return Vec::new();
    };
    let mut credits = vec![(
        beneficiary,
        base + base / U256::from(32) * U256::from(ommers.len()),
    )];
    for ommer in ommers {
        let depth_factor = (ommer.number + 8).saturating_sub(number);
        credits.push((
            ommer.beneficiary,
            U256::from(depth_factor) * base / U256::from(8),
        ));
    }
    credits
}

/// Applies the block and ommer rewards to `state`.
pub fn apply_rewards<S: StateStore>(
    state: &mut S,
    beneficiary: Address,
    number: u64,
    ommers: &[Header],
    spec: SpecId,
) -> Result<(), BlockError> {
    for (address, amount) in reward_credits(beneficiary, number, ommers, spec) {
        state.apply(&vec![credit(address, amount)])?;
    }
    Ok(())
}

/// Applies EIP-4895 withdrawals in order. A zero-amount withdrawal neither creates an account nor keeps an
/// empty one (EIP-161 applies to its recipient).
pub fn apply_withdrawals<S: StateStore>(
    state: &mut S,
    withdrawals: &[Withdrawal],
) -> Result<(), BlockError> {
    for w in withdrawals {
        let amount = U256::from(w.amount) * U256::from(GWEI);
        if !amount.is_zero() {
            state.apply(&vec![credit(w.address, amount)])?;
            continue;
        }
        let code_hash = state.code_hash(w.address)?;
        let exists = !code_hash.is_zero();
        let empty = code_hash == KECCAK_EMPTY
            && state.nonce(w.address)? == 0
            && state.balance(w.address)?.is_zero();
        if exists && empty {
            let mut write = AccountWrite::new(w.address);
            write.destroyed = true;
            state.apply(&vec![write])?;
        }
    }
    Ok(())
}

/// A write crediting `amount` to `address`.
fn credit(address: Address, amount: U256) -> AccountWrite {
    let mut write = AccountWrite::new(address);
    write.balance = Some(BalanceWrite::Add(amount));
    write
}

#[cfg(test)]
mod tests {
    use super::*;
    use parevm_evm_core::StateView;
    use parevm_state::InMemoryState;

    fn eth(n: u64) -> U256 {
        U256::from(n) * U256::from(10u64).pow(U256::from(18))
    }

    #[test]
    fn reward_by_fork() {
        assert_eq!(block_reward(SpecId::FRONTIER), Some(eth(5)));
        assert_eq!(block_reward(SpecId::BYZANTIUM), Some(eth(3)));
        assert_eq!(block_reward(SpecId::PETERSBURG), Some(eth(2)));
        assert_eq!(block_reward(SpecId::LONDON), Some(eth(2)));
        assert_eq!(block_reward(SpecId::MERGE), None);
    }

    #[test]
    fn ommer_and_nephew_rewards() {
        let miner = Address::repeat_byte(1);
        let uncle_miner = Address::repeat_byte(2);
        let ommer = Header {
            number: 9,
            beneficiary: uncle_miner,
            ..Default::default()
        };
        let credits = reward_credits(miner, 10, &[ommer], SpecId::BYZANTIUM);
        assert_eq!(credits[0], (miner, eth(3) + eth(3) / U256::from(32)));
        assert_eq!(
            credits[1],
            (uncle_miner, eth(3) * U256::from(7) / U256::from(8))
        );
        assert!(reward_credits(miner, 10, &[], SpecId::MERGE).is_empty());
    }

    #[test]
    fn withdrawals_in_gwei_and_zero_amounts() {
        let mut s = InMemoryState::new();
        let a = Address::repeat_byte(3);
        let b = Address::repeat_byte(4);
        let empty = Address::repeat_byte(5);
        s.insert_account(empty, U256::ZERO, 0, Default::default(), []);
        let w = |address, amount| Withdrawal {
            index: 0,
            validator_index: 0,
            address,
            amount,
        };
        apply_withdrawals(&mut s, &[w(a, 2), w(a, 1), w(b, 0), w(empty, 0)]).expect("no overflow");
        assert_eq!(s.balance(a).unwrap(), U256::from(3 * GWEI));
        assert!(s.account(&b).is_none());
        assert!(s.account(&empty).is_none());
    }
}
