//! Readings from /proc: a process's resident memory and CPU time, and the
//! kernel's TCP socket memory.

use std::fs;
use std::process::Command;

fn read(path: &str) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
}

/// Resident memory (VmRSS) of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> Result<u64, String> {
    let status = read(&format!("/proc/{pid}/status"))?;
    parse_vm_rss(&status).ok_or_else(|| format!("no VmRSS for {pid}"))
}

/// The `VmRSS:` line of a /proc/PID/status text, in KiB.
pub fn parse_vm_rss(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU time of process `pid` in ns: the sum over its threads of
/// /proc/PID/task/TID/schedstat's first field (user and system time).
/// Threads that have exited are not counted (see [`cpu_ticks`]).
pub fn cpu_ns(pid: u32) -> Result<u64, String> {
    let dir = format!("/proc/{pid}/task");
    let tasks = fs::read_dir(&dir).map_err(|e| format!("{dir}: {e}"))?;
    let mut total = 0;
    for task in tasks.flatten() {
        // A thread may exit between the listing and the read.
        if let Ok(stat) = fs::read_to_string(task.path().join("schedstat")) {
            total +=
                stat.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    Ok(total)
}

/// CPU time of process `pid` as utime and stime (all threads, exited ones
/// too), in clock ticks (see [`clock_ticks_per_second`]).
pub fn cpu_ticks(pid: u32) -> Result<UserSystem, String> {
    let stat = read(&format!("/proc/{pid}/stat"))?;
    parse_stat_ticks(&stat).ok_or_else(|| format!("unexpected /proc/{pid}/stat"))
}

/// utime and stime (fields 14 and 15) of a /proc/PID/stat line.
pub fn parse_stat_ticks(stat: &str) -> Option<UserSystem> {
    // Fields after the command name, which may hold spaces and parentheses.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest)?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Field 3 (state) is fields[0]; utime is field 14, stime field 15.
    let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(UserSystem { user: tick(11)?, system: tick(12)? })
}

/// CPU time split into user and system (kernel) time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserSystem {
    /// In user space.
    pub user: u64,
    /// In the kernel.
    pub system: u64,
}

impl UserSystem {
    /// Both.
    pub fn total(self) -> u64 {
        self.user + self.system
    }

    /// What was added since `earlier`.
    pub fn since(self, earlier: UserSystem) -> UserSystem {
        UserSystem {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
        }
    }
}

/// CPU time the whole system spent busy, all CPUs, in clock ticks: the
/// `cpu` line of /proc/stat, user + nice + system + irq + softirq (not
/// idle, iowait or steal).
pub fn system_busy_ticks() -> Result<u64, String> {
    let stat = read("/proc/stat")?;
    let line =
        stat.lines().find_map(|l| l.strip_prefix("cpu ")).ok_or("no cpu line in /proc/stat")?;
    let fields: Vec<u64> = line.split_whitespace().filter_map(|v| v.parse().ok()).collect();
    match fields[..] {
        [user, nice, system, _idle, _iowait, irq, softirq, ..] => {
            Ok(user + nice + system + irq + softirq)
        }
        _ => Err("short cpu line in /proc/stat".into()),
    }
}

/// The system's load average over the last minute (/proc/loadavg): how
/// busy a shared machine was while something was measured.
pub fn load_average() -> Result<f64, String> {
    let text = read("/proc/loadavg")?;
    text.split_whitespace().next().and_then(|v| v.parse().ok()).ok_or("bad /proc/loadavg".into())
}

/// Threads of process `pid`.
pub fn threads(pid: u32) -> Result<usize, String> {
    let dir = format!("/proc/{pid}/task");
    Ok(fs::read_dir(&dir).map_err(|e| format!("{dir}: {e}"))?.count())
}

/// The TCP line of /proc/net/sockstat (system-wide: both ends of every
/// loopback connection count).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sockstat {
    /// TCP sockets in use.
    pub inuse: u64,
    /// Sockets in TIME_WAIT.
    pub tw: u64,
    /// Pages of memory charged to TCP sockets (buffers).
    pub mem_pages: u64,
}

/// Reads /proc/net/sockstat.
pub fn sockstat() -> Result<Sockstat, String> {
    let text = read("/proc/net/sockstat")?;
    let line = text.lines().find_map(|l| l.strip_prefix("TCP:")).ok_or("no TCP line")?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let value =
        |name: &str| words.windows(2).find(|w| w[0] == name).and_then(|w| w[1].parse::<u64>().ok());
    Ok(Sockstat {
        inuse: value("inuse").ok_or("no TCP inuse")?,
        tw: value("tw").unwrap_or(0),
        mem_pages: value("mem").ok_or("no TCP mem")?,
    })
}

/// The kernel's slab memory (/proc/meminfo `Slab`, system-wide), KiB:
/// where socket structures live, which sockstat's `mem` does not count.
pub fn slab_kib() -> Result<u64, String> {
    let meminfo = read("/proc/meminfo")?;
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("Slab:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no Slab in /proc/meminfo".into())
}

/// net.core.mem_pcpu_rsv: pages each CPU may charge to sockets before the
/// global counter (sockstat's `mem`) is updated; `None` on older kernels.
pub fn mem_pcpu_rsv() -> Option<u64> {
    fs::read_to_string("/proc/sys/net/core/mem_pcpu_rsv").ok()?.trim().parse().ok()
}

/// A `getconf` value, or `fallback` when getconf is missing.
fn getconf(name: &str, fallback: u64) -> u64 {
    Command::new("getconf")
        .arg(name)
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
        .unwrap_or(fallback)
}

/// Clock ticks per second (sysconf CLK_TCK; 100 if it cannot be asked).
pub fn clock_ticks_per_second() -> u64 {
    getconf("CLK_TCK", 100)
}

/// Bytes per memory page (4096 if it cannot be asked).
pub fn page_size() -> u64 {
    getconf("PAGESIZE", 4096)
}

/// Open file descriptors of process `pid`.
pub fn open_fds(pid: u32) -> Result<usize, String> {
    let dir = format!("/proc/{pid}/fd");
    Ok(fs::read_dir(&dir).map_err(|e| format!("{dir}: {e}"))?.count())
}

/// This process's limit on open files (the soft one).
pub fn open_files_limit() -> Option<u64> {
    open_files_limit_of("self")
}

/// Process `pid`'s limit on open files (the soft one); `pid` may be "self".
pub fn open_files_limit_of(pid: &str) -> Option<u64> {
    let limits = fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let pid = std::process::id();
        assert!(rss_kib(pid).unwrap() > 0);
        let _ = cpu_ns(pid).unwrap();
        let _ = cpu_ticks(pid).unwrap();
        assert!(threads(pid).unwrap() >= 1);
        assert!(open_fds(pid).unwrap() >= 1);
        assert!(open_files_limit_of(&pid.to_string()).unwrap() >= 1);
        let _ = sockstat().unwrap();
        let _ = system_busy_ticks().unwrap();
        assert!(slab_kib().unwrap() > 0);
        assert!(load_average().unwrap() >= 0.0);
    }

    #[test]
    fn parses_stat_and_status_lines() {
        // A command name with a space and a parenthesis, as crossbar's
        // workers may set theirs.
        let stat = "4242 (crossbar-worker [rou) ter]) S 1 4242 4242 0 -1 4194560 \
                    5000 0 0 0 1234 567 0 0 20 0 3 0 100 1000000 2500 18446744073709551615";
        assert_eq!(parse_stat_ticks(stat), Some(UserSystem { user: 1234, system: 567 }));
        assert_eq!(parse_stat_ticks("4242 (x) S 1 2 3"), None);
        assert_eq!(parse_stat_ticks("no parenthesis at all"), None);
        let status =
            "Name:\tcapstan-router\nVmPeak:\t  10000 kB\nVmRSS:\t    4321 kB\nThreads:\t2\n";
        assert_eq!(parse_vm_rss(status), Some(4321));
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
    }
}
