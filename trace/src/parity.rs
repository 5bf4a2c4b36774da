//! Parity-style (OpenEthereum) traces, as `trace_transaction` and `trace_block` answer: the call tree of
//! [`crate::CallTracer`] flattened in call order, each entry with its `traceAddress` (the path of child
//! indices from the top call), its number of `subtraces`, the action (a call with its type, or a creation
//! with its init code) and the result (gas used and output, or the created address and code), or an error
//! in Parity's words.
//!
//! ```text
//! CallTracer::tree (frame gas as recorded) -> flatten: pre-order, trace address per frame
//!   -> [LocalizedTransactionTrace { action, result | error, subtraces, traceAddress, block, tx }]
//! ```
//! As in revm-inspectors (anvil's tracer): the top call's `gas` is the transaction's limit less its
//! intrinsic gas and its `gasUsed` what execution used (no intrinsic gas, no refund); a reverted frame keeps
//! its result (the revert data as output) beside `error: "Reverted"`; a frame that halted has no result; a
//! DELEGATECALL carries the value its caller was called with, a STATICCALL none; a SELFDESTRUCT is a
//! `suicide` entry after its frame's calls, one of its subtraces.

use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_trace::geth::CallFrame;
use alloy_rpc_types_trace::parity::{
    Action, CallAction, CallOutput, CallType, CreateAction, CreateOutput, CreationMethod,
    LocalizedTransactionTrace, SelfdestructAction, TraceOutput, TransactionTrace,
};
use parevm_evm_core::HaltReason;

/// Where a transaction sits: the fields every one of its traces carries.
#[derive(Clone, Copy, Debug)]
pub struct TxPlace {
    /// Hash of the block holding it.
    pub block_hash: B256,
    /// Number of that block.
    pub block_number: u64,
    /// The transaction's hash.
    pub tx_hash: B256,
    /// Its index in the block.
    pub tx_position: u64,
}

/// Parity's wording of an error the call tracer recorded ([`HaltReason::inspector_message`] or a revert).
fn parity_error(recorded: &str) -> String {
    if recorded == "execution reverted" {
        return "Reverted".into();
    }
    HaltReason::ALL
        .iter()
        .find(|h| h.inspector_message() == recorded)
        .map_or(recorded, |h| h.parity_message())
        .into()
}

/// The traces of one transaction from its recorded call tree.
pub fn flatten(tree: &CallFrame, place: &TxPlace) -> Vec<LocalizedTransactionTrace> {
    let mut out = Vec::new();
    walk(tree, U256::ZERO, &mut Vec::new(), place, &mut out);
    out
}

/// A SELFDESTRUCT entry: Parity's `suicide` (the contract, where its balance went, and how much).
fn suicide(f: &CallFrame, address: &[usize], place: &TxPlace) -> LocalizedTransactionTrace {
    LocalizedTransactionTrace {
        trace: TransactionTrace {
            action: Action::Selfdestruct(SelfdestructAction {
                address: f.from,
                refund_address: f.to.unwrap_or(Address::ZERO),
                balance: f.value.unwrap_or_default(),
            }),
            error: None,
            result: None,
            subtraces: 0,
            trace_address: address.to_vec(),
        },
        block_hash: Some(place.block_hash),
        block_number: Some(place.block_number),
        transaction_hash: Some(place.tx_hash),
        transaction_position: Some(place.tx_position),
    }
}

fn walk(
    f: &CallFrame,
    caller_value: U256,
    address: &mut Vec<usize>,
    place: &TxPlace,
    out: &mut Vec<LocalizedTransactionTrace>,
) {
    if f.typ == "SELFDESTRUCT" {
        out.push(suicide(f, address, place));
        return;
    }
    let gas = u64::try_from(f.gas).unwrap_or(u64::MAX);
    let gas_used = u64::try_from(f.gas_used).unwrap_or(u64::MAX);
    let output = f.output.clone().unwrap_or_default();
    let to = f.to.unwrap_or(Address::ZERO);
    // The value this frame runs with (what a DELEGATECALL below it inherits).
    let value = match f.typ.as_str() {
        "DELEGATECALL" => caller_value,
        "STATICCALL" => U256::ZERO,
        _ => f.value.unwrap_or_default(),
    };
    let (action, result) = match f.typ.as_str() {
        "CREATE" | "CREATE2" => (
            Action::Create(CreateAction {
                from: f.from,
                gas,
                init: f.input.clone(),
                value,
                creation_method: if f.typ == "CREATE2" {
                    CreationMethod::Create2
                } else {
                    CreationMethod::Create
                },
            }),
            TraceOutput::Create(CreateOutput {
                address: to,
                code: output,
                gas_used,
            }),
        ),
        typ => (
            Action::Call(CallAction {
                from: f.from,
                call_type: match typ {
                    "CALLCODE" => CallType::CallCode,
                    "DELEGATECALL" => CallType::DelegateCall,
                    "STATICCALL" => CallType::StaticCall,
                    _ => CallType::Call,
                },
                gas,
                input: f.input.clone(),
                to,
                value,
            }),
            TraceOutput::Call(CallOutput { gas_used, output }),
        ),
    };
    let reverted = f.error.as_deref() == Some("execution reverted");
    out.push(LocalizedTransactionTrace {
        trace: TransactionTrace {
            action,
            error: f.error.as_deref().map(parity_error),
            result: (f.error.is_none() || reverted).then_some(result),
            subtraces: f.calls.len(),
            trace_address: address.clone(),
        },
        block_hash: Some(place.block_hash),
        block_number: Some(place.block_number),
        transaction_hash: Some(place.tx_hash),
        transaction_position: Some(place.tx_position),
    });
    for (i, c) in f.calls.iter().enumerate() {
        address.push(i);
        walk(c, value, address, place, out);
        address.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Bytes;

    fn frame(typ: &str, gas: u64, used: u64, calls: Vec<CallFrame>) -> CallFrame {
        CallFrame {
            typ: typ.into(),
            from: Address::with_last_byte(1),
            to: Some(Address::with_last_byte(2)),
            gas: U256::from(gas),
            gas_used: U256::from(used),
            value: Some(U256::from(5)),
            calls,
            ..Default::default()
        }
    }

    #[test]
    fn addresses_subtraces_values_and_errors() {
        let mut reverted = frame("CALL", 50, 20, vec![]);
        reverted.error = Some("execution reverted".into());
        reverted.output = Some(Bytes::from_static(&[1, 2]));
        let mut halted = frame("STATICCALL", 40, 40, vec![]);
        halted.error = Some("invalid opcode: INVALID".into());
        halted.value = None;
        let destruct = CallFrame {
            typ: "SELFDESTRUCT".into(),
            from: Address::with_last_byte(2),
            to: Some(Address::with_last_byte(3)),
            value: Some(U256::from(11)),
            ..Default::default()
        };
        let mut delegate = frame("DELEGATECALL", 60, 30, vec![halted, destruct]);
        delegate.value = None;
        let tree = frame("CALL", 100, 90, vec![reverted, delegate]);
        let place = TxPlace {
            block_hash: B256::repeat_byte(9),
            block_number: 7,
            tx_hash: B256::repeat_byte(8),
            tx_position: 3,
        };
        let t = flatten(&tree, &place);
        let addresses: Vec<_> = t.iter().map(|x| x.trace.trace_address.clone()).collect();
        assert_eq!(
            addresses,
            vec![vec![], vec![0], vec![1], vec![1, 0], vec![1, 1]]
        );
        let subtraces: Vec<_> = t.iter().map(|x| x.trace.subtraces).collect();
        assert_eq!(subtraces, vec![2, 0, 2, 0, 0]);
        let Action::Selfdestruct(sd) = &t[4].trace.action else {
            panic!("a suicide entry")
        };
        assert_eq!(
            (sd.address, sd.refund_address, sd.balance),
            (
                Address::with_last_byte(2),
                Address::with_last_byte(3),
                U256::from(11)
            )
        );
        assert!(t[4].trace.result.is_none());
        assert_eq!(t[1].trace.error.as_deref(), Some("Reverted"));
        assert!(t[1].trace.result.is_some(), "a revert keeps its result");
        assert_eq!(t[3].trace.error.as_deref(), Some("Bad instruction"));
        assert!(t[3].trace.result.is_none(), "a halt has none");
        let Action::Call(d) = &t[2].trace.action else {
            panic!("a call")
        };
        assert_eq!(
            d.value,
            U256::from(5),
            "DELEGATECALL inherits its caller's value"
        );
        assert_eq!(d.call_type, CallType::DelegateCall);
        let Action::Call(s) = &t[3].trace.action else {
            panic!("a call")
        };
        assert_eq!(s.value, U256::ZERO);
        assert!(t
            .iter()
            .all(|x| x.block_number == Some(7) && x.transaction_position == Some(3)));
    }
}
