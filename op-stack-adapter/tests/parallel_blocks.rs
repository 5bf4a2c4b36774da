//! Generated OP blocks (the L1-attributes deposit first, user deposits, then many signed transactions from
//! a few senders, all paying the same four fee recipients) built through the parallel engine at 1, 2, 4,
//! 8 and 16 threads: the block hash (state root, receipts, gas, bloom) and every transaction's outcome
//! equal the sequential build, and no transaction reads a vault's balance, so a vault can never cause a
//! re-execution (its credits are blind `Add` deltas).

use alloy_consensus::{SignableTransaction, TxEip1559, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, Sealed, Signature, TxKind, B256, B64, U256};
use k256::ecdsa::SigningKey;
use op_alloy_consensus::{OpTxEnvelope, TxDeposit};
use op_alloy_rpc_types_engine::OpPayloadAttributes;
use parevm_evm_core::{BalanceWrite, Location};
use parevm_op_stack_adapter::predeploys::{
    BASE_FEE_VAULT, L1_BLOCK, L1_FEE_VAULT, L1_INFO_DEPOSITOR, OPERATOR_FEE_VAULT,
    SEQUENCER_FEE_VAULT,
};
use parevm_op_stack_adapter::{build_block, ForkTimes, OpChainConfig, Runner};
use parevm_state::InMemoryState;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const VAULTS: [Address; 4] = [
    SEQUENCER_FEE_VAULT,
    BASE_FEE_VAULT,
    L1_FEE_VAULT,
    OPERATOR_FEE_VAULT,
];
const STORE: Address = Address::new([0xc0; 20]);

/// Stores calldata words 0..4 into L1Block's fee slots 1, 3, 7 and 8 (what `setL1BlockValues*` does for
/// the fee inputs).
const L1_BLOCK_CODE: &[u8] = &[
    0x60, 0x00, 0x35, 0x60, 0x01, 0x55, 0x60, 0x20, 0x35, 0x60, 0x03, 0x55, 0x60, 0x40, 0x35, 0x60,
    0x07, 0x55, 0x60, 0x60, 0x35, 0x60, 0x08, 0x55, 0x00,
];
/// SSTORE(CALLVALUE, CALLDATALOAD(0)); STOP: a write to a slot chosen by the caller.
const STORE_CODE: &[u8] = &[0x60, 0x00, 0x35, 0x34, 0x55, 0x00];

fn sign(key: &SigningKey, hash: B256) -> Signature {
    let (sig, recid) = key
        .sign_prehash_recoverable(hash.as_slice())
        .expect("signing a 32-byte hash");
    Signature::from_signature_and_parity(sig, recid.is_y_odd())
}

fn word(v: U256) -> [u8; 32] {
    v.to_be_bytes::<32>()
}

/// A generated block: pre-state, parent header and attributes.
fn generate(seed: u64) -> (InMemoryState, alloy_consensus::Header, OpPayloadAttributes) {
    let mut rng = StdRng::seed_from_u64(seed);
    let keys: Vec<SigningKey> = (0..rng.random_range(1..8))
        .map(|i| SigningKey::from_slice(&[i as u8 + 1; 32]).expect("valid key"))
        .collect();
    let senders: Vec<Address> = keys
        .iter()
        .map(|k| Address::from_public_key(k.verifying_key()))
        .collect();
    let mut state = InMemoryState::new();
    for s in &senders {
        state.insert_account(*s, U256::from(10u128.pow(22)), 0, Bytes::new(), []);
    }
    state.insert_account(
        L1_BLOCK,
        U256::ZERO,
        1,
        Bytes::from_static(L1_BLOCK_CODE),
        [(U256::from(1), U256::from(7))],
    );
    state.insert_account(STORE, U256::ZERO, 1, Bytes::from_static(STORE_CODE), []);
    for v in VAULTS {
        state.insert_account(v, U256::from(1), 0, Bytes::from_static(&[0x00]), []);
    }
    let parent = alloy_consensus::Header {
        number: 100,
        timestamp: 1_000,
        gas_limit: 30_000_000,
        base_fee_per_gas: Some(1_000),
        extra_data: Bytes::from_static(&[0, 0, 0, 0, 250, 0, 0, 0, 6]),
        ..Default::default()
    };

    // The L1-attributes deposit: L1 base fee, Ecotone scalars, blob base fee, operator fee inputs.
    let mut scalars = [0u8; 32];
    scalars[16..20].copy_from_slice(&rng.random_range(0u32..3_000_000).to_be_bytes());
    scalars[20..24].copy_from_slice(&rng.random_range(0u32..3_000_000).to_be_bytes());
    let mut operator = [0u8; 32];
    operator[20..24].copy_from_slice(&rng.random_range(0u32..5_000_000).to_be_bytes());
    operator[24..32].copy_from_slice(&rng.random_range(0u64..1_000_000).to_be_bytes());
    let mut info = Vec::new();
    info.extend(word(U256::from(rng.random_range(1u64..100_000_000_000))));
    info.extend(scalars);
    info.extend(word(U256::from(rng.random_range(1u64..1_000_000_000))));
    info.extend(operator);
    let mut txs: Vec<Bytes> = Vec::new();
    let deposit = |from: Address, to: Address, mint: u128, value: u64, data: Vec<u8>, gas: u64| {
        let d = TxDeposit {
            source_hash: B256::with_last_byte(rng_byte(from, mint)),
            from,
            to: TxKind::Call(to),
            mint,
            value: U256::from(value),
            gas_limit: gas,
            is_system_transaction: false,
            input: Bytes::from(data),
        };
        Bytes::from(OpTxEnvelope::Deposit(Sealed::new(d)).encoded_2718())
    };
    txs.push(deposit(L1_INFO_DEPOSITOR, L1_BLOCK, 0, 0, info, 1_000_000));
    for _ in 0..rng.random_range(0..4) {
        let to = senders[rng.random_range(0..senders.len())];
        let from = Address::repeat_byte(rng.random_range(1..=255));
        txs.push(deposit(
            from,
            to,
            rng.random_range(0..1_000_000),
            rng.random_range(0..10),
            vec![],
            100_000,
        ));
    }
    let mut nonces = vec![0u64; keys.len()];
    for _ in 0..rng.random_range(8..60) {
        let i = rng.random_range(0..keys.len());
        let nonce = nonces[i];
        nonces[i] += 1;
        let (to, input, gas) = if rng.random_bool(0.5) {
            (
                STORE,
                Bytes::from(word(U256::from(rng.random::<u64>())).to_vec()),
                100_000,
            )
        } else {
            (
                senders[rng.random_range(0..senders.len())],
                Bytes::new(),
                21_000,
            )
        };
        let value = U256::from(rng.random_range(0u64..1_000));
        let envelope = if rng.random_bool(0.5) {
            let tx = TxEip1559 {
                chain_id: 10,
                nonce,
                gas_limit: gas,
                max_fee_per_gas: 2_000 + rng.random_range(0..1_000),
                max_priority_fee_per_gas: rng.random_range(0..500),
                to: TxKind::Call(to),
                value,
                access_list: Default::default(),
                input,
            };
            let sig = sign(&keys[i], tx.signature_hash());
            OpTxEnvelope::Eip1559(tx.into_signed(sig))
        } else {
            let tx = TxLegacy {
                chain_id: Some(10),
                nonce,
                gas_price: 2_000 + rng.random_range(0..1_000),
                gas_limit: gas,
                to: TxKind::Call(to),
                value,
                input,
            };
            let sig = sign(&keys[i], tx.signature_hash());
            OpTxEnvelope::Legacy(tx.into_signed(sig))
        };
        txs.push(Bytes::from(envelope.encoded_2718()));
    }
    let attrs = OpPayloadAttributes {
        payload_attributes: alloy_rpc_types_engine::PayloadAttributes {
            timestamp: 1_002,
            prev_randao: B256::repeat_byte(3),
            suggested_fee_recipient: SEQUENCER_FEE_VAULT,
            withdrawals: Some(vec![]),
            parent_beacon_block_root: Some(B256::ZERO),
            slot_number: None,
            target_gas_limit: None,
        },
        transactions: Some(txs),
        no_tx_pool: Some(true),
        gas_limit: Some(30_000_000),
        eip_1559_params: Some(B64::ZERO),
        min_base_fee: None,
    };
    (state, parent, attrs)
}

fn rng_byte(a: Address, mint: u128) -> u8 {
    a.0[19] ^ (mint as u8)
}

fn config() -> OpChainConfig {
    OpChainConfig {
        chain_id: 10,
        forks: ForkTimes {
            jovian_time: None,
            karst_time: None,
            ..ForkTimes::all_at_genesis()
        },
        eip1559: Default::default(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn parallel_op_blocks_equal_sequential(seed in any::<u64>()) {
        parevm_parallel_commit::force_parallel_path(true);
        let (state, parent, attrs) = generate(seed);
        let parent_hash = parent.hash_slow();
        let mut seq_state = state.clone();
        let seq = build_block(&config(), &mut seq_state, &parent, parent_hash, &attrs, Runner::Sequential)
            .expect("sequential build");
        for out in &seq.outcomes {
            // Vault credits are blind: no transaction reads a vault's balance, and every write to one is
            // an Add (the coinbase is the sequencer vault here).
            for (loc, _) in &out.reads {
                if let Location::Balance(a) = loc {
                    prop_assert!(!VAULTS.contains(a), "a transaction read vault {a}");
                }
            }
            for w in &out.writes {
                if VAULTS.contains(&w.address) {
                    prop_assert!(matches!(w.balance, Some(BalanceWrite::Add(_)) | None));
                }
            }
        }
        for threads in [1, 2, 4, 8, 16] {
            let mut par_state = state.clone();
            let par = build_block(&config(), &mut par_state, &parent, parent_hash, &attrs, Runner::Parallel(threads))
                .expect("parallel build");
            prop_assert_eq!(par.hash, seq.hash, "{} threads", threads);
            prop_assert_eq!(par.outcomes.len(), seq.outcomes.len());
            for (a, b) in par.outcomes.iter().zip(&seq.outcomes) {
                prop_assert_eq!(&a.writes, &b.writes);
                prop_assert_eq!(a.gas_used, b.gas_used);
            }
            if let Some(report) = &par.report {
                println!("seed {seed} {threads} threads: {} txs, re-executions {}", report.txs, report.re_executions);
            }
        }
    }
}
