//! Starting the measured server as a child process and stopping it.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::mode::Mode;

/// How long the server may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The running server process; killed when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    /// Its process id (the server's own, after taskset's exec).
    pub pid: u32,
    /// Its loopback port.
    pub port: u16,
    /// The command line that started it.
    pub command_line: String,
}

impl ServerProcess {
    /// Starts this binary with `--serve MODE`, under `taskset -c CPU` if
    /// `cpu` is given, and waits for its port.
    pub fn spawn(mode: Mode, cpu: Option<usize>) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
        let mut args: Vec<String> = Vec::new();
        if let Some(cpu) = cpu {
            args.extend(["taskset".into(), "-c".into(), cpu.to_string()]);
        }
        args.extend([exe.display().to_string(), "--serve".into(), mode.name().into()]);
        let mut child = Command::new(&args[0])
            .args(&args[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting {:?}: {e}", args[0]))?;
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = tx.send(BufReader::new(stdout).read_line(&mut line).map(|_| line));
        });
        let mut server = Self { child, pid: 0, port: 0, command_line: args.join(" ") };
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => return Err(format!("reading the server's port: {e}")),
            Err(_) => return Err(format!("the server did not start within {START_TIMEOUT:?}")),
        };
        let field = |name: &str| {
            line.split_whitespace().find_map(|w| w.strip_prefix(name)?.parse::<u32>().ok())
        };
        match (field("port="), field("pid=")) {
            (Some(port), Some(pid)) => {
                server.port = port as u16;
                server.pid = pid;
                Ok(server)
            }
            _ => Err(format!("unexpected first line from the server: {line:?}")),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
