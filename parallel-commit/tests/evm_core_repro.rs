//! Regression for the contract `parallel-commit` relies on to park anywhere: a `TxExecution` that answers
//! `NotReady` at any read, including the EIP-161 clearing inside its finalize step (after the fee writes),
//! resumes to exactly the outcome of an uninterrupted run.
//!
//! `TxExecution::finalize` used to apply the fee writes (sender reimbursement, coinbase credit) and then
//! read a touched account's nonce or balance in `clear_touched_empty`; a `NotReady` there made the resumed
//! execution apply the fees twice, and the parallel path had to restart such executions instead of
//! resuming them. evm-core now writes the fees under a checkpoint (commit b72c748), so every park resumes.

mod common;

use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use common::*;
use parevm_evm_core::env::{BlockEnv, CfgEnv, Env, TxEnv};
use parevm_evm_core::{execute_tx, Code, SpecId, StateView, TxError, TxExecution, ViewError};
use parevm_state::InMemoryState;
use std::cell::Cell;

const SENDER: Address = Address::repeat_byte(0x0a);
const TARGET: Address = Address::repeat_byte(0x0b);
const BENEFICIARY: Address = Address::repeat_byte(0x0c);

/// Answers `NotReady(0)` to read number `refuse` (counting every read, of any kind) the first time it
/// is made; counts reads.
struct Flaky<'a> {
    inner: &'a InMemoryState,
    refuse: Option<usize>,
    seen: Cell<usize>,
    refused: Cell<bool>,
}

impl<'a> Flaky<'a> {
    fn new(inner: &'a InMemoryState, refuse: Option<usize>) -> Self {
        Self {
            inner,
            refuse,
            seen: Cell::new(0),
            refused: Cell::new(false),
        }
    }

    fn gate(&self) -> Result<(), ViewError> {
        let n = self.seen.get();
        self.seen.set(n + 1);
        if self.refuse == Some(n) && !self.refused.replace(true) {
            return Err(ViewError::NotReady(0));
        }
        Ok(())
    }
}

impl StateView for Flaky<'_> {
    fn balance(&self, a: Address) -> Result<U256, ViewError> {
        self.gate()?;
        self.inner.balance(a)
    }
    fn nonce(&self, a: Address) -> Result<u64, ViewError> {
        self.gate()?;
        self.inner.nonce(a)
    }
    fn code_hash(&self, a: Address) -> Result<B256, ViewError> {
        self.gate()?;
        self.inner.code_hash(a)
    }
    fn code_by_hash(&self, h: B256) -> Result<Code, ViewError> {
        self.inner.code_by_hash(h)
    }
    fn storage(&self, a: Address, k: U256) -> Result<U256, ViewError> {
        self.gate()?;
        self.inner.storage(a, k)
    }
    fn block_hash(&self, n: u64) -> Result<B256, ViewError> {
        self.inner.block_hash(n)
    }
    fn has_storage(&self, a: Address) -> Result<bool, ViewError> {
        self.gate()?;
        self.inner.has_storage(a)
    }
}

/// The transaction of the original report: a zero-value call to an account that does not exist, so the
/// finalize step's EIP-161 clearing reads TARGET's nonce after the fee writes.
#[test]
fn park_inside_clear_touched_empty_applies_fees_once() {
    let mut s = InMemoryState::new();
    s.insert_account(SENDER, U256::from(10u64.pow(18)), 0, Bytes::new(), []);
    let env = Env {
        cfg: CfgEnv::new(1, SpecId::CANCUN),
        block: BlockEnv {
            number: 1,
            beneficiary: BENEFICIARY,
            gas_limit: 30_000_000,
            basefee: U256::from(1),
            prevrandao: Some(B256::ZERO),
            blob_basefee: Some(1),
            ..Default::default()
        },
        tx: TxEnv {
            caller: SENDER,
            gas_limit: 30_000,
            gas_price: U256::from(2),
            kind: TxKind::Call(TARGET),
            chain_id: Some(1),
            ..Default::default()
        },
    };
    let straight = execute_tx(&env, &s).expect("valid");
    let reads = {
        let counting = Flaky::new(&s, None);
        TxExecution::new(env.clone())
            .resume(&counting)
            .expect("valid");
        counting.seen.get()
    };
    // Park at every read in turn, including the last ones (the clearing inside finalize).
    for n in 0..reads {
        let flaky = Flaky::new(&s, Some(n));
        let mut exec = TxExecution::new(env.clone());
        assert!(
            matches!(
                exec.resume(&flaky),
                Err(TxError::View(ViewError::NotReady(0)))
            ),
            "read {n} parks"
        );
        let resumed = exec.resume(&flaky).expect("resumes");
        assert_eq!(resumed.writes, straight.writes, "parked at read {n}");
        assert_eq!(resumed.gas_used, straight.gas_used, "parked at read {n}");
    }
}

/// Every generated transaction kind of the equivalence tests, parked once at each of its reads, resumes
/// to the uninterrupted outcome (write set, gas, status, logs, output).
#[test]
fn every_read_of_every_tx_kind_can_park() {
    let kinds = [
        TxSpec::Transfer {
            from: 0,
            to: 1,
            value: 5,
        },
        TxSpec::ToEmpty {
            from: 1,
            which: 0,
            value: 0,
        },
        TxSpec::ToEmpty {
            from: 2,
            which: 1,
            value: 3,
        },
        TxSpec::Counter { from: 3 },
        TxSpec::Revert { from: 4 },
        TxSpec::Oog { from: 5 },
        TxSpec::ReadBalance { from: 6, who: 45 },
        TxSpec::Forward {
            from: 7,
            to: 2,
            value: 9,
        },
        TxSpec::Create { from: 8 },
        TxSpec::Create2 { from: 9, salt: 1 },
        TxSpec::Child {
            from: 10,
            salt: 0,
            destroy: true,
        },
        TxSpec::Deploy { from: 11 },
        TxSpec::Erc20 {
            from: 12,
            to: 3,
            amount: 7,
        },
        TxSpec::CreateDestroy {
            from: 13,
            salt: 2,
            value: 11,
        },
    ];
    for spec_id in [SpecId::SHANGHAI, SpecId::CANCUN] {
        let block = build_block(&kinds, spec_id);
        for (i, env) in block.envs.iter().enumerate() {
            let straight = execute_tx(env, &block.state).expect("valid");
            let counting = Flaky::new(&block.state, None);
            TxExecution::new(env.clone())
                .resume(&counting)
                .expect("valid");
            for n in 0..counting.seen.get() {
                let flaky = Flaky::new(&block.state, Some(n));
                let mut exec = TxExecution::new(env.clone());
                let resumed = loop {
                    match exec.resume(&flaky) {
                        Err(TxError::View(ViewError::NotReady(_))) => continue,
                        r => break r.expect("valid"),
                    }
                };
                let r = compare(&[Ok(straight.clone())], &[Ok(resumed.clone())]);
                assert!(
                    r.is_ok(),
                    "{spec_id:?} tx {i} ({:?}) parked at read {n}: {r:?}",
                    kinds[i]
                );
            }
        }
    }
}
