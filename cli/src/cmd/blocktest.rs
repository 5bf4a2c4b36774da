//! `parevm blocktest` (being built in this session).

/// Arguments of `parevm blocktest`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Inputs.
    pub paths: Vec<std::path::PathBuf>,
}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<bool> {
    anyhow::bail!("`parevm blocktest` is not available in this build yet")
}
