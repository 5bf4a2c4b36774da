//! Per-EIP and per-opcode-family tests. Every expected gas figure is derived in a comment from the EIP's
//! constants, so a reader can check it by hand.

use alloy_primitives::{address, Address, Bytes, TxKind, U256};
use parevm_evm_core::env::{AccessListItem, Authorization, BlockEnv, CfgEnv, Env, TxEnv};
use parevm_evm_core::SpecId;
use parevm_evm_core::{
    execute_tx, Code, ExecStatus, HaltReason, InvalidTx, StateView, TxError, TxExecution,
    TxOutcome, ViewError, B256,
};
use parevm_state::InMemoryState;
use std::cell::Cell;

const SENDER: Address = address!("00000000000000000000000000000000000a11ce");
const CONTRACT: Address = address!("00000000000000000000000000000000000c0de0");
const OTHER: Address = address!("00000000000000000000000000000000000b0b00");
const COINBASE: Address = address!("0000000000000000000000000000000000c0ffee");

fn state_with(code: &[u8], storage: &[(u64, u64)]) -> InMemoryState {
    let mut s = InMemoryState::new();
    s.insert_account(SENDER, U256::from(10u128.pow(20)), 0, Bytes::new(), []);
    s.insert_account(
        CONTRACT,
        U256::ZERO,
        1,
        Bytes::copy_from_slice(code),
        storage
            .iter()
            .map(|(k, v)| (U256::from(*k), U256::from(*v))),
    );
    s
}

fn env(spec: SpecId, to: TxKind, data: &[u8]) -> Env {
    Env {
        cfg: CfgEnv::new(1, spec),
        block: BlockEnv {
            number: 1,
            beneficiary: COINBASE,
            timestamp: 1,
            gas_limit: 30_000_000,
            basefee: U256::from(1),
            prevrandao: Some(B256::ZERO),
            blob_basefee: Some(1),
            ..Default::default()
        },
        tx: TxEnv {
            tx_type: 0,
            caller: SENDER,
            gas_limit: 1_000_000,
            gas_price: U256::from(1),
            kind: to,
            data: Bytes::copy_from_slice(data),
            chain_id: Some(1),
            ..Default::default()
        },
    }
}

fn run(spec: SpecId, code: &[u8], storage: &[(u64, u64)]) -> (TxOutcome, InMemoryState) {
    let mut s = state_with(code, storage);
    let out = execute_tx(&env(spec, TxKind::Call(CONTRACT), &[]), &s).expect("valid tx");
    s.apply(&out.writes);
    (out, s)
}

fn slot(s: &InMemoryState, addr: Address, k: u64) -> U256 {
    s.storage(addr, U256::from(k)).expect("in-memory read")
}

// ----- arithmetic and bitwise families -----

#[test]
fn arithmetic_edge_cases() {
    // SDIV(MIN, -1) = MIN; SMOD(-7, 3) = -1; ADDMOD(x, y, 0) = 0; MULMOD(2^255, 2, 3) = 2^256 mod 3 = 1.
    let mut code = Vec::new();
    // SDIV: push -1 (denominator), push MIN (numerator)
    code.extend([0x7f]);
    code.extend([0xff; 32]);
    code.extend([0x7f, 0x80]);
    code.extend([0u8; 31]);
    code.extend([0x05, 0x60, 0x00, 0x55]); // SDIV, SSTORE slot 0
                                           // SMOD: -7 smod 3: push 3, push -7
    code.extend([0x60, 0x03, 0x7f]);
    let mut minus7 = [0xffu8; 32];
    minus7[31] = 0xf9;
    code.extend(minus7);
    code.extend([0x07, 0x60, 0x01, 0x55]);
    // ADDMOD(5, 6, 0) -> 0 is the default slot value, so store 1 + result
    code.extend([
        0x60, 0x00, 0x60, 0x06, 0x60, 0x05, 0x08, 0x60, 0x01, 0x01, 0x60, 0x02, 0x55,
    ]);
    // MULMOD(2^255, 2, 3)
    code.extend([0x60, 0x03, 0x60, 0x02, 0x7f, 0x80]);
    code.extend([0u8; 31]);
    code.extend([0x09, 0x60, 0x03, 0x55, 0x00]);
    let (out, s) = run(SpecId::CANCUN, &code, &[]);
    assert_eq!(out.status, ExecStatus::Success);
    assert_eq!(slot(&s, CONTRACT, 0), U256::from(1) << 255);
    assert_eq!(slot(&s, CONTRACT, 1), U256::MAX);
    assert_eq!(slot(&s, CONTRACT, 2), U256::from(1));
    assert_eq!(slot(&s, CONTRACT, 3), U256::from(1));
}

#[test]
fn shifts_and_byte() {
    // SAR(-16, 2) = -4; SHR(1 << 255, 255) = 1; BYTE(31, 0xabcd) = 0xcd; SIGNEXTEND(0, 0xff) = -1.
    let mut code = Vec::new();
    code.extend([0x7f]);
    let mut m16 = [0xffu8; 32];
    m16[31] = 0xf0;
    code.extend(m16);
    code.extend([0x60, 0x02, 0x1d, 0x60, 0x00, 0x55]);
    code.extend([0x7f, 0x80]);
    code.extend([0u8; 31]);
    code.extend([0x60, 0xff, 0x1c, 0x60, 0x01, 0x55]);
    code.extend([0x61, 0xab, 0xcd, 0x60, 0x1f, 0x1a, 0x60, 0x02, 0x55]);
    code.extend([0x60, 0xff, 0x60, 0x00, 0x0b, 0x60, 0x03, 0x55, 0x00]);
    let (out, s) = run(SpecId::CANCUN, &code, &[]);
    assert_eq!(out.status, ExecStatus::Success);
    assert_eq!(slot(&s, CONTRACT, 0), U256::MAX - U256::from(3));
    assert_eq!(slot(&s, CONTRACT, 1), U256::from(1));
    assert_eq!(slot(&s, CONTRACT, 2), U256::from(0xcd));
    assert_eq!(slot(&s, CONTRACT, 3), U256::MAX);
}

#[test]
fn exp_gas_by_fork() {
    // PUSH2 0x0100 (exponent, 2 bytes) PUSH1 2 EXP POP STOP.
    // Frontier: 3 + 3 + (10 + 10*2) + 2 = 38; Spurious Dragon on (EIP-160): 3 + 3 + (10 + 50*2) + 2 = 118.
    let code = [0x61, 0x01, 0x00, 0x60, 0x02, 0x0a, 0x50, 0x00];
    assert_eq!(run(SpecId::HOMESTEAD, &code, &[]).0.gas_used, 21000 + 38);
    assert_eq!(run(SpecId::BERLIN, &code, &[]).0.gas_used, 21000 + 118);
}

// ----- EIP-7939 CLZ (Osaka) -----

#[test]
fn clz_osaka_only() {
    // PUSH1 1 CLZ PUSH1 0 SSTORE STOP: 3 + 5 + 3 + (20000 + 2100 cold) = 22111.
    let code = [0x60, 0x01, 0x1e, 0x60, 0x00, 0x55, 0x00];
    let (out, s) = run(SpecId::OSAKA, &code, &[]);
    assert_eq!(out.gas_used, 21000 + 22111);
    assert_eq!(slot(&s, CONTRACT, 0), U256::from(255));
    let (out, _) = run(SpecId::PRAGUE, &code, &[]);
    assert_eq!(out.status, ExecStatus::Halt(HaltReason::InvalidOpcode));
    assert_eq!(
        out.gas_used, 1_000_000,
        "an exceptional halt consumes all gas"
    );
}

// ----- EIP-141 INVALID against undefined opcodes -----

/// The designated INVALID (0xfe) and an undefined opcode halt alike but are told apart (RPC errors and
/// traces name them differently), also for 0x0c..=0x0f, which the block loop's copy of the code rewrites.
#[test]
fn designated_invalid_and_undefined_opcodes_halt_apart() {
    let (out, _) = run(SpecId::PRAGUE, &[0x60, 0x01, 0xfe], &[]);
    assert_eq!(out.status, ExecStatus::Halt(HaltReason::DesignatedInvalid));
    assert_eq!(out.gas_used, 1_000_000);
    for op in [0x0c, 0x0f, 0x21, 0xef] {
        let (out, _) = run(SpecId::PRAGUE, &[0x60, 0x01, op], &[]);
        assert_eq!(
            out.status,
            ExecStatus::Halt(HaltReason::InvalidOpcode),
            "opcode {op:#x}"
        );
        assert_eq!(out.gas_used, 1_000_000);
    }
}

// ----- EIP-3855 PUSH0 (Shanghai) -----

#[test]
fn push0_shanghai_only() {
    // PUSH1 7 PUSH0 SSTORE STOP: 3 + 2 + 22100 = 22105.
    let code = [0x60, 0x07, 0x5f, 0x55, 0x00];
    let (out, s) = run(SpecId::SHANGHAI, &code, &[]);
    assert_eq!(out.gas_used, 21000 + 22105);
    assert_eq!(slot(&s, CONTRACT, 0), U256::from(7));
    assert_eq!(
        run(SpecId::MERGE, &code, &[]).0.status,
        ExecStatus::Halt(HaltReason::InvalidOpcode)
    );
}

// ----- EIP-5656 MCOPY -----

#[test]
fn mcopy_overlapping() {
    // MSTORE(0, 0x0102..20) ; MCOPY(dst 1, src 0, len 32) ; SSTORE(0, MLOAD(1))
    let mut code = vec![0x7f];
    code.extend(1u8..=32);
    code.extend([0x60, 0x00, 0x52]); // MSTORE at 0
    code.extend([0x60, 0x20, 0x60, 0x00, 0x60, 0x01, 0x5e]); // MCOPY len 32, src 0, dst 1
    code.extend([0x60, 0x01, 0x51, 0x60, 0x00, 0x55, 0x00]);
    let (out, s) = run(SpecId::CANCUN, &code, &[]);
    assert_eq!(out.status, ExecStatus::Success);
    let mut want = [0u8; 32];
    for (i, b) in want.iter_mut().enumerate() {
        *b = i as u8 + 1;
    }
    assert_eq!(slot(&s, CONTRACT, 0), U256::from_be_bytes(want));
}

// ----- EIP-1153 transient storage -----

#[test]
fn transient_storage_is_not_persisted() {
    // TSTORE(1, 5); SSTORE(0, TLOAD(1)); STOP
    let code = [
        0x60, 0x05, 0x60, 0x01, 0x5d, 0x60, 0x01, 0x5c, 0x60, 0x00, 0x55, 0x00,
    ];
    let (out, s) = run(SpecId::CANCUN, &code, &[]);
    assert_eq!(out.status, ExecStatus::Success);
    assert_eq!(slot(&s, CONTRACT, 0), U256::from(5));
    assert_eq!(
        slot(&s, CONTRACT, 1),
        U256::ZERO,
        "TSTORE never reaches storage"
    );
    assert!(out
        .writes
        .iter()
        .all(|w| w.storage.iter().all(|(k, _)| *k == U256::ZERO)));
}

// ----- EIP-2929 warm/cold -----

#[test]
fn cold_then_warm_sload_and_balance() {
    // PUSH1 0 SLOAD POP PUSH1 0 SLOAD POP: 3 + 2100 + 2 + 3 + 100 + 2 = 2210.
    let code = [0x60, 0x00, 0x54, 0x50, 0x60, 0x00, 0x54, 0x50, 0x00];
    assert_eq!(run(SpecId::BERLIN, &code, &[]).0.gas_used, 21000 + 2210);
    // Istanbul (EIP-1884): 800 each: 3 + 800 + 2 + 3 + 800 + 2 = 1610.
    assert_eq!(run(SpecId::ISTANBUL, &code, &[]).0.gas_used, 21000 + 1610);
    // PUSH20 other BALANCE POP, twice: 3 + 2600 + 2 + 3 + 100 + 2 = 2710.
    let mut code = Vec::new();
    for _ in 0..2 {
        code.push(0x73);
        code.extend(OTHER.as_slice());
        code.extend([0x31, 0x50]);
    }
    code.push(0x00);
    assert_eq!(run(SpecId::BERLIN, &code, &[]).0.gas_used, 21000 + 2710);
}

#[test]
fn access_list_warms_slot() {
    // Type-1 tx warming CONTRACT slot 0: intrinsic 21000 + 2400 + 1900; SLOAD then costs 100.
    let code = [0x60, 0x00, 0x54, 0x50, 0x00];
    let s = state_with(&code, &[]);
    let mut e = env(SpecId::BERLIN, TxKind::Call(CONTRACT), &[]);
    e.tx.tx_type = 1;
    e.tx.access_list = vec![AccessListItem {
        address: CONTRACT,
        storage_keys: vec![B256::ZERO],
    }];
    let out = execute_tx(&e, &s).expect("valid");
    assert_eq!(out.gas_used, 21000 + 2400 + 1900 + 3 + 100 + 2);
}

// ----- EIP-3529 refunds -----

#[test]
fn refund_cap_changes_in_london() {
    // Clear slot 0 (1 -> 0): PUSH1 0 PUSH1 0 SSTORE = 3 + 3 + 5000 (2900 reset + 2100 cold) = 5006.
    // London: refund 4800, cap 26006/5 = 5201 -> used 26006 - 4800 = 21206.
    // Berlin: refund 15000, cap 26006/2 = 13003 -> used 13003.
    let code = [0x60, 0x00, 0x60, 0x00, 0x55, 0x00];
    let (london, _) = run(SpecId::LONDON, &code, &[(0, 1)]);
    assert_eq!(london.gas_refunded, 4800);
    assert_eq!(london.gas_used, 21206);
    let (berlin, _) = run(SpecId::BERLIN, &code, &[(0, 1)]);
    assert_eq!(berlin.gas_refunded, 13003);
    assert_eq!(berlin.gas_used, 13003);
}

// ----- EIP-6780 SELFDESTRUCT -----

#[test]
fn selfdestruct_only_deletes_in_creating_tx_from_cancun() {
    let mut code = vec![0x73];
    code.extend(OTHER.as_slice());
    code.push(0xff);
    let fund = |spec| {
        let mut s = state_with(&code, &[(0, 9)]);
        s.insert_account(
            CONTRACT,
            U256::from(100),
            1,
            Bytes::copy_from_slice(&code),
            [(U256::ZERO, U256::from(9))],
        );
        let out = execute_tx(&env(spec, TxKind::Call(CONTRACT), &[]), &s).expect("valid");
        s.apply(&out.writes);
        s
    };
    let s = fund(SpecId::CANCUN);
    let c = s.account(&CONTRACT).expect("contract survives in Cancun");
    assert_eq!(c.balance, U256::ZERO);
    assert_eq!(slot(&s, CONTRACT, 0), U256::from(9));
    assert_eq!(s.account(&OTHER).map(|a| a.balance), Some(U256::from(100)));
    let s = fund(SpecId::SHANGHAI);
    assert!(
        s.account(&CONTRACT).is_none(),
        "pre-Cancun SELFDESTRUCT deletes the account"
    );
    assert_eq!(s.account(&OTHER).map(|a| a.balance), Some(U256::from(100)));
}

// ----- EIP-7610 creation collision with storage -----

#[test]
fn creation_onto_storage_only_address_collides() {
    // A creation transaction's address is SENDER.create(0). With storage there (no code, nonce or balance)
    // the creation fails like a nonce or code collision: all gas consumed, the storage left as it was.
    let target = SENDER.create(0);
    let init = [0x60, 0x01, 0x60, 0x00, 0x55, 0x00]; // SSTORE(0, 1)
    for (storage, collides) in [(Some(7u64), true), (None, false)] {
        let mut s = state_with(&[], &[]);
        if let Some(v) = storage {
            s.insert_account(
                target,
                U256::ZERO,
                0,
                Bytes::new(),
                [(U256::from(1), U256::from(v))],
            );
        }
        let mut e = env(SpecId::CANCUN, TxKind::Create, &init);
        e.tx.gas_limit = 100_000;
        let out = execute_tx(&e, &s).expect("valid tx");
        s.apply(&out.writes);
        if collides {
            assert_eq!(out.status, ExecStatus::Halt(HaltReason::CreateCollision));
            assert_eq!(out.gas_used, 100_000);
            assert_eq!(slot(&s, target, 1), U256::from(7));
            assert_eq!(slot(&s, target, 0), U256::ZERO);
        } else {
            assert_eq!(out.status, ExecStatus::Success);
            assert_eq!(slot(&s, target, 0), U256::from(1));
        }
    }
}

// ----- transaction validity: EIP-3860, EIP-7825, EIP-7623 -----

#[test]
fn initcode_limit_eip3860() {
    let s = state_with(&[], &[]);
    let mut e = env(SpecId::SHANGHAI, TxKind::Create, &vec![0u8; 49153]);
    e.tx.gas_limit = 10_000_000;
    assert_eq!(
        execute_tx(&e, &s).err(),
        Some(TxError::Invalid(InvalidTx::InitCodeTooLarge(49153)))
    );
    let mut e = env(SpecId::MERGE, TxKind::Create, &vec![0u8; 49153]);
    e.tx.gas_limit = 10_000_000;
    assert!(execute_tx(&e, &s).is_ok(), "no limit before Shanghai");
}

#[test]
fn gas_limit_cap_eip7825() {
    let s = state_with(&[], &[]);
    let mut e = env(SpecId::OSAKA, TxKind::Call(OTHER), &[]);
    e.tx.gas_limit = (1 << 24) + 1;
    assert_eq!(
        execute_tx(&e, &s).err(),
        Some(TxError::Invalid(InvalidTx::GasLimitAboveCap((1 << 24) + 1)))
    );
    e.cfg = CfgEnv::new(1, SpecId::PRAGUE);
    assert!(execute_tx(&e, &s).is_ok());
}

#[test]
fn calldata_floor_eip7623() {
    // 100 non-zero bytes to an account without code: intrinsic 21000 + 16*100 = 22600,
    // floor 21000 + 10 * (4*100) = 25000 from Prague on.
    let s = state_with(&[], &[]);
    let data = [1u8; 100];
    assert_eq!(
        execute_tx(&env(SpecId::PRAGUE, TxKind::Call(OTHER), &data), &s)
            .expect("valid")
            .gas_used,
        25000
    );
    assert_eq!(
        execute_tx(&env(SpecId::CANCUN, TxKind::Call(OTHER), &data), &s)
            .expect("valid")
            .gas_used,
        22600
    );
    // Above the intrinsic cost, below the floor: the floor error (EEST INTRINSIC_GAS_BELOW_FLOOR_GAS_COST).
    let mut e = env(SpecId::PRAGUE, TxKind::Call(OTHER), &data);
    e.tx.gas_limit = 24999;
    assert_eq!(
        execute_tx(&e, &s).err(),
        Some(TxError::Invalid(InvalidTx::FloorGasTooLow {
            limit: 24999,
            floor: 25000
        }))
    );
    // Below both: the intrinsic error (EEST INTRINSIC_GAS_TOO_LOW), as revm and geth check it first.
    e.tx.gas_limit = 22599;
    assert_eq!(
        execute_tx(&e, &s).err(),
        Some(TxError::Invalid(InvalidTx::IntrinsicGasTooLow {
            limit: 22599,
            needed: 22600
        }))
    );
}

#[test]
fn nonce_and_balance_checks() {
    let s = state_with(&[], &[]);
    let mut e = env(SpecId::CANCUN, TxKind::Call(OTHER), &[]);
    e.tx.nonce = 1;
    assert_eq!(
        execute_tx(&e, &s).err(),
        Some(TxError::Invalid(InvalidTx::NonceMismatch {
            tx: 1,
            state: 0
        }))
    );
    let mut e = env(SpecId::CANCUN, TxKind::Call(OTHER), &[]);
    e.tx.value = U256::from(10u128.pow(20));
    assert!(matches!(
        execute_tx(&e, &s),
        Err(TxError::Invalid(InvalidTx::InsufficientFunds { .. }))
    ));
}

// ----- EIP-7702 -----

#[test]
fn set_code_delegation() {
    let authority = address!("00000000000000000000000000000000000a0700");
    // Delegate code: SSTORE(0, 42).
    let delegate_code = [0x60, 0x2a, 0x60, 0x00, 0x55, 0x00];
    let mut s = state_with(&delegate_code, &[]);
    let mut e = env(SpecId::PRAGUE, TxKind::Call(authority), &[]);
    e.tx.tx_type = 4;
    e.tx.gas_priority_fee = Some(U256::ZERO);
    e.tx.authorization_list = vec![Authorization {
        chain_id: U256::from(1),
        address: CONTRACT,
        nonce: 0,
        authority: Some(authority),
    }];
    let out = execute_tx(&e, &s).expect("valid");
    assert_eq!(out.status, ExecStatus::Success);
    s.apply(&out.writes);
    let acc = s.account(&authority).expect("authority exists");
    assert_eq!(acc.nonce, 1);
    let code = s.code_by_hash(acc.code_hash).expect("code");
    assert_eq!(code.delegation(), Some(CONTRACT));
    assert_eq!(
        slot(&s, authority, 0),
        U256::from(42),
        "delegate code runs in the authority's storage"
    );
    assert_eq!(slot(&s, CONTRACT, 0), U256::ZERO);
}

// ----- parking and resuming (the parallel layer's contract) -----

/// Answers `NotReady(0)` to the first read of CONTRACT's storage, then delegates.
struct Flaky<'a> {
    inner: &'a InMemoryState,
    tripped: Cell<bool>,
}

impl StateView for Flaky<'_> {
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
        if a == OTHER && !self.tripped.replace(true) {
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
fn parked_execution_resumes_inside_a_nested_call() {
    // CONTRACT calls OTHER; OTHER increments its slot 0 (the read that blocks) and returns.
    // OTHER: SSTORE(0, SLOAD(0) + 1)
    let callee = [0x60, 0x00, 0x54, 0x60, 0x01, 0x01, 0x60, 0x00, 0x55, 0x00];
    // CONTRACT: CALL(gas, OTHER, 0, 0, 0, 0, 0); SSTORE(1, success)
    let mut caller = vec![
        0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x73,
    ];
    caller.extend(OTHER.as_slice());
    caller.extend([0x5a, 0xf1, 0x60, 0x01, 0x55, 0x00]);
    let mut s = state_with(&caller, &[]);
    s.insert_account(
        OTHER,
        U256::ZERO,
        1,
        Bytes::copy_from_slice(&callee),
        [(U256::ZERO, U256::from(41))],
    );
    let e = env(SpecId::CANCUN, TxKind::Call(CONTRACT), &[]);

    let straight = execute_tx(&e, &s).expect("valid");
    let flaky = Flaky {
        inner: &s,
        tripped: Cell::new(false),
    };
    let mut exec = TxExecution::new(e);
    assert_eq!(
        exec.resume(&flaky).err(),
        Some(TxError::View(ViewError::NotReady(0)))
    );
    let resumed = exec.resume(&flaky).expect("resumes to completion");
    assert_eq!(exec.stats().parks, 1);
    assert_eq!(resumed.status, straight.status);
    assert_eq!(resumed.gas_used, straight.gas_used);
    assert_eq!(resumed.writes, straight.writes);
    assert_eq!(resumed.reads, straight.reads);
    let mut after = s.clone();
    after.apply(&resumed.writes);
    assert_eq!(slot(&after, OTHER, 0), U256::from(42));
    assert_eq!(slot(&after, CONTRACT, 1), U256::from(1));
}

#[test]
fn fee_credit_to_beneficiary_is_a_delta() {
    use parevm_evm_core::{BalanceWrite, Location};
    let s = state_with(&[], &[]);
    let mut e = env(SpecId::CANCUN, TxKind::Call(OTHER), &[]);
    e.tx.tx_type = 2;
    e.tx.gas_price = U256::from(10);
    e.tx.gas_priority_fee = Some(U256::from(2));
    let out = execute_tx(&e, &s).expect("valid");
    // Tip = min(2, 10 - 1) = 2 per gas over 21000 gas.
    let cb = out
        .writes
        .iter()
        .find(|w| w.address == COINBASE)
        .expect("coinbase credited");
    assert_eq!(cb.balance, Some(BalanceWrite::Add(U256::from(42000))));
    assert!(
        !out.reads
            .iter()
            .any(|(l, _)| *l == Location::Balance(COINBASE)),
        "the coinbase balance is never read"
    );
}
