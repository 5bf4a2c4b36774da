//! The chain-rules seam: a test chain with deposits, an extra fee read from state and fee vaults, checked
//! against hand-derived balances, gas and read/write sets. The OP Stack's own rules are tested in
//! `op-stack-adapter`; this file pins what evm-core does with whatever a chain's rules say.

use alloy_primitives::{address, Address, Bytes, TxKind, U256};
use parevm_evm_core::env::{tx_type, BlockEnv, CfgEnv, DepositTx, Env, TxEnv};
use parevm_evm_core::rules::{ChainRules, DepositRules, ExtraFee, FeeSettlement, RuleState};
use parevm_evm_core::{
    execute_tx, BalanceWrite, Code, ExecStatus, HaltReason, InvalidTx, Location, SpecId, StateView,
    TxError, TxExecution, ViewError, B256,
};
use parevm_state::InMemoryState;
use std::cell::Cell;

const SENDER: Address = address!("00000000000000000000000000000000000a11ce");
const TARGET: Address = address!("00000000000000000000000000000000000b0b00");
const COINBASE: Address = address!("0000000000000000000000000000000000c0ffee");
const ORACLE: Address = address!("0000000000000000000000000000000000000f0e");
const BASE_VAULT: Address = address!("00000000000000000000000000000000000ba5e0");
const DATA_VAULT: Address = address!("00000000000000000000000000000000000da7a0");

/// A test chain: deposits (Regolith or not), an extra fee of `slot 0 of ORACLE` wei per calldata byte plus
/// 1 wei per gas of the gas limit (the unused part refunded), the base fee to a vault.
#[derive(Debug)]
struct TestChain {
    regolith: bool,
}

static REGOLITH: TestChain = TestChain { regolith: true };
static BEDROCK: TestChain = TestChain { regolith: false };

impl ChainRules for TestChain {
    fn name(&self) -> &'static str {
        "test"
    }
    fn deposits(&self) -> Option<DepositRules> {
        Some(DepositRules {
            regolith: self.regolith,
        })
    }
    fn extra_fee(&self, env: &Env, state: &mut dyn RuleState) -> Result<ExtraFee, ViewError> {
        let per_byte = state.storage(ORACLE, U256::ZERO)?;
        let data_fee = per_byte * U256::from(env.tx.envelope.len());
        Ok(ExtraFee {
            upfront: data_fee + U256::from(env.tx.gas_limit),
            memo: [data_fee, U256::ZERO, U256::ZERO],
        })
    }
    fn settle_extra_fee(&self, env: &Env, fee: &ExtraFee, gas_used: u64) -> FeeSettlement {
        FeeSettlement {
            refund: U256::from(env.tx.gas_limit - gas_used),
            credits: [Some((DATA_VAULT, fee.memo[0] + U256::from(gas_used))), None],
        }
    }
    fn base_fee_recipient(&self) -> Option<Address> {
        Some(BASE_VAULT)
    }
}

const BALANCE: u64 = 1_000_000_000;

fn state() -> InMemoryState {
    let mut s = InMemoryState::new();
    s.insert_account(SENDER, U256::from(BALANCE), 0, Bytes::new(), []);
    // ORACLE: slot 0 = 3 (wei per envelope byte).
    s.insert_account(
        ORACLE,
        U256::ZERO,
        1,
        Bytes::new(),
        [(U256::ZERO, U256::from(3))],
    );
    s
}

fn env(rules: &'static TestChain, spec: SpecId) -> Env {
    Env {
        cfg: CfgEnv::new(10, spec).with_rules(rules),
        block: BlockEnv {
            number: 1,
            beneficiary: COINBASE,
            timestamp: 1,
            gas_limit: 30_000_000,
            basefee: U256::from(2),
            prevrandao: Some(B256::ZERO),
            blob_basefee: Some(1),
            ..Default::default()
        },
        tx: TxEnv {
            tx_type: tx_type::EIP1559,
            caller: SENDER,
            gas_limit: 50_000,
            gas_price: U256::from(5),
            gas_priority_fee: Some(U256::from(1)),
            kind: TxKind::Call(TARGET),
            value: U256::from(7),
            chain_id: Some(10),
            envelope: Bytes::from(vec![0xaa; 100]),
            ..Default::default()
        },
    }
}

fn deposit(rules: &'static TestChain, mint: u128, value: u64) -> Env {
    let mut e = env(rules, SpecId::SHANGHAI);
    e.tx.tx_type = tx_type::DEPOSIT;
    e.tx.gas_price = U256::ZERO;
    e.tx.gas_priority_fee = None;
    e.tx.value = U256::from(value);
    e.tx.nonce = 99; // ignored: deposits carry no nonce
    e.tx.deposit = Some(DepositTx {
        source_hash: B256::repeat_byte(1),
        mint,
        is_system: false,
    });
    e
}

fn balance_write(out: &parevm_evm_core::TxOutcome, a: Address) -> Option<BalanceWrite> {
    out.writes.iter().find(|w| w.address == a)?.balance
}

#[test]
fn ethereum_rejects_deposits() {
    let mut e = deposit(&REGOLITH, 1, 0);
    e.cfg = CfgEnv::new(10, SpecId::SHANGHAI);
    assert_eq!(
        execute_tx(&e, &state()).err(),
        Some(TxError::Invalid(InvalidTx::TypeNotSupported(0x7e)))
    );
}

#[test]
fn extra_fee_is_read_through_the_journal_charged_and_settled() {
    let s = state();
    let e = env(&REGOLITH, SpecId::SHANGHAI);
    let out = execute_tx(&e, &s).expect("valid");
    assert_eq!(out.status, ExecStatus::Success);
    assert_eq!(out.gas_used, 21_000);
    assert!(out
        .reads
        .contains(&(Location::Storage(ORACLE, U256::ZERO), U256::from(3))));
    // Sender: gas at price min(5, 2 + 1) = 3 -> 63,000; data fee 3 * 100 = 300; extra per gas 21,000
    // (50,000 charged, 29,000 refunded); value 7.
    let spent = 63_000 + 300 + 21_000 + 7;
    assert_eq!(
        balance_write(&out, SENDER),
        Some(BalanceWrite::Set(U256::from(BALANCE - spent)))
    );
    // Blind credits: tip 1 * 21,000 to the coinbase, base fee 2 * 21,000 to its vault, data fee + gas part.
    assert_eq!(
        balance_write(&out, COINBASE),
        Some(BalanceWrite::Add(U256::from(21_000)))
    );
    assert_eq!(
        balance_write(&out, BASE_VAULT),
        Some(BalanceWrite::Add(U256::from(42_000)))
    );
    assert_eq!(
        balance_write(&out, DATA_VAULT),
        Some(BalanceWrite::Add(U256::from(300 + 21_000)))
    );
    assert!(!out.reads.iter().any(|(l, _)| matches!(
        l,
        Location::Balance(a) if *a == COINBASE || *a == BASE_VAULT || *a == DATA_VAULT
    )));
}

#[test]
fn the_extra_fee_counts_in_the_balance_check() {
    let mut s = state();
    // 50,000 * 5 + 7 = 250,007 for gas and value; the extra fee (300 + 50,000) pushes it over.
    s.account_mut(SENDER).balance = U256::from(250_007 + 50_299);
    let e = env(&REGOLITH, SpecId::SHANGHAI);
    assert!(matches!(
        execute_tx(&e, &s),
        Err(TxError::Invalid(InvalidTx::InsufficientFunds { .. }))
    ));
    s.account_mut(SENDER).balance = U256::from(250_007 + 50_300);
    assert!(execute_tx(&e, &s).is_ok());
}

/// A view whose ORACLE slot is not ready the first time it is read.
struct ParkOnce<'a> {
    inner: &'a InMemoryState,
    parked: Cell<bool>,
}

impl StateView for ParkOnce<'_> {
    fn balance(&self, a: Address) -> Result<U256, ViewError> {
        self.inner.balance(a)
    }
    fn nonce(&self, a: Address) -> Result<u64, ViewError> {
        self.inner.nonce(a)
    }
    fn code_hash(&self, a: Address) -> Result<B256, ViewError> {
        self.inner.code_hash(a)
    }
    fn code_by_hash(&self, h: B256) -> Result<Code, ViewError> {
        self.inner.code_by_hash(h)
    }
    fn storage(&self, a: Address, k: U256) -> Result<U256, ViewError> {
        if a == ORACLE && !self.parked.replace(true) {
            return Err(ViewError::NotReady(0));
        }
        self.inner.storage(a, k)
    }
    fn block_hash(&self, n: u64) -> Result<B256, ViewError> {
        self.inner.block_hash(n)
    }
    fn has_storage(&self, a: Address) -> Result<bool, ViewError> {
        self.inner.has_storage(a)
    }
}

#[test]
fn a_rule_read_can_park_and_resume() {
    let s = state();
    let e = env(&REGOLITH, SpecId::SHANGHAI);
    let straight = execute_tx(&e, &s).expect("valid");
    let view = ParkOnce {
        inner: &s,
        parked: Cell::new(false),
    };
    let mut exec = TxExecution::new(e);
    assert_eq!(
        exec.resume(&view).err(),
        Some(TxError::View(ViewError::NotReady(0)))
    );
    let resumed = exec.resume(&view).expect("resumes");
    assert_eq!(resumed.writes, straight.writes);
    assert_eq!(resumed.reads, straight.reads);
}

#[test]
fn deposit_mints_moves_value_and_pays_no_fee() {
    let mut s = InMemoryState::new();
    s.insert_account(SENDER, U256::ZERO, 4, Bytes::new(), []);
    let out = execute_tx(&deposit(&REGOLITH, 1_000, 600), &s).expect("deposit");
    assert_eq!(out.status, ExecStatus::Success);
    assert_eq!(out.gas_used, 21_000);
    s.apply(&out.writes);
    assert_eq!(s.balance(SENDER).unwrap(), U256::from(400));
    assert_eq!(s.nonce(SENDER).unwrap(), 5);
    assert_eq!(s.balance(TARGET).unwrap(), U256::from(600));
    assert_eq!(s.balance(COINBASE).unwrap(), U256::ZERO);
    assert!(s.account(&BASE_VAULT).is_none());
    assert!(s.account(&DATA_VAULT).is_none());
}

#[test]
fn deposit_without_the_value_fails_and_keeps_mint_and_nonce() {
    let mut s = InMemoryState::new();
    s.insert_account(SENDER, U256::from(5), 4, Bytes::new(), []);
    let e = deposit(&REGOLITH, 1_000, 2_000);
    let out = execute_tx(&e, &s).expect("a deposit never is invalid");
    assert_eq!(out.status, ExecStatus::Halt(HaltReason::FailedDeposit));
    assert_eq!(out.gas_used, e.tx.gas_limit);
    s.apply(&out.writes);
    assert_eq!(s.balance(SENDER).unwrap(), U256::from(1_005));
    assert_eq!(s.nonce(SENDER).unwrap(), 5);
    assert!(s.account(&TARGET).is_none());
}

#[test]
fn deposit_errors_become_failed_deposits() {
    let s = InMemoryState::new();
    // Intrinsic gas too low.
    let mut e = deposit(&REGOLITH, 10, 0);
    e.tx.gas_limit = 20_000;
    let out = execute_tx(&e, &s).expect("failed deposit");
    assert_eq!(out.status, ExecStatus::Halt(HaltReason::FailedDeposit));
    assert_eq!(out.gas_used, 20_000);
    // A system deposit after Regolith.
    let mut e = deposit(&REGOLITH, 10, 0);
    e.tx.deposit.as_mut().unwrap().is_system = true;
    let out = execute_tx(&e, &s).expect("failed deposit");
    assert_eq!(out.status, ExecStatus::Halt(HaltReason::FailedDeposit));
    let w = out.writes.iter().find(|w| w.address == SENDER).unwrap();
    assert_eq!(w.nonce, Some(1));
    assert_eq!(w.balance, Some(BalanceWrite::Add(U256::from(10))));
}

#[test]
fn pre_regolith_deposits_report_the_gas_limit_and_system_deposits_nothing() {
    let s = InMemoryState::new();
    let e = deposit(&BEDROCK, 10, 0);
    let out = execute_tx(&e, &s).expect("deposit");
    assert_eq!(out.status, ExecStatus::Success);
    assert_eq!(out.gas_used, e.tx.gas_limit);
    let mut e = deposit(&BEDROCK, 10, 0);
    e.tx.deposit.as_mut().unwrap().is_system = true;
    assert_eq!(execute_tx(&e, &s).expect("deposit").gas_used, 0);
    // A halt before Regolith is an ordinary halt: the mint and the nonce stay, gas used is the limit.
    let out = execute_tx(&deposit(&BEDROCK, 10, 50), &s).expect("deposit");
    assert_eq!(out.status, ExecStatus::Halt(HaltReason::OutOfFunds));
    assert_eq!(out.gas_used, 50_000);
    let w = out.writes.iter().find(|w| w.address == SENDER).unwrap();
    assert_eq!(w.nonce, Some(1));
}

#[test]
fn deposit_creation_uses_the_state_nonce() {
    let mut s = InMemoryState::new();
    s.insert_account(SENDER, U256::ZERO, 3, Bytes::new(), []);
    let mut e = deposit(&REGOLITH, 0, 0);
    e.tx.kind = TxKind::Create;
    e.tx.gas_limit = 100_000;
    let out = execute_tx(&e, &s).expect("deposit");
    assert_eq!(out.status, ExecStatus::Success);
    assert_eq!(out.created_address, Some(SENDER.create(3)));
    s.apply(&out.writes);
    assert_eq!(s.nonce(SENDER).unwrap(), 4);
}
