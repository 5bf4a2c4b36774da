//! The interpreter: the dispatch loops over one frame, the opcode tables, and the instructions.
//!
//! Without a tracer the loop runs the block table: code analysis has summed each basic block's static gas and
//! stack bounds, and the instruction that begins a block charges and checks them once (see [`table`]), so
//! the loop itself only fetches and dispatches. With a tracer it runs the checked table, which charges static
//! gas and checks stack bounds per instruction, so that each traced step sees exact gas.

pub(crate) mod buffers;
pub mod frame;
pub mod gas;
pub(crate) mod instructions;
pub mod keccak_memo;
pub mod memory;
pub mod names;
pub mod stack;
pub mod table;

pub use frame::{
    CallRequest, CallScheme, CreateRequest, Ctl, Ctx, Frame, FrameEntry, FrameKind, FrameRequest,
    FrameStart, Tracer,
};
pub use names::op_name;
use table::BlockInstr;
pub use table::{Instr, OpInfo, Table, Tables};

use crate::outcome::HaltReason;

/// Runs `frame` until it stops, halts, asks for a child frame or blocks on state.
///
/// On [`Ctl::Blocked`] the frame is left exactly before the blocked instruction (pc restored, and gas as it
/// was before that instruction), so calling `run` again re-executes it.
#[inline(never)]
pub(crate) fn run(frame: &mut Frame, ctx: &mut Ctx<'_>, tables: &Tables) -> Ctl {
    if ctx.tracer.is_some() {
        return run_traced(frame, ctx, &tables.checked);
    }
    run_blocks(frame, ctx, &tables.block)
}

/// The block-metered loop: static gas and stack bounds are handled where blocks begin, and the position in
/// the code and the stack pointer stay in registers (instructions get and return them; `frame.pc` and the
/// stack's length are written when the loop ends).
#[inline(always)]
fn run_blocks(frame: &mut Frame, ctx: &mut Ctx<'_>, table: &[BlockInstr; 256]) -> Ctl {
    if frame.block_pending {
        frame.block_pending = false;
        let ctl = instructions::control::begin_block_at(frame, frame.pc);
        if ctl != Ctl::Continue {
            return ctl;
        }
    }
    // A raw pointer rather than a borrow, because instructions take `frame` mutably. SAFETY (for the reads
    // below): `frame.code` is an `Arc` that no instruction replaces, so the padded bytes outlive this call.
    let base = frame.code.padded().as_ptr();
    // SAFETY: `frame.pc` is within the padded code (it only ever holds positions the loop reached).
    let mut ip = unsafe { base.add(frame.pc) };
    // The stack pointer lives in this register until the loop ends (the frame's stack length is stale
    // meanwhile; instructions that use the frame's stack get it handed back around them, see `table::op!`).
    let mut sp = frame.stack.sp();
    ctx.stop_ip = ip;
    loop {
        // SAFETY: code is padded with 33 STOP bytes and every instruction that moves ip checks the target
        // (JUMP) or moves at most 33 bytes past an opcode inside the code (PUSH), so ip stays in bounds.
        let op = unsafe { *ip };
        let (next, next_sp) = table[op as usize](frame, ctx, sp, unsafe { ip.add(1) });
        sp = next_sp;
        if next.is_null() {
            frame.stack.set_sp(sp);
            let mut ctl = std::mem::replace(&mut ctx.ctl, Ctl::Continue);
            // Every null answer goes through `control::step`, which records the position just past the
            // stopping opcode; the loop set `stop_ip` inside this code before it started.
            debug_assert!({
                let code = frame.code.padded();
                (base..=code.as_ptr_range().end).contains(&ctx.stop_ip)
            });
            // SAFETY: `stop_ip` points into the padded code that starts at `base` (asserted above).
            let past = unsafe { ctx.stop_ip.offset_from(base) } as usize;
            frame.pc = if ctl == Ctl::Blocked { past - 1 } else { past };
            // This loop's copy of the code holds INVALID where the deployed code has an undefined opcode of
            // the fused-jump range (see `crate::code`): that halt is an undefined opcode's.
            if ctl == Ctl::Halt(HaltReason::DesignatedInvalid) && frame.code.op_at(past - 1) != 0xfe
            {
                ctl = Ctl::Halt(HaltReason::InvalidOpcode);
            }
            return ctl;
        }
        ip = next;
    }
}

/// The per-instruction loop with a tracer: static gas from the checked table, stack bounds in its wrappers.
#[inline(never)]
fn run_traced(frame: &mut Frame, ctx: &mut Ctx<'_>, table: &Table) -> Ctl {
    loop {
        // The deployed opcode (the block loop's copy of the code has fused jumps).
        let op = frame.code.op_at(frame.pc);
        let info = &table[op as usize];
        if let Some(t) = ctx.tracer.as_mut() {
            t.step(frame, op, frame.gas.refund());
        }
        // Stack bounds are checked by the table's wrapper around each body (see `table::op!`).
        if !frame.gas.charge(info.gas as u64) {
            let ctl = Ctl::Halt(HaltReason::OutOfGas);
            if let Some(t) = ctx.tracer.as_mut() {
                t.step_end(frame, op, ctl);
            }
            return ctl;
        }
        frame.pc += 1;
        let ctl = (info.f)(frame, ctx);
        if ctl == Ctl::Blocked {
            frame.pc -= 1;
            frame.gas.give_back(info.gas as u64);
            return ctl;
        }
        if let Some(t) = ctx.tracer.as_mut() {
            t.step_end(frame, op, ctl);
        }
        if !matches!(ctl, Ctl::Continue) {
            return ctl;
        }
    }
}
