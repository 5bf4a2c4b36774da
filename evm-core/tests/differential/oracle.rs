//! Runs a case through revm, the oracle: a `CacheDB<EmptyDB>` pre-state, `transact`, then revm's state diff
//! applied to the pre-state the way a state database applies it: untouched accounts are skipped, self-destructed
//! accounts and (from Spurious Dragon on, EIP-161) touched empty accounts are deleted, created accounts lose
//! their old storage. `CacheDB::commit` would keep touched empty accounts, which would hide EIP-161 bugs.

use super::case::Case;
use super::observed::{normalize, Exec, Observed, Post, PostAccount, Status};
use alloy_primitives::{keccak256, TxKind, U256};
use parevm_evm_core::{SpecId, KECCAK_EMPTY};
use revm::context::result::ExecutionResult;
use revm::context::transaction::{
    AccessList, AccessListItem, Authorization, RecoveredAuthority, RecoveredAuthorization,
};
use revm::context::{BlockEnv, TxEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::context_interface::either::Either;
use revm::database::{CacheDB, EmptyDB};
use revm::state::EvmState;
use revm::state::{AccountInfo, Bytecode};
use revm::{Context, ExecuteEvm, MainBuilder, MainContext};

/// Runs `case` in revm.
pub fn run(case: &Case) -> Observed {
    let spec = case.spec;
    let mut db = CacheDB::<EmptyDB>::default();
    for a in &case.accounts {
        let code_hash = if a.code.is_empty() {
            KECCAK_EMPTY
        } else {
            keccak256(&a.code)
        };
        let info = AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            code_hash,
            code: Some(Bytecode::new_raw(a.code.clone())),
            ..Default::default()
        };
        db.insert_account_info(a.address, info);
        for (k, v) in &a.storage {
            // EmptyDB cannot fail.
            let _ = db.insert_account_storage(a.address, *k, *v);
        }
    }
    let b = &case.block;
    let block = BlockEnv {
        number: U256::from(b.number),
        beneficiary: b.coinbase,
        timestamp: U256::from(b.timestamp),
        gas_limit: b.gas_limit,
        basefee: b.basefee,
        difficulty: b.difficulty,
        prevrandao: spec.is_enabled_in(SpecId::MERGE).then_some(b.prevrandao),
        blob_excess_gas_and_price: spec.is_enabled_in(SpecId::CANCUN).then_some(
            BlobExcessGasAndPrice {
                excess_blob_gas: 0,
                blob_gasprice: 1,
            },
        ),
        slot_num: 0,
    };
    let mut evm = Context::mainnet()
        .with_db(db)
        .modify_cfg_chained(|c| {
            c.set_spec_and_mainnet_gas_params(spec);
            c.chain_id = 1;
            // revm leaves the per-transaction blob count to the block builder unless told; the mainnet
            // limits are 6 (Cancun), 9 (Prague, EIP-7691) and 6 again (Osaka, EIP-7594).
            let max_blobs =
                if spec.is_enabled_in(SpecId::PRAGUE) && !spec.is_enabled_in(SpecId::OSAKA) {
                    9
                } else {
                    6
                };
            c.set_max_blobs_per_tx(max_blobs);
        })
        .with_block(block)
        .build_mainnet();
    let mut post = pre_state(case);
    let result = match evm.transact(tx(case)) {
        Ok(r) => {
            apply(&mut post, r.state, spec);
            Ok(exec(r.result))
        }
        Err(e) => Err(e.to_string()),
    };
    Observed {
        result,
        post: normalize(post),
        self_check: None,
    }
}

fn tx(case: &Case) -> TxEnv {
    let t = &case.tx;
    let auths = t
        .authorizations
        .iter()
        .map(|a| {
            let inner = Authorization {
                chain_id: U256::from(a.chain_id),
                address: a.address,
                nonce: a.nonce,
            };
            let authority = a
                .authority
                .map_or(RecoveredAuthority::Invalid, RecoveredAuthority::Valid);
            Either::Right(RecoveredAuthorization::new_unchecked(inner, authority))
        })
        .collect();
    TxEnv {
        tx_type: t.tx_type,
        caller: t.caller,
        gas_limit: t.gas_limit,
        gas_price: t.gas_price,
        kind: t.to.map_or(TxKind::Create, TxKind::Call),
        value: t.value,
        data: t.data.clone(),
        nonce: t.nonce,
        chain_id: case
            .spec
            .is_enabled_in(SpecId::SPURIOUS_DRAGON)
            .then_some(1),
        access_list: AccessList(
            t.access_list
                .iter()
                .map(|(a, keys)| AccessListItem {
                    address: *a,
                    storage_keys: keys.clone(),
                })
                .collect(),
        ),
        gas_priority_fee: t.priority_fee,
        blob_hashes: t.blob_hashes.clone(),
        max_fee_per_blob_gas: t.max_fee_per_blob_gas,
        authorization_list: auths,
    }
}

fn exec(r: ExecutionResult) -> Exec {
    let gas_used = r.tx_gas_used();
    let gas_refunded = r.gas().inner_refunded();
    match r {
        ExecutionResult::Success { logs, output, .. } => Exec {
            status: Status::Success,
            detail: String::new(),
            gas_used,
            gas_refunded,
            created: output.address().copied(),
            output: output.into_data(),
            logs,
        },
        ExecutionResult::Revert { output, logs, .. } => Exec {
            status: Status::Revert,
            detail: String::new(),
            gas_used,
            gas_refunded,
            output,
            logs,
            created: None,
        },
        ExecutionResult::Halt { reason, logs, .. } => Exec {
            status: Status::Halt,
            detail: format!("{reason:?}"),
            gas_used,
            gas_refunded,
            output: Default::default(),
            logs,
            created: None,
        },
    }
}

fn pre_state(case: &Case) -> Post {
    case.accounts
        .iter()
        .map(|a| {
            let acc = PostAccount {
                balance: a.balance,
                nonce: a.nonce,
                code: a.code.clone(),
                storage: a.storage.iter().copied().collect(),
            };
            (a.address, acc)
        })
        .collect()
}

/// Applies revm's state diff to `post` with database semantics.
fn apply(post: &mut Post, state: EvmState, spec: SpecId) {
    for (addr, acc) in state {
        if !acc.is_touched() {
            continue;
        }
        let empty =
            acc.info.balance.is_zero() && acc.info.nonce == 0 && acc.info.code_hash == KECCAK_EMPTY;
        if acc.is_selfdestructed() || (spec.is_enabled_in(SpecId::SPURIOUS_DRAGON) && empty) {
            post.remove(&addr);
            continue;
        }
        let entry = post.entry(addr).or_insert_with(|| PostAccount {
            balance: U256::ZERO,
            nonce: 0,
            code: Default::default(),
            storage: Default::default(),
        });
        if acc.is_created() {
            entry.storage.clear();
        }
        entry.balance = acc.info.balance;
        entry.nonce = acc.info.nonce;
        if let Some(code) = &acc.info.code {
            entry.code = code.original_bytes();
        } else if acc.info.code_hash == KECCAK_EMPTY {
            entry.code = Default::default();
        }
        for (k, slot) in acc.storage {
            entry.storage.insert(k, slot.present_value());
        }
    }
}
