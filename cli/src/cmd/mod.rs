//! One module per subcommand. Each exposes `Args` (clap) and `run(Args) -> anyhow::Result<bool>`
//! (`Ok(false)` = ran, but something failed).

pub mod blocktest;
pub mod demo;
pub mod dev;
pub mod optest;
pub mod replay;
pub mod statetest;
