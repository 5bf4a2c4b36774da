//! Failures end the block cleanly: a panicking worker becomes `ParallelError::WorkerPanic` naming the
//! transaction, a failing backend becomes `ParallelError::Backend`; never a hang or a partial result.

mod common;

use alloy_primitives::{Address, B256, U256};
use common::*;
use parevm_evm_core::{Code, SpecId, StateView, ViewError};
use parevm_parallel_commit::{execute_parallel_with, Engine, ParallelConfig, ParallelError};
use parevm_state::InMemoryState;

/// Delegates to a state, but fails (by panicking or with a backend error) on reads of one account.
struct Poisoned {
    inner: InMemoryState,
    poisoned: Address,
    panic: bool,
}

impl Poisoned {
    fn check(&self, a: Address) -> Result<(), ViewError> {
        if a == self.poisoned {
            if self.panic {
                panic!("poisoned account read");
            }
            return Err(ViewError::Backend("disk on fire".into()));
        }
        Ok(())
    }
}

impl StateView for Poisoned {
    fn balance(&self, a: Address) -> Result<U256, ViewError> {
        self.check(a)?;
        self.inner.balance(a)
    }
    fn nonce(&self, a: Address) -> Result<u64, ViewError> {
        self.check(a)?;
        self.inner.nonce(a)
    }
    fn code_hash(&self, a: Address) -> Result<B256, ViewError> {
        self.check(a)?;
        self.inner.code_hash(a)
    }
    fn code_by_hash(&self, h: B256) -> Result<Code, ViewError> {
        self.inner.code_by_hash(h)
    }
    fn storage(&self, a: Address, k: U256) -> Result<U256, ViewError> {
        self.check(a)?;
        self.inner.storage(a, k)
    }
    fn block_hash(&self, n: u64) -> Result<B256, ViewError> {
        self.inner.block_hash(n)
    }
    fn has_storage(&self, a: Address) -> Result<bool, ViewError> {
        self.check(a)?;
        self.inner.has_storage(a)
    }
}

fn block_touching(poisoned_sender: u8) -> Vec<parevm_evm_core::Env> {
    let specs: Vec<TxSpec> = (0..24u8)
        .map(|i| TxSpec::Counter {
            from: if i == 13 { poisoned_sender } else { i % 8 },
        })
        .collect();
    build_block(&specs, SpecId::CANCUN).envs
}

#[test]
fn worker_panic_names_the_transaction() {
    let envs = block_touching(12);
    let view = Poisoned {
        inner: base_state(),
        poisoned: eoa(12),
        panic: true,
    };
    for threads in [2, 4, 8, 16] {
        for round in 0..5u64 {
            let cfg = ParallelConfig::forced(threads).with_chaos(round);
            match execute_parallel_with(&envs, &view, &cfg) {
                Err(ParallelError::WorkerPanic { tx, message }) => {
                    assert_eq!(tx, 13);
                    assert!(message.contains("poisoned"), "{message}");
                }
                other => panic!("expected a worker panic, got {other:?}"),
            }
        }
    }
}

/// The same inside a serial batch: a one-sender chain runs on the committer, which panics at tx 13.
#[test]
fn panic_in_a_serial_batch_names_the_transaction() {
    let specs: Vec<TxSpec> = (0..24u8)
        .map(|i| TxSpec::Transfer {
            from: 0,
            to: if i == 13 { 12 } else { 1 },
            value: 1,
        })
        .collect();
    let envs = build_block(&specs, SpecId::CANCUN).envs;
    let view = Poisoned {
        inner: base_state(),
        poisoned: eoa(12),
        panic: true,
    };
    for threads in [2, 4] {
        match execute_parallel_with(&envs, &view, &ParallelConfig::forced(threads)) {
            Err(ParallelError::WorkerPanic { tx, message }) => {
                assert_eq!(tx, 13);
                assert!(message.contains("poisoned"), "{message}");
            }
            other => panic!("expected a worker panic, got {other:?}"),
        }
    }
}

#[test]
fn backend_error_fails_the_block() {
    let envs = block_touching(12);
    let view = Poisoned {
        inner: base_state(),
        poisoned: eoa(12),
        panic: false,
    };
    for threads in [1, 2, 4, 16] {
        match execute_parallel_with(&envs, &view, &ParallelConfig::forced(threads)) {
            Err(ParallelError::Backend(m)) => {
                assert!(
                    m.contains("transaction 13") && m.contains("disk on fire"),
                    "{m}"
                )
            }
            other => panic!("expected a backend error, got {other:?}"),
        }
    }
}

/// The lookahead engine (cost model off, so helpers always speculate): a panic, on a helper or on the
/// committer, names the transaction; a backend error fails the block.
#[test]
fn lookahead_failures_name_the_transaction() {
    let envs = block_touching(12);
    let lookahead = |threads| {
        let mut cfg = ParallelConfig::forced(threads).with_engine(Engine::Lookahead);
        cfg.adaptive = false;
        cfg
    };
    for threads in [2, 4, 16] {
        for _ in 0..5 {
            let view = Poisoned {
                inner: base_state(),
                poisoned: eoa(12),
                panic: true,
            };
            match execute_parallel_with(&envs, &view, &lookahead(threads)) {
                Err(ParallelError::WorkerPanic { tx, message }) => {
                    assert_eq!(tx, 13);
                    assert!(message.contains("poisoned"), "{message}");
                }
                other => panic!("expected a worker panic, got {other:?}"),
            }
        }
        let view = Poisoned {
            inner: base_state(),
            poisoned: eoa(12),
            panic: false,
        };
        match execute_parallel_with(&envs, &view, &lookahead(threads)) {
            Err(ParallelError::Backend(m)) => {
                assert!(
                    m.contains("transaction 13") && m.contains("disk on fire"),
                    "{m}"
                )
            }
            other => panic!("expected a backend error, got {other:?}"),
        }
    }
}
