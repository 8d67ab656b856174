//! The server under load: already running at a URL, or started here.

use std::net::SocketAddr;
use std::process::Stdio;

use super::args::Server;
use crate::child::ServerProcess;
use crate::procfs;

/// Descriptors a server needs beyond one per connection (listener,
/// runtime, stdio).
const SPARE_FDS: u64 = 64;

/// Where the server is and which process it is.
#[derive(Debug)]
pub struct Target {
    /// Where to connect.
    pub addr: SocketAddr,
    /// Its process id, when known: CPU and memory are read from /proc.
    pub pid: Option<u32>,
    /// How it was found or started, for the report.
    pub description: String,
    /// The process, when started here (stopped when dropped).
    process: Option<ServerProcess>,
}

impl Target {
    /// Finds or starts the server; a started one is pinned to `cpu`.
    pub fn open(server: &Server, cpu: Option<usize>) -> Result<Self, String> {
        match server {
            Server::Url { url, pid } => Ok(Self {
                addr: url.addr,
                pid: *pid,
                description: match pid {
                    Some(pid) => format!("running at ws://{} (pid {pid})", url.addr),
                    None => {
                        format!("running at ws://{} (pid unknown: no server readings)", url.addr)
                    }
                },
                process: None,
            }),
            Server::Spawn(argv) => {
                let process = ServerProcess::spawn_command(argv, cpu, Stdio::null())?;
                Ok(Self {
                    addr: process.addr(),
                    pid: Some(process.pid),
                    description: format!("`{}` (pid {})", process.command_line, process.pid),
                    process: Some(process),
                })
            }
        }
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

    /// Fails if the server may not open enough files for `connections`.
    pub fn check_fd_limit(&self, connections: usize) -> Result<(), String> {
        let Some(pid) = self.pid else { return Ok(()) };
        let needed = connections as u64 + SPARE_FDS;
        match procfs::open_files_limit_of(&pid.to_string()) {
            Some(limit) if limit < needed => Err(format!(
                "the server (pid {pid}) may open {limit} files; {connections} connections need \
                 about {needed} (raise its `ulimit -n`, or use fewer connections)"
            )),
            _ => Ok(()),
        }
    }
}
