//! Starting the measured server as a child process and stopping it.
//!
//! Any server will do if the first line it prints on stdout holds its
//! port as `port=P` (and, optionally, its process id as `pid=PID`), e.g.
//! `LISTENING port=40123 pid=777`. The rest of its stdout is drained (by
//! the testkit's [`Process`], which kills it when dropped).

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::Duration;

use capstan_testkit::process::Process;

/// How long the server may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The running server process; killed when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    process: Process,
    /// Its process id (the server's own, after taskset's exec).
    pub pid: u32,
    /// Its loopback port.
    pub port: u16,
    /// The command line that started it.
    pub command_line: String,
}

impl ServerProcess {
    /// Starts `argv` (program and arguments), under `taskset -c CPU` if
    /// `cpu` is given, with `stdin`, and waits for its first stdout line.
    pub fn spawn_command(
        argv: &[String],
        cpu: Option<usize>,
        stdin: Stdio,
    ) -> Result<Self, String> {
        argv.first().ok_or("empty server command")?;
        let mut args: Vec<String> = Vec::new();
        if let Some(cpu) = cpu {
            args.extend(["taskset".into(), "-c".into(), cpu.to_string()]);
        }
        args.extend(argv.iter().cloned());
        let mut command = Command::new(&args[0]);
        command.args(&args[1..]).stdin(stdin).stderr(Stdio::inherit());
        let process = Process::start(&mut command, START_TIMEOUT)?;
        let line = process.first_line();
        let (port, pid) = parse_ready_line(line)
            .ok_or_else(|| format!("no port=P in the server's first line {line:?}"))?;
        let pid = pid.unwrap_or(process.id());
        Ok(Self { process, pid, port, command_line: args.join(" ") })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }
}

/// The port and (if given) process id in a server's first line.
pub fn parse_ready_line(line: &str) -> Option<(u16, Option<u32>)> {
    let field = |name: &str| line.split_whitespace().find_map(|w| w.strip_prefix(name));
    let port = field("port=")?.parse().ok().filter(|&p| p != 0)?;
    Some((port, field("pid=").and_then(|p| p.parse().ok())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_lines() {
        assert_eq!(parse_ready_line("LISTENING port=9001 pid=42\n"), Some((9001, Some(42))));
        assert_eq!(parse_ready_line("listening port=80"), Some((80, None)));
        assert_eq!(parse_ready_line("port=0"), None);
        assert_eq!(parse_ready_line("ws://127.0.0.1:9001"), None);
    }
}
