//! Time spent waiting for a CPU: what tells, on a shared machine, whether
//! a latency was the server's work or its turn on a busy CPU. Per
//! process, the sum over its threads of /proc/PID/task/TID/schedstat's
//! second field (time runnable but not running); for the machine, the
//! kernel's CPU pressure (/proc/pressure/cpu, `some`: time in which at
//! least one task waited).

use std::fs;

/// Time the threads of process `pid` waited on a run queue, ns (threads
/// that have exited are not counted).
pub fn runqueue_ns(pid: u32) -> Result<u64, String> {
    let dir = format!("/proc/{pid}/task");
    let tasks = fs::read_dir(&dir).map_err(|e| format!("{dir}: {e}"))?;
    let mut total = 0;
    for task in tasks.flatten() {
        // A thread may exit between the listing and the read.
        if let Ok(stat) = fs::read_to_string(task.path().join("schedstat")) {
            total += parse_schedstat_wait(&stat).unwrap_or(0);
        }
    }
    Ok(total)
}

/// The second field of a schedstat line: ns waited on a run queue.
fn parse_schedstat_wait(stat: &str) -> Option<u64> {
    stat.split_whitespace().nth(1)?.parse().ok()
}

/// The machine's CPU pressure so far: µs in which some task waited for a
/// CPU (`None` without PSI).
pub fn pressure_some_us() -> Option<u64> {
    parse_pressure_some(&fs::read_to_string("/proc/pressure/cpu").ok()?)
}

fn parse_pressure_some(text: &str) -> Option<u64> {
    let line = text.lines().find_map(|l| l.strip_prefix("some "))?;
    line.split_whitespace().find_map(|w| w.strip_prefix("total="))?.parse().ok()
}

/// Time spent waiting for a CPU, over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waits {
    /// The server's threads on a run queue, ns.
    pub server_ns: u64,
    /// The load generator's, ns.
    pub load_ns: u64,
    /// The machine: time some task waited, µs (`None` without PSI).
    pub pressure_us: Option<u64>,
}

impl Waits {
    /// The readings now, for server `pid` and this process.
    pub fn take(pid: u32) -> Result<Self, String> {
        Ok(Self {
            server_ns: runqueue_ns(pid)?,
            load_ns: runqueue_ns(std::process::id())?,
            pressure_us: pressure_some_us(),
        })
    }

    /// What was added since `earlier`.
    pub fn since(&self, earlier: &Waits) -> Waits {
        Waits {
            server_ns: self.server_ns.saturating_sub(earlier.server_ns),
            load_ns: self.load_ns.saturating_sub(earlier.load_ns),
            pressure_us: self
                .pressure_us
                .zip(earlier.pressure_us)
                .map(|(a, b)| a.saturating_sub(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reads_this_process() {
        assert_eq!(parse_schedstat_wait("1200 345 7\n"), Some(345));
        assert_eq!(parse_schedstat_wait("1200"), None);
        let psi = "some avg10=48.42 avg60=58.95 avg300=65.29 total=11406791406\n\
                   full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        assert_eq!(parse_pressure_some(psi), Some(11_406_791_406));
        assert_eq!(parse_pressure_some("full total=3\n"), None);
        assert!(runqueue_ns(std::process::id()).is_ok());
    }
}
