//! Runs a case through parevm: `InMemoryState` pre-state, `execute_tx` under the OP rules of the case's
//! fork, then the write set applied.

use super::case::Case;
use super::observed::{normalize, Exec, Observed, Post, PostAccount, Status};
use alloy_primitives::{TxKind, B256, U256};
use parevm_evm_core::env::{AccessListItem, BlockEnv, CfgEnv, DepositTx, Env, TxEnv};
use parevm_evm_core::{execute_tx, ExecStatus, StateView};
use parevm_op_stack_adapter::{OpFork, OpRules};
use parevm_state::InMemoryState;

/// The environment of `case` for parevm.
pub fn env(case: &Case) -> Env {
    let spec = case.fork.spec();
    let t = &case.tx;
    let tx = TxEnv {
        tx_type: t.tx_type,
        caller: t.caller,
        gas_limit: t.gas_limit,
        gas_price: U256::from(t.gas_price),
        gas_priority_fee: t.priority_fee.map(U256::from),
        kind: t.to.map_or(TxKind::Create, TxKind::Call),
        value: t.value,
        data: t.data.clone(),
        nonce: t.nonce,
        chain_id: t.deposit.is_none().then_some(10),
        access_list: t
            .access_list
            .iter()
            .map(|(a, keys)| AccessListItem {
                address: *a,
                storage_keys: keys.clone(),
            })
            .collect(),
        deposit: t.deposit.map(|(mint, is_system)| DepositTx {
            source_hash: B256::repeat_byte(0x50),
            mint: mint.unwrap_or(0),
            is_system,
        }),
        envelope: t.envelope.clone(),
        ..Default::default()
    };
    Env {
        cfg: CfgEnv::new(10, spec).with_rules(OpRules::for_fork(case.fork)),
        block: BlockEnv {
            number: case.number,
            beneficiary: case.coinbase,
            timestamp: case.timestamp,
            gas_limit: case.gas_limit,
            basefee: U256::from(case.basefee),
            difficulty: U256::ZERO,
            prevrandao: Some(B256::repeat_byte(0x42)),
            blob_basefee: case.fork.is_active(OpFork::Ecotone).then_some(1),
            slot_number: None,
        },
        tx,
    }
}

/// The pre-state of `case`.
pub fn state(case: &Case) -> InMemoryState {
    let mut s = InMemoryState::new();
    for a in &case.accounts {
        s.insert_account(
            a.address,
            a.balance,
            a.nonce,
            a.code.clone(),
            a.storage.iter().copied(),
        );
    }
    s
}

/// Runs `case` in parevm.
pub fn run(case: &Case) -> Observed {
    let mut s = state(case);
    let result = match execute_tx(&env(case), &s) {
        Ok(out) => {
            s.apply(&out.writes);
            Ok(Exec {
                status: match out.status {
                    ExecStatus::Success => Status::Success,
                    ExecStatus::Revert => Status::Revert,
                    ExecStatus::Halt(_) => Status::Halt,
                },
                gas_used: out.gas_used,
                logs: out.logs,
                created: out.created_address,
            })
        }
        Err(e) => Err(e.to_string()),
    };
    let post: Post = s
        .accounts()
        .map(|(a, acc)| {
            let code = s
                .code_by_hash(acc.code_hash)
                .map(|c| c.bytes().clone())
                .unwrap_or_default();
            (
                *a,
                PostAccount {
                    balance: acc.balance,
                    nonce: acc.nonce,
                    code,
                    storage: acc.storage.iter().map(|(k, v)| (*k, *v)).collect(),
                },
            )
        })
        .collect();
    Observed {
        result,
        post: normalize(post),
    }
}
