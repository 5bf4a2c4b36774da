//! pevm's independent Uniswap V3 block: one cluster per swap (DAI, USDC, WETH9, factory, pool, SwapRouter,
//! SingleSwap and one person), laid out as `../shared/bench-bytecode/README.md` describes, with the
//! placeholder immutables of four contracts patched per cluster.

use super::rng::Rng;
use super::storage::{int, map, short_string, word};
use super::workloads::{pevm_token, Workload, CHAIN, PEVM_GAS_PRICE};
use crate::data::bench_bytecode;
use crate::error::BenchError;
use crate::world::{Account, Tx};
use alloy_primitives::{hex, keccak256, Address, Bytes, B256, U256};

/// Fee tier of every pool.
const FEE: u64 = 3_000;
/// Tick range of the single position.
const TICK: i64 = 600_000;

/// The unpatched runtime codes.
struct Codes {
    weth9: Bytes,
    factory: Bytes,
    pool: Bytes,
    router: Bytes,
    single_swap: Bytes,
}

/// Replaces every occurrence of `from` by `to` in `code`, checking the number of occurrences.
fn patch(
    code: &[u8],
    from: &str,
    to: &[u8],
    count: usize,
    what: &str,
) -> Result<Vec<u8>, BenchError> {
    let from = hex::decode(from).map_err(|e| BenchError::Setup {
        case: "uniswap".into(),
        reason: e.to_string(),
    })?;
    let mut out = code.to_vec();
    let mut found = 0;
    let mut i = 0;
    while i + from.len() <= out.len() {
        if out[i..i + from.len()] == from[..] {
            out[i..i + from.len()].copy_from_slice(to);
            found += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    if found != count {
        let reason = format!("placeholder for {what} found {found} times, expected {count}");
        return Err(BenchError::Setup {
            case: "uniswap".into(),
            reason,
        });
    }
    Ok(out)
}

/// `n` clusters, one `sellToken0(2000)` each.
pub fn block(n: usize) -> Result<Workload, BenchError> {
    let codes = Codes {
        weth9: bench_bytecode("pevm_uniswap_WETH9.hex")?,
        factory: bench_bytecode("pevm_uniswap_UniswapV3Factory.hex")?,
        pool: bench_bytecode("pevm_uniswap_UniswapV3Pool.hex")?,
        router: bench_bytecode("pevm_uniswap_SwapRouter.hex")?,
        single_swap: bench_bytecode("pevm_uniswap_SingleSwap.hex")?,
    };
    let mut rng = Rng::new(0x5a4b);
    let mut accounts = vec![Account::eoa(Address::ZERO, U256::ZERO, 0)];
    let mut txs = Vec::with_capacity(n);
    for _ in 0..n {
        let (cluster, tx) = cluster(&codes, &mut rng)?;
        accounts.extend(cluster);
        txs.push(tx);
    }
    Ok(Workload {
        name: "uniswap",
        chain: CHAIN,
        accounts,
        txs,
    })
}

/// One cluster's accounts and its swap.
fn cluster(codes: &Codes, rng: &mut Rng) -> Result<(Vec<Account>, Tx), BenchError> {
    let e18 = U256::from(10u64).pow(U256::from(18u64));
    let person = rng.address();
    let (a, b) = (rng.address(), rng.address());
    let (dai, usdc) = if a < b { (a, b) } else { (b, a) };
    let weth9 = rng.address();
    let factory = rng.address();
    let router = rng.address();
    let single_swap = rng.address();
    let owner = rng.address();
    let position_owner = rng.address();
    let init_code_hash: B256 = rng.b256();

    // The pool sits at its CREATE2 address.
    let mut salt_input = Vec::with_capacity(96);
    for w in [word(dai), word(usdc), U256::from(FEE)] {
        salt_input.extend_from_slice(&w.to_be_bytes::<32>());
    }
    let pool = factory.create2(keccak256(&salt_input), init_code_hash);

    let mut dai_acc = pevm_token(dai, "DAI", "DAI", &[person])?;
    let mut usdc_acc = pevm_token(usdc, "USDC", "USDC", &[person])?;
    for t in [&mut dai_acc, &mut usdc_acc] {
        t.storage
            .push((map(U256::ZERO, &[word(pool)]), U256::from(111_111u64) * e18));
        t.storage.push((
            map(U256::from(1u8), &[word(person), word(single_swap)]),
            e18,
        ));
    }

    let weth9_acc = Account::contract(
        weth9,
        codes.weth9.clone(),
        vec![
            (U256::ZERO, short_string("Wrapped Ether")),
            (U256::from(1u8), short_string("WETH")),
            (U256::from(3u8), U256::from(18u8)),
        ],
    );

    let factory_code = patch(
        &codes.factory,
        "0b748751e6f8b1a38c9386a19d9f8966b3593a9e",
        factory.as_slice(),
        1,
        "factory",
    )?;
    let factory_acc = Account::contract(
        factory,
        factory_code.into(),
        vec![
            (U256::from(3u8), word(owner)),
            (
                map(U256::from(4u8), &[U256::from(500u64)]),
                U256::from(10u8),
            ),
            (
                map(U256::from(4u8), &[U256::from(3_000u64)]),
                U256::from(60u8),
            ),
            (
                map(U256::from(4u8), &[U256::from(10_000u64)]),
                U256::from(200u8),
            ),
            (
                map(U256::from(5u8), &[word(dai), word(usdc), U256::from(FEE)]),
                word(pool),
            ),
            (
                map(U256::from(5u8), &[word(usdc), word(dai), U256::from(FEE)]),
                word(pool),
            ),
        ],
    );

    let pool_code = patch(
        &codes.pool,
        "261d8c5e9742e6f7f1076fa1f560894524e19cad",
        dai.as_slice(),
        6,
        "token0",
    )?;
    let pool_code = patch(
        &pool_code,
        "ce3478a9e0167a6bc5716dc39dbbbfac38f27623",
        usdc.as_slice(),
        6,
        "token1",
    )?;
    let pool_code = patch(
        &pool_code,
        "cba6b9a951749b8735c603e7ffc5151849248772",
        factory.as_slice(),
        3,
        "factory",
    )?;
    let pool_code = patch(
        &pool_code,
        "d495d5e5cab2567777fff988c4fcd71328b17c9d",
        pool.as_slice(),
        1,
        "pool",
    )?;
    let pool_acc = Account::contract(pool, pool_code.into(), pool_storage(position_owner));

    let router_code = patch(
        &codes.router,
        "6509f2a854ba7441039fce3b959d5badd2ffcfcd",
        weth9.as_slice(),
        9,
        "WETH9",
    )?;
    let router_code = patch(
        &router_code,
        "d787a42ee3ac477c46dd6c912e7af795d44453d5",
        factory.as_slice(),
        3,
        "factory",
    )?;
    let router_code = patch(
        &router_code,
        "636fcf59d7fdf3a03833dba1c6d936c9d7c6730057c8c4c8e5059feaeab60e04",
        init_code_hash.as_slice(),
        1,
        "pool init code hash",
    )?;
    let router_acc = Account::contract(router, router_code.into(), vec![(U256::ZERO, U256::MAX)]);

    let swap_code = patch(
        &codes.single_swap,
        "e7cfcccb38ce07ba9d8d13431afe8cf6172de031",
        router.as_slice(),
        11,
        "SwapRouter",
    )?;
    let swap_acc = Account::contract(
        single_swap,
        swap_code.into(),
        vec![
            (U256::ZERO, word(dai)),
            (U256::from(1u8), word(usdc) | (U256::from(FEE) << 160)),
        ],
    );

    let person_acc = Account::eoa(
        person,
        U256::from(4_567u64) * U256::from(10u64).pow(U256::from(21u64)),
        0,
    );
    let mut data = vec![0xc9, 0x2b, 0x08, 0x91];
    data.extend_from_slice(&U256::from(2_000u64).to_be_bytes::<32>());
    let tx = Tx {
        caller: person,
        to: Some(single_swap),
        value: U256::ZERO,
        data: data.into(),
        gas_limit: 200_000,
        gas_price: PEVM_GAS_PRICE,
        nonce: 0,
    };
    Ok((
        vec![
            dai_acc,
            usdc_acc,
            weth9_acc,
            factory_acc,
            pool_acc,
            router_acc,
            swap_acc,
            person_acc,
        ],
        tx,
    ))
}

/// The pool's storage: price 2^96 at tick 0, liquidity L over [-600000, 600000], one position.
fn pool_storage(position_owner: Address) -> Vec<(U256, U256)> {
    let liquidity = U256::from(0x1787_56e1_90b3_8865_1605u128);
    let low128 = (U256::from(1u8) << 128) - U256::from(1u8);
    let word_hex = |s: &str| U256::from_str_radix(s, 16).unwrap_or_default();
    let mut s = vec![
        (
            U256::ZERO,
            word_hex("0001000001000100000000000000000000000001000000000000000000000000"),
        ),
        (U256::from(4u8), liquidity),
        (
            U256::from(8u8),
            word_hex("0100000000000000000000000000000000000000000000000000000000000001"),
        ),
    ];
    // Ticks: word 0 = liquidityNet (int128, high half) ‖ liquidityGross (uint128, low half); word 3 holds
    // `initialized` (and secondsOutside = 1 at the lower tick).
    for (tick, net_negative, word3) in [
        (
            -TICK,
            false,
            "0100000001000000000000000000000000000000000000000000000000000000",
        ),
        (
            TICK,
            true,
            "0100000000000000000000000000000000000000000000000000000000000000",
        ),
    ] {
        let base = map(U256::from(5u8), &[int(tick)]);
        let net = if net_negative {
            (U256::ZERO.wrapping_sub(liquidity)) & low128
        } else {
            liquidity
        };
        s.push((base, (net << 128) | liquidity));
        s.push((base + U256::from(3u8), word_hex(word3)));
    }
    s.push((map(U256::from(6u8), &[int(-40)]), U256::from(1u8) << 240));
    s.push((map(U256::from(6u8), &[int(39)]), U256::from(1u8) << 16));
    // The position key is keccak256(owner ‖ int24 lower ‖ int24 upper), packed.
    let mut key = position_owner.to_vec();
    key.extend_from_slice(&int(-TICK).to_be_bytes::<32>()[29..]);
    key.extend_from_slice(&int(TICK).to_be_bytes::<32>()[29..]);
    let position = map(U256::from(7u8), &[U256::from_be_bytes(keccak256(&key).0)]);
    s.push((position, liquidity));
    s
}
