//! Parity's `vmTrace` (`trace_replayBlockTransactions` with `vmTrace`): every instruction of every frame
//! with its cost, the gas left before it, the stack words it pushed and the memory as it was before it,
//! and each call's own trace under the instruction that made it, as revm-inspectors builds it (what anvil
//! answers).
//!
//! ```text
//! TxExecution + VmTracer (frame_start / step / step_end / frame_end) -> nodes: frames with their steps
//!   -> VmTracer::vm_trace(code_at): revm-inspectors' walk (a frame's calls take the sub-traces of the
//!      frames finished before it, first in, first out) -> codes filled breadth first from the state
//!      before the transaction
//! ```
//! Matched on purpose, as revm-inspectors has them: `mem` is the whole memory before the instruction
//! with its length as `off`; `store` is always null; a call to a precompile without value below the top
//! is no frame, so its instruction takes the next sub-trace waiting (or none); a first STOP when the last
//! frame started also ended on STOP leaves the whole trace without instructions (a plain transfer's).

use alloy_primitives::{Address, Bytes, U256};
use alloy_rpc_types_trace::parity::{MemoryDelta, VmExecutedOperation, VmInstruction, VmTrace};
use parevm_evm_core::interpreter::table::stack_outputs;
use parevm_evm_core::interpreter::{op_name, Ctl, Frame, FrameStart, Tracer};
use parevm_evm_core::{precompiles, ExecStatus, SpecId};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::Arc;

/// STOP.
const STOP: u8 = 0x00;

/// One executed instruction.
#[derive(Clone, Debug)]
struct Step {
    pc: usize,
    op: u8,
    gas_before: u64,
    cost: u64,
    push: Vec<U256>,
    memory: Bytes,
}

/// One frame: its code's account, its instructions, and the frames it started (not precompiles).
#[derive(Clone, Debug, Default)]
struct Node {
    address: Address,
    steps: Vec<Step>,
    children: Vec<usize>,
}

#[derive(Debug, Default)]
struct Buffer {
    /// Every frame in the order it started, precompile calls included (they have no steps).
    nodes: Vec<Node>,
    /// The open frames, innermost last.
    open: Vec<usize>,
}

/// The `vmTrace` recorder. Clones share one buffer.
#[derive(Clone, Debug)]
pub struct VmTracer {
    spec: SpecId,
    buf: Arc<Mutex<Buffer>>,
}

fn is_call_like(op: u8) -> bool {
    // CREATE, CALL, CALLCODE, DELEGATECALL, CREATE2, STATICCALL.
    matches!(op, 0xf0 | 0xf1 | 0xf2 | 0xf4 | 0xf5 | 0xfa)
}

impl VmTracer {
    /// A recorder for a transaction run under `spec` (which addresses are precompiles).
    pub fn new(spec: SpecId) -> Self {
        Self {
            spec,
            buf: Arc::default(),
        }
    }

    /// The recorded trace; `code_at` gives the code of an account in the state before the transaction.
    pub fn vm_trace<E>(
        &self,
        mut code_at: impl FnMut(Address) -> Result<Bytes, E>,
    ) -> Result<VmTrace, E> {
        let b = self.buf.lock();
        let nodes = &b.nodes;
        if nodes.is_empty() {
            return Ok(VmTrace::default());
        }
        let last_is_stop = nodes
            .last()
            .and_then(|n| n.steps.last())
            .is_some_and(|s| s.op == STOP);
        let mut trace = make_vm_trace(nodes, last_is_stop);
        // Codes breadth first: the frames in breadth-first order against the sub-traces in theirs.
        let mut addresses = VecDeque::new();
        let mut queue = VecDeque::from([0usize]);
        while let Some(i) = queue.pop_front() {
            addresses.push_back(nodes[i].address);
            queue.extend(nodes[i].children.iter().copied());
        }
        let mut traces: VecDeque<&mut VmTrace> = VecDeque::from([&mut trace]);
        while let Some(t) = traces.pop_front() {
            let Some(address) = addresses.pop_front() else {
                break;
            };
            t.code = code_at(address)?;
            for op in t.ops.iter_mut() {
                if let Some(sub) = op.sub.as_mut() {
                    traces.push_back(sub);
                }
            }
        }
        Ok(trace)
    }
}

fn instruction(step: &Step, sub: Option<VmTrace>) -> VmInstruction {
    VmInstruction {
        pc: step.pc,
        cost: step.cost,
        ex: Some(VmExecutedOperation {
            used: step.gas_before,
            push: step.push.clone(),
            mem: Some(MemoryDelta {
                off: step.memory.len(),
                data: step.memory.clone(),
            }),
            store: None,
        }),
        sub,
        op: Some(name(step.op)),
        idx: None,
    }
}

/// An opcode's name as revm writes it: an undefined one as `UNKNOWN(0x0C)`.
fn name(op: u8) -> String {
    match op_name(op) {
        "UNDEFINED" => format!("UNKNOWN(0x{op:02X})"),
        n => n.to_string(),
    }
}

/// revm-inspectors' walk: depth first, each frame's instructions built once its frames are done, a
/// call-like instruction taking the oldest finished sub-trace not yet taken.
fn make_vm_trace(nodes: &[Node], last_is_stop: bool) -> VmTrace {
    let mut waiting: VecDeque<Option<VmTrace>> = VecDeque::new();
    let mut child_idx_stack: Vec<usize> = Vec::new();
    let mut parents: Vec<usize> = Vec::new();
    let mut current = 0usize;
    let mut child_idx = 0usize;
    let ops = 'outer: loop {
        if let Some(&child) = nodes[current].children.get(child_idx) {
            child_idx_stack.push(child_idx + 1);
            parents.push(current);
            child_idx = 0;
            current = child;
            continue;
        }
        let mut ops = Vec::with_capacity(nodes[current].steps.len());
        for step in &nodes[current].steps {
            let sub = if is_call_like(step.op) {
                waiting.pop_front().flatten()
            } else {
                None
            };
            if step.op == STOP && ops.is_empty() && last_is_stop {
                break 'outer ops;
            }
            ops.push(instruction(step, sub));
        }
        match parents.pop() {
            Some(parent) => {
                waiting.push_back(Some(VmTrace {
                    code: Bytes::new(),
                    ops,
                }));
                child_idx = child_idx_stack.pop().unwrap_or(0);
                current = parent;
            }
            None => break ops,
        }
    };
    VmTrace {
        code: Bytes::new(),
        ops,
    }
}

impl Tracer for VmTracer {
    fn step(&mut self, frame: &Frame, op: u8, _refund: i64) {
        let mut b = self.buf.lock();
        let Some(&i) = b.open.last() else {
            return;
        };
        let n = frame.memory.len();
        let memory = Bytes::copy_from_slice(frame.memory.slice(0, n));
        b.nodes[i].steps.push(Step {
            pc: frame.pc(),
            op,
            gas_before: frame.gas.remaining(),
            cost: 0,
            push: Vec::new(),
            memory,
        });
    }

    fn step_end(&mut self, frame: &Frame, op: u8, _ctl: Ctl) {
        let mut b = self.buf.lock();
        let Some(&i) = b.open.last() else {
            return;
        };
        let Some(step) = b.nodes[i].steps.last_mut() else {
            return;
        };
        step.cost = step.gas_before.saturating_sub(frame.gas.remaining());
        let stack = frame.stack();
        let outputs = stack_outputs(op).min(stack.len());
        step.push = stack[stack.len() - outputs..].to_vec();
    }

    fn frame_start(&mut self, s: &FrameStart<'_>) {
        let mut b = self.buf.lock();
        let excluded =
            s.depth > 0 && s.value.is_zero() && precompiles::is_precompile(self.spec, &s.to);
        let i = b.nodes.len();
        b.nodes.push(Node {
            address: s.to,
            ..Node::default()
        });
        if let (false, Some(&parent)) = (excluded, b.open.last()) {
            b.nodes[parent].children.push(i);
        }
        b.open.push(i);
    }

    fn frame_end(&mut self, _status: ExecStatus, _gas_left: u64, _output: &Bytes, _depth: usize) {
        self.buf.lock().open.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(op: u8) -> Step {
        Step {
            pc: 0,
            op,
            gas_before: 100,
            cost: 3,
            push: Vec::new(),
            memory: Bytes::new(),
        }
    }

    fn node(address: u8, ops: &[u8], children: &[usize]) -> Node {
        Node {
            address: Address::with_last_byte(address),
            steps: ops.iter().map(|&o| step(o)).collect(),
            children: children.to_vec(),
        }
    }

    const CALL: u8 = 0xf1;
    const STATICCALL: u8 = 0xfa;
    const PUSH1: u8 = 0x60;

    #[test]
    fn calls_take_their_frames_in_order() {
        let nodes = [
            node(1, &[PUSH1, CALL, CALL], &[1, 2]),
            node(2, &[PUSH1], &[]),
            node(3, &[PUSH1, PUSH1], &[]),
        ];
        let t = make_vm_trace(&nodes, false);
        assert_eq!(t.ops.len(), 3);
        assert!(t.ops[0].sub.is_none());
        assert_eq!(t.ops[1].sub.as_ref().map(|s| s.ops.len()), Some(1));
        assert_eq!(t.ops[2].sub.as_ref().map(|s| s.ops.len()), Some(2));
        assert_eq!(t.ops[0].op.as_deref(), Some("PUSH1"));
    }

    #[test]
    fn a_precompile_call_takes_the_next_waiting_frame_as_revm_inspectors_does() {
        // The precompile (node 1) is no child; its STATICCALL takes the real call's trace.
        let nodes = [
            node(1, &[STATICCALL, CALL], &[2]),
            node(9, &[], &[]),
            node(2, &[PUSH1], &[]),
        ];
        let t = make_vm_trace(&nodes, false);
        assert!(t.ops[0].sub.is_some());
        assert!(t.ops[1].sub.is_none());
    }

    #[test]
    fn a_first_stop_when_the_last_frame_ended_on_stop_empties_the_trace() {
        let nodes = [node(1, &[STOP], &[])];
        assert!(make_vm_trace(&nodes, true).ops.is_empty());
        assert_eq!(make_vm_trace(&nodes, false).ops.len(), 1);
    }

    #[test]
    fn undefined_opcodes_are_named_as_revm_names_them() {
        assert_eq!(name(0x0c), "UNKNOWN(0x0C)");
        assert_eq!(name(0x01), "ADD");
    }
}
