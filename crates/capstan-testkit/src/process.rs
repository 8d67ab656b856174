//! A server binary run as a child process: started, its first line of
//! output read (where it says where it listens), the rest drained, stopped
//! with a signal as a service manager or a terminal would, its exit
//! awaited with a bound; killed when dropped, a failed assertion included.

use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A signal to stop a server with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM, as a service manager stops it.
    Term,
    /// SIGINT, as Ctrl-C in a terminal does.
    Int,
    /// SIGKILL: the process dies at once, as in a crash or an OOM kill.
    Kill,
}

impl Signal {
    /// Its name without `SIG`, as `kill -NAME` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Term => "TERM",
            Signal::Int => "INT",
            Signal::Kill => "KILL",
        }
    }
}

/// A running child process; killed (and reaped) when dropped.
#[derive(Debug)]
pub struct Process {
    child: Child,
    first_line: String,
}

impl Process {
    /// Starts `command` with its stdout piped and waits, at most `bound`,
    /// for the first line it prints; the rest of its stdout is drained (a
    /// closed pipe would fail the server's prints, a full one block it).
    /// Fails if it cannot start, or exits or stays silent without a line.
    pub fn start(command: &mut Command, bound: Duration) -> Result<Process, String> {
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting {program:?}: {e}"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = tx.send(reader.read_line(&mut line).map(|_| line));
            let _ = io::copy(&mut reader, &mut io::sink());
        });
        // Dropped on an error below: killed.
        let mut process = Process { child, first_line: String::new() };
        process.first_line = match rx.recv_timeout(bound) {
            Ok(Ok(line)) if !line.is_empty() => line,
            Ok(Ok(_)) => return Err(format!("{program:?} exited without printing a line")),
            Ok(Err(e)) => return Err(format!("reading {program:?}'s first line: {e}")),
            Err(_) => return Err(format!("{program:?} printed nothing within {bound:?}")),
        };
        Ok(process)
    }

    /// The first line it printed, line end included.
    pub fn first_line(&self) -> &str {
        &self.first_line
    }

    /// The address in its first line (see [`address_in`]); panics if
    /// there is none.
    pub fn address(&self) -> SocketAddr {
        address_in(&self.first_line)
            .unwrap_or_else(|| panic!("no address in {:?}", self.first_line))
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends it `signal` (with `kill`); panics if that fails.
    pub fn signal(&self, signal: Signal) {
        let status = Command::new("kill")
            .arg(format!("-{}", signal.name()))
            .arg(self.id().to_string())
            .status();
        assert!(status.expect("run kill").success(), "kill -{} failed", signal.name());
    }

    /// Waits for it to exit, at most `bound` (panics past it); its exit
    /// code (`None` if a signal ended it). Polls, yielding to the runtime:
    /// the test's clients go on answering meanwhile.
    pub async fn exit_code(&mut self, bound: Duration) -> Option<i32> {
        let deadline = Instant::now() + bound;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the process") {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the process did not exit within {bound:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address of the first URL in `line` (`ws://127.0.0.1:80`,
/// `http://[::1]:80/`, `url=ws://…`): what follows `://`, up to the path.
pub fn address_in(line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once("://")?;
    let authority = rest.split(|c: char| c == '/' || c.is_whitespace()).next()?;
    authority.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_first_lines() {
        let at = |s: &str| address_in(s).map(|a| a.to_string());
        assert_eq!(at("echo server on ws://127.0.0.1:9001\n").as_deref(), Some("127.0.0.1:9001"));
        assert_eq!(
            at("Capstan chat: open http://127.0.0.1:80/ in a browser").as_deref(),
            Some("127.0.0.1:80")
        );
        assert_eq!(at("LISTENING port=1 url=ws://[::1]:7 pid=2").as_deref(), Some("[::1]:7"));
        assert_eq!(at("LISTENING port=9001"), None);
    }

    #[tokio::test]
    async fn a_process_is_started_signalled_and_awaited() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo ready on ws://127.0.0.1:5; exec sleep 30"]);
        let mut process = Process::start(&mut command, Duration::from_secs(10)).unwrap();
        assert_eq!(process.address().port(), 5);
        assert!(process.is_running());
        process.signal(Signal::Term);
        assert_eq!(process.exit_code(Duration::from_secs(10)).await, None, "ended by SIGTERM");
        let silent =
            Process::start(Command::new("true").stderr(Stdio::null()), Duration::from_secs(10));
        assert!(silent.unwrap_err().contains("exited without printing"));
    }
}
