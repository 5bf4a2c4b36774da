//! The case generator: from one seed, a fork, a block, a pre-state of a few contracts that call each other
//! (plus EOAs, empty and missing accounts) and one transaction, weighted toward valid transactions.

use super::case::{AuthSpec, BlockSpec, Case, PreAccount, TxSpec};
use super::program::{self, World};
use super::rng::Rng;
use alloy_primitives::{Address, Bytes, B256, U256};
use parevm_evm_core::SpecId;

/// Forks with their weights (recent forks get more cases).
const FORKS: [(SpecId, u32); 14] = [
    (SpecId::FRONTIER, 2),
    (SpecId::HOMESTEAD, 2),
    (SpecId::TANGERINE, 2),
    (SpecId::SPURIOUS_DRAGON, 2),
    (SpecId::BYZANTIUM, 2),
    (SpecId::PETERSBURG, 2),
    (SpecId::ISTANBUL, 2),
    (SpecId::BERLIN, 3),
    (SpecId::LONDON, 3),
    (SpecId::MERGE, 2),
    (SpecId::SHANGHAI, 3),
    (SpecId::CANCUN, 5),
    (SpecId::PRAGUE, 6),
    (SpecId::OSAKA, 6),
];

/// Block gas limit of every case.
const BLOCK_GAS_LIMIT: u64 = 30_000_000;
/// EIP-7825 transaction gas cap.
const TX_GAS_CAP: u64 = 1 << 24;

/// An address made of one repeated tag byte and an index in the last byte, easy to spot in dumps.
pub fn tagged(tag: u8, i: u8) -> Address {
    let mut b = [tag; 20];
    b[19] = i;
    Address::from(b)
}

/// The sender of every transaction.
pub fn sender() -> Address {
    tagged(0x5e, 0x01)
}

/// The case of `seed`.
pub fn case(seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    let weights: Vec<u32> = FORKS.iter().map(|(_, w)| *w).collect();
    let spec = FORKS[rng.weighted(&weights)].0;
    let on = |f: SpecId| spec.is_enabled_in(f);

    let n_contracts = rng.range(2, 5) as u8;
    let contracts: Vec<Address> = (0..n_contracts).map(|i| tagged(0xc0, i)).collect();
    let eoas = [tagged(0xe0, 0), tagged(0xe0, 1)];
    let empty = tagged(0xe0, 0xee);
    let missing = [tagged(0xde, 0), tagged(0xde, 1)];
    let coinbase = match rng.below(8) {
        0 => sender(),
        1 => contracts[0],
        2 => eoas[0],
        3 => empty,
        4 => Address::with_last_byte(1),
        _ => tagged(0xcb, 0),
    };
    let mut others = vec![sender(), coinbase, empty];
    others.extend_from_slice(&eoas);
    others.extend_from_slice(&missing);
    let number = rng.range(1, 20_000_000);
    let world = World {
        spec,
        contracts: contracts.clone(),
        others,
        block_number: number,
    };

    let basefee = if on(SpecId::LONDON) && rng.chance(80) {
        rng.range(1, 20)
    } else {
        0
    };
    let block = BlockSpec {
        number,
        timestamp: rng.range(1, 2_000_000_000),
        coinbase,
        basefee,
        gas_limit: BLOCK_GAS_LIMIT,
        difficulty: U256::from(rng.u64()),
        prevrandao: B256::from(rng.u256()),
    };

    let mut accounts = Vec::new();
    for &c in &contracts {
        let snippets = rng.range(2, 30) as usize;
        let mut code = program::program(&mut rng, &world, snippets, 0);
        if code.first() == Some(&0xef) {
            // Deployed code never starts with 0xEF (EIP-3541), and revm would read it as EOF or EIP-7702.
            code[0] = 0x5b;
        }
        let balance = rng.pick(&[0u64, 0, 1, 1000, 1_000_000_000_000_000_000]);
        let nonce = rng.range(0, 2);
        let mut storage = Vec::new();
        for slot in 0..8u64 {
            if rng.chance(40) {
                let v = if rng.chance(60) {
                    U256::from(rng.range(1, 3))
                } else {
                    rng.word()
                };
                storage.push((U256::from(slot), v));
            }
        }
        accounts.push(PreAccount {
            address: c,
            balance: U256::from(balance),
            nonce,
            code: code.into(),
            storage,
        });
    }
    for (i, &e) in eoas.iter().enumerate() {
        let code = if on(SpecId::PRAGUE) && i == 1 && rng.chance(50) {
            // Usually a contract; sometimes another EOA (chains are not followed) or a precompile (runs as
            // empty code).
            match rng.below(10) {
                0 => delegation(eoas[0]),
                1 => delegation(Address::with_last_byte(rng.range(1, 0x11) as u8)),
                _ => delegation(rng.pick(&contracts)),
            }
        } else {
            Bytes::new()
        };
        let balance = U256::from(rng.pick(&[0u64, 7, 1_000_000_000]));
        accounts.push(PreAccount {
            address: e,
            balance,
            nonce: rng.range(0, 3),
            code,
            storage: Vec::new(),
        });
    }
    if rng.chance(50) {
        accounts.push(PreAccount {
            address: empty,
            balance: U256::ZERO,
            nonce: 0,
            code: Bytes::new(),
            storage: Vec::new(),
        });
    }

    let sender_nonce = if rng.chance(1) {
        u64::MAX - rng.range(0, 1)
    } else {
        rng.range(0, 3)
    };
    if rng.chance(25) {
        // Something already at an address a CREATE will use: a balance is fine, a nonce or code is a
        // collision. Storage alone is one too (EIP-7610), but revm does not model it (its runner skips those
        // fixtures), so storage comes with a nonce here; the EEST state tests cover storage-only targets.
        let target = if rng.chance(40) {
            sender().create(sender_nonce)
        } else {
            let i = rng.below(contracts.len());
            contracts[i].create(accounts[i].nonce)
        };
        let mut acc = PreAccount {
            address: target,
            balance: U256::ZERO,
            nonce: 0,
            code: Bytes::new(),
            storage: Vec::new(),
        };
        match rng.below(5) {
            0 | 1 => acc.balance = U256::from(1000u64),
            2 => acc.nonce = 1,
            3 => acc.code = Bytes::from_static(&[0x00]),
            _ => {
                acc.nonce = 1;
                acc.storage.push((U256::from(1u8), U256::from(1u8)));
            }
        }
        accounts.push(acc);
    }
    let sender_code = if on(SpecId::PRAGUE) && rng.chance(10) {
        delegation(rng.pick(&contracts))
    } else {
        Bytes::new()
    };
    let tx = transaction(&mut rng, &world, sender_nonce, basefee, &eoas, &missing);
    let needed = U256::from(tx.gas_limit) * U256::from(tx.gas_price)
        + tx.value
        + U256::from(tx.blob_hashes.len() as u64 * (1 << 17)) * U256::from(tx.max_fee_per_blob_gas);
    let sender_balance = match rng.below(40) {
        0 => needed.saturating_sub(U256::from(1u8)),
        1 => needed,
        _ => needed + U256::from(rng.pick(&[1u64, 1_000_000, 1_000_000_000_000_000_000])),
    };
    accounts.push(PreAccount {
        address: sender(),
        balance: sender_balance,
        nonce: sender_nonce,
        code: sender_code,
        storage: Vec::new(),
    });
    Case {
        seed,
        spec,
        block,
        accounts,
        tx,
    }
}

/// An EIP-7702 delegation designator to `to`.
fn delegation(to: Address) -> Bytes {
    let mut v = vec![0xef, 0x01, 0x00];
    v.extend_from_slice(to.as_slice());
    v.into()
}

fn transaction(
    rng: &mut Rng,
    world: &World,
    sender_nonce: u64,
    basefee: u64,
    eoas: &[Address],
    missing: &[Address],
) -> TxSpec {
    let spec = world.spec;
    let on = |f: SpecId| spec.is_enabled_in(f);
    let mut types = vec![0u8, 0];
    if on(SpecId::BERLIN) {
        types.push(1);
    }
    if on(SpecId::LONDON) {
        types.extend_from_slice(&[2, 2, 2]);
    }
    if on(SpecId::CANCUN) {
        types.push(3);
    }
    if on(SpecId::PRAGUE) {
        types.push(4);
    }
    let tx_type = rng.pick(&types);
    let may_create = tx_type < 3;
    let to = match rng.below(20) {
        0..=12 => Some(rng.pick(&world.contracts)),
        13 => Some(rng.pick(eoas)),
        14 => Some(rng.pick(missing)),
        15 => Some(Address::with_last_byte(
            rng.range(1, world.last_precompile()) as u8,
        )),
        _ if may_create => None,
        _ => Some(world.contracts[0]),
    };
    let to = if on(SpecId::PRAGUE) && to.is_some() && rng.chance(8) {
        Some(eoas[1])
    } else {
        to
    };
    let data: Bytes = match to {
        None => program::initcode(rng, world, 0).into(),
        Some(_) => {
            let n = rng.range(0, 100) as usize;
            let mut d = rng.bytes(n);
            for b in d.iter_mut() {
                if rng.chance(30) {
                    *b = 0;
                }
            }
            d.into()
        }
    };
    let value = match rng.below(10) {
        0..=4 => U256::ZERO,
        5..=8 => U256::from(rng.range(1, 100_000)),
        _ => U256::from(10u64).pow(U256::from(18u64)),
    };

    let mut access_list = Vec::new();
    if tx_type >= 1 && rng.chance(60) {
        for _ in 0..rng.range(1, 3) {
            let a = if rng.chance(70) {
                rng.pick(&world.contracts)
            } else {
                rng.pick(&world.others)
            };
            let keys: Vec<B256> = (0..rng.range(0, 3))
                .map(|_| B256::from(U256::from(rng.range(0, 8))))
                .collect();
            access_list.push((a, keys));
        }
    }
    let mut blob_hashes = Vec::new();
    if tx_type == 3 {
        let n = if rng.chance(90) {
            rng.range(1, 3)
        } else {
            rng.range(4, 10)
        };
        for _ in 0..n {
            let mut h = B256::from(rng.u256());
            h.0[0] = if rng.chance(97) { 1 } else { 2 };
            blob_hashes.push(h);
        }
    }
    let mut authorizations = Vec::new();
    if tx_type == 4 {
        for _ in 0..rng.range(1, 3) {
            let authority = match rng.below(10) {
                0..=4 => Some(rng.pick(eoas)),
                5..=6 => Some(sender()),
                7 => Some(world.contracts[0]),
                8 => Some(missing[0]),
                _ => None,
            };
            let nonce = match authority {
                // The sender's nonce is bumped before authorizations are processed.
                Some(a) if a == sender() => sender_nonce.wrapping_add(1),
                _ if rng.chance(60) => 0,
                _ => rng.range(0, 3),
            };
            let address = match rng.below(10) {
                0 | 1 => Address::ZERO,
                2 => eoas[1],
                3 => Address::with_last_byte(rng.range(1, 0x11) as u8),
                _ => rng.pick(&world.contracts),
            };
            let chain_id = rng.pick(&[0u64, 1, 1, 2]);
            authorizations.push(AuthSpec {
                chain_id,
                address,
                nonce,
                authority,
            });
        }
    }

    let zeros = data.iter().filter(|b| **b == 0).count() as u64;
    let mut intrinsic = 21_000 + 4 * zeros + 16 * (data.len() as u64 - zeros);
    if to.is_none() {
        intrinsic += 32_000 + 2 * (data.len() as u64).div_ceil(32);
    }
    for (_, keys) in &access_list {
        intrinsic += 2_400 + 1_900 * keys.len() as u64;
    }
    intrinsic += 25_000 * authorizations.len() as u64;
    if !on(SpecId::ISTANBUL) {
        intrinsic += 52 * (data.len() as u64 - zeros);
    }
    let extra = match rng.below(100) {
        0..=1 => 0,
        2..=6 => rng.range(0, 3_000),
        7..=16 => rng.range(3_000, 30_000),
        17..=41 => rng.range(30_000, 300_000),
        42..=86 => rng.range(300_000, 2_000_000),
        _ => rng.range(2_000_000, 8_000_000),
    };
    let mut gas_limit = (intrinsic + extra).min(TX_GAS_CAP).min(BLOCK_GAS_LIMIT);
    match rng.below(100) {
        0 | 1 => gas_limit = intrinsic - 1,
        2 => gas_limit = TX_GAS_CAP + 1,
        3 => gas_limit = BLOCK_GAS_LIMIT + 1,
        _ => {}
    }

    let (gas_price, priority_fee) = if tx_type >= 2 {
        let max_fee = basefee as u128 + rng.range(0, 10) as u128;
        let tip = rng.range(0, max_fee as u64 + 1) as u128;
        (max_fee, Some(tip.min(max_fee)))
    } else {
        let lo = if basefee > 0 && rng.chance(3) { 0 } else { 1 };
        (basefee as u128 + rng.range(lo, 20) as u128, None)
    };
    let gas_price = if basefee > 0 && rng.chance(2) {
        basefee as u128 - 1
    } else {
        gas_price
    };
    // Free transactions: the coinbase is credited zero (it still becomes an account before EIP-161).
    let (gas_price, priority_fee) = if basefee == 0 && rng.chance(5) {
        (0, priority_fee.map(|_| 0))
    } else {
        (gas_price, priority_fee)
    };
    let nonce = if rng.chance(97) {
        sender_nonce
    } else {
        sender_nonce.wrapping_add(1)
    };

    TxSpec {
        tx_type,
        caller: sender(),
        to,
        value,
        data,
        gas_limit,
        gas_price,
        priority_fee,
        nonce,
        access_list,
        blob_hashes,
        max_fee_per_blob_gas: if tx_type == 3 {
            rng.range(1, 3) as u128
        } else {
            0
        },
        authorizations,
    }
}
