//! # parevm-op-stack-adapter
//!
//! The OP Stack on parevm: the rules that make an OP-Stack L2 block differ from an Ethereum one, plugged
//! into evm-core's chain seam and composed with the block, state and parallel-commit crates.
//!
//! ```text
//! fork        OP fork schedule and the EVM rules of each fork
//! rules/      OpRules: deposits, L1 data fee (Bedrock/Ecotone/Fjord + FastLZ), operator fee, vaults,
//!             precompile sets and caps             (evm_core::rules::ChainRules, one value per fork)
//! tx          EIP-2718 bytes -> OpTxEnvelope -> TxEnv (sender, deposit fields, envelope)
//! block/      parent header + OpPayloadAttributes -> system calls -> transactions (sequential or
//!             parallel) -> OP receipts -> header (base fee, extraData, withdrawalsRoot, ...) -> hash
//! genesis     Superchain Registry genesis + chain config -> genesis header, state root, hash
//! witness/    a StateView over a stateless witness (sparse tries), and the post-block state root
//! state       what block building needs from a state (in-memory or witness)
//! ```
//! An Engine API module (payload building and forkchoice for op-node/kona-node) can sit beside these and
//! call [`block::build_block`] / [`block::execute_block`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod block;
pub mod error;
pub mod fork;
pub mod genesis;
pub mod predeploys;
pub mod rules;
pub mod state;
pub mod tx;
pub mod witness;

pub use block::receipt_fields::{l1_fee_inputs, receipt_fields, OpReceiptFields};
pub use block::{
    apply_pre_transactions, build_block, build_block_with_pool, execute_block, BuildTimings,
    BuiltBlock, Runner, SkippedTx,
};
pub use error::OpBlockError;
pub use fork::{Eip1559Params, ForkTimes, OpChainConfig, OpFork};
pub use rules::l1_fee::L1FeeInputs;
pub use rules::OpRules;
pub use state::OpState;
pub use witness::WitnessState;
