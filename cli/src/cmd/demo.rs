//! `parevm demo` (being built in this session).

/// Arguments of `parevm demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Inputs.
    pub paths: Vec<std::path::PathBuf>,
}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<bool> {
    anyhow::bail!("`parevm demo` is not available in this build yet")
}
