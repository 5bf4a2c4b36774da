//! `callTracer`: the tree of calls and creations a transaction made, with gas, input, output, errors and the
//! revert reason, in geth's shape (a SELFDESTRUCT is an entry among its frame's calls, as geth records it). `onlyTopCall` keeps the top frame only; `withLog` adds each frame's logs
//! (address, topics, data, `position`: how many calls the frame had made before the log, and `index`: the
//! log's place among all the transaction emitted), and, as geth, drops the logs of a frame that failed and
//! of everything below it.

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rpc_types_trace::geth::{CallFrame, CallLogFrame};
use parevm_evm_core::interpreter::{CallScheme, Ctl, Frame, FrameEntry, FrameStart, Tracer};
use parevm_evm_core::{ExecStatus, HaltReason};
use parking_lot::Mutex;
use std::sync::Arc;

/// A LOG instruction's operands: memory offset and length (when both fit a `usize`) and its topics.
#[derive(Debug)]
struct PendingLog {
    range: Option<(usize, usize)>,
    topics: Vec<B256>,
}

#[derive(Debug, Default)]
struct Buffer {
    /// Open frames, outermost first.
    stack: Vec<CallFrame>,
    /// The finished top frame.
    done: Option<CallFrame>,
    /// A LOG instruction about to run, taken before it pops its operands.
    pending_log: Option<PendingLog>,
    /// Calls each open frame has made so far (beside `stack`; counted under `onlyTopCall` too).
    children: Vec<u64>,
    /// Logs emitted so far in the transaction, those of frames that later failed included.
    logs_emitted: u64,
}

/// The call tracer. Clones share one buffer.
#[derive(Clone, Debug, Default)]
pub struct CallTracer {
    only_top: bool,
    with_log: bool,
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
            with_log: false,
            buf: Arc::default(),
        }
    }

    /// The same tracer recording each frame's logs (`withLog`).
    pub fn with_logs(mut self) -> Self {
        self.with_log = true;
        self
    }

    /// The finished tree in geth's shape; the top frame's gas is what execution got (the limit less
    /// intrinsic gas) and its gasUsed the receipt's.
    pub fn frame(&self, gas_used: u64) -> Option<CallFrame> {
        let mut top = self.tree()?;
        top.gas_used = U256::from(gas_used);
        geth_shape(&mut top, false);
        Some(top)
    }

    /// The finished tree as recorded: every frame's gasUsed is its own (the top frame's without intrinsic
    /// gas or refunds), a failed creation keeps the address it targeted in `to`, and failed frames keep
    /// their logs. What Parity-style traces are built from ([`crate::parity`]).
    pub fn tree(&self) -> Option<CallFrame> {
        self.buf.lock().done.take()
    }
}

/// geth's callTracer rules over a recorded tree: a failed frame's logs, and those of every frame below it,
/// are dropped (they were reverted), and a failed creation has no `to`.
fn geth_shape(f: &mut CallFrame, parent_failed: bool) {
    let failed = parent_failed || f.error.is_some();
    if failed {
        f.logs.clear();
    }
    if f.error.is_some() && f.typ.starts_with("CREATE") {
        f.to = None;
    }
    for c in &mut f.calls {
        geth_shape(c, failed);
    }
}

/// LOG0..LOG4.
const LOG0: u8 = 0xa0;
const LOG4: u8 = 0xa4;

impl Tracer for CallTracer {
    fn step(&mut self, frame: &Frame, op: u8, _: i64) {
        if !self.with_log || !(LOG0..=LOG4).contains(&op) {
            return;
        }
        let stack = frame.stack();
        let topics = usize::from(op - LOG0);
        let Some(base) = stack.len().checked_sub(2 + topics) else {
            return; // stack underflow: the instruction halts
        };
        // Offset and length on top, then the topics, first topic nearest the top.
        let (offset, len) = (stack[stack.len() - 1], stack[stack.len() - 2]);
        let range = usize::try_from(offset).ok().zip(usize::try_from(len).ok());
        let topics = stack[base..base + topics]
            .iter()
            .rev()
            .map(|t| B256::from(t.to_be_bytes::<32>()))
            .collect();
        self.buf.lock().pending_log = Some(PendingLog { range, topics });
    }

    fn step_end(&mut self, frame: &Frame, op: u8, ctl: Ctl) {
        if !self.with_log || !(LOG0..=LOG4).contains(&op) {
            return;
        }
        let mut b = self.buf.lock();
        let Some(PendingLog { range, topics }) = b.pending_log.take() else {
            return;
        };
        if matches!(ctl, Ctl::Halt(_)) {
            return;
        }
        let data = match range {
            Some((_, 0)) => Bytes::new(),
            // The instruction ran, so memory covers the range.
            Some((offset, len))
                if offset
                    .checked_add(len)
                    .is_some_and(|e| e <= frame.memory.len()) =>
            {
                Bytes::copy_from_slice(frame.memory.slice(offset, len))
            }
            _ => return,
        };
        let index = b.logs_emitted;
        b.logs_emitted += 1;
        let position = b.children.last().copied().unwrap_or(0);
        if let Some(current) = b.stack.last_mut() {
            current.logs.push(CallLogFrame {
                address: Some(frame.address),
                topics: Some(topics),
                data: Some(data),
                position: Some(position),
                index: Some(index),
            });
        }
    }

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
        let mut b = self.buf.lock();
        if let Some(calls) = b.children.last_mut() {
            *calls += 1;
        }
        b.children.push(0);
        b.stack.push(CallFrame {
            from: s.from,
            gas: U256::from(s.gas_limit),
            to: Some(s.to),
            input: s.input.clone(),
            value,
            typ: typ.to_string(),
            ..Default::default()
        });
    }

    fn selfdestruct(&mut self, address: Address, beneficiary: Address, value: U256) {
        // geth's shape: a SELFDESTRUCT entry among the calls of the frame that ran it, with no gas; under
        // `onlyTopCall` only the top frame's.
        let mut b = self.buf.lock();
        if self.only_top && b.stack.len() > 1 {
            return;
        }
        if let Some(current) = b.stack.last_mut() {
            current.calls.push(CallFrame {
                from: address,
                to: Some(beneficiary),
                value: Some(value),
                typ: "SELFDESTRUCT".to_string(),
                ..Default::default()
            });
        }
    }

    fn frame_end(&mut self, status: ExecStatus, gas_left: u64, output: &Bytes, _depth: usize) {
        let mut b = self.buf.lock();
        let Some(mut f) = b.stack.pop() else {
            return;
        };
        b.children.pop();
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
            ExecStatus::Halt(h) => f.error = Some(h.inspector_message().into()),
        }
        if is_create && status.is_success() {
            f.output = Some(output.clone());
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
