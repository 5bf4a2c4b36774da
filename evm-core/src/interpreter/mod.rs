//! The interpreter: the dispatch loop over one frame, the opcode table, and the instructions.
//!
//! The loop charges static gas from the [`table`] and calls the table's entry, which checks stack depth
//! against the opcode's facts before the body runs, so instruction bodies hold only their semantics and
//! their dynamic gas.

pub(crate) mod buffers;
pub mod frame;
pub mod gas;
pub mod instructions;
pub mod memory;
pub mod stack;
pub mod table;

pub use frame::{
    CallRequest, CallScheme, CreateRequest, Ctl, Ctx, Frame, FrameKind, FrameRequest, Tracer,
};
pub use table::{OpInfo, Table};

use crate::outcome::HaltReason;

/// Runs `frame` until it stops, halts, asks for a child frame or blocks on state.
///
/// On [`Ctl::Blocked`] the frame is left exactly before the blocked instruction (pc and static gas restored),
/// so calling `run` again re-executes it.
#[inline(never)]
pub fn run(frame: &mut Frame, ctx: &mut Ctx<'_>, table: &Table) -> Ctl {
    if ctx.tracer.is_some() {
        return run_inner::<true>(frame, ctx, table);
    }
    run_inner::<false>(frame, ctx, table)
}

#[inline(always)]
fn run_inner<const TRACE: bool>(frame: &mut Frame, ctx: &mut Ctx<'_>, table: &Table) -> Ctl {
    // A raw pointer rather than a borrow, because instructions take `frame` mutably. SAFETY (for the reads
    // below): `frame.code` is an `Arc` that no instruction replaces, so the padded bytes outlive this call.
    let bytes = frame.code.padded().as_ptr();
    loop {
        // SAFETY: code is padded with 33 STOP bytes and every instruction that moves pc checks the target
        // (JUMP) or moves at most 33 bytes past an opcode inside the code (PUSH), so pc stays in bounds.
        let op = unsafe { *bytes.add(frame.pc) };
        let info = &table[op as usize];
        if TRACE {
            if let Some(t) = ctx.tracer.as_mut() {
                t.step(frame, op, frame.gas.refund());
            }
        }
        // Stack bounds are checked by the table's wrapper around each body (see `table::op!`).
        if !frame.gas.charge(info.gas as u64) {
            return Ctl::Halt(HaltReason::OutOfGas);
        }
        frame.pc += 1;
        let ctl = (info.f)(frame, ctx);
        if !matches!(ctl, Ctl::Continue) {
            if ctl == Ctl::Blocked {
                frame.pc -= 1;
                frame.gas.give_back(info.gas as u64);
            }
            return ctl;
        }
    }
}
