//! Runs a case through op-revm 20 (revm 38), the oracle: a `CacheDB<EmptyDB>` pre-state, `transact`, then
//! the state diff applied with database semantics (untouched accounts skipped, self-destructed and touched
//! empty accounts deleted, created accounts lose their old storage).

use super::case::Case;
use super::observed::{normalize, Exec, Observed, Post, PostAccount, Status};
use alloy_primitives::{keccak256, TxKind, B256, U256};
use op_revm::revm::context::result::ExecutionResult;
use op_revm::revm::context::transaction::{AccessList, AccessListItem};
use op_revm::revm::context::{BlockEnv, CfgEnv, TxEnv};
use op_revm::revm::context_interface::block::BlobExcessGasAndPrice;
use op_revm::revm::database::{CacheDB, EmptyDB};
use op_revm::revm::state::{AccountInfo, Bytecode, EvmState};
use op_revm::revm::{Context, ExecuteEvm};
use op_revm::transaction::deposit::DepositTransactionParts;
use op_revm::{DefaultOp, OpBuilder, OpSpecId, OpTransaction};
use parevm_evm_core::KECCAK_EMPTY;
use parevm_op_stack_adapter::OpFork;

fn spec(fork: OpFork) -> OpSpecId {
    match fork {
        OpFork::Bedrock => OpSpecId::BEDROCK,
        OpFork::Regolith => OpSpecId::REGOLITH,
        OpFork::Canyon | OpFork::Delta => OpSpecId::CANYON,
        OpFork::Ecotone => OpSpecId::ECOTONE,
        OpFork::Fjord => OpSpecId::FJORD,
        OpFork::Granite => OpSpecId::GRANITE,
        OpFork::Holocene => OpSpecId::HOLOCENE,
        OpFork::Isthmus => OpSpecId::ISTHMUS,
        OpFork::Jovian => OpSpecId::JOVIAN,
        OpFork::Karst => OpSpecId::KARST,
    }
}

/// Runs `case` in op-revm.
pub fn run(case: &Case) -> Observed {
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
            let _ = db.insert_account_storage(a.address, *k, *v);
        }
    }
    let ecotone = case.fork.is_active(OpFork::Ecotone);
    let block = BlockEnv {
        number: U256::from(case.number),
        beneficiary: case.coinbase,
        timestamp: U256::from(case.timestamp),
        gas_limit: case.gas_limit,
        basefee: case.basefee,
        difficulty: U256::ZERO,
        prevrandao: Some(B256::repeat_byte(0x42)),
        blob_excess_gas_and_price: ecotone.then_some(BlobExcessGasAndPrice {
            excess_blob_gas: 0,
            blob_gasprice: 1,
        }),
        slot_num: 0,
    };
    let mut cfg = CfgEnv::new_with_spec(spec(case.fork));
    cfg.chain_id = 10;
    let t = &case.tx;
    let base = TxEnv {
        tx_type: t.tx_type,
        caller: t.caller,
        gas_limit: t.gas_limit,
        gas_price: t.gas_price,
        kind: t.to.map_or(TxKind::Create, TxKind::Call),
        value: t.value,
        data: t.data.clone(),
        nonce: t.nonce,
        chain_id: t.deposit.is_none().then_some(10),
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
        ..Default::default()
    };
    let tx = OpTransaction {
        base,
        enveloped_tx: Some(t.envelope.clone()),
        deposit: match t.deposit {
            Some((mint, is_system)) => {
                DepositTransactionParts::new(B256::repeat_byte(0x50), mint, is_system)
            }
            None => DepositTransactionParts::default(),
        },
    };
    let mut evm = Context::op()
        .with_db(db)
        .with_cfg(cfg)
        .with_block(block)
        .build_op();
    let mut post = pre_state(case);
    let result = match evm.transact(tx) {
        Ok(r) => {
            apply(&mut post, r.state);
            Ok(exec(r.result))
        }
        Err(e) => Err(e.to_string()),
    };
    Observed {
        result,
        post: normalize(post),
    }
}

fn exec<H>(r: ExecutionResult<H>) -> Exec {
    let gas_used = r.tx_gas_used();
    match r {
        ExecutionResult::Success { logs, output, .. } => Exec {
            status: Status::Success,
            gas_used,
            created: output.address().copied(),
            logs,
        },
        ExecutionResult::Revert { logs, .. } => Exec {
            status: Status::Revert,
            gas_used,
            logs,
            created: None,
        },
        ExecutionResult::Halt { logs, .. } => Exec {
            status: Status::Halt,
            gas_used,
            logs,
            created: None,
        },
    }
}

fn pre_state(case: &Case) -> Post {
    case.accounts
        .iter()
        .map(|a| {
            (
                a.address,
                PostAccount {
                    balance: a.balance,
                    nonce: a.nonce,
                    code: a.code.clone(),
                    storage: a.storage.iter().copied().collect(),
                },
            )
        })
        .collect()
}

/// Applies op-revm's state diff with database semantics (every OP fork is past Spurious Dragon).
fn apply(post: &mut Post, state: EvmState) {
    for (addr, acc) in state {
        if !acc.is_touched() {
            continue;
        }
        let empty =
            acc.info.balance.is_zero() && acc.info.nonce == 0 && acc.info.code_hash == KECCAK_EMPTY;
        if acc.is_selfdestructed() || empty {
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
        entry.code = acc
            .info
            .code
            .as_ref()
            .map(|c| c.original_bytes())
            .unwrap_or_default();
        for (k, v) in acc.storage {
            entry.storage.insert(k, v.present_value());
        }
    }
}
