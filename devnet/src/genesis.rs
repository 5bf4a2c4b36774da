//! What the devnet's first block holds, as anvil's does: the dev accounts with their balance, the
//! predeploys anvil puts there (the EIP-2935 block-hash history contract from Prague on, the deterministic
//! CREATE2 deployer that `forge script` deploys salted contracts through), and the `alloc` of a genesis file
//! given with `--init`, laid over all of them.
//!
//! ```text
//! DevnetOptions { accounts, balance, create2_deployer, init_alloc } -> genesis_state -> Chain::new
//!                                                       (and again on anvil_reset)
//! ```

use crate::node::DevnetOptions;
use alloy_eips::eip2935::{HISTORY_STORAGE_ADDRESS, HISTORY_STORAGE_CODE};
use alloy_primitives::{address, hex, Address, Bytes, U256};
use parevm_evm_core::SpecId;
use parevm_state::InMemoryState;

/// Where anvil (and every chain that follows the "deterministic deployment proxy" convention) keeps the
/// CREATE2 deployer: `forge script` sends salted creations (`new C{salt: s}()`) to it.
pub const CREATE2_DEPLOYER: Address = address!("4e59b44847b379578588920ca78fbf26c0b4956c");

/// The deployer's runtime code: CREATE2 with the first 32 bytes of the calldata as salt and the rest as
/// init code; it returns the new address (20 bytes) and reverts when the creation fails.
pub const CREATE2_DEPLOYER_CODE: [u8; 69] = hex!(
    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3"
);

/// The genesis state `options` describe, for the dev accounts at `accounts`.
pub fn genesis_state(options: &DevnetOptions, accounts: &[Address]) -> InMemoryState {
    let mut s = InMemoryState::new();
    for a in accounts {
        s.insert_account(*a, options.balance, 0, Bytes::new(), []);
    }
    if options.chain.spec.is_enabled_in(SpecId::PRAGUE) {
        s.insert_account(
            HISTORY_STORAGE_ADDRESS,
            U256::ZERO,
            0,
            HISTORY_STORAGE_CODE.clone(),
            [],
        );
    }
    if options.create2_deployer {
        s.insert_account(
            CREATE2_DEPLOYER,
            U256::ZERO,
            0,
            Bytes::from_static(&CREATE2_DEPLOYER_CODE),
            [],
        );
    }
    parevm_block::genesis::insert_alloc(&mut s, &options.init_alloc);
    s
}

/// The first state of a devnet that forks another chain (`--fork-url`): the fork's state read on demand,
/// the dev accounts given their balance (their nonce and code stay the fork's, as anvil's do), the history
/// contract and the CREATE2 deployer where the fork has no code at their addresses, `--init`'s alloc over
/// all of it. Reads the dev accounts and the two predeploys from the fork.
pub fn forked_state(
    options: &DevnetOptions,
    accounts: &[Address],
    fork: std::sync::Arc<dyn parevm_state::ForkSource>,
) -> Result<InMemoryState, parevm_evm_core::ViewError> {
    use parevm_evm_core::{StateView, KECCAK_EMPTY};
    let mut s = InMemoryState::forked(fork);
    for a in accounts {
        s.materialize_account(*a)?.balance = options.balance;
    }
    let mut predeploys = Vec::new();
    if options.chain.spec.is_enabled_in(SpecId::PRAGUE) {
        predeploys.push((HISTORY_STORAGE_ADDRESS, HISTORY_STORAGE_CODE.clone()));
    }
    if options.create2_deployer {
        predeploys.push((CREATE2_DEPLOYER, Bytes::from_static(&CREATE2_DEPLOYER_CODE)));
    }
    for (address, code) in predeploys {
        let hash = s.code_hash(address)?;
        if hash == KECCAK_EMPTY || hash.is_zero() {
            let hash = s.insert_code(code);
            s.materialize_account(address)?.code_hash = hash;
        }
    }
    parevm_block::genesis::insert_alloc(&mut s, &options.init_alloc);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::keccak256;
    use parevm_evm_core::StateView;

    #[test]
    fn the_deployer_is_there_unless_disabled() {
        let on = DevnetOptions::default();
        let s = genesis_state(&on, &[]);
        let hash = s.code_hash(CREATE2_DEPLOYER).unwrap();
        assert_eq!(hash, keccak256(CREATE2_DEPLOYER_CODE));
        let off = DevnetOptions {
            create2_deployer: false,
            ..DevnetOptions::default()
        };
        let s = genesis_state(&off, &[]);
        assert_eq!(
            s.code_hash(CREATE2_DEPLOYER).unwrap(),
            alloy_primitives::B256::ZERO
        );
    }

    #[test]
    fn an_init_alloc_lies_over_the_dev_accounts() {
        let dev = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        let other = address!("1111111111111111111111111111111111111111");
        let genesis = parevm_block::genesis::parse_genesis(
            r#"{"config":{"chainId":4242},"alloc":{
                "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266":{"balance":"0x5"},
                "0x1111111111111111111111111111111111111111":{"balance":"0x100","nonce":"0x3","code":"0x6001600055","storage":{"0x01":"0x02"}}}}"#,
        )
        .unwrap();
        let options = DevnetOptions {
            init_alloc: std::sync::Arc::new(genesis.alloc),
            ..DevnetOptions::default()
        };
        let s = genesis_state(&options, &[dev]);
        assert_eq!(s.balance(dev).unwrap(), U256::from(5));
        assert_eq!(s.balance(other).unwrap(), U256::from(0x100));
        assert_eq!(s.nonce(other).unwrap(), 3);
        assert_eq!(s.storage(other, U256::from(1)).unwrap(), U256::from(2));
        assert_eq!(s.code_hash(other).unwrap(), keccak256(hex!("6001600055")));
    }
}
