//! Helpers shared by the integration tests: a server on an ephemeral port,
//! a component that records what it sees, the echo example as a process;
//! and, from capstan-testkit, the raw client that speaks frames byte by
//! byte (to send what well-behaved clients never send).
#![allow(dead_code, unused_imports)]

use std::net::SocketAddr;
use std::sync::Arc;

use capstan::http::HttpComponent;
use capstan::ws::deflate::{Deflater, TRAILER};
use capstan::{
    CloseInfo, Component, Conn, ConnError, HttpServer, IoServer, Message, ServerConfig,
    ShutdownHandle,
};
pub use capstan_testkit::client::Client;
pub use capstan_testkit::handshake::upgrade_request;
use capstan_testkit::http::exchange;
use capstan_testkit::process::Process;
pub use capstan_testkit::wait::WAIT;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub mod pki;
pub mod session_app;

/// A running server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub shutdown: ShutdownHandle,
    pub task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    /// Serves `http` on 127.0.0.1 with default server limits.
    pub async fn start<C: HttpComponent>(http: HttpServer<C>) -> Self {
        Self::start_with(http, ServerConfig::default()).await
    }

    pub async fn start_with<C: HttpComponent>(http: HttpServer<C>, config: ServerConfig) -> Self {
        let server = IoServer::bind("127.0.0.1:0", http).await.unwrap().with_config(config);
        let addr = server.local_addr().unwrap();
        let shutdown = server.shutdown_handle();
        let task = tokio::spawn(server.run_until(std::future::pending()));
        Self { addr, shutdown, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{}", self.addr, path)
    }

    /// Shuts down and waits for the server to return.
    pub async fn stop(self) {
        self.shutdown.shutdown();
        tokio::time::timeout(WAIT, self.task).await.unwrap().unwrap().unwrap();
    }
}

/// What a [`Recorder`] saw.
#[derive(Debug)]
pub enum Seen {
    Open(Conn),
    Message(Conn, Message),
    Close(Conn, CloseInfo),
    Error(Conn, String),
}

/// A component that reports every callback on a channel and answers text
/// messages through an optional hook.
pub struct Recorder {
    tx: mpsc::UnboundedSender<Seen>,
    echo: bool,
}

impl Recorder {
    pub fn new(echo: bool) -> (Self, mpsc::UnboundedReceiver<Seen>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx, echo }, rx)
    }
}

impl Component for Recorder {
    async fn on_open(&self, conn: &Conn) {
        let _ = self.tx.send(Seen::Open(conn.clone()));
    }

    async fn on_message(&self, conn: &Conn, message: Message) {
        if self.echo {
            let _ = conn.send(message.clone());
        }
        let _ = self.tx.send(Seen::Message(conn.clone(), message));
    }

    async fn on_close(&self, conn: &Conn, close: CloseInfo) {
        let _ = self.tx.send(Seen::Close(conn.clone(), close));
    }

    async fn on_error(&self, conn: &Conn, error: ConnError) {
        let _ = self.tx.send(Seen::Error(conn.clone(), error.to_string()));
    }
}

/// The next thing a recorder saw, within [`WAIT`].
pub async fn next_seen(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(WAIT, rx.recv()).await.expect("callback in time").expect("recorder alive")
}

/// Waits for the close callback, skipping other events.
pub async fn next_close(rx: &mut mpsc::UnboundedReceiver<Seen>) -> CloseInfo {
    messages_then_close(rx).await.1
}

/// The messages the app received, in order, up to the close callback; and
/// that close.
pub async fn messages_then_close(
    rx: &mut mpsc::UnboundedReceiver<Seen>,
) -> (Vec<Message>, CloseInfo) {
    let mut messages = Vec::new();
    loop {
        match next_seen(rx).await {
            Seen::Message(_, message) => messages.push(message),
            Seen::Close(_, info) => return (messages, info),
            _ => {}
        }
    }
}

/// Sends raw bytes and returns everything the server answers until it
/// closes, as text.
pub async fn http_exchange(addr: SocketAddr, request: &[u8]) -> String {
    String::from_utf8_lossy(&exchange(addr, request).await).into_owned()
}

/// Shares a component between the server and the test.
pub fn shared<C>(component: C) -> Arc<C> {
    Arc::new(component)
}

/// A mebibyte.
pub const MIB: usize = 1 << 20;

/// A compressed message of `mib` MiB of zeros, as pieces that each inflate
/// to 1 MiB: the first compressed on an empty window, then one piece
/// compressed on a window of zeros, repeated (its back references find
/// zeros wherever it lands). Joined with the sync flush's trailer and
/// without the last one, as a message is sent (RFC 7692 §7.2.1).
pub fn zero_bomb_pieces(mib: usize) -> Vec<Vec<u8>> {
    let zeros = vec![0u8; MIB];
    let mut deflater = Deflater::new(9, 15);
    let first = deflater.compress(&zeros, false);
    let steady = deflater.compress(&zeros, false);
    let mut pieces = vec![first];
    for _ in 1..mib {
        let mut piece = TRAILER.to_vec();
        piece.extend_from_slice(&steady);
        pieces.push(piece);
    }
    pieces
}

/// The echo example (`examples/echo.rs`), which `cargo test` builds beside
/// the test binaries (`cargo build -p capstan --example echo` first when
/// testing one file alone).
pub fn echo_binary() -> std::path::PathBuf {
    // target/debug/deps/<test>-… → target/debug/examples/echo; when the
    // build dir is set apart (CARGO_BUILD_BUILD_DIR, as
    // scripts/deps-update-check.sh does), examples land in
    // $CARGO_TARGET_DIR/debug instead.
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let artifacts =
        match (std::env::var_os("CARGO_BUILD_BUILD_DIR"), std::env::var_os("CARGO_TARGET_DIR")) {
            (Some(_), Some(target)) => {
                std::path::Path::new(&target).join(profile_dir.file_name().expect("a profile"))
            }
            _ => profile_dir.to_path_buf(),
        };
    let path = artifacts.join("examples/echo");
    assert!(path.exists(), "no {} (cargo build -p capstan --example echo)", path.display());
    path
}

/// Starts the echo example on an ephemeral port with `env` set; the
/// process (killed when dropped) and its address.
pub fn spawn_echo(env: &[(&str, &str)]) -> (Process, SocketAddr) {
    let mut command = std::process::Command::new(echo_binary());
    command.arg("127.0.0.1:0").envs(env.iter().copied());
    let echo = Process::start(&mut command, WAIT).expect("start the echo example");
    // "echo server on ws://127.0.0.1:PORT"
    let addr = echo.address();
    (echo, addr)
}

/// A memory figure of a process (`"self"` or a pid) from
/// /proc/PROCESS/status, `field` such as `"VmRSS"` or `"VmHWM"`, in bytes.
pub fn proc_memory(process: &str, field: &str) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.strip_prefix(field).is_some_and(|rest| rest.starts_with(':')))
        .unwrap_or_else(|| panic!("no {field} in /proc/{process}/status"));
    line.split_whitespace().nth(1).unwrap().parse::<usize>().unwrap() * 1024
}
