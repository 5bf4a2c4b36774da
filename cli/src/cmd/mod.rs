//! One module per subcommand. Each exposes `Args` (clap) and `run(Args) -> anyhow::Result<bool>`
//! (`Ok(false)` = ran, but something failed).

pub mod blocktest;
pub mod db;
pub mod demo;
pub mod dev;
pub mod export;
pub mod import;
pub mod init;
pub mod node;
pub mod optest;
pub mod replay;
pub mod statetest;
