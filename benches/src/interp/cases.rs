//! The `interp` cases: a pre-state and one call each, built from `../shared/bench-bytecode` (SnailTracer,
//! BurntPix, an OpenZeppelin ERC-20 transfer, revme's "analysis" contract) plus an opcode-heavy loop
//! assembled here.

use crate::data::bench_bytecode;
use crate::error::BenchError;
use crate::world::{self, Account, Chain, Tx};
use alloy_primitives::{address, keccak256, Address, Bytes, U256};
use parevm_evm_core::SpecId;

/// Fork of every interp case. Prague rather than Osaka: SnailTracer and BurntPix need more gas than the
/// EIP-7825 per-transaction cap (2^24) allows.
pub const SPEC: SpecId = SpecId::PRAGUE;

/// The chain every interp case runs on.
pub const CHAIN: Chain = Chain {
    spec: SPEC,
    number: 1,
    timestamp: 1,
    coinbase: Address::ZERO,
};

/// The account that sends every benchmark transaction.
pub const CALLER: Address = address!("0x1000000000000000000000000000000000000001");
/// Where single-contract benchmarks deploy their code.
pub const TARGET: Address = address!("0x2000000000000000000000000000000000000002");
/// Gas limit of every benchmark call (more than any case needs).
pub const GAS_LIMIT: u64 = 1_000_000_000;

/// One benchmark case.
#[derive(Clone, Debug)]
pub struct InterpCase {
    /// Short name (table row, CSV key, criterion id).
    pub name: &'static str,
    /// The pre-state.
    pub accounts: Vec<Account>,
    /// The transaction.
    pub tx: Tx,
    /// Gas used as published with the bytecode, when known (a mismatch is reported, not fatal).
    pub expected_gas: Option<u64>,
}

/// The benchmark sender, rich enough for any gas limit.
fn caller() -> Account {
    Account::eoa(CALLER, U256::from(10u64).pow(U256::from(30u64)), 0)
}

/// `CALLER` calls `to` with `data`: no value, gas price 1, nonce 0, [`GAS_LIMIT`].
fn call(to: Address, data: Bytes) -> Tx {
    Tx {
        caller: CALLER,
        to: Some(to),
        value: U256::ZERO,
        data,
        gas_limit: GAS_LIMIT,
        gas_price: 1,
        nonce: 0,
    }
}

/// Every interp case, in table order.
pub fn all_cases() -> Result<Vec<InterpCase>, BenchError> {
    Ok(vec![
        snailtracer()?,
        burntpix()?,
        erc20_transfer()?,
        analysis()?,
        opcode_loop(),
    ])
}

/// SnailTracer: `Benchmark()`.
pub fn snailtracer() -> Result<InterpCase, BenchError> {
    let code = bench_bytecode("snailtracer.hex")?;
    Ok(InterpCase {
        name: "snailtracer",
        accounts: vec![caller(), Account::contract(TARGET, code, Vec::new())],
        tx: call(TARGET, Bytes::from_static(&[0x30, 0x62, 0x7b, 0x7c])),
        expected_gas: Some(161_088_532),
    })
}

/// revme's "analysis" contract.
pub fn analysis() -> Result<InterpCase, BenchError> {
    let code = bench_bytecode("analysis.hex")?;
    Ok(InterpCase {
        name: "analysis",
        accounts: vec![caller(), Account::contract(TARGET, code, Vec::new())],
        tx: call(TARGET, Bytes::from_static(&[0x80, 0x35, 0xf0, 0xce])),
        expected_gas: Some(33_749),
    })
}

/// BurntPix: `run(uint32 seed = 0, uint256 iterations = 0x4E20)` on the entry contract, with the layout of
/// revme's `burntpix/static_data.rs`.
pub fn burntpix() -> Result<InterpCase, BenchError> {
    const ONE: Address = address!("0x0a743ba7304efcc9e384ece9be7631e2470e401e");
    const TWO: Address = address!("0x49206861766520746f6f206d7563682074696d65");
    const THREE: Address = address!("0xc917e98213a05d271adc5d93d2fee6c1f1006f75");
    const FOUR: Address = address!("0xf529c70db0800449ebd81fbc6e4221523a989f05");
    let word = |a: Address| U256::from_be_slice(a.as_slice());
    let storage = vec![
        (U256::from(0), word(FOUR)),
        (U256::from(1), word(ONE)),
        (U256::from(2), word(THREE)),
    ];
    let mut data = keccak256("run(uint32,uint256)")[..4].to_vec();
    data.extend_from_slice(&U256::ZERO.to_be_bytes::<32>());
    data.extend_from_slice(&U256::from(0x4e20).to_be_bytes::<32>());
    Ok(InterpCase {
        name: "burntpix",
        accounts: vec![
            caller(),
            Account::contract(
                ONE,
                bench_bytecode("burntpix_bytecode_one.hex")?,
                Vec::new(),
            ),
            Account::contract(TWO, bench_bytecode("burntpix_bytecode_two.hex")?, storage),
            Account::contract(
                THREE,
                bench_bytecode("burntpix_bytecode_three.hex")?,
                Vec::new(),
            ),
            Account::contract(
                FOUR,
                bench_bytecode("burntpix_bytecode_four.hex")?,
                Vec::new(),
            ),
        ],
        tx: call(TWO, data.into()),
        expected_gas: Some(159_033_567),
    })
}

/// An OpenZeppelin ERC-20 `transfer` to a fresh recipient. The token is deployed first (by parevm, from
/// `erc20_initcode.hex ++ abi(uint256 supply)`), and the deployed code must equal `erc20_runtime.hex`.
pub fn erc20_transfer() -> Result<InterpCase, BenchError> {
    let case = "erc20_transfer";
    let setup = |reason: String| BenchError::Setup {
        case: case.into(),
        reason,
    };
    let supply = U256::from(10u64).pow(U256::from(27u64));
    let mut init = bench_bytecode("erc20_initcode.hex")?.to_vec();
    init.extend_from_slice(&supply.to_be_bytes::<32>());

    let mut state = world::parevm_state(&[caller()]);
    let deploy = Tx {
        to: None,
        data: init.into(),
        ..call(Address::ZERO, Bytes::new())
    };
    let out = parevm_evm_core::execute_tx(&CHAIN.parevm_env(&deploy), &state)
        .map_err(|e| setup(format!("deployment rejected: {e}")))?;
    let token = out
        .created_address
        .ok_or_else(|| setup(format!("deployment ended {:?}", out.status)))?;
    state.apply(&out.writes);
    let acc = state
        .account(&token)
        .ok_or_else(|| setup("token account missing".into()))?;
    let code = state
        .code(&acc.code_hash)
        .map(|c| c.bytes().clone())
        .unwrap_or_default();
    let runtime = bench_bytecode("erc20_runtime.hex")?;
    if code != runtime {
        return Err(setup(format!(
            "deployed code ({} bytes) differs from erc20_runtime.hex",
            code.len()
        )));
    }
    let storage = acc.storage.iter().map(|(k, v)| (*k, *v)).collect();

    let recipient = address!("0x3000000000000000000000000000000000000003");
    let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
    data.extend_from_slice(&U256::from_be_slice(recipient.as_slice()).to_be_bytes::<32>());
    data.extend_from_slice(&U256::from(1_000u64).to_be_bytes::<32>());
    Ok(InterpCase {
        name: case,
        accounts: vec![caller(), Account::contract(token, code, storage)],
        tx: call(token, data.into()),
        expected_gas: None,
    })
}

/// Iterations of [`opcode_loop`].
pub const LOOP_ITERATIONS: u32 = 200_000;

/// A tight loop of arithmetic, bitwise, stack, memory and jump opcodes (no state access); returns its
/// accumulator so both engines' results can be compared.
pub fn opcode_loop() -> InterpCase {
    let n = LOOP_ITERATIONS.to_be_bytes();
    #[rustfmt::skip]
    let code = vec![
        0x63, n[0], n[1], n[2], n[3], // PUSH4 n            [i]
        0x5b,                         // 5: JUMPDEST
        0x60, 0x00, 0x51,             // MLOAD(0)           [i, x]
        0x81, 0x02,                   // DUP2 MUL           [i, x*i]
        0x60, 0x07, 0x01,             // PUSH1 7 ADD        [i, y]
        0x80, 0x60, 0x03, 0x1b, 0x18, // DUP1 PUSH1 3 SHL XOR
        0x80, 0x60, 0x05, 0x1c, 0x01, // DUP1 PUSH1 5 SHR ADD
        0x60, 0x00, 0x52,             // MSTORE(0, y)       [i]
        0x60, 0x01, 0x90, 0x03,       // PUSH1 1 SWAP1 SUB  [i-1]
        0x80, 0x60, 0x05, 0x57,       // DUP1 PUSH1 5 JUMPI
        0x50,                         // POP
        0x60, 0x20, 0x60, 0x00, 0xf3, // RETURN(0, 32)
    ];
    InterpCase {
        name: "opcode_loop",
        accounts: vec![caller(), Account::contract(TARGET, code.into(), Vec::new())],
        tx: call(TARGET, Bytes::new()),
        expected_gas: None,
    }
}

/// More opcode-heavy loops beside [`opcode_loop`]: [`storage_loop`], [`keccak_loop`] and
/// [`ecrecover_loop`]. The criterion benchmarks (`benches/interp.rs`) always run them; the `interp` suite
/// only with `--extra`, so that its default geometric mean stays comparable between runs.
pub fn extra_loops() -> Vec<InterpCase> {
    vec![storage_loop(), keccak_loop(), ecrecover_loop()]
}

/// Iterations of [`storage_loop`].
pub const STORAGE_LOOP_ITERATIONS: u16 = 20_000;

/// A loop of warm SLOAD and SSTORE on one slot (slot 0 += i); returns the final value.
pub fn storage_loop() -> InterpCase {
    let n = STORAGE_LOOP_ITERATIONS.to_be_bytes();
    #[rustfmt::skip]
    let code = vec![
        0x61, n[0], n[1],             // PUSH2 n            [i]
        0x5b,                         // 3: JUMPDEST
        0x5f, 0x54,                   // PUSH0 SLOAD        [i, x]
        0x81, 0x01,                   // DUP2 ADD           [i, x+i]
        0x5f, 0x55,                   // PUSH0 SSTORE       [i]
        0x60, 0x01, 0x90, 0x03,       // PUSH1 1 SWAP1 SUB  [i-1]
        0x80, 0x60, 0x03, 0x57,       // DUP1 PUSH1 3 JUMPI
        0x50,                         // POP
        0x5f, 0x54, 0x5f, 0x52,       // MSTORE(0, SLOAD(0))
        0x60, 0x20, 0x5f, 0xf3,       // RETURN(0, 32)
    ];
    InterpCase {
        name: "storage_loop",
        accounts: vec![caller(), Account::contract(TARGET, code.into(), Vec::new())],
        tx: call(TARGET, Bytes::new()),
        expected_gas: None,
    }
}

/// Iterations of [`keccak_loop`].
pub const KECCAK_LOOP_ITERATIONS: u32 = 100_000;

/// A hash chain: KECCAK256 of 64 bytes of memory (the previous hash and the counter), per iteration;
/// returns the last hash.
pub fn keccak_loop() -> InterpCase {
    let n = KECCAK_LOOP_ITERATIONS.to_be_bytes();
    #[rustfmt::skip]
    let code = vec![
        0x63, n[0], n[1], n[2], n[3], // PUSH4 n            [i]
        0x5b,                         // 5: JUMPDEST
        0x60, 0x40, 0x5f, 0x20,       // KECCAK256(0, 64)   [i, h]
        0x5f, 0x52,                   // MSTORE(0, h)       [i]
        0x80, 0x60, 0x20, 0x52,       // MSTORE(32, i)      [i]
        0x60, 0x01, 0x90, 0x03,       // PUSH1 1 SWAP1 SUB  [i-1]
        0x80, 0x60, 0x05, 0x57,       // DUP1 PUSH1 5 JUMPI
        0x50,                         // POP
        0x60, 0x20, 0x5f, 0xf3,       // RETURN(0, 32)
    ];
    InterpCase {
        name: "keccak_loop",
        accounts: vec![caller(), Account::contract(TARGET, code.into(), Vec::new())],
        tx: call(TARGET, Bytes::new()),
        expected_gas: None,
    }
}

/// Iterations of [`ecrecover_loop`].
pub const ECRECOVER_LOOP_ITERATIONS: u16 = 2_000;

/// The ecrecover test vector of go-ethereum's and Solidity's documentation: message hash, v, r, s.
const ECRECOVER_INPUT: [[u8; 32]; 4] = [
    alloy_primitives::hex!("456e9aea5e197a1f1af7a3e85a3212fa4049a3ba34c2289b4c860fc0b0c64ef3"),
    alloy_primitives::hex!("000000000000000000000000000000000000000000000000000000000000001c"),
    alloy_primitives::hex!("9242685bf161793cc25603c231bc2f568eb630ea16aa137d2664ac8038825608"),
    alloy_primitives::hex!("4f8ae3bd7535248d0bd448298cc2e2071e56992d0774dc340c368ae950852ada"),
];

/// STATICCALLs to the ecrecover precompile (0x01) in a loop, the signature in memory (written by the code
/// itself); returns the recovered address. Precompile dispatch and the secp256k1 library dominate.
pub fn ecrecover_loop() -> InterpCase {
    let mut code = Vec::new();
    for (i, word) in ECRECOVER_INPUT.iter().enumerate() {
        code.push(0x7f); // PUSH32 word
        code.extend_from_slice(word);
        code.extend_from_slice(&[0x60, (32 * i) as u8, 0x52]); // PUSH1 offset MSTORE
    }
    let n = ECRECOVER_LOOP_ITERATIONS.to_be_bytes();
    let start = code.len() + 3;
    #[rustfmt::skip]
    code.extend_from_slice(&[
        0x61, n[0], n[1],                   // PUSH2 n                      [i]
        0x5b,                               // start: JUMPDEST
        0x60, 0x20, 0x60, 0x80,             // PUSH1 32 PUSH1 128           (out size, out offset)
        0x60, 0x80, 0x5f,                   // PUSH1 128 PUSH0              (in size, in offset)
        0x60, 0x01, 0x5a, 0xfa, 0x50,       // PUSH1 1 GAS STATICCALL POP   [i]
        0x60, 0x01, 0x90, 0x03,             // PUSH1 1 SWAP1 SUB            [i-1]
        0x80, 0x60, start as u8, 0x57,      // DUP1 PUSH1 start JUMPI
        0x50,                               // POP
        0x60, 0x20, 0x60, 0x80, 0xf3,       // RETURN(128, 32)
    ]);
    InterpCase {
        name: "ecrecover_loop",
        accounts: vec![caller(), Account::contract(TARGET, code.into(), Vec::new())],
        tx: call(TARGET, Bytes::new()),
        expected_gas: None,
    }
}
