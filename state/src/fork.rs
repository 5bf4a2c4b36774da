//! The state a forked chain starts from: what [`InMemoryState`](crate::InMemoryState) reads for an account or
//! slot it does not hold itself, when it was made with [`InMemoryState::forked`](crate::InMemoryState::forked).
//!
//! ```text
//! read(address) -> local account?  yes -> its fields (a slot it lacks: from the fork when `fork_storage`)
//!                                  no  -> known gone? -> empty    else -> ForkSource (remote node, cached)
//! write(address) -> materialize: the fork's account (and the written slots' values) copied in first
//! ```
//! The source answers for one fixed block of another chain, so its answers never change and may be cached
//! forever; it lives outside this crate (the devnet's `--fork-url` client over JSON-RPC).

use alloy_primitives::{Address, B256, U256};
use parevm_evm_core::{Code, ViewError};

/// One account as the forked chain holds it at the fork block.
#[derive(Clone, Debug)]
pub struct ForkAccount {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Code with its hash (empty code: `KECCAK_EMPTY`).
    pub code: Code,
}

impl ForkAccount {
    /// EIP-161 emptiness: such an account reads as absent.
    pub fn is_empty(&self) -> bool {
        self.balance.is_zero() && self.nonce == 0 && self.code.is_empty()
    }
}

/// The state of another chain at one block, read on demand.
pub trait ForkSource: Send + Sync + std::fmt::Debug {
    /// The account at `address`.
    fn account(&self, address: Address) -> Result<ForkAccount, ViewError>;
    /// One storage slot of `address`.
    fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError>;
    /// Code by hash: code the source has returned with an account.
    fn code(&self, hash: B256) -> Option<Code>;
    /// The hash of block `number`, at most the fork block.
    fn block_hash(&self, number: u64) -> Result<B256, ViewError>;
    /// The fork block's number: BLOCKHASH above it is the local chain's.
    fn block_number(&self) -> u64;
}

#[cfg(test)]
mod tests {
    use crate::{ForkAccount, ForkSource, InMemoryState};
    use alloy_primitives::map::HashMap;
    use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
    use parevm_evm_core::{
        AccountWrite, BalanceWrite, Bytecode, Code, StateView, ViewError, KECCAK_EMPTY,
    };
    use std::sync::Arc;

    /// A fork at block 50 holding `a()` (balance 100, nonce 2, code, slots 1 = 11 and 2 = 22) and every
    /// other account empty; or failing every account read.
    #[derive(Debug, Default)]
    struct Fixed {
        fail: bool,
    }

    fn a() -> Address {
        Address::repeat_byte(0xa)
    }

    fn code() -> Code {
        Arc::new(Bytecode::new(Bytes::from_static(&[0x60, 0x01, 0x00])))
    }

    impl ForkSource for Fixed {
        fn account(&self, address: Address) -> Result<ForkAccount, ViewError> {
            if self.fail {
                return Err(ViewError::Backend("unreachable".into()));
            }
            Ok(if address == a() {
                ForkAccount {
                    balance: U256::from(100),
                    nonce: 2,
                    code: code(),
                }
            } else {
                ForkAccount {
                    balance: U256::ZERO,
                    nonce: 0,
                    code: Bytecode::empty(),
                }
            })
        }
        fn storage(&self, address: Address, slot: U256) -> Result<U256, ViewError> {
            let slots: HashMap<u64, u64> = [(1, 11), (2, 22)].into_iter().collect();
            Ok(if address == a() {
                U256::from(slots.get(&slot.to::<u64>()).copied().unwrap_or(0))
            } else {
                U256::ZERO
            })
        }
        fn code(&self, hash: B256) -> Option<Code> {
            (hash == code().hash()).then(code)
        }
        fn block_hash(&self, number: u64) -> Result<B256, ViewError> {
            Ok(keccak256(format!("fork {number}")))
        }
        fn block_number(&self) -> u64 {
            50
        }
    }

    fn forked() -> InMemoryState {
        InMemoryState::forked(Arc::new(Fixed::default()))
    }

    fn write(address: Address) -> AccountWrite {
        AccountWrite::new(address)
    }

    #[test]
    fn reads_fall_through_to_the_fork_until_written() {
        let s = forked();
        assert_eq!(s.balance(a()).unwrap(), U256::from(100));
        assert_eq!(s.nonce(a()).unwrap(), 2);
        assert_eq!(s.code_hash(a()).unwrap(), code().hash());
        assert_eq!(
            s.code_by_hash(code().hash()).unwrap().bytes(),
            code().bytes()
        );
        assert_eq!(s.storage(a(), U256::from(2)).unwrap(), U256::from(22));
        // An account the fork holds empty does not exist.
        let b = Address::repeat_byte(0xb);
        assert_eq!(s.code_hash(b).unwrap(), B256::ZERO);
        // BLOCKHASH at or below the fork block is the fork's; above it, the local chain's.
        assert_eq!(s.block_hash(50).unwrap(), keccak256("fork 50"));
        assert_eq!(s.block_hash(51).unwrap(), keccak256("51"));
        assert!(s.is_empty(), "reads copy nothing in");
    }

    #[test]
    fn a_write_keeps_what_it_does_not_change() {
        let mut s = forked();
        // A credit never read: the fork's balance is the base.
        let mut w = write(a());
        w.balance = Some(BalanceWrite::Add(U256::from(5)));
        w.storage = vec![(U256::from(1), U256::ZERO), (U256::from(3), U256::from(33))];
        let writes = vec![w];
        s.materialize(&writes).unwrap();
        // The values before the writes are here now (a block's reverse diff reads them).
        let held = s.account(&a()).unwrap();
        assert_eq!(held.storage.get(&U256::from(1)), Some(&U256::from(11)));
        assert!(held.fork_storage);
        s.apply(&writes);
        assert_eq!(s.balance(a()).unwrap(), U256::from(105));
        assert_eq!(s.nonce(a()).unwrap(), 2);
        assert_eq!(s.code_hash(a()).unwrap(), code().hash());
        // A zero written over the fork's 11 hides it; an unwritten slot still reads from the fork.
        assert_eq!(s.storage(a(), U256::from(1)).unwrap(), U256::ZERO);
        assert_eq!(s.storage(a(), U256::from(2)).unwrap(), U256::from(22));
        assert_eq!(s.storage(a(), U256::from(3)).unwrap(), U256::from(33));
    }

    #[test]
    fn wiped_and_destroyed_accounts_stop_reading_the_fork() {
        let mut s = forked();
        let mut reset = write(a());
        reset.storage_reset = true;
        reset.storage = vec![(U256::from(3), U256::from(3))];
        let writes = vec![reset];
        s.materialize(&writes).unwrap();
        s.apply(&writes);
        assert_eq!(s.storage(a(), U256::from(2)).unwrap(), U256::ZERO);
        assert_eq!(s.storage(a(), U256::from(3)).unwrap(), U256::from(3));
        let mut d = write(a());
        d.destroyed = true;
        let writes = vec![d];
        s.materialize(&writes).unwrap();
        s.apply(&writes);
        assert_eq!(s.balance(a()).unwrap(), U256::ZERO);
        assert_eq!(s.code_hash(a()).unwrap(), B256::ZERO);
        assert_eq!(s.storage(a(), U256::from(2)).unwrap(), U256::ZERO);
        // Created again: a new account, nothing of the fork's.
        let mut w = write(a());
        w.balance = Some(BalanceWrite::Set(U256::from(1)));
        w.code = Some((KECCAK_EMPTY, Bytecode::empty()));
        let writes = vec![w];
        s.materialize(&writes).unwrap();
        s.apply(&writes);
        assert_eq!(s.balance(a()).unwrap(), U256::from(1));
        assert_eq!(s.nonce(a()).unwrap(), 0);
        assert_eq!(s.storage(a(), U256::from(1)).unwrap(), U256::ZERO);
    }

    #[test]
    fn an_account_empty_in_the_fork_is_created_by_its_first_write() {
        let mut s = forked();
        let b = Address::repeat_byte(0xb);
        let mut w = write(b);
        w.balance = Some(BalanceWrite::Add(U256::from(7)));
        let writes = vec![w];
        s.materialize(&writes).unwrap();
        assert!(
            s.account(&b).is_none(),
            "nothing to copy: it reads as absent"
        );
        s.apply(&writes);
        assert_eq!(s.balance(b).unwrap(), U256::from(7));
        assert_eq!(s.code_hash(b).unwrap(), KECCAK_EMPTY);
        assert!(!s.account(&b).unwrap().fork_storage);
    }

    #[test]
    fn an_unreadable_fork_fails_the_write_before_anything_changes() {
        let mut s = InMemoryState::forked(Arc::new(Fixed { fail: true }));
        let mut w = write(a());
        w.balance = Some(BalanceWrite::Add(U256::from(5)));
        let e = s.materialize(&vec![w]).unwrap_err();
        assert_eq!(e, ViewError::Backend("unreachable".into()));
        assert!(s.is_empty());
        assert!(s.balance(a()).is_err());
        assert!(s.materialize_account(a()).is_err());
    }

    #[test]
    fn without_a_fork_nothing_changes() {
        let mut s = InMemoryState::new();
        let mut w = write(a());
        w.storage = vec![(U256::from(1), U256::ZERO)];
        let writes = vec![w];
        s.materialize(&writes).unwrap();
        assert!(s.is_empty());
        s.apply(&writes);
        assert!(s.account(&a()).unwrap().storage.is_empty(), "zeros dropped");
        s.remove_account(&a());
        assert_eq!(s.code_hash(a()).unwrap(), B256::ZERO);
        assert_eq!(s.fork_slot(a(), U256::from(1)).unwrap(), U256::ZERO);
    }
}
