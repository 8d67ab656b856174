//! Publish/subscribe over real sockets: chat semantics, the topic registry,
//! slow consumers, messages encoded once.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bytes::Bytes;
use capstan::ws::OpCode;
use capstan::{
    CloseCause, CloseCode, CloseInfo, Component, Conn, Delivery, HttpServer, Message,
    PreparedMessage, Topic, Topics, WsConfig, WsServer,
};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;

/// What the test components report.
#[derive(Debug)]
enum Ev {
    /// `on_open` finished (subscriptions made).
    Open(Conn),
    Close(Conn, CloseInfo),
}

type Events = mpsc::UnboundedReceiver<Ev>;

async fn next_ev(events: &mut Events) -> Ev {
    tokio::time::timeout(WAIT, events.recv()).await.expect("event in time").expect("app alive")
}

async fn next_open(events: &mut Events) -> Conn {
    match next_ev(events).await {
        Ev::Open(conn) => conn,
        other => panic!("expected an open, got {other:?}"),
    }
}

async fn next_close_of(events: &mut Events) -> (Conn, CloseInfo) {
    match next_ev(events).await {
        Ev::Close(conn, info) => (conn, info),
        other => panic!("expected a close, got {other:?}"),
    }
}

fn ws<A: Component>(app: A, config: WsConfig) -> HttpServer<WsServer<A>> {
    HttpServer::new(WsServer::with_config(app, config))
}

/// A bare socket that completed the handshake and has read nothing past the
/// 101 response. `recv_buffer` shrinks the socket's receive buffer.
async fn raw_handshake(addr: SocketAddr, recv_buffer: Option<u32>) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    if let Some(size) = recv_buffer {
        socket.set_recv_buffer_size(size).unwrap();
    }
    let mut stream = tokio::time::timeout(WAIT, socket.connect(addr)).await.unwrap().unwrap();
    stream.write_all(upgrade_request("/", "").as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = tokio::time::timeout(WAIT, stream.read_u8()).await.unwrap().unwrap();
        head.push(byte);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "not upgraded: {}", String::from_utf8_lossy(&head));
    stream
}

// ---------------------------------------------------------------------------
// Chat: one topic, everyone but the sender
// ---------------------------------------------------------------------------

struct Chat {
    room: Topic,
    events: mpsc::UnboundedSender<Ev>,
}

impl Component for Chat {
    async fn on_open(&self, conn: &Conn) {
        assert!(self.room.subscribe(conn));
        let _ = self.events.send(Ev::Open(conn.clone()));
    }

    async fn on_message(&self, conn: &Conn, message: Message) {
        self.room.publish_except(message, &[conn.id()]);
    }

    async fn on_close(&self, conn: &Conn, close: CloseInfo) {
        let _ = self.events.send(Ev::Close(conn.clone(), close));
    }
}

#[tokio::test]
async fn chat_message_reaches_everyone_but_its_sender() {
    let (tx, mut events) = mpsc::unbounded_channel();
    let chat = shared(Chat { room: Topic::new("lobby"), events: tx });
    let server = TestServer::start(ws(chat.clone(), WsConfig::default())).await;
    let mut a = Client::connect(server.addr, "/").await;
    next_open(&mut events).await;
    let mut b = Client::connect(server.addr, "/").await;
    next_open(&mut events).await;
    let mut c = Client::connect(server.addr, "/").await;
    next_open(&mut events).await;
    assert_eq!(chat.room.len(), 3);

    a.send_frame(OpCode::Text, true, b"from a").await;
    assert_eq!(b.next_message().await, Message::text("from a"));
    assert_eq!(c.next_message().await, Message::text("from a"));

    b.send_frame(OpCode::Text, true, b"from b").await;
    // A's first message is B's: its own never came back.
    assert_eq!(a.next_message().await, Message::text("from b"));
    assert_eq!(c.next_message().await, Message::text("from b"));

    c.send_frame(OpCode::Close, true, &1000u16.to_be_bytes()).await;
    let frame = c.expect_close().await.unwrap();
    assert_eq!(frame.code, CloseCode::NORMAL);
    next_close_of(&mut events).await;
    assert_eq!(chat.room.len(), 2, "a closed connection leaves the room");
    a.send_frame(OpCode::Text, true, b"bye").await;
    assert_eq!(b.next_message().await, Message::text("bye"));
    drop((a, b));
    server.stop().await;
}

// ---------------------------------------------------------------------------
// The registry of named topics
// ---------------------------------------------------------------------------

/// Hands every connection to the test, which subscribes it by hand.
struct Rooms {
    topics: Topics,
    events: mpsc::UnboundedSender<Ev>,
}

impl Component for Rooms {
    async fn on_open(&self, conn: &Conn) {
        let _ = self.events.send(Ev::Open(conn.clone()));
    }

    async fn on_message(&self, _conn: &Conn, _message: Message) {}

    async fn on_close(&self, conn: &Conn, close: CloseInfo) {
        let _ = self.events.send(Ev::Close(conn.clone(), close));
    }
}

#[tokio::test]
async fn registry_publishes_to_subscribers_only_and_forgets_closed_connections() {
    let (tx, mut events) = mpsc::unbounded_channel();
    let rooms = shared(Rooms { topics: Topics::new(), events: tx });
    let server = TestServer::start(ws(rooms.clone(), WsConfig::default())).await;
    let topics = &rooms.topics;
    let mut a = Client::connect(server.addr, "/").await;
    let conn_a = next_open(&mut events).await;
    let mut b = Client::connect(server.addr, "/").await;
    let conn_b = next_open(&mut events).await;
    let mut c = Client::connect(server.addr, "/").await;
    let conn_c = next_open(&mut events).await;

    let room1 = topics.subscribe("room1", &conn_a);
    topics.subscribe("room1", &conn_b);
    topics.subscribe("room2", &conn_a);
    topics.subscribe("room2", &conn_c);
    assert_eq!(room1.len(), 2);
    let mut names = topics.names();
    names.sort();
    assert_eq!(names, ["room1", "room2"]);

    let delivery = topics.publish("room1", "one", &[]).local;
    assert_eq!(delivery, Delivery { queued: 2, refused: 0 });
    assert_eq!(topics.publish("room2", "two", &[]).local, Delivery { queued: 2, refused: 0 });
    assert_eq!(a.next_message().await, Message::text("one"));
    assert_eq!(a.next_message().await, Message::text("two"));
    assert_eq!(b.next_message().await, Message::text("one"));
    // C is not in room1: its first message is room2's.
    assert_eq!(c.next_message().await, Message::text("two"));

    // Unsubscribed: B gets no more of room1 (its next message is a direct one).
    assert!(topics.unsubscribe("room1", &conn_b));
    assert!(!topics.unsubscribe("room1", &conn_b));
    assert_eq!(topics.publish("room1", "three", &[]).local, Delivery { queued: 1, refused: 0 });
    conn_b.send_text("direct").unwrap();
    assert_eq!(b.next_message().await, Message::text("direct"));
    assert_eq!(a.next_message().await, Message::text("three"));
    assert_eq!(room1.len(), 1);

    // A closes: it leaves room1 (its last subscriber) and room2 by itself.
    assert_eq!(conn_a.groups(), 2);
    a.send_frame(OpCode::Close, true, &1000u16.to_be_bytes()).await;
    a.expect_close().await;
    let (closed, info) = next_close_of(&mut events).await;
    assert_eq!(closed, conn_a);
    assert_eq!(info.cause, CloseCause::PeerClosed);
    assert!(room1.is_empty());
    assert!(topics.get("room1").is_none(), "a topic without subscribers is dropped");
    let room2 = topics.get("room2").expect("room2 still has C");
    assert_eq!(room2.len(), 1);
    assert!(room2.contains(&conn_c));
    assert_eq!(conn_a.groups(), 0);
    assert_eq!(topics.publish("room1", "nobody", &[]).local, Delivery::default());

    // C closes too: no topic is left.
    c.send_frame(OpCode::Close, true, &1000u16.to_be_bytes()).await;
    c.expect_close().await;
    next_close_of(&mut events).await;
    assert!(topics.get("room2").is_none());
    assert!(topics.is_empty());
    drop(b);
    server.stop().await;
}

// ---------------------------------------------------------------------------
// Slow consumers
// ---------------------------------------------------------------------------

/// Subscribes every connection to one topic.
struct Hub {
    topic: Topic,
    events: mpsc::UnboundedSender<Ev>,
}

impl Component for Hub {
    async fn on_open(&self, conn: &Conn) {
        self.topic.subscribe(conn);
        let _ = self.events.send(Ev::Open(conn.clone()));
    }

    async fn on_message(&self, _conn: &Conn, _message: Message) {}

    async fn on_close(&self, conn: &Conn, close: CloseInfo) {
        let _ = self.events.send(Ev::Close(conn.clone(), close));
    }
}

fn hub() -> (Arc<Hub>, Events) {
    let (tx, events) = mpsc::unbounded_channel();
    (shared(Hub { topic: Topic::new("all"), events: tx }), events)
}

const BOUND: usize = 64 * 1024;
const PAYLOAD: usize = 1024;
const COUNT: u32 = 5_000;
/// Wire size of one published message: 2-byte head, 16-bit length.
const FRAME: usize = 4 + PAYLOAD;

fn numbered(i: u32) -> Bytes {
    let mut payload = vec![(i % 251) as u8; PAYLOAD];
    payload[..4].copy_from_slice(&i.to_be_bytes());
    Bytes::from(payload)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_consumer_is_refused_at_its_bound_while_the_others_get_everything() {
    slow_consumer_among_readers(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_consumer_is_closed_while_the_others_get_everything() {
    slow_consumer_among_readers(true).await;
}

/// Messages published and not yet read by the readers that keep up: half
/// the bound's worth.
const IN_FLIGHT: u32 = (BOUND / 2 / FRAME) as u32;

/// How many messages the slowest reader has read.
fn slowest_reader(received: &[Arc<AtomicU32>]) -> u32 {
    received.iter().map(|count| count.load(Ordering::Relaxed)).min().unwrap_or(0)
}

/// One client that never reads and three that do, all in one topic; 5,000
/// messages of 1 KiB published at the readers' pace. With `expect_close`,
/// also waits for the slow consumer's close.
async fn slow_consumer_among_readers(expect_close: bool) {
    let (hub, mut events) = hub();
    let config = WsConfig {
        max_outbound_bytes: BOUND,
        ping_interval: None,
        close_timeout: Duration::from_millis(300),
        ..WsConfig::default()
    };
    let server = TestServer::start(ws(hub.clone(), config)).await;

    // Connects, then never reads (with a small receive buffer, so the
    // kernel's buffers fill quickly).
    let stalled = raw_handshake(server.addr, Some(4096)).await;
    let slow = next_open(&mut events).await;

    let mut readers = Vec::new();
    let received: Vec<Arc<AtomicU32>> = (0..3).map(|_| Arc::default()).collect();
    for count in &received {
        let mut client = Client::connect(server.addr, "/").await;
        next_open(&mut events).await;
        let count = count.clone();
        readers.push(tokio::spawn(async move {
            for i in 0..COUNT {
                assert_eq!(client.next_message().await, Message::binary(numbered(i)));
                count.fetch_add(1, Ordering::Relaxed);
            }
            client
        }));
    }
    assert_eq!(hub.topic.len(), 4);

    let mut most_queued = 0;
    let publish = async {
        for i in 0..COUNT {
            // Publish at the pace of the readers that keep up (the slowest
            // of them): published and not yet read stays under half the
            // bound.
            while i - slowest_reader(&received) >= IN_FLIGHT {
                tokio::task::yield_now().await;
            }
            most_queued = most_queued.max(slow.queued_bytes());
            let delivery = hub.topic.publish(Message::binary(numbered(i)));
            // For every subscriber, the slow one until it has left the
            // topic: a refusal (at the hand-over, after the publish) shows
            // in the queue, which stops at the bound.
            assert_eq!(delivery.refused, 0, "at message {i}");
            assert!(matches!(delivery.queued, 3 | 4), "at message {i}: {delivery:?}");
        }
        // The last publishes handed over.
        tokio::task::yield_now().await;
        most_queued = most_queued.max(slow.queued_bytes());
    };
    tokio::time::timeout(WAIT, publish).await.expect("published in time");
    assert!(slow.send_binary(numbered(0)).is_err(), "the slow consumer refuses");
    // That it was refused at the bound, not before, shows in its close's
    // cause (below: a slow consumer is one whose queue reached the
    // bound); the queue is let go as it closes, so sampling it between
    // publishes may miss its peak.
    assert!(
        most_queued <= BOUND + FRAME,
        "queued {most_queued} bytes, past the bound {BOUND} by more than one message"
    );

    for reader in readers {
        let client = tokio::time::timeout(WAIT, reader).await.expect("reader done").unwrap();
        drop(client);
    }
    if !expect_close {
        drop(stalled);
        server.stop().await;
        return;
    }
    let info = loop {
        let (closed, info) = next_close_of(&mut events).await;
        if closed == slow {
            break info;
        }
        assert_eq!(info.cause, CloseCause::ConnectionLost, "a reader's close: {info:?}");
    };
    assert_eq!(info.cause, CloseCause::SlowConsumer);
    assert_eq!(info.code, CloseCode::POLICY_VIOLATION);
    assert!(!hub.topic.contains(&slow), "a closed consumer leaves the topic");
    drop(stalled);
    server.stop().await;
}

/// Queues 1 KiB messages on `conn` (whose peer never reads) until its socket
/// is full: the connection's writer then found the socket taking nothing
/// (`is_write_blocked`), and bytes stay queued (just below the bound). The
/// peer never reads, so the socket stays full.
async fn fill_socket(conn: &Conn) {
    let filled = async {
        let mut i = 0;
        loop {
            while conn.queued_bytes() < BOUND - 2 * FRAME {
                conn.send_binary(numbered(i)).expect("room below the bound");
                i += 1;
            }
            if conn.is_write_blocked() {
                return;
            }
            // The connection's task writes what the socket takes meanwhile.
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(WAIT, filled).await.expect("socket fills");
    assert!(conn.is_write_blocked() && conn.queued_bytes() >= BOUND - 3 * FRAME);
}

#[tokio::test]
async fn a_slow_consumer_whose_socket_is_full_is_closed() {
    let (hub, mut events) = hub();
    let config = WsConfig {
        max_outbound_bytes: BOUND,
        ping_interval: None,
        close_timeout: Duration::from_millis(300),
        ..WsConfig::default()
    };
    let server = TestServer::start(ws(hub.clone(), config)).await;
    let stalled = raw_handshake(server.addr, Some(4096)).await;
    let slow = next_open(&mut events).await;

    fill_socket(&slow).await;
    let mut sent = 0;
    let refused = loop {
        match slow.send_binary(numbered(sent)) {
            Ok(()) => sent += 1,
            Err(error) => break error,
        }
    };
    assert_eq!(refused, capstan::SendError::QueueFull);
    assert!(slow.queued_bytes() <= BOUND + FRAME);
    // Still subscribed until its task ends; the hand-over finds it
    // stopped and queues nothing.
    assert_eq!(hub.topic.publish("after"), Delivery { queued: 1, refused: 0 });

    let (closed, info) = next_close_of(&mut events).await;
    assert_eq!(closed, slow);
    assert_eq!(info.cause, CloseCause::SlowConsumer);
    assert_eq!(info.code, CloseCode::POLICY_VIOLATION);
    assert!(hub.topic.is_empty());
    drop(stalled);
    server.stop().await;
}

#[tokio::test]
async fn closing_a_connection_whose_socket_is_full_ends_after_the_close_timeout() {
    let (hub, mut events) = hub();
    let config = WsConfig {
        max_outbound_bytes: BOUND,
        ping_interval: None,
        close_timeout: Duration::from_millis(300),
        ..WsConfig::default()
    };
    let server = TestServer::start(ws(hub.clone(), config)).await;
    let stalled = raw_handshake(server.addr, Some(4096)).await;
    let conn = next_open(&mut events).await;

    fill_socket(&conn).await;
    conn.close(CloseCode::NORMAL, "bye");
    let (closed, info) = next_close_of(&mut events).await;
    assert_eq!(closed, conn);
    assert_eq!(info.cause, CloseCause::ClosedByServer);
    assert_eq!(info.code, CloseCode::NORMAL);
    drop(stalled);
    server.stop().await;
}

// ---------------------------------------------------------------------------
// Encoded once
// ---------------------------------------------------------------------------

#[test]
fn prepared_message_is_the_wire_frame_and_clones_share_it() {
    let hi = PreparedMessage::new("hi");
    assert_eq!(&hi.frame()[..], b"\x81\x02hi");
    let copy = hi.clone();
    assert_eq!(copy.frame().as_ptr(), hi.frame().as_ptr(), "clones share the bytes");
    let binary = PreparedMessage::new(Message::binary(vec![7u8; 300]));
    assert_eq!(&binary.frame()[..4], &[0x82, 126, 0x01, 0x2c]);
    assert_eq!(binary.frame().len(), 304);
}

#[tokio::test]
async fn a_prepared_message_reaches_a_hundred_subscribers_byte_for_byte() {
    let (hub, mut events) = hub();
    let server = TestServer::start(ws(hub.clone(), WsConfig::default())).await;
    let mut clients = Vec::new();
    for _ in 0..100 {
        clients.push(raw_handshake(server.addr, None).await);
        next_open(&mut events).await;
    }
    assert_eq!(hub.topic.len(), 100);

    let hi = PreparedMessage::new("hi");
    let big = PreparedMessage::new(Message::binary(Bytes::from(vec![0x5a; 70_000])));
    assert_eq!(hub.topic.publish_prepared(&hi, &[]), Delivery { queued: 100, refused: 0 });
    assert_eq!(hub.topic.publish_prepared(&big, &[]), Delivery { queued: 100, refused: 0 });

    let expected_len = hi.frame().len() + big.frame().len();
    for client in &mut clients {
        let mut wire = vec![0u8; expected_len];
        tokio::time::timeout(WAIT, client.read_exact(&mut wire)).await.unwrap().unwrap();
        assert_eq!(&wire[..4], b"\x81\x02hi", "the exact frame on the wire");
        assert_eq!(&wire[4..], &big.frame()[..], "the prepared bytes, as they are");
    }
    drop(clients);
    server.stop().await;
}

// ---------------------------------------------------------------------------
// Slow consumer, drop-oldest policy
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_oldest_keeps_a_slow_consumer_with_the_newest_messages() {
    let (hub, mut events) = hub();
    let config = WsConfig {
        max_outbound_bytes: BOUND,
        on_overflow: capstan::Overflow::DropOldest,
        ping_interval: None,
        ..WsConfig::default()
    };
    let server = TestServer::start(ws(hub.clone(), config)).await;
    let stalled = raw_handshake(server.addr, Some(4096)).await;
    let slow = next_open(&mut events).await;
    let mut client = Client::connect(server.addr, "/").await;
    next_open(&mut events).await;
    let received = Arc::new(AtomicU32::new(0));
    let count = received.clone();
    let reader = tokio::spawn(async move {
        for i in 0..COUNT {
            assert_eq!(client.next_message().await, Message::binary(numbered(i)));
            count.fetch_add(1, Ordering::Relaxed);
        }
        client
    });

    // The writer holds at most one batch (32 frames) beyond the bound.
    let ceiling = BOUND + 33 * FRAME;
    let mut most_queued = 0;
    let publish = async {
        for i in 0..COUNT {
            // At the reader's pace: what is published and not yet read
            // (held by the topic, queued, in flight) stays under half the
            // bound, so the reader that keeps up loses nothing.
            while i - received.load(Ordering::Relaxed) >= IN_FLIGHT {
                tokio::task::yield_now().await;
            }
            let delivery = hub.topic.publish(Message::binary(numbered(i)));
            assert_eq!(delivery.refused, 0, "nobody refuses under drop-oldest (message {i})");
            most_queued = most_queued.max(slow.queued_bytes());
        }
    };
    tokio::time::timeout(WAIT, publish).await.expect("published in time");
    assert!(most_queued <= ceiling, "queued {most_queued} bytes, ceiling {ceiling}");
    let dropped = slow.dropped_messages();
    assert!(dropped > 0, "messages were dropped for the slow consumer");
    assert!(dropped < u64::from(COUNT), "{dropped}");
    drop(tokio::time::timeout(WAIT, reader).await.unwrap().unwrap());

    // The slow one is still connected; when it reads, the newest arrive.
    assert!(hub.topic.contains(&slow), "still subscribed");
    let mut stalled = stalled;
    let mut decoder = capstan::ws::Decoder::new(
        capstan::ws::Role::Client,
        capstan::Limits { max_frame_size: usize::MAX, max_message_size: usize::MAX },
    );
    let mut buf = bytes::BytesMut::new();
    let mut received = 0u64;
    let last = loop {
        let event = loop {
            if let Some(event) = decoder.decode(&mut buf).unwrap() {
                break event;
            }
            let n = tokio::time::timeout(WAIT, stalled.read_buf(&mut buf)).await.unwrap().unwrap();
            assert!(n > 0, "the slow consumer's connection stays open");
        };
        if let capstan::ws::Event::Message(message) = event {
            received += 1;
            if message == Message::binary(numbered(COUNT - 1)) {
                break message;
            }
        }
    };
    assert_eq!(last, Message::binary(numbered(COUNT - 1)), "the newest message arrives");
    // Read again: hand-overs after the publishes may have dropped more.
    assert_eq!(
        received + slow.dropped_messages(),
        u64::from(COUNT),
        "every message arrived or was counted dropped"
    );
    drop(stalled);
    server.stop().await;
}
