//! The two engines behind one small interface: prepare once from a case (pre-state loaded, code analysed),
//! then run the same transaction as often as needed without committing it.

pub mod ours;
pub mod reference;

pub use ours::Ours;
pub use reference::Reference;

use alloy_primitives::Bytes;

/// What a benchmark run produced; compared between engines before timing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunResult {
    /// `success`, `revert` or `halt` (with the engine's reason).
    pub status: String,
    /// Gas charged to the sender.
    pub gas_used: u64,
    /// Return data.
    pub output: Bytes,
}

impl RunResult {
    /// True when execution finished normally.
    pub fn is_success(&self) -> bool {
        self.status == "success"
    }
}
