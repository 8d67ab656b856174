//! Pinning with taskset: this process (the clients) to one CPU, the
//! server to another, so that each one's CPU time is its own.

use std::process::{Command, Stdio};

/// Where things run.
#[derive(Debug, Clone)]
pub struct Pinning {
    /// The CPU for the server, if pinned.
    pub server_cpu: Option<usize>,
    /// The CPU this process was pinned to.
    pub client_cpu: Option<usize>,
    /// What was done, for the report.
    pub description: String,
}

/// Pins this process (call before starting threads: they inherit it) to
/// its first allowed CPU and keeps the second for the server. Needs two
/// CPUs and the `taskset` program; otherwise nothing is pinned.
pub fn pin_this_process() -> Pinning {
    let unpinned = |why: String| Pinning {
        server_cpu: None,
        client_cpu: None,
        description: format!("not pinned ({why})"),
    };
    let pid = std::process::id().to_string();
    let allowed = match Command::new("taskset").args(["-c", "-p", &pid]).output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        Ok(out) => return unpinned(format!("taskset failed: {}", out.status)),
        Err(e) => return unpinned(format!("no taskset: {e}")),
    };
    // "pid 123's current affinity list: 0-3,6"
    let list = allowed.rsplit(':').next().unwrap_or_default().trim();
    let cpus = cpu_list(list);
    let [client, server, ..] = cpus[..] else {
        return unpinned(format!("only CPU(s) {list:?} available"));
    };
    let pinned = Command::new("taskset")
        .args(["-c", "-p", &client.to_string(), &pid])
        .stdout(Stdio::null())
        .status();
    match pinned {
        Ok(status) if status.success() => Pinning {
            server_cpu: Some(server),
            client_cpu: Some(client),
            description: format!(
                "server pinned to CPU {server} (`taskset -c {server}`), \
                 clients (this process) to CPU {client} (`taskset -c -p {client}`)"
            ),
        },
        Ok(status) => unpinned(format!("taskset -p failed: {status}")),
        Err(e) => unpinned(format!("taskset -p: {e}")),
    }
}

/// Expands a CPU list such as "0-2,5".
fn cpu_list(list: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in list.split(',').map(str::trim) {
        let (from, to) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(from), Ok(to)) = (from.parse::<usize>(), to.parse::<usize>()) {
            cpus.extend(from..=to.min(from + 1024));
        }
    }
    cpus
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(cpu_list("0-2,5"), [0, 1, 2, 5]);
        assert_eq!(cpu_list("1"), [1]);
        assert!(cpu_list("").is_empty());
    }
}
