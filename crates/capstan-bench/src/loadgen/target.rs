//! The server under load: already running at a URL, or started here.

use std::net::SocketAddr;
use std::process::Stdio;

use super::args::Server;
use crate::child::ServerProcess;
use crate::procfs;

/// Descriptors a server needs beyond one per connection (listener,
/// runtime, stdio).
const SPARE_FDS: u64 = 64;

/// Where the server is and which process it is: one, or the nodes of a
/// cluster (connections spread over them in turn).
#[derive(Debug)]
pub struct Target {
    /// Where to connect: connection `i` goes to `addrs[i % addrs.len()]`;
    /// a publisher goes to the first.
    pub addrs: Vec<SocketAddr>,
    /// The server's processes, when known (one per address, or none): CPU
    /// and memory are read from /proc and added up.
    pub pids: Vec<u32>,
    /// Other processes read alongside and reported apart (a cluster's
    /// Redis), by name.
    pub watched: Vec<(String, u32)>,
    /// How it was found or started, for the report.
    pub description: String,
    /// The process, when started here (stopped when dropped).
    process: Option<ServerProcess>,
}

impl Target {
    /// Finds or starts the server; a started one is pinned to `cpu`.
    pub fn open(
        server: &Server,
        cpu: Option<usize>,
        watched: &[(String, u32)],
    ) -> Result<Self, String> {
        let watched = watched.to_vec();
        match server {
            Server::Url { urls, pids } => {
                let at = |i: usize| match pids.get(i) {
                    Some(pid) => format!("ws://{} (pid {pid})", urls[i].addr),
                    None => format!("ws://{}", urls[i].addr),
                };
                let places: Vec<String> = (0..urls.len()).map(at).collect();
                let mut description = match places.len() {
                    1 => format!("running at {}", places[0]),
                    n => format!("{n} processes running at {}", places.join(", ")),
                };
                if pids.is_empty() {
                    description.push_str(" (pid unknown: no server readings)");
                }
                Ok(Self {
                    addrs: urls.iter().map(|u| u.addr).collect(),
                    pids: pids.clone(),
                    watched,
                    description,
                    process: None,
                })
            }
            Server::Spawn(argv) => {
                let process = ServerProcess::spawn_command(argv, cpu, Stdio::null())?;
                Ok(Self {
                    addrs: vec![process.addr()],
                    pids: vec![process.pid],
                    watched,
                    description: format!("`{}` (pid {})", process.command_line, process.pid),
                    process: Some(process),
                })
            }
        }
    }

    /// Where the publisher (and a single server's clients) connect.
    pub fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// Fails if the server was started here and has exited.
    pub fn check_running(&mut self) -> Result<(), String> {
        if let Some(process) = &mut self.process
            && !process.is_running()
        {
            return Err(format!("the server ({}) has exited", process.command_line));
        }
        Ok(())
    }

    /// Fails if a server process may not open enough files for its share
    /// of `connections`.
    pub fn check_fd_limit(&self, connections: usize) -> Result<(), String> {
        let share = connections.div_ceil(self.addrs.len());
        let needed = share as u64 + SPARE_FDS;
        for pid in &self.pids {
            if let Some(limit) = procfs::open_files_limit_of(&pid.to_string())
                && limit < needed
            {
                return Err(format!(
                    "the server (pid {pid}) may open {limit} files; {share} connections need \
                     about {needed} (raise its `ulimit -n`, or use fewer connections)"
                ));
            }
        }
        Ok(())
    }
}
