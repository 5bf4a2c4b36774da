//! Minimal reproduction of an evm-core parking issue, kept for the evm-core maintainers (ignored: it
//! documents a bug outside this crate; `parallel-commit` works around it, see `view.rs`).
//!
//! `TxExecution::finalize` applies the fee writes (sender reimbursement, coinbase credit) and then calls
//! `clear_touched_empty`, which may read a touched account's nonce or balance. If that read answers
//! `NotReady`, the resumed execution runs `finalize` again and applies the fee writes twice.

use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use parevm_evm_core::env::{BlockEnv, CfgEnv, Env, TxEnv};
use parevm_evm_core::{execute_tx, Code, SpecId, StateView, TxExecution, ViewError};
use parevm_state::InMemoryState;
use std::cell::Cell;

const SENDER: Address = Address::repeat_byte(0x0a);
const TARGET: Address = Address::repeat_byte(0x0b);
const COINBASE: Address = Address::repeat_byte(0x0c);

/// Answers `NotReady(0)` to the first nonce read of TARGET.
struct Flaky<'a> {
    inner: &'a InMemoryState,
    tripped: Cell<bool>,
}

impl StateView for Flaky<'_> {
    fn balance(&self, a: Address) -> Result<U256, ViewError> {
        self.inner.balance(a)
    }
    fn nonce(&self, a: Address) -> Result<u64, ViewError> {
        if a == TARGET && !self.tripped.replace(true) {
            return Err(ViewError::NotReady(0));
        }
        self.inner.nonce(a)
    }
    fn code_hash(&self, a: Address) -> Result<B256, ViewError> {
        self.inner.code_hash(a)
    }
    fn code_by_hash(&self, h: B256) -> Result<Code, ViewError> {
        self.inner.code_by_hash(h)
    }
    fn storage(&self, a: Address, k: U256) -> Result<U256, ViewError> {
        self.inner.storage(a, k)
    }
    fn block_hash(&self, n: u64) -> Result<B256, ViewError> {
        self.inner.block_hash(n)
    }
}

#[test]
#[ignore = "evm-core bug: finalize is not idempotent when clear_touched_empty parks"]
fn park_inside_clear_touched_empty_applies_fees_once() {
    let mut s = InMemoryState::new();
    s.insert_account(SENDER, U256::from(10u64.pow(18)), 0, Bytes::new(), []);
    let env = Env {
        cfg: CfgEnv::new(1, SpecId::CANCUN),
        block: BlockEnv {
            number: 1,
            beneficiary: COINBASE,
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
    let flaky = Flaky {
        inner: &s,
        tripped: Cell::new(false),
    };
    let mut exec = TxExecution::new(env);
    assert!(exec.resume(&flaky).is_err(), "parks on TARGET's nonce");
    let resumed = exec.resume(&flaky).expect("resumes");
    assert_eq!(resumed.writes, straight.writes);
}
