//! Addresses of the OP-Stack predeploys and special accounts the execution engine itself uses.

use alloy_primitives::{address, Address};

/// SequencerFeeVault: the coinbase of every OP block (priority fees).
pub const SEQUENCER_FEE_VAULT: Address = address!("4200000000000000000000000000000000000011");
/// L1Block: the L1 attributes the fee formulas read.
pub const L1_BLOCK: Address = address!("4200000000000000000000000000000000000015");
/// L2ToL1MessagePasser: its storage root is the Isthmus `withdrawalsRoot`.
pub const L2_TO_L1_MESSAGE_PASSER: Address = address!("4200000000000000000000000000000000000016");
/// BaseFeeVault: the base fee is credited here, not burned.
pub const BASE_FEE_VAULT: Address = address!("4200000000000000000000000000000000000019");
/// L1FeeVault: the L1 data fee.
pub const L1_FEE_VAULT: Address = address!("420000000000000000000000000000000000001a");
/// OperatorFeeVault: the Isthmus operator fee.
pub const OPERATOR_FEE_VAULT: Address = address!("420000000000000000000000000000000000001b");
/// The sender of the L1-attributes deposit.
pub const L1_INFO_DEPOSITOR: Address = address!("deaddeaddeaddeaddeaddeaddeaddeaddead0001");
/// The create2Deployer contract Canyon force-deploys.
pub const CREATE2_DEPLOYER: Address = address!("13b0D85CcB8bf860b6b79AF3029fCA081AE9beF2");
