//! The process-wide counters (`capstan::stats`) over real sockets: they
//! move as connections open, exchange messages, publish, get refused and
//! close for their causes. One test in a binary of its own, so that no
//! other test counts in this process and each step's deltas are exact.
#![cfg(feature = "metrics")]

mod common;

use std::future::Future;
use std::time::Duration;

use capstan::stats::{self, CloseKind, Snapshot};
use capstan::ws::{Event, OpCode};
use capstan::{CloseCode, Component, Conn, HttpServer, Message, Topics, WsConfig, WsServer};
use capstan_testkit::http::exchange;
use capstan_testkit::wait::within;
use common::*;
use tokio::sync::mpsc;

/// Echoes text; `sub` subscribes to the topic "room", `pub:…` publishes
/// there, `bye` closes from the server, `big` sends 32 MiB. Reports each
/// open.
struct App {
    topics: Topics,
    opened: mpsc::UnboundedSender<()>,
}

impl Component for App {
    async fn on_open(&self, _conn: &Conn) {
        let _ = self.opened.send(());
    }

    async fn on_message(&self, conn: &Conn, message: Message) {
        let text = message.as_text().unwrap_or_default().to_owned();
        match text.as_str() {
            "sub" => {
                self.topics.subscribe("room", conn);
                let _ = conn.send_text("subscribed");
            }
            "bye" => conn.close(CloseCode::NORMAL, "bye"),
            "big" => {
                let _ = conn.send_binary(vec![0u8; 32 << 20]);
            }
            _ if text.starts_with("pub:") => {
                let _ = self.topics.publish("room", message, &[]);
            }
            _ => {
                let _ = conn.send(message);
            }
        }
    }
}

/// Waits until `done` holds of a fresh snapshot (each counter moves a
/// moment after what the client sees: the server counts a close once its
/// task ends).
async fn until(what: &str, done: impl Fn(&Snapshot) -> bool) -> Snapshot {
    within(what, async {
        loop {
            let now = stats::snapshot();
            if done(&now) {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

async fn opened(rx: &mut mpsc::UnboundedReceiver<()>) {
    within("on_open", rx.recv()).await.expect("server alive");
}

async fn step<T>(what: &str, f: impl Future<Output = T>) -> T {
    within(what, f).await
}

#[tokio::test]
async fn counters_follow_connections_messages_rejections_and_closes() {
    let (tx, mut open_rx) = mpsc::unbounded_channel();
    let app = App { topics: Topics::new(), opened: tx };
    let config = WsConfig {
        max_outbound_bytes: 64 << 10,
        close_timeout: Duration::from_secs(60),
        ..WsConfig::default()
    };
    let server = TestServer::start(HttpServer::new(WsServer::with_config(app, config))).await;
    let start = stats::snapshot();
    assert!(start.enabled);

    // Two connections open.
    let mut a = Client::connect(server.addr, "/").await;
    let mut b = Client::connect(server.addr, "/").await;
    opened(&mut open_rx).await;
    opened(&mut open_rx).await;
    let now = stats::snapshot();
    assert_eq!(now.accepted_plain - start.accepted_plain, 2);
    assert_eq!(now.accepted_tls, start.accepted_tls);
    assert_eq!(now.open - start.open, 2);

    // Three messages each way, five bytes each.
    for _ in 0..3 {
        a.send_frame(OpCode::Text, true, b"hello").await;
        assert_eq!(step("the echo", a.next_message()).await, Message::text("hello"));
    }
    let now = stats::snapshot();
    assert_eq!((now.messages_in - start.messages_in, now.bytes_in - start.bytes_in), (3, 15));
    assert_eq!((now.messages_out - start.messages_out, now.bytes_out - start.bytes_out), (3, 15));

    // A topic with one subscriber, and a publish that reaches it.
    let before = stats::snapshot();
    a.send_frame(OpCode::Text, true, b"sub").await;
    step("subscribed", a.next_message()).await;
    let now = stats::snapshot();
    assert_eq!(now.topics - before.topics, 1);
    assert_eq!(now.subscriptions - before.subscriptions, 1);
    b.send_frame(OpCode::Text, true, b"pub:news").await;
    assert_eq!(step("the publication", a.next_message()).await, Message::text("pub:news"));
    let now = stats::snapshot();
    assert_eq!(now.deliveries - before.deliveries, 1);

    // Refused requests, by status.
    let plain = exchange(server.addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(plain.starts_with(b"HTTP/1.1 426"));
    let no_key = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";
    assert!(exchange(server.addr, no_key).await.starts_with(b"HTTP/1.1 400"));
    let now = stats::snapshot();
    assert_eq!(now.rejected.get(426) - start.rejected.get(426), 1);
    assert_eq!(now.rejected.get(400) - start.rejected.get(400), 1);
    assert_eq!(now.accepted_plain - start.accepted_plain, 4, "refused ones were accepted");

    // Closes, each for its cause: the peer's close frame (and its topic
    // goes with its only subscriber), the application's, a lost socket.
    a.send_frame(OpCode::Close, true, &1000u16.to_be_bytes()).await;
    step("the close answer", a.expect_close()).await;
    let peer_closed = CloseKind::PeerClosed;
    let now = until("a peer close counted", |s| {
        s.closed.get(peer_closed) > start.closed.get(peer_closed)
    })
    .await;
    assert_eq!(now.closed.total() - start.closed.total(), 1);
    assert_eq!((now.topics, now.subscriptions), (start.topics, start.subscriptions));
    b.send_frame(OpCode::Text, true, b"bye").await;
    let close = step("the server's close", b.next_event()).await;
    assert!(matches!(close, Some(Event::Close(Some(_)))), "{close:?}");
    b.send_frame(OpCode::Close, true, &1000u16.to_be_bytes()).await;
    assert_eq!(step("the server's FIN", b.next_event()).await, None);
    drop(b);
    let by_server = CloseKind::ClosedByServer;
    until("a server close counted", |s| s.closed.get(by_server) > start.closed.get(by_server))
        .await;
    let c = Client::connect(server.addr, "/").await;
    opened(&mut open_rx).await;
    drop(c);
    let lost = CloseKind::ConnectionLost;
    until("a lost connection counted", |s| s.closed.get(lost) > start.closed.get(lost)).await;

    // A client that does not read: what the socket does not take waits in
    // the queue (counted), the next send finds the queue past its bound
    // and the connection is closed as a slow consumer; its bytes leave the
    // count when it ends.
    let mut d = Client::connect(server.addr, "/").await;
    opened(&mut open_rx).await;
    d.send_frame(OpCode::Text, true, b"big").await;
    until("the big message queued", |s| s.queued_bytes >= start.queued_bytes + (16 << 20)).await;
    d.send_frame(OpCode::Text, true, b"big").await;
    until("a slow consumer counted", |s| s.slow_consumer_closes > start.slow_consumer_closes).await;
    drop(d);
    let slow = CloseKind::SlowConsumer;
    let end =
        until("a slow consumer's close counted", |s| s.closed.get(slow) > start.closed.get(slow))
            .await;
    assert_eq!(end.slow_consumer_closes - start.slow_consumer_closes, 1);
    let end = until("its queued bytes gone", |s| s.queued_bytes == start.queued_bytes).await;

    assert_eq!(end.open, start.open, "every connection ended");
    assert_eq!(end.closed.total() - start.closed.total(), 4);
    assert_eq!(end.accepted_plain - start.accepted_plain, 6);
    server.stop().await;
}
