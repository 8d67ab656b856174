//! A real `redis-server` for a test: started on a free loopback port in a
//! directory of its own, without persistence or with AOF fsynced at every
//! write; stopped and started again on the same port and data (a
//! restart), paused and resumed (SIGSTOP, SIGCONT); killed and its
//! directory removed when dropped. Every wait is bounded by
//! [`WAIT`](crate::wait::WAIT).
//!
//! It needs the `redis-server` binary (Debian: `apt-get install -y
//! redis-server`); `scripts/test` installs it if missing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::scratch::{free_port, fresh_dir};
use crate::wait::WAIT;

/// How a [`RedisServer`] keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// Nothing on disk (`--save '' --appendonly no`).
    None,
    /// AOF, fsynced before each write is answered (`--appendonly yes
    /// --appendfsync always`): what was acknowledged survives a restart.
    AofAlways,
}

/// A running `redis-server`, killed when dropped.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    persistence: Persistence,
}

impl RedisServer {
    /// Starts one with `persistence` on a free port; returns once it
    /// answers PING. Panics if `redis-server` is missing or does not come
    /// up.
    pub async fn start(persistence: Persistence) -> RedisServer {
        let mut last = String::new();
        for _ in 0..3 {
            let (port, dir) = (free_port(), fresh_dir("redis"));
            let mut server = RedisServer { child: None, port, dir, persistence };
            match server.launch().await {
                Ok(()) => return server,
                // Another process took the port first: take another.
                Err(why) => last = why,
            }
        }
        panic!("redis-server did not start: {last}");
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops it as a service manager would (SIGTERM: with AOF, it writes
    /// what it has and exits), and waits for it to exit.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        signal(child.id(), "TERM");
        let deadline = Instant::now() + WAIT;
        loop {
            if child.try_wait().expect("wait for redis-server").is_some() {
                return;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("redis-server did not exit within {WAIT:?} of SIGTERM");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Starts it again, on the same port with the same data directory,
    /// after [`stop`](Self::stop); returns once it answers PING.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "stop it first");
        if let Err(why) = self.launch().await {
            panic!("redis-server did not start again on port {}: {why}", self.port);
        }
    }

    /// Pauses it (SIGSTOP): connections stay open, nothing is answered.
    pub fn pause(&self) {
        signal(self.pid().expect("running"), "STOP");
    }

    /// Resumes it after [`pause`](Self::pause) (SIGCONT).
    pub fn resume(&self) {
        signal(self.pid().expect("running"), "CONT");
    }

    /// Starts the process and waits for its PONG.
    async fn launch(&mut self) -> Result<(), String> {
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--logfile", "redis.log"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match self.persistence {
            Persistence::None => command.args(["--appendonly", "no"]),
            Persistence::AofAlways => {
                command.args(["--appendonly", "yes", "--appendfsync", "always"])
            }
        };
        let child = command.spawn().map_err(|e| {
            format!("cannot run redis-server ({e}); install it: apt-get install -y redis-server")
        })?;
        self.child = Some(child);
        let deadline = Instant::now() + WAIT;
        loop {
            if pong(self.port) {
                return Ok(());
            }
            let child = self.child.as_mut().expect("just started");
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                self.child = None;
                return Err(format!("it exited ({status}); its log: {}", self.log()));
            }
            if Instant::now() > deadline {
                return Err(format!("no PONG within {WAIT:?}; its log: {}", self.log()));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill(); // SIGKILL ends a stopped process too
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether a Redis on `port` answers PING with PONG (not LOADING, not
/// refused).
fn pong(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut answer = [0u8; 7];
    stream.read_exact(&mut answer).is_ok() && &answer == b"+PONG\r\n"
}

/// Sends `kill -<name> <pid>`; panics if that fails.
fn signal(pid: u32, name: &str) {
    let status = Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()).status();
    assert!(status.expect("run kill").success(), "kill -{name} {pid} failed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_starts_pauses_restarts_and_keeps_its_port() {
        let mut server = RedisServer::start(Persistence::AofAlways).await;
        let port = server.port();
        assert!(pong(port));
        server.pause();
        assert!(!pong(port), "a paused server does not answer");
        server.resume();
        assert!(pong(port));
        server.stop().await;
        assert!(!pong(port));
        server.restart().await;
        assert_eq!(server.port(), port);
        assert!(pong(port));
        let dir = server.dir.clone();
        drop(server);
        assert!(!pong(port) && !dir.exists(), "killed and cleaned up when dropped");
    }
}
