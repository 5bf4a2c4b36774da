//! The persistent chain's cost beside execution: generated states of N accounts (plus ERC-20 tokens with
//! large storage) in a redb file, then mainnet-sized blocks of token transfers, each executed on the
//! store's block overlay, rooted incrementally and committed; and the same blocks executed on an in-memory
//! state, in the same process.
//!
//! ```text
//! generate(N accounts, T tokens x H holders) -> ChainStore (redb file) + InMemoryState (same state)
//! per block: in memory: run_transactions                                    -> execution only
//!            store:     begin_block -> run_transactions -> state_root -> commit_block
//!                       (execution, root = storage tries + account trie, commit = batch + fsync)
//! report: ms per phase, (root + commit) / execution, Mgas/s with and without root + commit
//! ```

pub mod suite;
pub mod world;

pub use suite::{run_suite, ChainBenchOptions, ChainRow};
