//! The default tracer (geth's struct logger): one entry per executed instruction with pc, op, gas, gasCost,
//! depth, stack, and for SLOAD/SSTORE the storage seen so far in that contract; optionally memory and return
//! data.
//!
//! The EVM reports each instruction before it runs (`step`) and after (`step_end`): an entry's `gasCost` is
//! the gas that went in between (for CALL and CREATE the gas handed to the child included, as geth reports
//! it), and an SLOAD's value is read off the stack after it ran.

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rpc_types_trace::geth::{DefaultFrame, StructLog};
use parevm_evm_core::interpreter::{op_name, Ctl, Frame, Tracer};
use parevm_evm_core::ExecStatus;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the struct logger records (geth's options).
#[derive(Clone, Copy, Debug, Default)]
pub struct StructLogConfig {
    /// Leave the stack out.
    pub disable_stack: bool,
    /// Leave storage out.
    pub disable_storage: bool,
    /// Include memory (32-byte words as hex).
    pub enable_memory: bool,
    /// Include the last call's return data.
    pub enable_return_data: bool,
}

const SLOAD: u8 = 0x54;
const SSTORE: u8 = 0x55;

#[derive(Debug, Default)]
struct Buffer {
    logs: Vec<StructLog>,
    /// Per open frame (by depth): index of its latest entry, if any.
    open: Vec<Option<usize>>,
    /// Storage seen so far per contract.
    storage: BTreeMap<Address, BTreeMap<B256, B256>>,
}

/// The struct logger. Clones share one buffer: the EVM owns one, the caller reads another.
#[derive(Clone, Debug, Default)]
pub struct StructLogger {
    cfg: StructLogConfig,
    buf: Arc<Mutex<Buffer>>,
}

fn word(v: U256) -> B256 {
    B256::from(v.to_be_bytes::<32>())
}

impl StructLogger {
    /// A logger with `cfg`.
    pub fn new(cfg: StructLogConfig) -> Self {
        Self {
            cfg,
            buf: Arc::default(),
        }
    }

    /// The finished trace of a transaction that used `gas` and ended with `status` and `output`.
    pub fn frame(&self, gas: u64, status: ExecStatus, output: Bytes) -> DefaultFrame {
        let logs = std::mem::take(&mut self.buf.lock().logs);
        DefaultFrame {
            failed: !status.is_success(),
            gas,
            return_value: output,
            struct_logs: logs,
            ..Default::default()
        }
    }
}

impl Tracer for StructLogger {
    fn step(&mut self, frame: &Frame, op: u8, refund: i64) {
        let mut b = self.buf.lock();
        let b = &mut *b;
        let depth = frame.depth;
        if b.open.len() <= depth {
            b.open.resize(depth + 1, None);
        }
        let stack = frame.stack();
        let mut storage = None;
        if !self.cfg.disable_storage && op == SSTORE && stack.len() >= 2 {
            let slot = word(stack[stack.len() - 1]);
            let map = b.storage.entry(frame.address).or_default();
            map.insert(slot, word(stack[stack.len() - 2]));
            storage = Some(map.clone());
        }
        let memory = self.cfg.enable_memory.then(|| {
            let n = frame.memory.len();
            frame
                .memory
                .slice(0, n)
                .chunks(32)
                .map(|w| format!("0x{}", alloy_primitives::hex::encode(w)))
                .collect()
        });
        b.logs.push(StructLog {
            pc: frame.pc() as u64,
            op: op_name(op).into(),
            gas: frame.gas.remaining(),
            gas_cost: 0,
            depth: depth as u64 + 1,
            stack: (!self.cfg.disable_stack).then(|| stack.to_vec()),
            return_data: self
                .cfg
                .enable_return_data
                .then(|| frame.return_data.clone()),
            memory,
            memory_size: None,
            storage,
            refund_counter: Some(refund.max(0) as u64),
            ..Default::default()
        });
        let i = b.logs.len() - 1;
        b.open[depth] = Some(i);
    }

    fn step_end(&mut self, frame: &Frame, op: u8, ctl: Ctl) {
        let mut b = self.buf.lock();
        let b = &mut *b;
        let Some(Some(i)) = b.open.get(frame.depth).copied() else {
            return;
        };
        let e = &mut b.logs[i];
        e.gas_cost = e.gas.saturating_sub(frame.gas.remaining());
        if let Ctl::Halt(h) = ctl {
            e.error = Some(crate::call::halt_message(h).to_string());
        }
        if op == SLOAD && !self.cfg.disable_storage && ctl == Ctl::Continue {
            let stack = frame.stack();
            if let (Some(v), Some(slot)) = (stack.last(), e.stack.as_ref().and_then(|s| s.last())) {
                let slot = word(*slot);
                let map = b.storage.entry(frame.address).or_default();
                map.insert(slot, word(*v));
                b.logs[i].storage = Some(map.clone());
            }
        }
    }
}
