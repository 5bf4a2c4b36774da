//! `callTracer`: the tree of calls and creations a transaction made, with gas, input, output, errors and the
//! revert reason, in geth's shape. `onlyTopCall` keeps the top frame only.

use alloy_primitives::{Address, Bytes, U256};
use alloy_rpc_types_trace::geth::CallFrame;
use parevm_evm_core::interpreter::{CallScheme, FrameEntry, FrameStart, Tracer};
use parevm_evm_core::{ExecStatus, HaltReason};
use parking_lot::Mutex;
use std::sync::Arc;

#[derive(Debug, Default)]
struct Buffer {
    /// Open frames, outermost first.
    stack: Vec<CallFrame>,
    /// The finished top frame.
    done: Option<CallFrame>,
}

/// The call tracer. Clones share one buffer.
#[derive(Clone, Debug, Default)]
pub struct CallTracer {
    only_top: bool,
    buf: Arc<Mutex<Buffer>>,
}

/// geth's wording of a halt ([`HaltReason::geth_message`]).
pub fn halt_message(h: HaltReason) -> &'static str {
    h.geth_message()
}

/// The message of `Error(string)` revert data.
pub fn revert_reason(output: &[u8]) -> Option<String> {
    if output.len() < 68 || output[..4] != [0x08, 0xc3, 0x79, 0xa0] {
        return None;
    }
    let len = U256::from_be_slice(&output[36..68]);
    let len = usize::try_from(len).ok()?;
    let bytes = output.get(68..68usize.checked_add(len)?)?;
    String::from_utf8(bytes.to_vec()).ok()
}

impl CallTracer {
    /// A tracer; `only_top` keeps just the transaction's own frame.
    pub fn new(only_top: bool) -> Self {
        Self {
            only_top,
            buf: Arc::default(),
        }
    }

    /// The finished tree; the top frame's gas is what execution got (the limit less intrinsic gas) and its
    /// gasUsed the receipt's.
    pub fn frame(&self, gas_used: u64) -> Option<CallFrame> {
        let mut top = self.buf.lock().done.take()?;
        top.gas_used = U256::from(gas_used);
        Some(top)
    }
}

impl Tracer for CallTracer {
    fn step(&mut self, _: &parevm_evm_core::interpreter::Frame, _: u8, _: i64) {}

    fn frame_start(&mut self, s: &FrameStart<'_>) {
        let typ = match s.entry {
            FrameEntry::Call(CallScheme::Call) => "CALL",
            FrameEntry::Call(CallScheme::CallCode) => "CALLCODE",
            FrameEntry::Call(CallScheme::DelegateCall) => "DELEGATECALL",
            FrameEntry::Call(CallScheme::StaticCall) => "STATICCALL",
            FrameEntry::Create => "CREATE",
            FrameEntry::Create2 => "CREATE2",
        };
        let value = match s.entry {
            FrameEntry::Call(CallScheme::DelegateCall | CallScheme::StaticCall) => None,
            _ => Some(s.value),
        };
        self.buf.lock().stack.push(CallFrame {
            from: s.from,
            gas: U256::from(s.gas_limit),
            to: Some(s.to),
            input: s.input.clone(),
            value,
            typ: typ.to_string(),
            ..Default::default()
        });
    }

    fn frame_end(&mut self, status: ExecStatus, gas_left: u64, output: &Bytes, _depth: usize) {
        let mut b = self.buf.lock();
        let Some(mut f) = b.stack.pop() else {
            return;
        };
        f.gas_used = f.gas.saturating_sub(U256::from(gas_left));
        let is_create = f.typ.starts_with("CREATE");
        match status {
            ExecStatus::Success => {
                if !is_create && !output.is_empty() {
                    f.output = Some(output.clone());
                }
            }
            ExecStatus::Revert => {
                f.error = Some("execution reverted".into());
                f.revert_reason = revert_reason(output);
                if !output.is_empty() {
                    f.output = Some(output.clone());
                }
            }
            ExecStatus::Halt(h) => f.error = Some(halt_message(h).into()),
        }
        if is_create && status.is_success() {
            f.output = Some(output.clone());
        }
        if f.error.is_some() && is_create {
            f.to = None;
        }
        let only_top = self.only_top;
        match b.stack.last_mut() {
            Some(parent) if !only_top => parent.calls.push(f),
            Some(_) => {}
            None => b.done = Some(f),
        }
    }
}

/// The zero address (a call frame's `to` when unknown).
pub const NO_ADDRESS: Address = Address::ZERO;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revert_reason_decodes_error_string_only() {
        let mut data = vec![0x08, 0xc3, 0x79, 0xa0];
        data.extend([0u8; 31]);
        data.push(0x20);
        data.extend([0u8; 31]);
        data.push(4);
        data.extend(b"deep");
        data.extend([0u8; 28]);
        assert_eq!(revert_reason(&data).as_deref(), Some("deep"));
        assert_eq!(revert_reason(&data[..60]), None);
        assert_eq!(revert_reason(&[0x4e, 0x48, 0x7b, 0x71]), None);
        assert_eq!(halt_message(HaltReason::OutOfGas), "out of gas");
    }
}
