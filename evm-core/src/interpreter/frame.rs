//! One call frame: the code it runs, its program counter, stack, memory and gas, and the context the
//! instructions see ([`Ctx`]). Frames are plain values: the transaction keeps them in a `Vec`, which is what
//! lets a parked execution be resumed.

use super::gas::Gas;
use super::memory::Memory;
use super::stack::Stack;
use crate::code::Code;
use crate::env::Env;
use crate::journal::{Checkpoint, Journal};
use crate::outcome::HaltReason;
use crate::spec::SpecId;
use crate::view::{StateView, ViewError};
use alloy_primitives::{Address, Bytes, U256};

/// What an instruction tells the dispatch loop.
///
/// `repr(u8)` with `Continue` as tag 0 makes the loop's "go on?" test a single compare of the tag byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Ctl {
    /// Go on with the next instruction.
    Continue = 0,
    /// STOP (or SELFDESTRUCT): success with empty output.
    Stop,
    /// RETURN: success with output.
    Return,
    /// REVERT: failure with output, unused gas kept.
    Revert,
    /// CALL*/CREATE*: [`Ctx::request`] holds the new frame to start.
    Request,
    /// A state read answered not-ready: [`Ctx::view_error`] says why; the instruction changed nothing.
    Blocked,
    /// Exceptional halt: all gas of the frame is consumed.
    Halt(HaltReason),
}

/// How a CALL-family instruction runs its callee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallScheme {
    /// CALL.
    Call,
    /// CALLCODE.
    CallCode,
    /// DELEGATECALL.
    DelegateCall,
    /// STATICCALL.
    StaticCall,
}

/// A request to run a message call.
#[derive(Clone, Debug)]
pub struct CallRequest {
    /// Which instruction asked.
    pub scheme: CallScheme,
    /// The account whose storage and balance the callee uses.
    pub target: Address,
    /// The account whose code runs (differs from `target` for CALLCODE/DELEGATECALL).
    pub code_address: Address,
    /// The code to run (already resolved through an EIP-7702 delegation).
    pub code: Code,
    /// CALLER inside the callee.
    pub caller: Address,
    /// Value moved from caller to target (zero for DELEGATECALL and STATICCALL).
    pub transfer: U256,
    /// CALLVALUE inside the callee.
    pub apparent_value: U256,
    /// Call data.
    pub input: Bytes,
    /// Gas given to the callee (stipend included).
    pub gas_limit: u64,
    /// Static context.
    pub is_static: bool,
    /// Where in the caller's memory the output goes.
    pub ret_offset: usize,
    /// How many output bytes the caller wants.
    pub ret_len: usize,
}

/// A request to create a contract.
#[derive(Clone, Debug)]
pub struct CreateRequest {
    /// Creator.
    pub caller: Address,
    /// Endowment.
    pub value: U256,
    /// Init code.
    pub init_code: Bytes,
    /// Gas given to the init code.
    pub gas_limit: u64,
    /// CREATE2 salt; `None` for CREATE.
    pub salt: Option<U256>,
}

/// A new frame an instruction (or the transaction itself) asks to start.
#[derive(Clone, Debug)]
pub enum FrameRequest {
    /// Message call.
    Call(CallRequest),
    /// Contract creation.
    Create(CreateRequest),
}

/// What a frame does with its result when it returns.
#[derive(Clone, Copy, Debug)]
pub enum FrameKind {
    /// Message call: output goes to `[ret_offset, ret_offset+ret_len)` of the caller's memory.
    Call {
        /// Output offset in the caller's memory.
        ret_offset: usize,
        /// Output length wanted by the caller.
        ret_len: usize,
    },
    /// Contract creation at `address`.
    Create {
        /// The new contract.
        address: Address,
    },
}

/// One running frame.
#[derive(Debug)]
pub struct Frame {
    /// Code being run (crate-private: the dispatch loop reads it through raw pointers).
    pub(crate) code: Code,
    /// Program counter (crate-private: always a position inside the padded code).
    pub(crate) pc: usize,
    /// Operand stack (crate-private: its unchecked accessors rely on the table's bound checks).
    pub(crate) stack: Stack,
    /// Memory.
    pub memory: Memory,
    /// Gas.
    pub gas: Gas,
    /// Call data (empty for init code).
    pub input: Bytes,
    /// ADDRESS: whose storage and balance this frame uses.
    pub address: Address,
    /// CALLER.
    pub caller: Address,
    /// CALLVALUE.
    pub value: U256,
    /// Inside a STATICCALL.
    pub is_static: bool,
    /// Call depth (0 for the transaction's frame).
    pub depth: usize,
    /// Output of the last finished child frame (RETURNDATA*).
    pub return_data: Bytes,
    /// Output of this frame once it returns or reverts.
    pub output: Bytes,
    /// Call or create, and where the result goes.
    pub kind: FrameKind,
    /// Journal checkpoint taken when the frame started.
    pub checkpoint: Checkpoint,
    /// The block-metered loop has yet to begin the block at `pc` (set when the frame starts and when it
    /// waits for a child frame; see [`super::table`]).
    pub(crate) block_pending: bool,
}

impl Frame {
    /// The code being run.
    pub fn code(&self) -> &Code {
        &self.code
    }

    /// A copy of this frame at this point for a redo point (`transact/redo.rs`): its stack holds only
    /// its words until [`Frame::make_runnable`].
    pub(crate) fn snapshot(&self) -> Self {
        Self {
            code: self.code.clone(),
            pc: self.pc,
            stack: self.stack.compact_copy(),
            memory: self.memory.clone(),
            gas: self.gas,
            input: self.input.clone(),
            address: self.address,
            caller: self.caller,
            value: self.value,
            is_static: self.is_static,
            depth: self.depth,
            return_data: self.return_data.clone(),
            output: self.output.clone(),
            kind: self.kind,
            checkpoint: self.checkpoint,
            block_pending: self.block_pending,
        }
    }

    /// Makes a [`Frame::snapshot`] able to run again.
    pub(crate) fn make_runnable(&mut self) {
        self.stack.make_runnable();
    }

    /// The program counter: the position of the next instruction in the code.
    pub fn pc(&self) -> usize {
        self.pc
    }

    /// The operand stack, bottom first.
    pub fn stack(&self) -> &[U256] {
        self.stack.as_slice()
    }
}

/// What instructions see besides their frame: the journal, the state view and the environment.
pub struct Ctx<'a> {
    /// The transaction's journal.
    pub journal: &'a mut Journal,
    /// Where state is read from.
    pub view: &'a dyn StateView,
    /// Block, transaction and chain configuration.
    pub env: &'a Env,
    /// Fork in force.
    pub spec: SpecId,
    /// Set with [`Ctl::Blocked`]: the view's answer.
    pub view_error: Option<ViewError>,
    /// Set with [`Ctl::Request`]: the frame to start.
    pub request: Option<FrameRequest>,
    /// EIP-3155 tracer, when tracing.
    pub tracer: Option<&'a mut dyn Tracer>,
    /// KECCAK256 results of this run of the transaction's frames.
    pub keccak: &'a mut super::keccak_memo::KeccakMemo,
    /// Why a block-table instruction stopped the loop (it returns null); [`Ctl::Continue`] otherwise.
    pub ctl: Ctl,
    /// Set with [`Ctx::ctl`]: the position just past the opcode of the instruction that stopped the block loop
    /// (so the loop need not keep the instruction's position in a register across the call).
    pub(crate) stop_ip: *const u8,
}

impl Ctx<'_> {
    /// Records a failed state read and returns [`Ctl::Blocked`].
    #[cold]
    pub fn blocked(&mut self, e: ViewError) -> Ctl {
        self.view_error = Some(e);
        Ctl::Blocked
    }
}

/// How a frame was entered, as tracers report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameEntry {
    /// A message call (the transaction's own call included).
    Call(CallScheme),
    /// CREATE (or a creation transaction).
    Create,
    /// CREATE2.
    Create2,
}

/// A frame about to start, as tracers see it. Calls that never run code (precompiles, accounts without
/// code, calls refused for depth or balance) start and end like any other.
#[derive(Debug)]
pub struct FrameStart<'a> {
    /// Call scheme or creation.
    pub entry: FrameEntry,
    /// The caller (the account whose code made the call; the sender at the top).
    pub from: Address,
    /// The callee: the code's account for calls, the new address for creations.
    pub to: Address,
    /// Call data or init code.
    pub input: &'a Bytes,
    /// Value moved (zero for DELEGATECALL and STATICCALL).
    pub value: U256,
    /// Gas the frame gets.
    pub gas_limit: u64,
    /// Call depth of the new frame (0 = the transaction's).
    pub depth: usize,
    /// Gas the calling frame has left after paying for the call (`None` at the top).
    pub caller_gas_left: Option<u64>,
}

/// Receives one call per executed instruction (EIP-3155 style), before the instruction runs and after it, and
/// one call when each frame starts and ends. The hooks other than `step` default to nothing, and none of
/// them costs anything when no tracer is attached.
pub trait Tracer {
    /// `op` at `pc` is about to run in `frame`.
    fn step(&mut self, frame: &Frame, op: u8, refund: i64);

    /// `op` has run in `frame` (or failed: `ctl` is then [`Ctl::Halt`]); `frame.gas` is what is left after
    /// it, so the instruction's exact cost is the difference with the gas at [`Tracer::step`] (for CALL and
    /// CREATE, the gas handed to the child included, as geth reports it). Not called when the instruction
    /// blocked on state ([`Ctl::Blocked`]): it will run again.
    fn step_end(&mut self, _frame: &Frame, _op: u8, _ctl: Ctl) {}

    /// A call or creation frame starts.
    fn frame_start(&mut self, _start: &FrameStart<'_>) {}

    /// SELFDESTRUCT ran in the frame at `address`: `value` (its whole balance) went to `beneficiary`.
    fn selfdestruct(&mut self, _address: Address, _beneficiary: Address, _value: U256) {}

    /// The most recently started frame still open (at `depth`) ended with `status`, `gas_left` and
    /// `output` (the deployed code for a successful creation).
    fn frame_end(
        &mut self,
        _status: crate::outcome::ExecStatus,
        _gas_left: u64,
        _output: &Bytes,
        _depth: usize,
    ) {
    }
}

/// Unwraps a state read inside an instruction, or parks the frame when the view is not ready.
#[macro_export]
macro_rules! view_try {
    ($ctx:expr, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return $ctx.blocked(e),
        }
    };
}
