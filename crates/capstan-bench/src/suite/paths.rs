//! Where things are: the workspace root (loadgen and the servers run from
//! there), the directory of the release binaries, the Node peers.

use std::path::{Path, PathBuf};

/// The Node peers, from the workspace root.
const NODE_DIR: &str = "crates/capstan-bench/peers/node";

/// The places the suite uses.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The workspace root.
    pub root: PathBuf,
    /// Where `loadgen`, `capstan-bench-server` and the peer binaries are.
    pub bin_dir: PathBuf,
    /// Whether `node` is on PATH.
    node: bool,
}

impl Paths {
    /// Finds the workspace root (from the current directory up, else from
    /// this executable up) and the binaries: `bin_dir` if given, else
    /// `$CARGO_TARGET_DIR/release`, else this executable's directory.
    pub fn discover(bin_dir: Option<PathBuf>) -> Result<Self, String> {
        let cwd = std::env::current_dir().map_err(|e| format!("current directory: {e}"))?;
        let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
        let root = workspace_root(&cwd)
            .or_else(|| workspace_root(&exe))
            .ok_or("run bench-suite inside the Capstan workspace (no crates/capstan-bench found above the current directory)")?;
        let bin_dir = match (bin_dir, std::env::var_os("CARGO_TARGET_DIR")) {
            (Some(dir), _) => cwd.join(dir),
            // Relative to the current directory, as cargo takes it.
            (None, Some(target)) if !target.is_empty() => cwd.join(target).join("release"),
            _ => exe.parent().map(Path::to_path_buf).unwrap_or_else(|| root.join("target/release")),
        };
        Ok(Self { root, bin_dir, node: on_path("node") })
    }

    /// Paths for tests: everything given.
    pub fn fixed(root: PathBuf, bin_dir: PathBuf, node: bool) -> Self {
        Self { root, bin_dir, node }
    }

    /// A binary of the target directory.
    pub fn binary(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// The load generator.
    pub fn loadgen(&self) -> PathBuf {
        self.binary("loadgen")
    }

    /// The Node peers' directory.
    pub fn node_dir(&self) -> PathBuf {
        self.root.join(NODE_DIR)
    }

    /// A Node peer's script, relative to the root (where loadgen runs).
    pub fn node_script(&self, script: &str) -> PathBuf {
        Path::new(NODE_DIR).join(script)
    }

    /// Whether `node` is on PATH.
    pub fn node_found(&self) -> bool {
        self.node
    }

    /// `path` relative to the root, if it is inside it, for messages.
    pub fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).display().to_string()
    }
}

/// The nearest directory at or above `start` holding crates/capstan-bench.
fn workspace_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join("crates/capstan-bench/Cargo.toml").is_file())
        .map(Path::to_path_buf)
}

/// Whether an executable `name` is in one of PATH's directories.
pub fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| is_executable(&dir.join(name))))
        .unwrap_or(false)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_root() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = workspace_root(&here.join("src/suite")).unwrap();
        assert!(root.join("crates/capstan-bench").is_dir());
        assert!(workspace_root(Path::new("/")).is_none());
        assert!(on_path("sh"));
        assert!(!on_path("no-such-program-here"));
    }
}
