//! Helpers shared by the integration tests: a server on an ephemeral port,
//! a component that records what it sees, and a raw client that speaks
//! frames byte by byte (to send what well-behaved clients never send).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use capstan::http::HttpComponent;
use capstan::ws::deflate::{Deflater, TRAILER};
use capstan::ws::{Decoder, Event, Limits, OpCode, Role, encode_client_frame};
use capstan::{
    CloseInfo, Component, Conn, ConnError, HttpServer, IoServer, Message, ServerConfig,
    ShutdownHandle,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Upper bound for any single wait in a test (a hang fails, it never passes).
pub const WAIT: Duration = Duration::from_secs(10);

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

pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// A client on a bare TCP socket that writes frames by hand.
pub struct RawClient {
    pub stream: TcpStream,
    decoder: Decoder,
    buf: BytesMut,
}

/// The handshake request a well-behaved client sends.
pub fn upgrade_request(path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// Sends raw bytes and returns everything the server answers until it closes.
pub async fn http_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ =
        tokio::time::timeout(WAIT, stream.read_to_end(&mut answer)).await.expect("server closes");
    String::from_utf8_lossy(&answer).into_owned()
}

impl RawClient {
    /// Connects and completes the handshake for `path`.
    pub async fn connect(addr: SocketAddr, path: &str) -> Self {
        Self::connect_with(addr, path, "").await
    }

    /// Connects and completes the handshake for `path`, with `extra` header
    /// lines (each ending in CRLF).
    pub async fn connect_with(addr: SocketAddr, path: &str, extra: &str) -> Self {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(upgrade_request(path, extra).as_bytes()).await.unwrap();
        let mut buf = BytesMut::with_capacity(1024);
        loop {
            let n = tokio::time::timeout(WAIT, stream.read_buf(&mut buf)).await.unwrap().unwrap();
            assert!(n > 0, "server closed during the handshake");
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                assert!(head.starts_with("HTTP/1.1 101"), "not upgraded: {head}");
                let _ = buf.split_to(end + 4);
                break;
            }
        }
        let limits = Limits { max_frame_size: usize::MAX, max_message_size: usize::MAX };
        Self { stream, decoder: Decoder::new(Role::Client, limits), buf }
    }

    /// Sends a masked frame.
    pub async fn send_frame(&mut self, opcode: OpCode, fin: bool, payload: &[u8]) {
        let frame = encode_client_frame(opcode, fin, payload, [1, 2, 3, 4]);
        self.stream.write_all(&frame).await.unwrap();
    }

    /// Sends bytes as they are.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next event from the server, or `None` when it closed the socket.
    pub async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) =
                self.decoder.decode(&mut self.buf).expect("server frames are valid")
            {
                return Some(event);
            }
            let read = tokio::time::timeout(WAIT, self.stream.read_buf(&mut self.buf))
                .await
                .expect("server answers in time");
            match read {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// The next data message, skipping pings and pongs.
    pub async fn next_message(&mut self) -> Message {
        loop {
            match self.next_event().await {
                Some(Event::Message(message)) => return message,
                Some(Event::Ping(_) | Event::Pong(_)) => continue,
                other => panic!("expected a message, got {other:?}"),
            }
        }
    }

    /// The server's close frame (skipping anything before it); then checks
    /// the server closes the TCP connection too.
    pub async fn expect_close(&mut self) -> Option<capstan::ws::CloseFrame> {
        loop {
            match self.next_event().await {
                Some(Event::Close(frame)) => {
                    assert_eq!(
                        self.next_event().await,
                        None,
                        "socket closes after the close frame"
                    );
                    let _ = self.stream.shutdown().await;
                    return frame;
                }
                Some(_) => continue,
                None => panic!("connection closed without a close frame"),
            }
        }
    }
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
    // target/debug/deps/<test>-… → target/debug/examples/echo
    let exe = std::env::current_exe().expect("the test binary's path");
    let path = exe.parent().and_then(|d| d.parent()).expect("target dir").join("examples/echo");
    assert!(path.exists(), "no {} (cargo build -p capstan --example echo)", path.display());
    path
}

/// Starts the echo example on an ephemeral port with `env` set; the
/// process and its address. The rest of its output is drained (a closed
/// pipe would fail the server's prints).
pub fn spawn_echo(env: &[(&str, &str)]) -> (std::process::Child, SocketAddr) {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(echo_binary())
        .arg("127.0.0.1:0")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the echo example");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).expect("its first line");
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    // "echo server on ws://127.0.0.1:PORT"
    let addr = line.trim().rsplit("ws://").next().and_then(|a| a.parse().ok());
    let addr = addr.unwrap_or_else(|| panic!("no address in {line:?}"));
    (child, addr)
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
