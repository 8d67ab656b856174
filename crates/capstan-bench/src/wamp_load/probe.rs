//! Readings of the router's process from /proc, taken at the edges of a
//! measured window: its CPU time (utime + stime of /proc/PID/stat, every
//! thread, exited ones too), the load generator's own, the whole
//! machine's busy time (to tell other load), and the router's VmRSS.

use std::time::Instant;

use crate::procfs;

use super::error::LoadError;

/// CPU readings at one instant.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    /// When.
    pub at: Instant,
    /// The router's utime + stime, clock ticks.
    pub router_ticks: u64,
    /// This process's utime + stime, clock ticks.
    pub own_ticks: u64,
    /// The machine's busy time, all CPUs, clock ticks.
    pub busy_ticks: u64,
}

impl Snapshot {
    /// Reads them now for router `pid`.
    pub fn take(pid: u32) -> Result<Self, LoadError> {
        let router = procfs::cpu_ticks(pid).map_err(LoadError::Proc)?;
        let own = procfs::cpu_ticks(std::process::id()).map_err(LoadError::Proc)?;
        let busy = procfs::system_busy_ticks().map_err(LoadError::Proc)?;
        Ok(Self {
            at: Instant::now(),
            router_ticks: router.total(),
            own_ticks: own.total(),
            busy_ticks: busy,
        })
    }
}

/// The router's resident memory, KiB.
pub fn rss_kib(pid: u32) -> Result<u64, LoadError> {
    procfs::rss_kib(pid).map_err(LoadError::Proc)
}

/// The most descriptors process `pid` may hold (its soft limit), if known.
pub fn fd_limit(pid: u32) -> Option<u64> {
    procfs::open_files_limit_of(&pid.to_string())
}
