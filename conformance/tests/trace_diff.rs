//! `statetest --trace` against revm's EIP-3155 tracer (the oracle, a dev-dependency), line by line, on a
//! fixed sample of the shared state tests from every fork.
//!
//! Both EVMs run the same case (our `Env` and pre-state, converted for revm); each step line is reduced to
//! the fields both tracers define the same way: `pc`, `op`, `gas`, `gasCost`, `stack`, `depth`, `memSize`,
//! `opName`. Not compared, because the two tracers define them differently: `returnData` (revm prints a
//! constant `0x`), `refund` (revm's is per frame), `error` (revm prints its internal result names), the
//! `gasCost` of an instruction that halts its frame (all of the frame's gas is gone either way; revm
//! reports what was left, geth the cost it computed), and the name of an undefined opcode (revm prints
//! none).
//!
//! The sample: every eighth fixture file in path order, at most one case per fork in each file (every fork
//! the fixtures hold is reached), cases whose transaction runs code and stays under [`MAX_STEPS`] steps. Left out as revm cannot judge them: cases the fixture
//! expects to be rejected (no trace by definition; revm executes some of them), and the EIP-7610 storage
//! collisions, which revm does not implement (its own runner skips them).

use alloy_primitives::U256;
use parevm_conformance::statetest::build::{case_env, pre_state};
use parevm_conformance::statetest::collect_files;
use parevm_conformance::statetest::fixture::{parse_file, parse_test};
use parevm_conformance::statetest::trace::{Eip3155Tracer, TraceSink};
use parevm_conformance::unpack::fixtures_dir;
use parevm_evm_core::spec::spec_from_fixture_name;
use parevm_evm_core::{Env, TxExecution};
use parevm_state::InMemoryState;
use revm::context::transaction::{
    AccessList, AccessListItem, Authorization, RecoveredAuthority, RecoveredAuthorization,
};
use revm::context::{BlockEnv, TxEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::context_interface::either::Either;
use revm::database::{CacheDB, EmptyDB};
use revm::inspector::inspectors::TracerEip3155;
use revm::state::{AccountInfo, Bytecode};
use revm::{Context, InspectEvm, MainBuilder, MainContext};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Cases with longer traces are left out of the sample (a few loop for millions of steps).
const MAX_STEPS: usize = 20_000;
/// The sample must hold at least this many compared cases.
const MIN_CASES: usize = 500;

/// A shared line buffer that stops keeping lines past `MAX_STEPS + 1`.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<(Vec<u8>, usize)>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if g.1 <= MAX_STEPS {
            g.0.extend_from_slice(buf);
            g.1 += buf.iter().filter(|b| **b == b'\n').count();
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    /// The JSON lines kept, or `None` past the step cap.
    fn take(&self) -> Option<Vec<Value>> {
        let g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if g.1 > MAX_STEPS {
            return None;
        }
        Some(
            String::from_utf8_lossy(&g.0)
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect(),
        )
    }
}

/// One step reduced to the compared fields.
#[derive(Debug, PartialEq, Eq)]
struct Step {
    pc: u64,
    op: u64,
    gas: u64,
    gas_cost: u64,
    stack: Vec<String>,
    depth: u64,
    mem_size: u64,
    op_name: String,
    /// Our step halted its frame (`error` other than a revert): its `gasCost` is not compared.
    halted: bool,
}

impl Step {
    /// Equal in every compared field (see the module header).
    fn agrees(&self, revm: &Step) -> bool {
        self.pc == revm.pc
            && self.op == revm.op
            && self.gas == revm.gas
            && (self.halted || self.gas_cost == revm.gas_cost)
            && self.stack == revm.stack
            && self.depth == revm.depth
            && self.mem_size == revm.mem_size
            && (revm.op_name.is_empty() || self.op_name == revm.op_name)
    }
}

/// Test names of the EIP-7610 storage-collision cases (revm does not implement the storage rule).
const REVM_LACKS_EIP7610: [&str; 5] = [
    "eip7610_create_collision",
    "InitCollision",
    "RevertInCreateInInit",
    "dynamicAccountOverwriteEmpty",
    "create2collisionStorage",
];

/// A number that one tracer prints as a JSON number and the other as a hex string.
fn num(v: &Value) -> u64 {
    match v {
        Value::Number(n) => n.as_u64().unwrap_or(u64::MAX),
        Value::String(s) => u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or(u64::MAX),
        _ => u64::MAX,
    }
}

fn steps(lines: &[Value]) -> Vec<Step> {
    lines
        .iter()
        .filter(|l| l.get("pc").is_some())
        .map(|l| Step {
            pc: num(&l["pc"]),
            op: num(&l["op"]),
            gas: num(&l["gas"]),
            gas_cost: num(&l["gasCost"]),
            stack: l["stack"]
                .as_array()
                .map(|s| {
                    s.iter()
                        .map(|v| v.as_str().unwrap_or("?").to_owned())
                        .collect()
                })
                .unwrap_or_default(),
            depth: num(&l["depth"]),
            mem_size: num(&l["memSize"]),
            op_name: l["opName"].as_str().unwrap_or("").to_owned(),
            halted: l
                .get("error")
                .and_then(Value::as_str)
                .is_some_and(|e| e != "execution reverted"),
        })
        .collect()
}

fn ours(env: &Env, state: &InMemoryState) -> Option<Vec<Step>> {
    let lines = Lines::default();
    let mut exec = TxExecution::new(env.clone());
    exec.set_tracer(Box::new(Eip3155Tracer::new(TraceSink::new(Box::new(
        lines.clone(),
    )))));
    let _ = exec.resume(state);
    lines.take().map(|l| steps(&l))
}

fn theirs(env: &Env, state: &InMemoryState) -> Option<Vec<Step>> {
    let mut db = CacheDB::<EmptyDB>::default();
    for (address, acc) in state.accounts() {
        let code = state
            .code(&acc.code_hash)
            .map(|c| Bytecode::new_raw(c.bytes().clone()));
        let info = AccountInfo {
            balance: acc.balance,
            nonce: acc.nonce,
            code_hash: acc.code_hash,
            code,
            ..Default::default()
        };
        db.insert_account_info(*address, info);
        for (k, v) in &acc.storage {
            // EmptyDB cannot fail.
            let _ = db.insert_account_storage(*address, *k, *v);
        }
    }
    let b = &env.block;
    let spec = env.cfg.spec;
    let block = BlockEnv {
        number: U256::from(b.number),
        beneficiary: b.beneficiary,
        timestamp: U256::from(b.timestamp),
        gas_limit: b.gas_limit,
        basefee: b.basefee.saturating_to(),
        difficulty: b.difficulty,
        prevrandao: b.prevrandao,
        blob_excess_gas_and_price: b.blob_basefee.map(|price| BlobExcessGasAndPrice {
            excess_blob_gas: 0,
            blob_gasprice: price,
        }),
        slot_num: b.slot_number.unwrap_or(0),
    };
    let t = &env.tx;
    let tx = TxEnv {
        tx_type: t.tx_type,
        caller: t.caller,
        gas_limit: t.gas_limit,
        gas_price: t.gas_price.saturating_to(),
        kind: t.kind,
        value: t.value,
        data: t.data.clone(),
        nonce: t.nonce,
        chain_id: t.chain_id,
        access_list: AccessList(
            t.access_list
                .iter()
                .map(|i| AccessListItem {
                    address: i.address,
                    storage_keys: i.storage_keys.clone(),
                })
                .collect(),
        ),
        gas_priority_fee: t.gas_priority_fee.map(|f| f.saturating_to()),
        blob_hashes: t.blob_hashes.clone(),
        max_fee_per_blob_gas: t.max_fee_per_blob_gas.saturating_to(),
        authorization_list: t
            .authorization_list
            .iter()
            .map(|a| {
                let inner = Authorization {
                    chain_id: a.chain_id,
                    address: a.address,
                    nonce: a.nonce,
                };
                let authority = a
                    .authority
                    .map_or(RecoveredAuthority::Invalid, RecoveredAuthority::Valid);
                Either::Right(RecoveredAuthorization::new_unchecked(inner, authority))
            })
            .collect(),
    };
    let lines = Lines::default();
    let tracer = TracerEip3155::new(Box::new(lines.clone())).without_summary();
    let chain_id = env.cfg.chain_id;
    let max_blobs = env.cfg.blob.max_per_tx;
    let mut evm = Context::mainnet()
        .with_db(db)
        .modify_cfg_chained(|c| {
            c.set_spec_and_mainnet_gas_params(spec);
            c.chain_id = chain_id;
            c.set_max_blobs_per_tx(max_blobs);
        })
        .with_block(block)
        .build_mainnet_with_inspector(tracer);
    let _ = evm.inspect_tx(tx);
    lines.take().map(|l| steps(&l))
}

#[test]
fn eip3155_trace_equals_revm_line_by_line() {
    let dir = fixtures_dir()
        .expect("fixtures unpack")
        .join("eest-v5.4.0")
        .join("state_tests");
    let mut files = collect_files(&[dir]).expect("fixture folder readable");
    files.sort();
    let mut compared: BTreeMap<String, usize> = BTreeMap::new();
    let mut steps_compared = 0usize;
    let mut mismatches = Vec::new();
    for file in files.iter().step_by(8) {
        let json = std::fs::read_to_string(file).expect("fixture readable");
        let tests = parse_file(file, &json).expect("fixture parses");
        let mut forks_taken = std::collections::BTreeSet::new();
        for (name, raw) in &tests {
            if REVM_LACKS_EIP7610.iter().any(|p| name.contains(p)) {
                continue;
            }
            let test = parse_test(file, name, raw).expect("test parses");
            let pre = pre_state(&test);
            for (fork, entries) in &test.post {
                let Some(spec) = spec_from_fixture_name(fork) else {
                    continue;
                };
                let Some(entry) = entries.iter().find(|e| e.expect_exception.is_none()) else {
                    continue;
                };
                if forks_taken.contains(fork) {
                    continue;
                }
                let Ok(env) = case_env(&test, fork, spec, entry.indexes) else {
                    continue;
                };
                let (Some(a), Some(b)) = (ours(&env, &pre), theirs(&env, &pre)) else {
                    continue;
                };
                if a.is_empty() && b.is_empty() {
                    // No code ran (a transfer, or an invalid transaction): nothing to compare.
                    continue;
                }
                forks_taken.insert(fork.clone());
                *compared.entry(fork.clone()).or_default() += 1;
                steps_compared += a.len();
                let same = a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.agrees(y));
                if !same {
                    let at = a
                        .iter()
                        .zip(&b)
                        .position(|(x, y)| !x.agrees(y))
                        .unwrap_or(a.len().min(b.len()));
                    mismatches.push(format!(
                        "{name} [{fork}] {} steps vs revm {}; first difference at line {at}:\n  ours {:?}\n  revm {:?}",
                        a.len(),
                        b.len(),
                        a.get(at),
                        b.get(at)
                    ));
                }
            }
        }
    }
    let total: usize = compared.values().sum();
    println!("{total} cases, {steps_compared} steps compared, per fork: {compared:?}");
    for m in mismatches.iter().take(20) {
        println!("{m}");
    }
    assert!(
        mismatches.is_empty(),
        "{} of {total} traces differ",
        mismatches.len()
    );
    assert!(total >= MIN_CASES, "only {total} cases compared");
    // Every fork of the shared state tests: Frontier to Osaka (12 post keys).
    assert_eq!(compared.len(), 12, "forks sampled: {compared:?}");
}
