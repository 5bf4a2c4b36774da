//! Acceptance test (issue 10): the 6 real OP Sepolia blocks of the shared kona executor fixtures rebuild to
//! their exact block hash on a witness-backed state, sequentially and through the parallel engine at 1, 2,
//! 4 and 8 threads; the 11 Superchain Registry genesis files reproduce their genesis hash and state root.
//!
//! The archives are unpacked from `$PAREVM_SHARED/op` (default `<workspace>/../shared/op`) into
//! `target/op` on first use.

use parevm_conformance::optest::{find_cases, run_cases, CaseResult, OpCase};
use parevm_conformance::unpack::op_dir;
use parevm_op_stack_adapter::Runner;

fn run(runner: Runner, dir: &std::path::Path) -> (usize, usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut sink = |r: &CaseResult| {
        println!("{r}");
        if !r.passed() {
            failures.push(r.to_string());
        }
    };
    let (passed, failed) = run_cases(&[dir.to_path_buf()], runner, &mut sink);
    (passed, failed, failures)
}

#[test]
fn kona_blocks_rebuild_to_their_hash_sequentially_and_in_parallel() {
    let dir = op_dir()
        .expect("OP archives unpack")
        .join("kona-executor-fixtures");
    let blocks = find_cases(std::slice::from_ref(&dir));
    assert_eq!(blocks.len(), 6);
    assert!(blocks.iter().all(|c| matches!(c, OpCase::Block(_))));
    // Every block through the parallel engine, however small.
    parevm_parallel_commit::force_parallel_path(true);
    for runner in [
        Runner::Sequential,
        Runner::Parallel(1),
        Runner::Parallel(2),
        Runner::Parallel(4),
        Runner::Parallel(8),
    ] {
        let (passed, failed, failures) = run(runner, &dir);
        println!("{passed} passed, {failed} failed");
        assert_eq!(
            (passed, failed),
            (6, 0),
            "{runner:?}:\n{}",
            failures.join("\n")
        );
    }
}

#[test]
fn superchain_genesis_files_reproduce_their_hash() {
    let dir = op_dir()
        .expect("OP archives unpack")
        .join("superchain-genesis");
    let (passed, failed, failures) = run(Runner::Sequential, &dir);
    println!("{passed} passed, {failed} failed");
    assert_eq!((passed, failed), (11, 0), "{}", failures.join("\n"));
}

/// A scratch copy of one fixture folder, for corrupting.
fn scratch_copy(name: &str) -> std::path::PathBuf {
    let src = op_dir()
        .expect("OP archives unpack")
        .join("kona-executor-fixtures/block-26207960");
    let dest = std::env::temp_dir().join(format!("parevm-optest-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dest).expect("scratch dir");
    for f in ["fixture.json", "preimages.json"] {
        std::fs::copy(src.join(f), dest.join(f)).expect("copy fixture");
    }
    dest
}

#[test]
fn a_missing_preimage_is_an_error_naming_the_key_file_and_block() {
    let dir = scratch_copy("missing");
    let path = dir.join("preimages.json");
    let text = std::fs::read_to_string(&path).expect("read preimages");
    let mut map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).expect("preimages parse");
    // The parent's state root node: every account read needs it.
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("fixture.json")).expect("read fixture"),
    )
    .expect("fixture parses");
    let root = fixture["parent_header"]["stateRoot"]
        .as_str()
        .expect("state root")
        .to_string();
    assert!(map.remove(&root).is_some());
    std::fs::write(&path, serde_json::to_string(&map).expect("serialize")).expect("write");
    let r = parevm_conformance::optest::kona::run_fixture(&dir, Runner::Sequential);
    let err = r.outcome.expect_err("fails");
    assert!(err.contains(&format!("missing preimage {root}")), "{err}");
    assert!(
        err.contains("fixture.json") && err.contains("block 26207960"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_malformed_fixture_is_an_error_naming_the_file() {
    let dir = scratch_copy("malformed");
    std::fs::write(dir.join("fixture.json"), "{\"rollup_config\": 5}").expect("write");
    let r = parevm_conformance::optest::kona::run_fixture(&dir, Runner::Sequential);
    let err = r.outcome.expect_err("fails");
    assert!(
        err.contains("fixture.json") && err.contains("rollup_config"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The OP receipt fields of the real blocks: the L1-attributes deposit carries its nonce and receipt
/// version and no L1 keys; every sequenced transaction's `l1Fee` is exactly what its write set credits to
/// the L1FeeVault, and it carries the Ecotone keys (these blocks are Holocene).
#[test]
fn kona_blocks_report_the_op_receipt_fields_they_charged() {
    use parevm_evm_core::BalanceWrite;
    use parevm_op_stack_adapter::predeploys::L1_FEE_VAULT;
    let dir = op_dir()
        .expect("OP archives unpack")
        .join("kona-executor-fixtures");
    let mut blocks = 0;
    let mut sequenced = 0;
    for case in find_cases(std::slice::from_ref(&dir)) {
        let OpCase::Block(path) = case else {
            panic!("a kona folder holds blocks only");
        };
        let (fixture, built) =
            parevm_conformance::optest::kona::build_fixture(&path, Runner::Sequential)
                .expect("block builds");
        assert_eq!(built.hash, fixture.expected_block_hash);
        assert_eq!(built.receipt_fields.len(), built.transactions.len());
        let deposit = &built.receipt_fields[0];
        assert_eq!(deposit.deposit_receipt_version, Some(1));
        assert!(deposit.deposit_nonce.is_some() && deposit.l1_fee.is_none());
        let inputs = built.l1_fee_inputs.expect("blocks with user transactions");
        for (i, (fields, outcome)) in built
            .receipt_fields
            .iter()
            .zip(&built.outcomes)
            .enumerate()
            .skip(1)
        {
            let credited = outcome
                .writes
                .iter()
                .find(|w| w.address == L1_FEE_VAULT)
                .and_then(|w| match w.balance {
                    Some(BalanceWrite::Add(v)) => Some(v),
                    _ => None,
                })
                .unwrap_or_else(|| {
                    panic!("{}: tx {i} credits the L1FeeVault blindly", path.display())
                });
            let l1_fee = fields.l1_fee.expect("l1Fee on a sequenced transaction");
            assert!(l1_fee > 0, "{}: tx {i}", path.display());
            assert_eq!(
                alloy_primitives::U256::from(l1_fee),
                credited,
                "{}: tx {i}",
                path.display()
            );
            assert_eq!(fields.l1_gas_price, Some(inputs.l1_base_fee.to::<u128>()));
            assert!(fields.l1_base_fee_scalar.is_some() && fields.l1_fee_scalar.is_none());
            assert!(fields.deposit_nonce.is_none() && fields.operator_fee.is_none());
            sequenced += 1;
        }
        blocks += 1;
    }
    assert_eq!(blocks, 6);
    println!("{sequenced} sequenced transactions checked");
    assert_eq!(sequenced, 128);
}
