//! # parevm-conformance
//!
//! Runners that prove parevm against the official Ethereum fixtures (state tests, blockchain tests) and
//! against real mainnet blocks.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod blocktest;
pub mod exception;
pub mod filter;
pub mod replay;
pub mod statetest;
pub mod unpack;
