//! `parevm replay` (being built in this session).

/// Arguments of `parevm replay`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Inputs.
    pub paths: Vec<std::path::PathBuf>,
}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<bool> {
    anyhow::bail!("`parevm replay` is not available in this build yet")
}
