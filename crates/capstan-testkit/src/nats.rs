//! A real `nats-server` for the tests of a NATS broker: started on a free
//! port of 127.0.0.1, waited for until it greets a client, stopped and
//! started again on the same port (a restart, as an operator would do
//! it), killed when dropped — a failed assertion included.
//!
//! The binary is `nats-server` from `PATH` (Debian: `apt-get install
//! nats-server`), or the one `NATS_SERVER` names.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::scratch::free_port;
use crate::wait::WAIT;

/// A `nats-server` child process on 127.0.0.1; killed when dropped.
#[derive(Debug)]
pub struct NatsServer {
    port: u16,
    child: Option<Child>,
}

impl NatsServer {
    /// Starts a server on a free port and waits until it accepts clients;
    /// panics if it cannot (the binary missing, say).
    pub fn start() -> NatsServer {
        let port = free_port();
        let mut server = NatsServer { port, child: None };
        server.start_again();
        server
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Its URL, `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://{}", self.addr())
    }

    /// Whether it runs now (between [`stop`](Self::stop) and
    /// [`start_again`](Self::start_again) it does not).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills it and waits for it to exit: every client loses its
    /// connection at once.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it (again) on the same port and waits until it accepts
    /// clients; panics if it cannot within [`WAIT`].
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "the NATS server runs already");
        let program = std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".into());
        let deadline = Instant::now() + WAIT;
        loop {
            let mut child = Command::new(&program)
                .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("starting {program:?} (apt-get install nats-server, or set NATS_SERVER): {e}")
                });
            match greets(self.addr(), &mut child, deadline) {
                Ok(()) => {
                    self.child = Some(child);
                    return;
                }
                // The port was still held by the one stopped just before:
                // try again while there is time.
                Err(why) if Instant::now() < deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    eprintln!("nats-server on port {} did not start ({why}); again", self.port);
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("nats-server on port {}: {why}", self.port);
                }
            }
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until the server at `addr` sends its `INFO` greeting, or exits,
/// or `deadline` passes.
fn greets(addr: SocketAddr, child: &mut Child, deadline: Instant) -> Result<(), String> {
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("it exited: {status}"));
        }
        if let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
            let mut line = String::new();
            if BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("INFO ") {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            return Err(format!("no INFO greeting within {WAIT:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
