//! machine.md: what the figures were measured on (CPU, cores, kernel,
//! toolchains, date, commit).

use std::path::Path;
use std::process::Command;

use super::timestamp::Utc;

/// Facts about this machine and checkout.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    pub cpu: String,
    pub cores: String,
    pub memory: String,
    pub kernel: String,
    pub rustc: String,
    pub node: String,
    pub date: String,
    pub commit: String,
}

impl Machine {
    /// Reads them (unknown ones say so).
    pub fn read(root: &Path, node_found: bool) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let usable = std::thread::available_parallelism().map_or(0, |n| n.get());
        Self {
            cpu: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".into()),
            cores: format!(
                "{} logical CPUs ({usable} usable by this process); runs pin the server to one and loadgen to another",
                cpuinfo.lines().filter(|l| l.starts_with("processor")).count()
            ),
            memory: mem_total(&meminfo).unwrap_or_else(|| "unknown".into()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| output("uname", &["-r"], None)),
            rustc: output("rustc", &["--version"], None),
            node: if node_found {
                output("node", &["--version"], None)
            } else {
                "not installed".into()
            },
            date: Utc::now().readable(),
            commit: commit(root),
        }
    }

    /// As Markdown.
    pub fn markdown(&self) -> String {
        let rows = [
            ("CPU", &self.cpu),
            ("cores", &self.cores),
            ("memory", &self.memory),
            ("kernel (uname -r)", &self.kernel),
            ("rustc", &self.rustc),
            ("node", &self.node),
            ("date", &self.date),
            ("commit", &self.commit),
        ];
        let mut out = String::from("## Machine\n\n| | |\n|:---|:---|\n");
        for (name, value) in rows {
            out.push_str(&format!("| {name} | {} |\n", value.replace('|', "\\|")));
        }
        out
    }
}

/// The first `model name` of /proc/cpuinfo.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// MemTotal of /proc/meminfo, in GiB.
fn mem_total(meminfo: &str) -> Option<String> {
    let kib: f64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(format!("{:.1} GiB", kib / (1024.0 * 1024.0)))
}

/// A command's first line of output, or why there is none.
fn output(program: &str, args: &[&str], dir: Option<&Path>) -> String {
    let mut command = Command::new(program);
    command.args(args);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    match command.output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string(),
        Ok(out) => format!("unknown (`{program}` exited with {})", out.status),
        Err(e) => format!("unknown ({program}: {e})"),
    }
}

/// `abc1234`, with `-dirty` when tracked files have uncommitted changes.
fn commit(root: &Path) -> String {
    let hash = output("git", &["rev-parse", "--short", "HEAD"], Some(root));
    if hash.starts_with("unknown") {
        return hash;
    }
    let changed = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .current_dir(root)
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    if changed { format!("{hash}-dirty (tracked files changed since the commit)") } else { hash }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(mem_total("MemTotal:       25165824 kB\n").as_deref(), Some("24.0 GiB"));
        assert_eq!(cpu_model(""), None);
    }

    #[test]
    fn markdown_table() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let m = Machine::read(root, false);
        assert_eq!(m.node, "not installed");
        assert!(m.rustc.starts_with("rustc "), "{}", m.rustc);
        let md = m.markdown();
        assert!(md.starts_with("## Machine\n"));
        assert!(md.contains("| kernel (uname -r) | "));
        assert!(md.contains("| commit | "));
    }
}
