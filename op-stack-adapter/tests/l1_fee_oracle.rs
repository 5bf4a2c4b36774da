//! The L1 fee inputs, the L1 data fee, the operator fee and the receipt's `l1GasUsed` against op-revm 20's
//! `L1BlockInfo` (the oracle, a dev-dependency): random L1Block storage (scalars zero or not, the Ecotone
//! activation case of all-zero scalars included) and random EIP-2718 encodings under every OP fork.
//! `l1GasUsed` is compared with what op-reth reports: op-revm's data gas plus the overhead where it has one.

use alloy_primitives::map::HashMap;
use alloy_primitives::{Address, U256};
use op_revm::revm::database::{CacheDB, EmptyDB};
use op_revm::revm::state::AccountInfo;
use op_revm::{L1BlockInfo, OpSpecId};
use parevm_evm_core::rules::RuleState;
use parevm_evm_core::ViewError;
use parevm_op_stack_adapter::predeploys::L1_BLOCK;
use parevm_op_stack_adapter::{L1FeeInputs, OpFork};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const FORKS: [(OpFork, OpSpecId); 11] = [
    (OpFork::Bedrock, OpSpecId::BEDROCK),
    (OpFork::Regolith, OpSpecId::REGOLITH),
    (OpFork::Canyon, OpSpecId::CANYON),
    (OpFork::Delta, OpSpecId::CANYON),
    (OpFork::Ecotone, OpSpecId::ECOTONE),
    (OpFork::Fjord, OpSpecId::FJORD),
    (OpFork::Granite, OpSpecId::GRANITE),
    (OpFork::Holocene, OpSpecId::HOLOCENE),
    (OpFork::Isthmus, OpSpecId::ISTHMUS),
    (OpFork::Jovian, OpSpecId::JOVIAN),
    (OpFork::Karst, OpSpecId::KARST),
];

struct Slots<'a>(&'a HashMap<U256, U256>);

impl RuleState for Slots<'_> {
    fn storage(&mut self, address: Address, slot: U256) -> Result<U256, ViewError> {
        assert_eq!(address, L1_BLOCK);
        Ok(self.0.get(&slot).copied().unwrap_or_default())
    }
}

/// A value that is zero a quarter of the time, else up to `bits` bits.
fn value(rng: &mut StdRng, bits: u32) -> U256 {
    if rng.random_range(0..4) == 0 {
        return U256::ZERO;
    }
    let bits = rng.random_range(1..=bits);
    U256::from(rng.random::<u128>()) & ((U256::from(1) << bits) - U256::from(1))
}

/// A packed word: `(offset from the right in bytes, width in bytes)` fields.
fn packed(rng: &mut StdRng, fields: &[(usize, usize)]) -> U256 {
    let mut word = U256::ZERO;
    for &(offset, width) in fields {
        word |= value(rng, (width * 8) as u32) << (offset * 8);
    }
    word
}

fn l1_block_storage(rng: &mut StdRng) -> HashMap<U256, U256> {
    let mut s = HashMap::default();
    s.insert(U256::from(1), value(rng, 80));
    // baseFeeScalar at bytes 16..20, blobBaseFeeScalar at 20..24 (from the right: 12 and 8).
    s.insert(U256::from(3), packed(rng, &[(12, 4), (8, 4)]));
    s.insert(U256::from(5), value(rng, 16));
    s.insert(U256::from(6), value(rng, 24));
    s.insert(U256::from(7), value(rng, 64));
    // operatorFeeScalar at 20..24, operatorFeeConstant at 24..32, daFootprintGasScalar at 18..20.
    s.insert(U256::from(8), packed(rng, &[(8, 4), (0, 8), (12, 2)]));
    s
}

fn encoding(rng: &mut StdRng) -> Vec<u8> {
    let len = match rng.random_range(0..3) {
        0 => rng.random_range(1..120),
        1 => rng.random_range(120..1_200),
        _ => rng.random_range(1_200..6_000),
    };
    let zeros = rng.random_range(0..=100u32);
    let mut tx: Vec<u8> = (0..len)
        .map(|_| {
            if rng.random_range(0..100) < zeros {
                0
            } else {
                rng.random()
            }
        })
        .collect();
    // Repetition, so FastLZ finds matches.
    if len > 64 && rng.random_bool(0.5) {
        let chunk = tx[..32].to_vec();
        for (i, b) in tx.iter_mut().enumerate().skip(32) {
            *b = chunk[i % 32];
        }
    }
    tx[0] = [0x01, 0x02, 0x04, 0xf8][rng.random_range(0..4)];
    tx
}

fn cases() -> u64 {
    std::env::var("PAREVM_OP_FEE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// Cases in CI; `PAREVM_OP_FEE_CASES` sets another number.
const DEFAULT_CASES: u64 = 20_000;

#[test]
fn l1_fee_operator_fee_and_l1_gas_used_match_op_revm() {
    let n = cases();
    let mut rng = StdRng::seed_from_u64(0x0f_ee);
    let mut by_fork = [0u64; 11];
    let mut empty_ecotone = 0;
    for case in 0..n {
        let storage = l1_block_storage(&mut rng);
        let f = rng.random_range(0..FORKS.len());
        let (fork, spec) = FORKS[f];
        let tx = encoding(&mut rng);
        let gas_limit = rng.random_range(21_000..30_000_000u64);

        let ours = L1FeeInputs::read(fork, &mut Slots(&storage)).expect("reads");
        let mut db = CacheDB::<EmptyDB>::default();
        db.insert_account_info(L1_BLOCK, AccountInfo::default());
        for (k, v) in &storage {
            db.insert_account_storage(L1_BLOCK, *k, *v).expect("insert");
        }
        let mut oracle = L1BlockInfo::try_fetch(&mut db, U256::from(1), spec).expect("fetch");

        let ctx = || {
            format!(
                "case {case}: {fork:?}, {} bytes, storage {storage:?}",
                tx.len()
            )
        };
        assert_eq!(
            ours.empty_ecotone_scalars,
            oracle.empty_ecotone_scalars,
            "{}",
            ctx()
        );
        assert_eq!(
            ours.l1_fee(fork, &tx),
            oracle.calculate_tx_l1_cost(&tx, spec),
            "l1 fee, {}",
            ctx()
        );
        assert_eq!(
            ours.l1_gas_used(fork, &tx),
            oracle
                .data_gas(&tx, spec)
                .saturating_add(oracle.l1_fee_overhead.unwrap_or_default()),
            "l1 gas used, {}",
            ctx()
        );
        if fork.is_active(OpFork::Isthmus) {
            assert_eq!(
                ours.operator_fee(fork, gas_limit),
                oracle.operator_fee_charge(&tx, U256::from(gas_limit), spec),
                "operator fee, {}",
                ctx()
            );
        }
        if fork.is_active(OpFork::Jovian) {
            assert_eq!(
                Some(ours.da_footprint_gas_scalar),
                oracle.da_footprint_gas_scalar,
                "{}",
                ctx()
            );
        }
        by_fork[f] += 1;
        empty_ecotone += u64::from(fork.is_active(OpFork::Ecotone) && ours.empty_ecotone_scalars);
    }
    println!(
        "{n} cases, 0 divergent; per fork {by_fork:?}; {empty_ecotone} with empty Ecotone scalars"
    );
    if n == DEFAULT_CASES {
        // The default run's seed fixes how the cases fall.
        assert_eq!(
            by_fork,
            [1829, 1811, 1834, 1843, 1807, 1726, 1807, 1852, 1845, 1843, 1803]
        );
        assert_eq!(empty_ecotone, 999);
    }
    assert!(by_fork.iter().all(|c| *c > 0) && empty_ecotone > 0);
}
