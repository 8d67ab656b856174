//! Readings of the server process and of the kernel at one moment.

use std::time::Instant;

use serde::{Serialize, Serializer};

use crate::procfs::{self, Sockstat, UserSystem};

/// The server process, from /proc/PID; in results files as
/// [`ServerReadingJson`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "ServerReadingJson")]
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

impl ServerReading {
    /// Reads process `pid` now (its descriptors too if `count_fds`).
    fn read(pid: u32, count_fds: bool) -> Result<Self, String> {
        Ok(Self {
            rss_kib: procfs::rss_kib(pid)?,
            cpu_ns: procfs::cpu_ns(pid)?,
            cpu_ticks: procfs::cpu_ticks(pid)?,
            fds: if count_fds { Some(procfs::open_fds(pid)?) } else { None },
            threads: procfs::threads(pid)?,
        })
    }

    /// Several processes read as one: every figure added up.
    fn sum(readings: &[ServerReading]) -> Option<ServerReading> {
        let (first, rest) = readings.split_first()?;
        Some(rest.iter().fold(*first, |a, b| ServerReading {
            rss_kib: a.rss_kib + b.rss_kib,
            cpu_ns: a.cpu_ns + b.cpu_ns,
            cpu_ticks: UserSystem {
                user: a.cpu_ticks.user + b.cpu_ticks.user,
                system: a.cpu_ticks.system + b.cpu_ticks.system,
            },
            fds: a.fds.zip(b.fds).map(|(a, b)| a + b),
            threads: a.threads + b.threads,
        }))
    }
}

/// A [`ServerReading`] as results files write it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ServerReadingJson {
    /// Resident memory, KiB.
    pub rss_kib: u64,
    /// CPU time of its live threads, ns.
    pub cpu_ns: u64,
    /// utime, clock ticks.
    pub cpu_user_ticks: u64,
    /// stime, clock ticks.
    pub cpu_system_ticks: u64,
    /// Open file descriptors, when counted.
    pub open_fds: Option<usize>,
    /// Threads.
    pub threads: usize,
}

impl From<ServerReading> for ServerReadingJson {
    fn from(r: ServerReading) -> Self {
        Self {
            rss_kib: r.rss_kib,
            cpu_ns: r.cpu_ns,
            cpu_user_ticks: r.cpu_ticks.user,
            cpu_system_ticks: r.cpu_ticks.system,
            open_fds: r.fds,
            threads: r.threads,
        }
    }
}

/// Everything read at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// When.
    pub at: Instant,
    /// The server, if its process id is known; with several server
    /// processes (the nodes of a cluster), their figures added up.
    pub server: Option<ServerReading>,
    /// Each server process, in the order their pids were given.
    pub servers: Vec<ServerReading>,
    /// Other processes watched (`--watch-pid NAME=PID`: a cluster's Redis),
    /// read alike and reported apart, never counted as the server.
    pub watched: Vec<(String, ServerReading)>,
    /// The kernel's TCP sockets (system-wide: both ends of each loopback
    /// connection count).
    pub sockstat: Sockstat,
    /// The kernel's slab memory, KiB (system-wide).
    pub slab_kib: u64,
    /// CPU time the whole system has spent busy, clock ticks.
    pub system_busy_ticks: u64,
}

impl Snapshot {
    /// Reads the server processes `pids` (none if unknown), the
    /// `watched` ones and the kernel now, without counting descriptors.
    pub fn take(pids: &[u32], watched: &[(String, u32)]) -> Result<Self, String> {
        Self::read(pids, watched, false)
    }

    /// Reads as [`take`](Self::take) does, and counts the servers' descriptors.
    pub fn take_with_fds(pids: &[u32], watched: &[(String, u32)]) -> Result<Self, String> {
        Self::read(pids, watched, true)
    }

    fn read(pids: &[u32], watched: &[(String, u32)], count_fds: bool) -> Result<Self, String> {
        let servers: Vec<ServerReading> = pids
            .iter()
            .map(|&pid| ServerReading::read(pid, count_fds))
            .collect::<Result<_, _>>()?;
        let watched = watched
            .iter()
            .map(|(name, pid)| Ok((name.clone(), ServerReading::read(*pid, count_fds)?)))
            .collect::<Result<_, String>>()?;
        Ok(Self {
            at: Instant::now(),
            server: ServerReading::sum(&servers),
            servers,
            watched,
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

    /// CPU time of watched process `index` from `earlier` to this one, ns.
    pub fn watched_cpu_ns_since(&self, earlier: &Snapshot, index: usize) -> Option<u64> {
        let (now, then) = (self.watched.get(index)?, earlier.watched.get(index)?);
        Some(now.1.cpu_ns.saturating_sub(then.1.cpu_ns))
    }
}

/// A [`Snapshot`] as results files write it (without its instant).
#[derive(Serialize)]
struct SnapshotJson<'a> {
    server: Option<ServerReading>,
    servers: &'a [ServerReading],
    #[serde(serialize_with = "crate::pairs::as_object")]
    watched: &'a [(String, ServerReading)],
    tcp_sockets_inuse: u64,
    tcp_sockets_time_wait: u64,
    tcp_mem_pages: u64,
    slab_kib: u64,
    system_busy_ticks: u64,
}

impl Serialize for Snapshot {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SnapshotJson {
            server: self.server,
            servers: &self.servers,
            watched: &self.watched,
            tcp_sockets_inuse: self.sockstat.inuse,
            tcp_sockets_time_wait: self.sockstat.tw,
            tcp_mem_pages: self.sockstat.mem_pages,
            slab_kib: self.slab_kib,
            system_busy_ticks: self.system_busy_ticks,
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The results file's text of `snapshot`.
    fn text(snapshot: &Snapshot) -> String {
        crate::results_file::pretty(snapshot)
    }

    fn reading(rss_kib: u64, fds: Option<usize>) -> ServerReading {
        ServerReading {
            rss_kib,
            cpu_ns: rss_kib * 1000 + 7,
            cpu_ticks: UserSystem { user: 3, system: 2 },
            fds,
            threads: 4,
        }
    }

    /// Two servers (their sum first), two watched processes in the order
    /// given (not alphabetical), a descriptor count missing: the text the
    /// hand-written JSON writer (src/json.rs, since removed) wrote for it, kept in
    /// tests/fixtures/results/snapshot.json.
    #[test]
    fn json_text_is_unchanged() {
        let servers = vec![reading(1000, Some(12)), reading(2000, Some(5))];
        let snapshot = Snapshot {
            at: Instant::now(),
            server: ServerReading::sum(&servers),
            servers,
            watched: vec![
                ("redis".into(), reading(300, None)),
                ("pg \"x\"".into(), reading(40, None)),
            ],
            sockstat: Sockstat { inuse: 21, tw: 3, mem_pages: 456 },
            slab_kib: 98765,
            system_busy_ticks: 123456789,
        };
        let golden = include_str!("../../tests/fixtures/results/snapshot.json");
        assert_eq!(text(&snapshot), golden);
    }
}
