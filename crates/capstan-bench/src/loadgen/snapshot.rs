//! Readings of the server process and of the kernel at one moment.

use std::time::Instant;

use crate::json::{Value, object};
use crate::procfs::{self, Sockstat, UserSystem};

/// The server process, from /proc/PID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerReading {
    /// Resident memory (VmRSS), KiB.
    pub rss_kib: u64,
    /// CPU time of its live threads (schedstat), ns.
    pub cpu_ns: u64,
    /// utime and stime of the whole process (stat), clock ticks.
    pub cpu_ticks: UserSystem,
    /// Open file descriptors, when counted (a directory listing: 15 ms
    /// at 10,000 connections, too slow for every sample).
    pub fds: Option<usize>,
    /// Threads.
    pub threads: usize,
}

/// Everything read at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    /// When.
    pub at: Instant,
    /// The server, if its process id is known.
    pub server: Option<ServerReading>,
    /// The kernel's TCP sockets (system-wide: both ends of each loopback
    /// connection count).
    pub sockstat: Sockstat,
    /// The kernel's slab memory, KiB (system-wide).
    pub slab_kib: u64,
    /// CPU time the whole system has spent busy, clock ticks.
    pub system_busy_ticks: u64,
}

impl Snapshot {
    /// Reads the server `pid` (if known) and the kernel now, without
    /// counting the server's descriptors.
    pub fn take(pid: Option<u32>) -> Result<Self, String> {
        Self::read(pid, false)
    }

    /// Reads as [`take`](Self::take) does, and counts the server's descriptors.
    pub fn take_with_fds(pid: Option<u32>) -> Result<Self, String> {
        Self::read(pid, true)
    }

    fn read(pid: Option<u32>, count_fds: bool) -> Result<Self, String> {
        let server = match pid {
            None => None,
            Some(pid) => Some(ServerReading {
                rss_kib: procfs::rss_kib(pid)?,
                cpu_ns: procfs::cpu_ns(pid)?,
                cpu_ticks: procfs::cpu_ticks(pid)?,
                fds: if count_fds { Some(procfs::open_fds(pid)?) } else { None },
                threads: procfs::threads(pid)?,
            }),
        };
        Ok(Self {
            at: Instant::now(),
            server,
            sockstat: procfs::sockstat()?,
            slab_kib: procfs::slab_kib()?,
            system_busy_ticks: procfs::system_busy_ticks()?,
        })
    }

    /// The server's RSS, KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        self.server.map(|s| s.rss_kib)
    }

    /// Server CPU time from `earlier` to this one, ns.
    pub fn cpu_ns_since(&self, earlier: &Snapshot) -> Option<u64> {
        Some(self.server?.cpu_ns.saturating_sub(earlier.server?.cpu_ns))
    }

    /// Server CPU use from `earlier` to this one, as a share of one CPU.
    pub fn cpu_share_since(&self, earlier: &Snapshot) -> Option<f64> {
        let wall = self.at.duration_since(earlier.at).as_nanos() as f64;
        Some(self.cpu_ns_since(earlier)? as f64 / wall.max(1.0))
    }

    /// As JSON.
    pub fn json(&self) -> Value {
        let server = self.server.map(|s| {
            object([
                ("rss_kib", s.rss_kib.into()),
                ("cpu_ns", s.cpu_ns.into()),
                ("cpu_user_ticks", s.cpu_ticks.user.into()),
                ("cpu_system_ticks", s.cpu_ticks.system.into()),
                ("open_fds", s.fds.into()),
                ("threads", s.threads.into()),
            ])
        });
        object([
            ("server", server.into()),
            ("tcp_sockets_inuse", self.sockstat.inuse.into()),
            ("tcp_sockets_time_wait", self.sockstat.tw.into()),
            ("tcp_mem_pages", self.sockstat.mem_pages.into()),
            ("slab_kib", self.slab_kib.into()),
            ("system_busy_ticks", self.system_busy_ticks.into()),
        ])
    }
}
