//! Unpacking the official fixtures: `shared/fixtures/*.tar.zst` → `<workspace>/target/fixtures/`, once.
//!
//! Decompression is in-process (the `zstd` and `tar` crates), so neither CI nor a developer needs the
//! `zstd` tool. The shared folder is `$PAREVM_SHARED` when set, else `<workspace>/../shared`. Each archive
//! gets a marker file once fully unpacked; a file lock keeps concurrent test binaries from unpacking the
//! same archive twice.

use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Environment variable that overrides the shared folder.
pub const SHARED_ENV: &str = "PAREVM_SHARED";

/// Why the fixtures could not be unpacked.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    /// No archives where they were expected.
    #[error("no fixture archives (*.tar.zst) in {0}; set {SHARED_ENV} to the shared folder")]
    NoArchives(PathBuf),
    /// A file-system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> UnpackError + 'a {
    move |source| UnpackError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The workspace root (the parent of this crate).
pub fn workspace_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The shared folder: `$PAREVM_SHARED`, else `<workspace>/../shared`.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os(SHARED_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_dir().join("..").join("shared"),
    }
}

/// Unpacks every archive of `<shared>/fixtures` into `<workspace>/target/fixtures` (once) and returns
/// that folder: state tests are then under `eest-v5.4.0/state_tests`.
pub fn fixtures_dir() -> Result<PathBuf, UnpackError> {
    let dest = workspace_dir().join("target").join("fixtures");
    unpack_all(&shared_dir().join("fixtures"), &dest)?;
    Ok(dest)
}

/// Unpacks the OP-Stack archives of `<shared>/op` (kona executor fixtures, Superchain genesis files) into
/// `<workspace>/target/op` (once) and returns that folder.
pub fn op_dir() -> Result<PathBuf, UnpackError> {
    let dest = workspace_dir().join("target").join("op");
    fs::create_dir_all(&dest).map_err(io("create", &dest))?;
    for name in [
        "kona-executor-fixtures.tar.zst",
        "superchain-genesis.tar.zst",
    ] {
        unpack_once(&shared_dir().join("op").join(name), &dest)?;
    }
    Ok(dest)
}

/// Unpacks every `*.tar.zst` in `archives` into `dest`, skipping those already unpacked.
pub fn unpack_all(archives: &Path, dest: &Path) -> Result<(), UnpackError> {
    let mut found: Vec<PathBuf> = fs::read_dir(archives)
        .map_err(io("list", archives))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".tar.zst"))
        .collect();
    if found.is_empty() {
        return Err(UnpackError::NoArchives(archives.to_path_buf()));
    }
    found.sort();
    fs::create_dir_all(dest).map_err(io("create", dest))?;
    for archive in found {
        unpack_once(&archive, dest)?;
    }
    Ok(())
}

/// Unpacks one archive into `dest` unless its marker (`.<archive name>.done`, holding the archive's size
/// and modification time) says it already is.
pub fn unpack_once(archive: &Path, dest: &Path) -> Result<(), UnpackError> {
    let name = archive
        .file_name()
        .map_or_else(|| "archive".into(), |n| n.to_string_lossy().into_owned());
    let marker = dest.join(format!(".{name}.done"));
    let meta = fs::metadata(archive).map_err(io("stat", archive))?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    let stamp = format!("{} {mtime}", meta.len());
    let done = || fs::read_to_string(&marker).is_ok_and(|s| s == stamp);
    if done() {
        return Ok(());
    }
    let lock_path = dest.join(".unpack.lock");
    let lock = File::create(&lock_path).map_err(io("create", &lock_path))?;
    lock.lock().map_err(io("lock", &lock_path))?;
    // Another process may have finished while this one waited for the lock.
    if !done() {
        unpack(archive, dest)?;
        fs::write(&marker, &stamp).map_err(io("write", &marker))?;
    }
    lock.unlock().map_err(io("unlock", &lock_path))?;
    Ok(())
}

/// Decompresses and extracts a `.tar.zst` into `dest` (entries escaping `dest` are refused by `tar`).
pub fn unpack(archive: &Path, dest: &Path) -> Result<(), UnpackError> {
    let file = File::open(archive).map_err(io("open", archive))?;
    let mut decoder = zstd::stream::read::Decoder::new(BufReader::new(file))
        .map_err(io("decompress", archive))?;
    // The archives are written with `--long=27`; allow any window the format permits.
    decoder
        .window_log_max(31)
        .map_err(io("decompress", archive))?;
    let mut tar = tar::Archive::new(decoder);
    tar.set_overwrite(true);
    tar.unpack(dest).map_err(io("unpack", archive))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_archives_are_a_typed_error() {
        let dir = std::env::temp_dir().join(format!("parevm-unpack-empty-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        let err = unpack_all(&dir, &dir.join("out")).expect_err("no archives");
        assert!(matches!(err, UnpackError::NoArchives(_)), "{err}");
        let err = unpack_all(&dir.join("absent"), &dir.join("out")).expect_err("no folder");
        assert!(
            matches!(err, UnpackError::Io { action: "list", .. }),
            "{err}"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn round_trip_small_archive() {
        let dir = std::env::temp_dir().join(format!("parevm-unpack-rt-{}", std::process::id()));
        let src = dir.join("src");
        fs::create_dir_all(&src).expect("temp dir");
        let archive = src.join("a.tar.zst");
        {
            let file = File::create(&archive).expect("create");
            let enc = zstd::stream::write::Encoder::new(file, 3).expect("encoder");
            let mut builder = tar::Builder::new(enc);
            let data = b"{\"x\": 1}";
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, "top/inner/x.json", &data[..])
                .expect("append");
            builder.into_inner().expect("tar").finish().expect("zstd");
        }
        let out = dir.join("out");
        unpack_all(&src, &out).expect("unpacks");
        assert_eq!(
            fs::read_to_string(out.join("top/inner/x.json")).expect("written"),
            "{\"x\": 1}"
        );
        assert!(out.join(".a.tar.zst.done").exists());
        // Second call is a no-op (the marker matches).
        unpack_all(&src, &out).expect("no-op");
        let _ = fs::remove_dir_all(&dir);
    }
}
