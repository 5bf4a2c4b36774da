//! # parevm-conformance
//!
//! Runners that prove parevm against the official Ethereum fixtures (state tests, blockchain tests) and
//! against real mainnet blocks, and the OP-Stack fixtures (kona executor blocks, Superchain genesis files).
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod blocktest;
pub mod exception;
pub mod filter;
pub mod optest;
pub mod replay;
pub mod statetest;
pub mod unpack;
