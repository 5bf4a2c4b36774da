//! Runs a case through revm, the oracle: a `CacheDB<EmptyDB>` pre-state, `transact_commit`, then the
//! committed cache read back account by account (so revm's touched-but-unchanged and destroyed accounts are
//! resolved the way a database would resolve them).

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
use revm::state::{AccountInfo, Bytecode};
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};

/// Runs `case` in revm.
pub fn run(case: &Case) -> Observed {
    let spec = case.spec;
    let mut db = CacheDB::<EmptyDB>::default();
    for a in &case.accounts {
        let code_hash = if a.code.is_empty() { KECCAK_EMPTY } else { keccak256(&a.code) };
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
        blob_excess_gas_and_price: spec
            .is_enabled_in(SpecId::CANCUN)
            .then_some(BlobExcessGasAndPrice { excess_blob_gas: 0, blob_gasprice: 1 }),
        slot_num: 0,
    };
    let mut evm = Context::mainnet()
        .with_db(db)
        .modify_cfg_chained(|c| {
            c.set_spec_and_mainnet_gas_params(spec);
            c.chain_id = 1;
        })
        .with_block(block)
        .build_mainnet();
    let result = match evm.transact_commit(tx(case)) {
        Ok(r) => Ok(exec(r)),
        Err(e) => Err(e.to_string()),
    };
    let post = post(&evm.ctx.journaled_state.database);
    Observed { result, post: normalize(post, spec) }
}

fn tx(case: &Case) -> TxEnv {
    let t = &case.tx;
    let auths = t
        .authorizations
        .iter()
        .map(|a| {
            let inner = Authorization { chain_id: U256::from(a.chain_id), address: a.address, nonce: a.nonce };
            let authority = a.authority.map_or(RecoveredAuthority::Invalid, RecoveredAuthority::Valid);
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
        chain_id: case.spec.is_enabled_in(SpecId::SPURIOUS_DRAGON).then_some(1),
        access_list: AccessList(
            t.access_list
                .iter()
                .map(|(a, keys)| AccessListItem { address: *a, storage_keys: keys.clone() })
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

fn post(db: &CacheDB<EmptyDB>) -> Post {
    let mut post = Post::new();
    for (addr, acc) in &db.cache.accounts {
        let Some(info) = acc.info() else { continue };
        let code = match &info.code {
            Some(c) => c.original_bytes(),
            None => db.cache.contracts.get(&info.code_hash).map(|c| c.original_bytes()).unwrap_or_default(),
        };
        let storage = acc.storage.iter().map(|(k, v)| (*k, *v)).collect();
        post.insert(*addr, PostAccount { balance: info.balance, nonce: info.nonce, code, storage });
    }
    post
}
