//! A connection's life over real sockets: graceful shutdown, keepalive,
//! idle timeout, callbacks that await, per-connection attributes.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use capstan::ws::{CloseFrame, Event, OpCode};
use capstan::{
    CloseCause, CloseCode, Component, Conn, HttpServer, Message, ServerConfig, Timeout, WsConfig,
    WsServer,
};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc};

/// A WebSocket layer around `app` with `config`, inside the HTTP layer.
fn ws<A: Component>(app: A, config: WsConfig) -> HttpServer<WsServer<A>> {
    HttpServer::new(WsServer::with_config(app, config))
}

/// Waits for the server's close frame (skipping anything before it).
async fn read_close(client: &mut Client) -> CloseFrame {
    loop {
        match client.next_event().await {
            Some(Event::Close(Some(frame))) => return frame,
            Some(Event::Close(None)) => panic!("close frame without a code"),
            Some(_) => continue,
            None => panic!("connection closed without a close frame"),
        }
    }
}

/// Answers the server's close frame with `code`, then checks the server
/// closes the socket.
async fn answer_close(client: &mut Client, code: u16) {
    client.send_frame(OpCode::Close, true, &code.to_be_bytes()).await;
    assert_eq!(client.next_event().await, None, "socket closes after the close handshake");
    let _ = client.stream.shutdown().await;
}

/// Waits for `n` connections to be opened, returning their handles in order.
async fn opened(seen: &mut mpsc::UnboundedReceiver<Seen>, n: usize) -> Vec<Conn> {
    let mut conns = Vec::new();
    while conns.len() < n {
        match next_seen(seen).await {
            Seen::Open(conn) => conns.push(conn),
            other => panic!("expected an open, got {other:?}"),
        }
    }
    conns
}

/// Tries a WebSocket handshake: true if the server answered 101, false if
/// the connection was refused, reset or closed without one.
async fn upgrades(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return false;
    };
    if stream.write_all(upgrade_request("/", "").as_bytes()).await.is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        let read =
            tokio::time::timeout(WAIT, stream.read(&mut chunk)).await.expect("answer in time");
        match read {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
        }
        if answer.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    answer.starts_with(b"HTTP/1.1 101")
}

// ---------------------------------------------------------------------------
// Graceful shutdown
// ---------------------------------------------------------------------------

#[tokio::test]
async fn shutdown_closes_every_connection_with_1001_and_returns() {
    let (recorder, mut seen) = Recorder::new(true);
    let server = TestServer::start(ws(recorder, WsConfig::default())).await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(Client::connect(server.addr, "/").await);
    }
    let conns = opened(&mut seen, 3).await;

    server.shutdown.shutdown();
    for client in &mut clients {
        let frame = read_close(client).await;
        assert_eq!(frame.code, CloseCode::GOING_AWAY);
    }
    for client in &mut clients {
        answer_close(client, 1001).await;
    }
    drop(clients);
    server.stop().await;

    let mut closed = Vec::new();
    for _ in 0..3 {
        match next_seen(&mut seen).await {
            Seen::Close(conn, info) => {
                assert_eq!(info.cause, CloseCause::ServerShutdown);
                assert_eq!(info.code, CloseCode::GOING_AWAY);
                closed.push(conn.id());
            }
            other => panic!("expected a close, got {other:?}"),
        }
    }
    closed.sort();
    let mut ids: Vec<_> = conns.iter().map(Conn::id).collect();
    ids.sort();
    assert_eq!(closed, ids, "on_close once for each connection");
}

#[tokio::test]
async fn shutdown_does_not_wait_for_a_client_that_never_answers_the_close() {
    let (recorder, mut seen) = Recorder::new(true);
    let config = WsConfig { close_timeout: Duration::from_millis(200), ..WsConfig::default() };
    let server_config =
        ServerConfig { drain_timeout: Duration::from_secs(2), ..Default::default() };
    let server = TestServer::start_with(ws(recorder, config), server_config).await;
    let mut silent = Client::connect(server.addr, "/").await;
    let mut polite = Client::connect(server.addr, "/").await;
    opened(&mut seen, 2).await;

    server.shutdown.shutdown();
    assert_eq!(read_close(&mut polite).await.code, CloseCode::GOING_AWAY);
    answer_close(&mut polite, 1001).await;
    assert_eq!(read_close(&mut silent).await.code, CloseCode::GOING_AWAY);
    // `silent` never answers; the close timeout ends its connection.
    tokio::time::timeout(WAIT, server.task).await.expect("server returns").unwrap().unwrap();

    // The server returned because both connections ended (not because it
    // gave up draining them): both on_close calls came before it returned.
    for _ in 0..2 {
        match seen.try_recv() {
            Ok(Seen::Close(_, info)) => assert_eq!(info.cause, CloseCause::ServerShutdown),
            other => panic!("expected a close before the server returned, got {other:?}"),
        }
    }
    assert_eq!(silent.next_event().await, None, "the silent client's socket is closed");
}

#[tokio::test]
async fn drain_timeout_bounds_shutdown_when_close_timeout_is_long() {
    let (recorder, mut seen) = Recorder::new(true);
    // The close timeout alone would keep the connection for a minute.
    let config = WsConfig { close_timeout: Duration::from_secs(60), ..WsConfig::default() };
    let server_config =
        ServerConfig { drain_timeout: Duration::from_millis(300), ..Default::default() };
    let server = TestServer::start_with(ws(recorder, config), server_config).await;
    let mut silent = Client::connect(server.addr, "/").await;
    opened(&mut seen, 1).await;

    server.shutdown.shutdown();
    assert_eq!(read_close(&mut silent).await.code, CloseCode::GOING_AWAY);
    tokio::time::timeout(WAIT, server.task).await.expect("server returns").unwrap().unwrap();
}

#[tokio::test]
async fn new_connections_are_refused_while_draining() {
    let (recorder, mut seen) = Recorder::new(true);
    // A client that does not answer keeps the server draining.
    let config = WsConfig { close_timeout: Duration::from_secs(5), ..WsConfig::default() };
    let server_config =
        ServerConfig { drain_timeout: Duration::from_secs(5), ..Default::default() };
    let server = TestServer::start_with(ws(recorder, config), server_config).await;
    let mut draining = Client::connect(server.addr, "/").await;
    opened(&mut seen, 1).await;
    assert!(upgrades(server.addr).await, "upgrades before shutdown");
    opened(&mut seen, 1).await;
    assert_eq!(next_close(&mut seen).await.cause, CloseCause::ConnectionLost);

    server.shutdown.shutdown();
    assert_eq!(read_close(&mut draining).await.code, CloseCode::GOING_AWAY);
    for _ in 0..3 {
        assert!(!upgrades(server.addr).await, "a new connection was upgraded during shutdown");
    }
    answer_close(&mut draining, 1001).await;
    drop(draining);
    let addr = server.addr;
    server.stop().await;
    assert!(!upgrades(addr).await, "a new connection was upgraded after shutdown");
    assert_eq!(next_close(&mut seen).await.cause, CloseCause::ServerShutdown);
    assert!(seen.try_recv().is_err(), "no connection was opened during shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn new_connections_are_refused_right_after_shutdown_starts() {
    // The window is short: try it many times.
    for round in 0..50 {
        let (recorder, mut seen) = Recorder::new(true);
        let config = WsConfig { close_timeout: Duration::from_secs(5), ..WsConfig::default() };
        let server = TestServer::start(ws(recorder, config)).await;
        let mut draining = Client::connect(server.addr, "/").await;
        opened(&mut seen, 1).await;

        server.shutdown.shutdown();
        assert!(!upgrades(server.addr).await, "upgraded after shutdown() in round {round}");

        assert_eq!(read_close(&mut draining).await.code, CloseCode::GOING_AWAY);
        answer_close(&mut draining, 1001).await;
        drop(draining);
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------
// Keepalive and idle timeout
// ---------------------------------------------------------------------------

/// Pings every 100 ms, a pong awaited `pong_timeout`.
fn keepalive_config(pong_timeout: Duration) -> WsConfig {
    WsConfig {
        ping_interval: Some(Duration::from_millis(100)),
        pong_timeout,
        ..WsConfig::default()
    }
}

#[tokio::test]
async fn keepalive_keeps_a_connection_that_answers_pings() {
    let (recorder, mut seen) = Recorder::new(true);
    // A pong may come late on a loaded machine: 3 s for it. The server
    // pings again only once its ping was answered, so four pings in a row
    // show that each pong was taken (else: one ping, then the drop).
    let server = TestServer::start(ws(recorder, keepalive_config(Duration::from_secs(3)))).await;
    let mut client = Client::connect(server.addr, "/").await;
    opened(&mut seen, 1).await;

    let mut pings = 0;
    while pings < 4 {
        match client.next_event().await {
            Some(Event::Ping(payload)) => {
                pings += 1;
                client.send_frame(OpCode::Pong, true, &payload).await;
            }
            other => panic!("expected a ping, got {other:?}"),
        }
    }
    // Still open: a message goes through and nothing was closed.
    client.send_frame(OpCode::Text, true, b"still here").await;
    assert_eq!(client.next_message().await, Message::text("still here"));
    match next_seen(&mut seen).await {
        Seen::Message(_, message) => assert_eq!(message, Message::text("still here")),
        other => panic!("expected the message, got {other:?}"),
    }

    client.send_frame(OpCode::Close, true, &1000u16.to_be_bytes()).await;
    assert_eq!(client.expect_close().await.unwrap().code, CloseCode::NORMAL);
    let info = next_close(&mut seen).await;
    assert_eq!(info.cause, CloseCause::PeerClosed);
    server.stop().await;
}

#[tokio::test]
async fn keepalive_drops_a_connection_that_does_not_answer() {
    let (recorder, mut seen) = Recorder::new(true);
    // Short: nothing here can come late (the client never answers).
    let config = keepalive_config(Duration::from_millis(200));
    let server = TestServer::start(ws(recorder, config)).await;
    let mut client = Client::connect(server.addr, "/").await;
    opened(&mut seen, 1).await;

    assert!(matches!(client.next_event().await, Some(Event::Ping(_))));
    // Never answer: the server drops the connection without a close frame.
    assert_eq!(client.next_event().await, None, "dropped after the pong timeout");
    let info = next_close(&mut seen).await;
    assert_eq!(info.cause, CloseCause::TimedOut(Timeout::Keepalive));
    assert_eq!(info.code, CloseCode::ABNORMAL);
    server.stop().await;
}

#[tokio::test]
async fn idle_timeout_closes_a_silent_connection_with_1001() {
    let (recorder, mut seen) = Recorder::new(true);
    let config = WsConfig {
        idle_timeout: Some(Duration::from_millis(200)),
        ping_interval: None,
        ..WsConfig::default()
    };
    let server = TestServer::start(ws(recorder, config)).await;
    let mut client = Client::connect(server.addr, "/").await;
    opened(&mut seen, 1).await;

    assert_eq!(read_close(&mut client).await.code, CloseCode::GOING_AWAY);
    answer_close(&mut client, 1001).await;
    let info = next_close(&mut seen).await;
    assert_eq!(info.cause, CloseCause::TimedOut(Timeout::Idle));
    assert_eq!(info.code, CloseCode::GOING_AWAY);
    server.stop().await;
}

// ---------------------------------------------------------------------------
// Callbacks that await
// ---------------------------------------------------------------------------

#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// The "slow" handler sent its first message and is waiting.
    SlowWaiting,
    /// The "slow" handler was released and finished.
    SlowDone,
}

/// Echoes messages; "slow" first sends "before-wait", then waits for the
/// gate, then echoes "slow".
struct Gated {
    gate: Notify,
    steps: mpsc::UnboundedSender<Step>,
}

impl Component for Gated {
    async fn on_message(&self, conn: &Conn, message: Message) {
        if message.as_text() == Some("slow") {
            conn.send_text("before-wait").unwrap();
            let _ = self.steps.send(Step::SlowWaiting);
            self.gate.notified().await;
            conn.send(message).unwrap();
            let _ = self.steps.send(Step::SlowDone);
        } else {
            conn.send(message).unwrap();
        }
    }
}

fn gated() -> (Arc<Gated>, mpsc::UnboundedReceiver<Step>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (shared(Gated { gate: Notify::new(), steps: tx }), rx)
}

async fn next_step(steps: &mut mpsc::UnboundedReceiver<Step>) -> Step {
    tokio::time::timeout(WAIT, steps.recv()).await.expect("step in time").expect("app alive")
}

#[tokio::test]
async fn a_slow_handler_does_not_stall_other_connections() {
    let (app, mut steps) = gated();
    let server = TestServer::start(ws(app.clone(), WsConfig::default())).await;
    let mut a = Client::connect(server.addr, "/").await;
    let mut b = Client::connect(server.addr, "/").await;

    a.send_frame(OpCode::Text, true, b"slow").await;
    assert_eq!(next_step(&mut steps).await, Step::SlowWaiting);
    // A's next message waits behind its pending handler.
    a.send_frame(OpCode::Text, true, b"next").await;

    b.send_frame(OpCode::Text, true, b"fast").await;
    assert_eq!(b.next_message().await, Message::text("fast"));
    assert!(steps.try_recv().is_err(), "A's handler is still pending");

    app.gate.notify_one();
    assert_eq!(a.next_message().await, Message::text("before-wait"));
    assert_eq!(a.next_message().await, Message::text("slow"));
    assert_eq!(a.next_message().await, Message::text("next"), "handled after the slow one");
    assert_eq!(next_step(&mut steps).await, Step::SlowDone);
    drop((a, b));
    server.stop().await;
}

#[tokio::test]
async fn an_awaiting_callback_does_not_stop_its_connections_output() {
    let (app, mut steps) = gated();
    let server = TestServer::start(ws(app.clone(), WsConfig::default())).await;
    let mut client = Client::connect(server.addr, "/").await;

    client.send_frame(OpCode::Text, true, b"slow").await;
    assert_eq!(client.next_message().await, Message::text("before-wait"));
    assert_eq!(next_step(&mut steps).await, Step::SlowWaiting);
    assert!(steps.try_recv().is_err(), "the handler is still pending");

    app.gate.notify_one();
    assert_eq!(client.next_message().await, Message::text("slow"));
    assert_eq!(next_step(&mut steps).await, Step::SlowDone);
    drop(client);
    server.stop().await;
}

// ---------------------------------------------------------------------------
// Per-connection attributes
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Name(String);

/// Names each connection from its `?name=` and signs its echoes with it.
struct Signer;

impl Component for Signer {
    async fn on_open(&self, conn: &Conn) {
        let name = conn.request().query_param("name").unwrap_or_default().into_owned();
        assert!(conn.attributes().insert(Name(name)).is_none());
    }

    async fn on_message(&self, conn: &Conn, message: Message) {
        let name = conn.attributes().get::<Name>().map_or_else(|| "?".into(), |n| n.0);
        let text = message.as_text().unwrap_or("");
        conn.send_text(format!("{name}: {text}")).unwrap();
    }
}

#[tokio::test]
async fn attributes_set_on_open_are_read_back_per_connection() {
    let server = TestServer::start(ws(Signer, WsConfig::default())).await;
    let mut alice = Client::connect(server.addr, "/?name=alice").await;
    let mut bob = Client::connect(server.addr, "/?name=bob").await;

    bob.send_frame(OpCode::Text, true, b"hi").await;
    alice.send_frame(OpCode::Text, true, b"hello").await;
    assert_eq!(alice.next_message().await, Message::text("alice: hello"));
    assert_eq!(bob.next_message().await, Message::text("bob: hi"));
    alice.send_frame(OpCode::Text, true, b"again").await;
    assert_eq!(alice.next_message().await, Message::text("alice: again"));
    drop((alice, bob));
    server.stop().await;
}
