//! Helpers for the chat's protocol tests: a server in-process on an
//! ephemeral port over a temporary database, and a WebSocket client that
//! speaks envelopes. Every wait is bounded by [`WAIT`]: a hang fails.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use capstan_chat::{ChatServer, Config};
use capstan_testkit::http::{self, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};

pub use capstan_testkit::wait::WAIT;

/// A configuration for tests: loopback, ephemeral port, `db`, and a rate
/// limit high enough never to get in the way.
pub fn config(db: &Path) -> Config {
    Config {
        bind: [127, 0, 0, 1].into(),
        port: 0,
        db: db.to_path_buf(),
        rate: 10_000.0,
        burst: 10_000,
        ..Config::defaults()
    }
}

/// A temporary directory holding `chat.db`.
pub struct TestDb {
    dir: tempfile::TempDir,
}

impl TestDb {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("a temporary directory") }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("chat.db")
    }

    pub fn config(&self) -> Config {
        config(&self.path())
    }
}

/// A chat server running in-process.
pub struct Server {
    pub addr: SocketAddr,
    /// The server API of this server (`ChatServer::api`).
    pub api: capstan_api::Api,
    shutdown: capstan::ShutdownHandle,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    pub async fn start(config: &Config) -> Self {
        let server = ChatServer::bind(config).await.expect("bind the chat server");
        let addr = server.local_addr().unwrap();
        let shutdown = server.shutdown_handle();
        let api = server.api();
        let task = tokio::spawn(server.run_until(std::future::pending()));
        Self { addr, api, shutdown, task }
    }

    /// Shuts down and waits until the store has finished writing.
    pub async fn stop(self) {
        self.shutdown.shutdown();
        let result = tokio::time::timeout(WAIT, self.task).await.expect("server stops in time");
        result.expect("server task").expect("server returns Ok");
    }

    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{}", self.addr, path)
    }

    /// A client connected at `/ws`.
    pub async fn client(&self) -> Client {
        Client::connect(self.addr, "/ws", None).await.expect("WebSocket handshake")
    }

    /// A client connected at `/ws` that took `name`; returns the data of
    /// the `add_user` answer too.
    pub async fn named(&self, name: &str) -> (Client, Value) {
        let mut client = self.client().await;
        let answer = client.add_user(json!({ "username": name })).await;
        (client, answer)
    }
}

/// What arrived on a client's socket.
#[derive(Debug)]
pub enum Event {
    /// An envelope: `{"type": ..., "data": ...}`.
    Envelope(Value),
    /// A close frame, with its code if it had one.
    Closed(Option<u16>),
    /// The stream ended (after a close frame, or without one).
    Ended,
    /// The connection failed.
    Failed(String),
}

enum Command {
    Send(Message),
    Abort,
}

/// A WebSocket client speaking envelopes. A task owns the socket and keeps
/// reading it, so that the server's close frames are answered (and its
/// shutdown never waits on a test), and forwards what arrives.
pub struct Client {
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::UnboundedReceiver<Event>,
}

impl Client {
    /// Connects to `path`, optionally with an `Origin` header.
    pub async fn connect(
        addr: SocketAddr,
        path: &str,
        origin: Option<&str>,
    ) -> Result<Self, tungstenite::Error> {
        let headers: Vec<(&str, &str)> = origin.map(|o| ("origin", o)).into_iter().collect();
        Self::connect_with(addr, path, &headers).await
    }

    /// Connects to `path` with extra request headers (`Cookie`, …).
    pub async fn connect_with(
        addr: SocketAddr,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Self, tungstenite::Error> {
        let mut request = format!("ws://{addr}{path}").into_client_request()?;
        for (name, value) in headers {
            let name = tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
            request.headers_mut().insert(name, HeaderValue::from_str(value).unwrap());
        }
        let stream = TcpStream::connect(addr).await.expect("TCP connect");
        let (ws, _response) =
            tokio::time::timeout(WAIT, tokio_tungstenite::client_async(request, stream))
                .await
                .expect("handshake in time")?;
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        tokio::spawn(pump(ws, commands_rx, events_tx));
        Ok(Self { commands, events })
    }

    /// Sends `{"type": kind, "data": data}`.
    pub async fn send(&mut self, kind: &str, data: Value) {
        self.send_text(json!({ "type": kind, "data": data }).to_string()).await;
    }

    /// Sends a text frame as is.
    pub async fn send_text(&mut self, text: impl Into<String>) {
        self.send_frame(Message::text(text.into())).await;
    }

    /// Sends any WebSocket message (in order with the others).
    pub async fn send_frame(&mut self, message: Message) {
        let _ = self.commands.send(Command::Send(message));
    }

    /// The next envelope, close frame or end (pings and pongs skipped).
    pub async fn next_event(&mut self) -> Event {
        tokio::time::timeout(WAIT, self.events.recv())
            .await
            .expect("no event arrived in time")
            .unwrap_or(Event::Ended)
    }

    /// The next envelope, whatever its type.
    pub async fn next(&mut self) -> Value {
        match self.next_event().await {
            Event::Envelope(value) => value,
            other => panic!("{other:?} while waiting for an envelope"),
        }
    }

    /// The data of the next envelope of type `kind` (others skipped).
    pub async fn expect(&mut self, kind: &str) -> Value {
        self.expect_where(kind, |_| true).await
    }

    /// The data of the next envelope of type `kind` whose data satisfies
    /// `pred` (others skipped).
    pub async fn expect_where(&mut self, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let wait = async {
            loop {
                let envelope = self.next().await;
                if envelope["type"] == kind && pred(&envelope["data"]) {
                    return envelope["data"].clone();
                }
            }
        };
        tokio::time::timeout(WAIT, wait)
            .await
            .unwrap_or_else(|_| panic!("no {kind} arrived in time"))
    }

    /// The next envelope whose type is one of `kinds` (others skipped).
    pub async fn expect_any(&mut self, kinds: &[&str]) -> Value {
        let wait = async {
            loop {
                let envelope = self.next().await;
                if kinds.iter().any(|k| envelope["type"] == *k) {
                    return envelope;
                }
            }
        };
        tokio::time::timeout(WAIT, wait)
            .await
            .unwrap_or_else(|_| panic!("none of {kinds:?} arrived in time"))
    }

    /// The next `error` (others skipped).
    pub async fn expect_error(&mut self) -> Value {
        self.expect("error").await
    }

    /// Skips envelopes until the close frame; returns its code.
    pub async fn expect_close(&mut self) -> Option<u16> {
        let wait = async {
            loop {
                match self.next_event().await {
                    Event::Envelope(_) => {}
                    Event::Closed(code) => return code,
                    other => panic!("{other:?} instead of a close frame"),
                }
            }
        };
        tokio::time::timeout(WAIT, wait).await.expect("no close frame arrived in time")
    }

    /// Sends `add_user` with `data` and returns the answer's data.
    pub async fn add_user(&mut self, data: Value) -> Value {
        self.send("add_user", data).await;
        self.expect("add_user").await
    }

    /// Posts `content` to `room` with a client id and waits for its ack;
    /// returns the ack's data.
    pub async fn post(&mut self, room: &str, content: &str, client_id: &str) -> Value {
        self.send("message", json!({ "room": room, "content": content, "client_id": client_id }))
            .await;
        self.expect_where("ack", |d| d["client_id"] == client_id).await
    }

    /// Sends a request and returns the data of its answer (`joined` for
    /// `join`, `left` for `leave`, `renamed` for `rename_user`, `blocked` and
    /// `unblocked` for `block` and `unblock`, else the request's own type).
    pub async fn ask(&mut self, kind: &str, data: Value) -> Value {
        let answer = match kind {
            "join" => "joined",
            "leave" => "left",
            "rename_user" => "renamed",
            "block" => "blocked",
            "unblock" => "unblocked",
            other => other,
        };
        self.send(kind, data).await;
        self.expect(answer).await
    }

    /// Drops the connection without a close handshake, with a TCP reset.
    pub fn abort(self) {
        let _ = self.commands.send(Command::Abort);
    }

    /// Drops the connection without a close handshake (TCP FIN), after
    /// what was sent.
    pub fn drop_tcp(self) {
        drop(self);
    }
}

/// Owns the socket: sends what the test asks, forwards what arrives, and
/// answers close frames (tungstenite replies while reading on).
async fn pump(
    mut ws: WebSocketStream<TcpStream>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
) {
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                Some(Command::Send(message)) => {
                    if let Err(error) = ws.send(message).await {
                        let _ = events.send(Event::Failed(format!("send: {error}")));
                    }
                }
                Some(Command::Abort) => {
                    ws.get_ref().set_zero_linger().expect("SO_LINGER 0");
                    return;
                }
                // The test dropped the client: close the socket (FIN).
                None => return,
            },
            incoming = ws.next() => {
                let event = match incoming {
                    // A wrong answer is reported to the test as an event
                    // (a panic here would only end this task).
                    Some(Ok(Message::Text(text))) => match serde_json::from_str::<Value>(&text) {
                        Ok(value) if value["type"].is_string() => Event::Envelope(value),
                        Ok(value) => Event::Failed(format!("an envelope without a type: {value}")),
                        Err(error) => Event::Failed(format!("not JSON ({error}): {text}")),
                    },
                    Some(Ok(Message::Close(frame))) => Event::Closed(frame.map(|f| u16::from(f.code))),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(other)) => Event::Failed(format!("unexpected frame: {other:?}")),
                    Some(Err(tungstenite::Error::ConnectionClosed)) | None => {
                        let _ = events.send(Event::Ended);
                        return;
                    }
                    Some(Err(error)) => {
                        let _ = events.send(Event::Failed(error.to_string()));
                        return;
                    }
                };
                let _ = events.send(event);
            }
        }
    }
}

/// Checks that `created` is RFC 3339 UTC with milliseconds,
/// `2026-11-26T12:00:00.123Z`.
/// Checks a message's times: `created`, whole seconds since the epoch (as
/// the classic demo sent it), and `created_at`, the same instant in RFC
/// 3339 with milliseconds.
pub fn assert_created(message: &Value) {
    let seconds = message["created"].as_i64().unwrap_or_else(|| panic!("created: {message}"));
    assert!(seconds > 1_700_000_000, "created {seconds} is a Unix time in seconds");
    assert_rfc3339(&message["created_at"]);
    let at = message["created_at"].as_str().unwrap();
    let day_seconds = seconds.rem_euclid(86_400);
    let (h, m, s) = (day_seconds / 3600, day_seconds % 3600 / 60, day_seconds % 60);
    assert_eq!(&at[11..19], format!("{h:02}:{m:02}:{s:02}"), "created and created_at: {message}");
}

fn assert_rfc3339(value: &Value) {
    let created = value.as_str().unwrap_or_else(|| panic!("created_at is not a string: {value}"));
    let bytes = created.as_bytes();
    assert_eq!(bytes.len(), 24, "created {created:?}");
    for (i, b) in bytes.iter().enumerate() {
        let expected = match i {
            4 | 7 => b'-',
            10 => b'T',
            13 | 16 => b':',
            19 => b'.',
            23 => b'Z',
            _ => {
                assert!(b.is_ascii_digit(), "created {created:?}");
                continue;
            }
        };
        assert_eq!(*b, expected, "created {created:?}");
    }
    let number = |range: std::ops::Range<usize>| created[range].parse::<u32>().unwrap();
    assert!(number(0..4) >= 2024, "created {created:?}");
    assert!((1..=12).contains(&number(5..7)), "created {created:?}");
    assert!((1..=31).contains(&number(8..10)), "created {created:?}");
    assert!(number(11..13) < 24 && number(14..16) < 60 && number(17..19) < 61);
}

/// A stored message without its `created` (checked), for exact comparison.
pub fn strip_created(message: &Value) -> Value {
    assert_created(message);
    let mut message = message.clone();
    message.as_object_mut().unwrap().remove("created");
    message.as_object_mut().unwrap().remove("created_at");
    message
}

/// The ids of a list of messages.
pub fn ids(messages: &Value) -> Vec<u64> {
    messages.as_array().expect("a list").iter().map(|m| m["id"].as_u64().unwrap()).collect()
}

/// The contents of a list of messages.
pub fn contents(messages: &Value) -> Vec<String> {
    messages
        .as_array()
        .expect("a list")
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}

/// `GET path` over a fresh connection (`Connection: close`): the whole
/// answer, which must end with a clean close.
pub async fn http_get(addr: SocketAddr, path: &str) -> Response {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    http::read_until_closed(&mut stream, &mut raw).await.expect("the answer, then a clean close");
    Response::parse(&raw)
}

/// Another program holding the database's write lock (as `sqlite3` in a
/// transaction would): the server's writes wait, then fail.
pub struct DbLock(rusqlite::Connection);

impl DbLock {
    pub fn take(db: &Path) -> Self {
        let conn = rusqlite::Connection::open(db).expect("open the database");
        conn.execute_batch("BEGIN IMMEDIATE").expect("take the write lock");
        Self(conn)
    }

    pub fn release(self) {
        self.0.execute_batch("COMMIT").expect("release the write lock");
    }
}

/// Whether a `presence` message's data tells of `user`'s `event`.
pub fn has_change(presence: &Value, user: &str, event: &str) -> bool {
    presence["changes"]
        .as_array()
        .is_some_and(|changes| changes.iter().any(|c| c["user"] == user && c["event"] == event))
}

impl Client {
    /// Waits until told of `user`'s `event` (`join`, `leave`, `rename`) in
    /// `room`; returns the change, and the data of the `presence` message
    /// it came in (several changes may come in one).
    pub async fn expect_change(&mut self, room: &str, user: &str, event: &str) -> (Value, Value) {
        let presence = self
            .expect_where("presence", |d| d["room"] == room && has_change(d, user, event))
            .await;
        let change = presence["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["user"] == user && c["event"] == event)
            .unwrap()
            .clone();
        (change, presence)
    }
}
