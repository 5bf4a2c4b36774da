//! Generated blocks of controlled conflict for the equivalence tests: a state with funded accounts and a
//! few hand-assembled contracts, and transaction specs that map onto them.
#![allow(dead_code)]

use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use parevm_evm_core::env::{BlockEnv, CfgEnv, Env, TxEnv};
use parevm_evm_core::{InvalidTx, SpecId, TxOutcome};
use parevm_parallel_commit::{
    compare_results, execute_in_place, execute_parallel_with, execute_sequential, BlockExecution,
    Engine, ExecMode, ParallelConfig,
};
use parevm_state::InMemoryState;
use proptest::prelude::*;

/// Thread counts every block is checked at.
pub const THREADS: [usize; 5] = [1, 2, 4, 8, 16];

pub const COINBASE: Address = Address::repeat_byte(0xcb);
/// `SSTORE(0, SLOAD(0) + 1)`: one hot slot.
pub const COUNTER: Address = Address::repeat_byte(0xc1);
/// `SSTORE(k, SLOAD(k) + 1)` with `k = calldata[0..32]`.
pub const KEYED: Address = Address::repeat_byte(0xc2);
/// Increments slot 0, then reverts.
pub const REVERTER: Address = Address::repeat_byte(0xc3);
/// Loops until out of gas.
pub const LOOPER: Address = Address::repeat_byte(0xc4);
/// `SSTORE(0, BALANCE(calldata[0..32]))`: a balance read.
pub const BALANCE_READER: Address = Address::repeat_byte(0xc5);
/// Forwards its call value to `calldata[0..32]`.
pub const FORWARDER: Address = Address::repeat_byte(0xc6);
/// CREATEs a counter contract; stores the new address in slot 0.
pub const FACTORY: Address = Address::repeat_byte(0xc7);
/// CREATE2s a [`multimode_runtime`] child with salt `calldata[0..32]`; stores the address in slot 0.
pub const FACTORY2: Address = Address::repeat_byte(0xc8);

/// A minimal ERC-20: `transfer(to = calldata[0..32], amount = calldata[32..64])` with balances at slot
/// `address`, reverting on insufficient balance, logging a Transfer-like LOG3.
pub const TOKEN: Address = Address::repeat_byte(0xca);
/// CREATE2s (salt `calldata[0..32]`, forwarding the call value) a contract whose init code selfdestructs
/// to its creator: created and destroyed in one transaction (deleted under Cancun's EIP-6780 too).
pub const FACTORY3: Address = Address::repeat_byte(0xcd);
/// Pays its caller `calldata[0..32]` wei (a WETH withdrawal, without the token): its balance is read only
/// to check that it covers the payment, which a validator may take against a changed balance.
pub const PAYER: Address = Address::repeat_byte(0xce);
/// What [`PAYER`] holds at the block's start: a few payments' worth, so that blocks also drain it.
pub const PAYER_FUNDS: u64 = 2_000;

const TOKEN_CODE: [u8; 45] = [
    0x33, 0x54, 0x60, 0x20, 0x35, 0x80, 0x82, 0x10, 0x60, 0x28, 0x57, 0x80, 0x82, 0x03, 0x33, 0x55,
    0x60, 0x00, 0x35, 0x80, 0x54, 0x82, 0x01, 0x90, 0x55, 0x60, 0x00, 0x52, 0x60, 0x00, 0x35, 0x33,
    0x60, 0xdd, 0x60, 0x20, 0x60, 0x00, 0xa3, 0x00, 0x5b, 0x60, 0x00, 0x80, 0xfd,
];
/// Token balance of every EOA in the base state.
pub const TOKENS: u64 = 1_000;
/// Init code: `SELFDESTRUCT(CALLER)`.
const SUICIDE_INIT: [u8; 2] = [0x33, 0xff];

/// Loops 2000 times (about 52k gas), then increments the caller's own slot: heavy and independent.
pub const HEAVY: Address = Address::repeat_byte(0xc9);

const HEAVY_CODE: [u8; 22] = [
    0x61, 0x07, 0xd0, 0x5b, 0x60, 0x01, 0x90, 0x03, 0x80, 0x60, 0x03, 0x57, 0x50, 0x33, 0x80, 0x54,
    0x60, 0x01, 0x01, 0x90, 0x55, 0x00,
];

pub const COUNTER_CODE: [u8; 10] = [0x60, 0x00, 0x54, 0x60, 0x01, 0x01, 0x60, 0x00, 0x55, 0x00];
const KEYED_CODE: [u8; 11] = [
    0x60, 0x00, 0x35, 0x80, 0x54, 0x60, 0x01, 0x01, 0x90, 0x55, 0x00,
];
const REVERTER_CODE: [u8; 14] = [
    0x60, 0x00, 0x54, 0x60, 0x01, 0x01, 0x60, 0x00, 0x55, 0x60, 0x00, 0x60, 0x00, 0xfd,
];
const LOOPER_CODE: [u8; 4] = [0x5b, 0x60, 0x00, 0x56];
const BALANCE_READER_CODE: [u8; 8] = [0x60, 0x00, 0x35, 0x31, 0x60, 0x00, 0x55, 0x00];
const FORWARDER_CODE: [u8; 16] = [
    0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x34, 0x60, 0x00, 0x35, 0x5a, 0xf1, 0x50, 0x00,
];
/// `CALL(GAS, CALLER, calldata[0..32], 0, 0, 0, 0)`, then STOP.
const PAYER_CODE: [u8; 16] = [
    0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x35, 0x33, 0x5a, 0xf1, 0x50, 0x00,
];

/// Calldata word 0 = 0: counter on slot 0; anything else: SELFDESTRUCT to the caller.
pub fn multimode_runtime() -> Vec<u8> {
    let mut c = vec![0x60, 0x00, 0x35, 0x15, 0x60, 0x09, 0x57, 0x33, 0xff, 0x5b];
    c.extend(COUNTER_CODE);
    c
}

/// Init code that deploys `runtime` (at most 32 bytes).
pub fn init_returning(runtime: &[u8]) -> Vec<u8> {
    assert!(runtime.len() <= 32);
    let n = runtime.len() as u8;
    let mut c = vec![0x5f + n];
    c.extend(runtime);
    c.extend([0x60, 0x00, 0x52, 0x60, n, 0x60, 32 - n, 0xf3]);
    c
}

/// A factory that creates from `init` (at most 32 bytes) and stores the created address in slot 0.
fn factory_code(init: &[u8], create2: bool) -> Vec<u8> {
    factory_code_with_value(init, create2, false)
}

/// [`factory_code`], optionally endowing the new contract with the call value.
fn factory_code_with_value(init: &[u8], create2: bool, with_value: bool) -> Vec<u8> {
    assert!(init.len() <= 32);
    let n = init.len() as u8;
    let mut c = vec![0x5f + n];
    c.extend(init);
    c.extend([0x60, 0x00, 0x52]);
    if create2 {
        c.extend([0x60, 0x00, 0x35]);
    }
    c.extend([0x60, n, 0x60, 32 - n]);
    if with_value {
        c.push(0x34);
    } else {
        c.extend([0x60, 0x00]);
    }
    c.push(if create2 { 0xf5 } else { 0xf0 });
    c.extend([0x60, 0x00, 0x55, 0x00]);
    c
}

/// Address of FACTORY2's child for `salt`.
pub fn child_address(salt: u8) -> Address {
    let init = init_returning(&multimode_runtime());
    FACTORY2.create2(B256::from(U256::from(salt)), keccak256(&init))
}

/// Externally owned account `i`.
pub fn eoa(i: u8) -> Address {
    let mut a = [0x10u8; 20];
    a[19] = i;
    Address::from(a)
}

/// An account that exists but is empty (EIP-161 clears it when touched).
pub fn empty_account(i: u8) -> Address {
    let mut a = [0xeeu8; 20];
    a[19] = i;
    Address::from(a)
}

pub const RICH: u8 = 16;
pub const POOR: u8 = 24;
pub const EMPTIES: u8 = 4;
pub const WEI: u64 = 1_000_000_000_000_000_000;

/// The base state every generated block runs on.
pub fn base_state() -> InMemoryState {
    let mut s = InMemoryState::new();
    for i in 0..RICH {
        s.insert_account(eoa(i), U256::from(WEI), 0, Bytes::new(), []);
    }
    // Poor accounts: can pay for a transfer only after they have been paid.
    for i in RICH..RICH + POOR {
        s.insert_account(eoa(i), U256::from(30_000u64), 0, Bytes::new(), []);
    }
    for i in 0..EMPTIES {
        s.insert_account(empty_account(i), U256::ZERO, 0, Bytes::new(), []);
    }
    let code = |c: &[u8]| Bytes::copy_from_slice(c);
    s.insert_account(COUNTER, U256::ZERO, 1, code(&COUNTER_CODE), []);
    s.insert_account(
        KEYED,
        U256::ZERO,
        1,
        code(&KEYED_CODE),
        [(U256::from(1), U256::from(10))],
    );
    s.insert_account(REVERTER, U256::ZERO, 1, code(&REVERTER_CODE), []);
    s.insert_account(LOOPER, U256::ZERO, 1, code(&LOOPER_CODE), []);
    s.insert_account(
        BALANCE_READER,
        U256::ZERO,
        1,
        code(&BALANCE_READER_CODE),
        [],
    );
    s.insert_account(FORWARDER, U256::ZERO, 1, code(&FORWARDER_CODE), []);
    s.insert_account(PAYER, U256::from(PAYER_FUNDS), 1, code(&PAYER_CODE), []);
    s.insert_account(HEAVY, U256::ZERO, 1, code(&HEAVY_CODE), []);
    let counter_init = init_returning(&COUNTER_CODE);
    s.insert_account(
        FACTORY,
        U256::ZERO,
        1,
        code(&factory_code(&counter_init, false)),
        [],
    );
    let child_init = init_returning(&multimode_runtime());
    s.insert_account(
        FACTORY2,
        U256::ZERO,
        1,
        code(&factory_code(&child_init, true)),
        [],
    );
    let holders =
        (0..RICH + POOR).map(|i| (U256::from_be_slice(eoa(i).as_slice()), U256::from(TOKENS)));
    s.insert_account(TOKEN, U256::ZERO, 1, code(&TOKEN_CODE), holders);
    s.insert_account(
        FACTORY3,
        U256::ZERO,
        1,
        code(&factory_code_with_value(&SUICIDE_INIT, true, true)),
        [],
    );
    // The salt-0 child already exists, with storage: destroying and re-creating it exercises wipes.
    s.insert_account(
        child_address(0),
        U256::from(1000),
        1,
        code(&multimode_runtime()),
        [(U256::ZERO, U256::from(5))],
    );
    // The salt-2 address holds storage only (no code, nonce or balance): CREATE2 there collides (EIP-7610)
    // until a call touches it and EIP-161 deletes it, wiping the storage (multi-version `HasStorage`).
    s.insert_account(
        child_address(2),
        U256::ZERO,
        0,
        Bytes::new(),
        [(U256::from(1), U256::from(1))],
    );
    s
}

/// One generated transaction, in terms of the base state's accounts.
#[derive(Clone, Debug)]
pub enum TxSpec {
    /// Plain value transfer between EOAs.
    Transfer { from: u8, to: u8, value: u64 },
    /// Call into an existing empty account: with zero value EIP-161 deletes it, with value it revives.
    ToEmpty { from: u8, which: u8, value: u64 },
    /// Hot slot counter.
    Counter { from: u8 },
    /// Counter on slot `key`.
    Keyed { from: u8, key: u8 },
    /// Writes, then reverts.
    Revert { from: u8 },
    /// Out of gas.
    Oog { from: u8 },
    /// Reads a balance (`who` >= 40 reads the coinbase, whose credits are deltas).
    ReadBalance { from: u8, who: u8 },
    /// Forwards value through a contract to an EOA.
    Forward { from: u8, to: u8, value: u64 },
    /// Sends `value` to [`PAYER`], which pays `amount` back (nothing when it holds less).
    Withdraw { from: u8, amount: u64, value: u64 },
    /// CREATE through FACTORY.
    Create { from: u8 },
    /// CREATE2 through FACTORY2 (same salt twice collides unless destroyed in between; salt 2 collides with
    /// the base's storage until a `Child` call to it clears the storage-only account).
    Create2 { from: u8, salt: u8 },
    /// Calls FACTORY2's child: counter (`destroy == false`) or SELFDESTRUCT.
    Child { from: u8, salt: u8, destroy: bool },
    /// A contract-creation transaction deploying a counter.
    Deploy { from: u8 },
    /// About 52k gas of computation, then a write to the caller's own slot.
    Heavy { from: u8 },
    /// ERC-20 transfer of `amount` tokens to EOA `to` (reverts when the sender holds fewer).
    Erc20 { from: u8, to: u8, amount: u64 },
    /// CREATE2 through FACTORY3 with `value`: the child selfdestructs in its own creation.
    CreateDestroy { from: u8, salt: u8, value: u64 },
    /// A transaction with a nonce off by `delta` (invalid, unless an earlier invalid one shifted it).
    BadNonce { from: u8, delta: u8 },
}

impl TxSpec {
    fn from(&self) -> u8 {
        match self {
            TxSpec::Transfer { from, .. }
            | TxSpec::ToEmpty { from, .. }
            | TxSpec::Counter { from }
            | TxSpec::Keyed { from, .. }
            | TxSpec::Revert { from }
            | TxSpec::Oog { from }
            | TxSpec::ReadBalance { from, .. }
            | TxSpec::Forward { from, .. }
            | TxSpec::Withdraw { from, .. }
            | TxSpec::Create { from }
            | TxSpec::Create2 { from, .. }
            | TxSpec::Child { from, .. }
            | TxSpec::Deploy { from }
            | TxSpec::Heavy { from }
            | TxSpec::Erc20 { from, .. }
            | TxSpec::CreateDestroy { from, .. }
            | TxSpec::BadNonce { from, .. } => *from,
        }
    }
}

fn word(v: u64) -> Bytes {
    Bytes::from(U256::from(v).to_be_bytes::<32>().to_vec())
}

fn addr_word(a: Address) -> Bytes {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    Bytes::from(w.to_vec())
}

/// A block of transactions over [`base_state`].
pub struct TestBlock {
    pub state: InMemoryState,
    pub envs: Vec<Env>,
}

/// The block context every generated block runs in.
pub fn block_env() -> BlockEnv {
    BlockEnv {
        number: 1,
        beneficiary: COINBASE,
        timestamp: 1,
        gas_limit: 30_000_000,
        basefee: U256::from(1),
        prevrandao: Some(B256::ZERO),
        blob_basefee: Some(1),
        ..Default::default()
    }
}

/// Builds the block for `specs` under `spec`. Nonces follow each sender's count of earlier specs, so a
/// sender's transactions form a chain.
pub fn build_block(specs: &[TxSpec], spec: SpecId) -> TestBlock {
    let mut nonces = std::collections::HashMap::<u8, u64>::new();
    let block = block_env();
    let envs = specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let from = s.from() % (RICH + POOR);
            let nonce_slot = nonces.entry(from).or_insert(0);
            let mut nonce = *nonce_slot;
            *nonce_slot += 1;
            let (kind, value, data, gas_limit) = match *s {
                TxSpec::Transfer { to, value, .. } => (
                    TxKind::Call(eoa(to % (RICH + POOR))),
                    value,
                    Bytes::new(),
                    21_000,
                ),
                TxSpec::ToEmpty { which, value, .. } => (
                    TxKind::Call(empty_account(which % EMPTIES)),
                    value,
                    Bytes::new(),
                    30_000,
                ),
                TxSpec::Counter { .. } => (TxKind::Call(COUNTER), 0, Bytes::new(), 100_000),
                TxSpec::Keyed { key, .. } => {
                    (TxKind::Call(KEYED), 0, word(u64::from(key % 4)), 100_000)
                }
                TxSpec::Revert { .. } => (TxKind::Call(REVERTER), 0, Bytes::new(), 100_000),
                TxSpec::Oog { .. } => (TxKind::Call(LOOPER), 0, Bytes::new(), 40_000),
                TxSpec::ReadBalance { who, .. } => {
                    let target = if who >= 40 {
                        COINBASE
                    } else {
                        eoa(who % (RICH + POOR))
                    };
                    (TxKind::Call(BALANCE_READER), 0, addr_word(target), 100_000)
                }
                TxSpec::Forward { to, value, .. } => (
                    TxKind::Call(FORWARDER),
                    value,
                    addr_word(eoa(to % (RICH + POOR))),
                    100_000,
                ),
                TxSpec::Withdraw { amount, value, .. } => (
                    TxKind::Call(PAYER),
                    value,
                    Bytes::from(U256::from(amount).to_be_bytes::<32>().to_vec()),
                    100_000,
                ),
                TxSpec::Create { .. } => (TxKind::Call(FACTORY), 0, Bytes::new(), 200_000),
                TxSpec::Create2 { salt, .. } => (
                    TxKind::Call(FACTORY2),
                    0,
                    word(u64::from(salt % 3)),
                    200_000,
                ),
                TxSpec::Child { salt, destroy, .. } => (
                    TxKind::Call(child_address(salt % 3)),
                    0,
                    word(u64::from(destroy)),
                    100_000,
                ),
                TxSpec::Deploy { .. } => (
                    TxKind::Create,
                    0,
                    Bytes::from(init_returning(&COUNTER_CODE)),
                    150_000,
                ),
                TxSpec::Heavy { .. } => (TxKind::Call(HEAVY), 0, Bytes::new(), 200_000),
                TxSpec::Erc20 { to, amount, .. } => {
                    let mut data = addr_word(eoa(to % (RICH + POOR))).to_vec();
                    data.extend_from_slice(&word(amount));
                    (TxKind::Call(TOKEN), 0, Bytes::from(data), 100_000)
                }
                TxSpec::CreateDestroy { salt, value, .. } => (
                    TxKind::Call(FACTORY3),
                    value,
                    word(u64::from(salt % 3)),
                    200_000,
                ),
                TxSpec::BadNonce { delta, .. } => {
                    nonce += 1 + u64::from(delta % 3);
                    (TxKind::Call(COUNTER), 0, Bytes::new(), 100_000)
                }
            };
            let dynamic = i % 3 == 0;
            Env {
                cfg: CfgEnv::new(1, spec),
                block: block.clone(),
                tx: TxEnv {
                    tx_type: if dynamic { 2 } else { 0 },
                    caller: eoa(from),
                    gas_limit,
                    gas_price: U256::from(if dynamic { 3 } else { 2 }),
                    gas_priority_fee: dynamic.then(|| U256::from(1)),
                    kind,
                    value: U256::from(value),
                    data,
                    nonce,
                    chain_id: Some(1),
                    ..Default::default()
                },
            }
        })
        .collect();
    TestBlock {
        state: base_state(),
        envs,
    }
}

/// Any sender: mostly rich, sometimes poor.
fn sender() -> impl Strategy<Value = u8> {
    prop_oneof![4 => 0..RICH, 1 => RICH..RICH + POOR]
}

/// A random transaction over a small set of accounts (high conflict).
pub fn any_tx() -> impl Strategy<Value = TxSpec> {
    let value = prop_oneof![Just(0u64), 1u64..100_000, Just(WEI / 4)];
    prop_oneof![
        4 => (sender(), 0..RICH + POOR, value.clone()).prop_map(|(from, to, value)| TxSpec::Transfer { from, to, value }),
        1 => (sender(), 0..EMPTIES, prop_oneof![Just(0u64), 1u64..10]).prop_map(|(from, which, value)| TxSpec::ToEmpty { from, which, value }),
        2 => sender().prop_map(|from| TxSpec::Counter { from }),
        2 => (sender(), 0u8..4).prop_map(|(from, key)| TxSpec::Keyed { from, key }),
        1 => sender().prop_map(|from| TxSpec::Revert { from }),
        1 => sender().prop_map(|from| TxSpec::Oog { from }),
        1 => (sender(), 0u8..48).prop_map(|(from, who)| TxSpec::ReadBalance { from, who }),
        1 => (sender(), 0..RICH + POOR, value).prop_map(|(from, to, value)| TxSpec::Forward { from, to, value }),
        2 => (sender(), 0u64..800, prop_oneof![3 => Just(0u64), 1 => 1u64..600]).prop_map(|(from, amount, value)| TxSpec::Withdraw { from, amount, value }),
        1 => sender().prop_map(|from| TxSpec::Create { from }),
        1 => (sender(), 0u8..3).prop_map(|(from, salt)| TxSpec::Create2 { from, salt }),
        1 => (sender(), 0u8..3, any::<bool>()).prop_map(|(from, salt, destroy)| TxSpec::Child { from, salt, destroy }),
        1 => sender().prop_map(|from| TxSpec::Deploy { from }),
        1 => sender().prop_map(|from| TxSpec::Heavy { from }),
        1 => (sender(), any::<u8>()).prop_map(|(from, delta)| TxSpec::BadNonce { from, delta }),
        2 => (sender(), 0..RICH + POOR, 0u64..700).prop_map(|(from, to, amount)| TxSpec::Erc20 { from, to, amount }),
        1 => (sender(), 0u8..3, prop_oneof![Just(0u64), 1u64..1000]).prop_map(|(from, salt, value)| TxSpec::CreateDestroy { from, salt, value }),
    ]
}

/// Fields of an outcome that must match exactly.
fn same_outcome(a: &TxOutcome, b: &TxOutcome) -> Result<(), String> {
    macro_rules! field {
        ($f:ident) => {
            if a.$f != b.$f {
                return Err(format!(
                    "{} differs:\n  sequential {:?}\n  parallel   {:?}",
                    stringify!($f),
                    a.$f,
                    b.$f
                ));
            }
        };
    }
    field!(status);
    field!(gas_used);
    field!(gas_refunded);
    field!(logs);
    field!(output);
    field!(created_address);
    field!(writes);
    // The parallel engines record no read set for a transaction they execute final (in block order on
    // the committed state, never validated); every valid transaction reads its sender, so an empty set
    // is that, and a recorded one must be the sequential path's.
    if !b.reads.is_empty() {
        field!(reads);
    }
    Ok(())
}

/// Compares two result lists transaction by transaction.
pub fn compare(
    seq: &[Result<TxOutcome, InvalidTx>],
    par: &[Result<TxOutcome, InvalidTx>],
) -> Result<(), String> {
    if seq.len() != par.len() {
        return Err(format!("{} results vs {}", seq.len(), par.len()));
    }
    for (i, (s, p)) in seq.iter().zip(par).enumerate() {
        match (s, p) {
            (Ok(a), Ok(b)) => same_outcome(a, b).map_err(|e| format!("tx {i}: {e}"))?,
            (Err(a), Err(b)) if a == b => {}
            _ => return Err(format!("tx {i}: sequential {s:?}\nparallel {p:?}")),
        }
    }
    Ok(())
}

/// Runs `block` in parallel at every thread count (optionally in chaos mode) and checks each run against
/// the sequential reference. Returns the parallel executions for reporting.
pub fn check_block(
    block: &TestBlock,
    chaos: Option<u64>,
) -> Result<Vec<BlockExecution>, TestCaseError> {
    check_block_with(block, chaos, |_| {})
}

/// The in-place path (no overlay, no read sets) on a copy of the block's state: the same effects as the
/// sequential path, empty read sets, and the state the sequential writes make of the pre-state.
fn check_in_place(
    block: &TestBlock,
    seq: &[Result<TxOutcome, InvalidTx>],
) -> Result<(), TestCaseError> {
    let mut state = block.state.clone();
    let in_place = execute_in_place(&block.envs, &mut state)
        .map_err(|e| TestCaseError::fail(format!("in place: {e}")))?;
    // Effects only (`compare` here also compares read sets, which this path does not record).
    compare_results(seq, &in_place).map_err(|e| TestCaseError::fail(format!("in place: {e}")))?;
    prop_assert!(in_place.iter().flatten().all(|o| o.reads.is_empty()));
    let mut expected = block.state.clone();
    for out in seq.iter().flatten() {
        expected.apply(&out.writes);
    }
    prop_assert_eq!(state.state_root(), expected.state_root());
    Ok(())
}

/// [`check_block`] with a configuration tweak (e.g. parking or hints off).
pub fn check_block_with(
    block: &TestBlock,
    chaos: Option<u64>,
    tweak: impl Fn(&mut ParallelConfig),
) -> Result<Vec<BlockExecution>, TestCaseError> {
    let seq = execute_sequential(&block.envs, &block.state);
    check_in_place(block, &seq)?;
    let mut runs = Vec::new();
    for threads in THREADS {
        let mut cfg = ParallelConfig::forced(threads);
        cfg.chaos = chaos.map(|s| s ^ threads as u64);
        tweak(&mut cfg);
        let par = execute_parallel_with(&block.envs, &block.state, &cfg).map_err(|e| {
            TestCaseError::fail(format!(
                "{threads} threads, chaos seed {:?}: {e}",
                cfg.chaos
            ))
        })?;
        compare(&seq, &par.results).map_err(|e| {
            TestCaseError::fail(format!(
                "{threads} threads, chaos seed {:?}: {e}",
                cfg.chaos
            ))
        })?;
        // No whole-block sequential fallback, whatever the block holds.
        if threads > 1 && block.envs.len() > 1 {
            prop_assert_eq!(
                par.report.mode,
                ExecMode::Parallel {
                    threads: threads.min(block.envs.len())
                }
            );
        }
        runs.push(par);
    }
    // The lookahead engine with its cost model off (helpers speculate on every block, however dependent),
    // at every thread count.
    for threads in THREADS {
        let mut cfg = ParallelConfig::forced(threads).with_engine(Engine::Lookahead);
        cfg.adaptive = false;
        tweak(&mut cfg);
        let par = execute_parallel_with(&block.envs, &block.state, &cfg)
            .map_err(|e| TestCaseError::fail(format!("lookahead, {threads} threads: {e}")))?;
        compare(&seq, &par.results)
            .map_err(|e| TestCaseError::fail(format!("lookahead, {threads} threads: {e}")))?;
    }
    // The default adaptive path at 2 threads: a serial warm-up batch on the calling thread, published as
    // net entries, then helpers (timing decides where the warm-up ends; the result may not depend on it).
    let mut cfg = ParallelConfig::forced(2);
    cfg.spawn_after = std::time::Duration::from_micros(30);
    cfg.chaos = chaos;
    tweak(&mut cfg);
    let par = execute_parallel_with(&block.envs, &block.state, &cfg)
        .map_err(|e| TestCaseError::fail(format!("warm-up: {e}")))?;
    compare(&seq, &par.results).map_err(|e| TestCaseError::fail(format!("warm-up: {e}")))?;
    Ok(runs)
}
