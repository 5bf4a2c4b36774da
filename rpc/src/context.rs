//! What every handler shares: the chain service, the driver that decides mining and signing (the devnet,
//! or later the node), the installed filters; and how block tags resolve against the chain.

use crate::error::{RpcError, RpcResult};
use crate::filters::Filters;
use alloy_consensus::TypedTransaction;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, Signature, B256};
use parevm_chain::{Added, BlockParams, Chain, PoolTx, SharedBlock};
use std::sync::Arc;

/// The layer above the chain service that RPC needs: who drives mining, which accounts it holds, how it
/// signs. `parevm dev` implements it with dev accounts and automine; the OP node with the Engine API.
pub trait Driver: Send + Sync + 'static {
    /// `web3_clientVersion`.
    fn client_version(&self) -> String;

    /// `eth_accounts`.
    fn accounts(&self) -> Vec<Address> {
        Vec::new()
    }

    /// The context the next block will be built with (pending state, fee suggestions, pool checks).
    fn next_block(&self) -> BlockParams;

    /// Signs `tx` as `from` for `eth_sendTransaction` (or impersonates `from`).
    fn sign_transaction(&self, from: Address, tx: TypedTransaction) -> RpcResult<PoolTx> {
        let _ = tx;
        Err(RpcError::Server(format!("no signer for {from}")))
    }

    /// Signs a message as `address` (`eth_sign`, EIP-191).
    fn sign_message(&self, address: Address, message: &[u8]) -> RpcResult<Signature> {
        let _ = message;
        Err(RpcError::Server(format!("no signer for {address}")))
    }

    /// Signs a 32-byte hash as `address`, without a prefix (`eth_signTypedData_v4`'s EIP-712 hash).
    fn sign_hash(&self, address: Address, hash: B256) -> RpcResult<Signature> {
        let _ = hash;
        Err(RpcError::Server(format!("no signer for {address}")))
    }

    /// How many blocks the `safe` tag trails the head (`finalized` trails twice as far); 0: both name the
    /// head. anvil's devnet trails one epoch of 32 slots.
    fn safe_lag(&self) -> u64 {
        0
    }

    /// Called after a transaction entered the pool; a devnet mines it here when automining. Runs on a
    /// blocking thread.
    fn submitted(&self, added: &Added) -> RpcResult<()> {
        let _ = added;
        Ok(())
    }

    /// The priority fee suggested to clients (`eth_maxPriorityFeePerGas`).
    fn suggested_tip(&self) -> u128 {
        1_000_000_000
    }
}

/// Everything handlers share.
pub struct RpcContext {
    /// The chain service.
    pub chain: Arc<Chain>,
    /// Mining, accounts, signing.
    pub driver: Arc<dyn Driver>,
    /// Installed filters.
    pub filters: Filters,
}

impl RpcContext {
    /// A context over `chain` driven by `driver`.
    pub fn new(chain: Arc<Chain>, driver: Arc<dyn Driver>) -> Arc<Self> {
        Arc::new(Self {
            filters: Filters::new(chain.clone()),
            chain,
            driver,
        })
    }

    /// The block a tag names; `None` for a number or hash the chain does not have.
    pub fn block_by_tag(&self, tag: BlockNumberOrTag) -> Option<SharedBlock> {
        let trailing = |lag: u64| {
            let head = self.chain.head();
            let first = self.chain.genesis().number();
            let n = head.number().saturating_sub(lag).max(first);
            self.chain.block_by_number(n).or(Some(head))
        };
        match tag {
            BlockNumberOrTag::Earliest => Some(self.chain.genesis()),
            BlockNumberOrTag::Number(n) => self.chain.block_by_number(n),
            BlockNumberOrTag::Safe => trailing(self.driver.safe_lag()),
            BlockNumberOrTag::Finalized => trailing(self.driver.safe_lag().saturating_mul(2)),
            _ => Some(self.chain.head()),
        }
    }

    /// The block an id names; `None` when unknown.
    pub fn block_by_id(&self, id: BlockId) -> Option<SharedBlock> {
        match id {
            BlockId::Hash(h) => self.chain.block_by_hash(&h.block_hash),
            BlockId::Number(tag) => self.block_by_tag(tag),
        }
    }

    /// The block whose post-state a state query reads (latest when not given); an unknown block is an
    /// error, as anvil answers.
    pub fn state_block(&self, id: Option<BlockId>) -> RpcResult<SharedBlock> {
        let id = id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest));
        self.block_by_id(id).ok_or_else(|| match id {
            BlockId::Number(BlockNumberOrTag::Number(n)) => RpcError::Server(format!(
                "block number {n} not found (head is {})",
                self.chain.head().number()
            )),
            _ => RpcError::Server("block not found".into()),
        })
    }

    /// Runs `f` on the state a query at `id` reads: after the block `id` names (latest when not given),
    /// or for `pending` after the pending block (the head state with the pool's executable transactions
    /// applied, as anvil answers).
    pub fn read_state_at<R>(
        &self,
        id: Option<BlockId>,
        f: impl FnOnce(&(dyn parevm_evm_core::StateView + Sync)) -> R,
    ) -> RpcResult<R> {
        if Self::is_pending(id) {
            return Ok(self
                .chain
                .read_pending_state(&self.driver.next_block(), f)?);
        }
        let block = self.state_block(id)?;
        Ok(self.chain.read_state(block.number(), f)?)
    }

    /// True when `id` names the pending block.
    pub fn is_pending(id: Option<BlockId>) -> bool {
        matches!(id, Some(BlockId::Number(BlockNumberOrTag::Pending)))
    }
}

/// Hex bytes of a message for `eth_sign` (anvil takes hex data).
pub type Message = Bytes;

/// A hash parameter.
pub type Hash = B256;
