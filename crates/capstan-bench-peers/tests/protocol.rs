//! Starts each peer binary in both configurations and checks the loadgen
//! protocol over loopback with the testkit's raw client (frames decoded by
//! Capstan's codec, every one checked): echo of text and binary messages,
//! broadcast to every subscriber (the sender included) of `pub:` texts
//! only, 404 for other paths, the close handshake, and the dropping of a
//! subscriber that does not read. The floor (`peer-floor`) passes the same
//! checks.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use capstan::Message;
use capstan::ws::{Event, OpCode};
use capstan_testkit::client::{Client, UpgradeError};
use capstan_testkit::handshake::upgrade_request;
use capstan_testkit::process::{Process, address_in};
use capstan_testkit::wait::{WAIT, within};
use tokio::net::TcpStream;

const TUNGSTENITE: &str = env!("CARGO_BIN_EXE_peer-tungstenite");
const FASTWEBSOCKETS: &str = env!("CARGO_BIN_EXE_peer-fastwebsockets");
const FLOOR: &str = env!("CARGO_BIN_EXE_peer-floor");

/// A peer binary running for one test, killed when dropped.
struct Peer {
    _process: Process,
    /// Where it listens, from the `url=` of its `LISTENING` line.
    addr: SocketAddr,
}

impl Peer {
    fn start(bin: &str, tuned: bool) -> Peer {
        let mut command = Command::new(bin);
        if tuned {
            command.arg("--tuned");
        }
        let process = Process::start(&mut command, WAIT).expect("start the peer");
        let line = process.first_line();
        let field = |name: &str| line.split_whitespace().find_map(|w| w.strip_prefix(name));
        assert!(line.starts_with("LISTENING port="), "{line:?}");
        assert_eq!(field("pid="), Some(process.id().to_string().as_str()), "{line:?}");
        assert_eq!(field("config="), Some(if tuned { "tuned" } else { "default" }), "{line:?}");
        let url = field("url=").expect("url=");
        assert!(url.starts_with("ws://"), "{line:?}");
        let addr = address_in(url).unwrap_or_else(|| panic!("no address in {line:?}"));
        Peer { _process: process, addr }
    }
}

/// A client on `path` (no limit on frame or message sizes).
async fn connect(peer: &Peer, path: &str) -> Client {
    Client::connect(peer.addr, path).await
}

/// The next message, which must be a text.
async fn next_text(ws: &mut Client) -> String {
    match ws.next_message().await {
        Message::Text(text) => text.as_str().to_owned(),
        other => panic!("expected a text, got {other:?}"),
    }
}

async fn echoes_text_and_binary(peer: &Peer) {
    let mut ws = connect(peer, "/echo").await;
    ws.send_frame(OpCode::Text, true, b"hello").await;
    assert_eq!(ws.next_message().await, Message::text("hello"));
    ws.send_frame(OpCode::Binary, true, &[0, 1, 2, 255]).await;
    assert_eq!(ws.next_message().await, Message::binary(vec![0, 1, 2, 255]));
    ws.send_frame(OpCode::Ping, true, b"are you there").await;
    ws.send_frame(OpCode::Text, true, b"after the ping").await;
    assert_eq!(ws.next_message().await, Message::text("after the ping"));
    // Over tungstenite's default frame limit (16 MiB): taken whole.
    let big: Vec<u8> = (0..17 << 20).map(|i| i as u8).collect();
    ws.send_frame(OpCode::Binary, true, &big).await;
    assert_eq!(ws.next_message().await, Message::binary(big));
    closes_cleanly(ws).await;
}

/// Two subscribers: a `pub:` text reaches both, the sender included; other
/// messages reach no one.
async fn broadcasts_pub_texts_to_all(peer: &Peer) {
    // Each one's own message back shows it is subscribed.
    let mut a = connect(peer, "/broadcast").await;
    a.send_frame(OpCode::Text, true, b"pub:a is in").await;
    assert_eq!(next_text(&mut a).await, "pub:a is in");
    let mut b = connect(peer, "/broadcast").await;
    b.send_frame(OpCode::Text, true, b"pub:b is in").await;
    assert_eq!(next_text(&mut b).await, "pub:b is in");
    assert_eq!(next_text(&mut a).await, "pub:b is in");

    a.send_frame(OpCode::Text, true, b"x").await;
    a.send_frame(OpCode::Binary, true, b"pub:binary").await;
    a.send_frame(OpCode::Text, true, b"pub:y").await;
    assert_eq!(next_text(&mut a).await, "pub:y");
    assert_eq!(next_text(&mut b).await, "pub:y");
    closes_cleanly(a).await;
    closes_cleanly(b).await;
}

/// A subscriber that never reads is dropped once the server holds a few
/// MiB for it, while the publisher (which reads) stays.
async fn drops_a_subscriber_that_does_not_read(peer: &Peer) {
    const MESSAGES: usize = 4096; // 64 MiB of 16 KiB: past any socket buffers
    let mut slow = connect(peer, "/broadcast").await;
    slow.send_frame(OpCode::Text, true, b"pub:slow is in").await;
    assert_eq!(next_text(&mut slow).await, "pub:slow is in");
    let mut publisher = connect(peer, "/broadcast").await;
    let payload = format!("pub:{}", "x".repeat((16 << 10) - 4));
    for _ in 0..MESSAGES {
        publisher.send_frame(OpCode::Text, true, payload.as_bytes()).await;
        assert_eq!(next_text(&mut publisher).await, payload);
    }
    // What the server had sent before it dropped the connection, then the
    // end of the stream (a cut frame, a reset: the end too).
    let mut received = 0;
    loop {
        match slow.next_event().await {
            Some(Event::Message(Message::Text(_))) => received += 1,
            Some(other) => panic!("unexpected {other:?}"),
            None => break,
        }
    }
    assert!(received < MESSAGES, "dropped before all {MESSAGES}: {received}");
    closes_cleanly(publisher).await;
}

/// Unknown paths: 404.
async fn answers_404_elsewhere(peer: &Peer) {
    let stream = TcpStream::connect(peer.addr).await.expect("connect");
    let request = upgrade_request("/elsewhere", "");
    match within("an answer", Client::upgrade(stream, request.as_bytes())).await {
        Err(UpgradeError::Refused(response)) => assert_eq!(response.status(), 404),
        Err(e) => panic!("expected a 404, got {e}"),
        Ok(_) => panic!("expected a 404, got an upgrade"),
    }
}

/// The client closes: the server answers with a close frame, then ends the
/// connection.
async fn closes_cleanly(mut ws: Client) {
    ws.send_frame(OpCode::Close, true, b"").await;
    ws.expect_close().await;
}

async fn check(bin: &str, tuned: bool) {
    let peer = Peer::start(bin, tuned);
    let all = async {
        echoes_text_and_binary(&peer).await;
        broadcasts_pub_texts_to_all(&peer).await;
        answers_404_elsewhere(&peer).await;
        drops_a_subscriber_that_does_not_read(&peer).await;
    };
    // Only against a hang: the checks themselves time nothing.
    tokio::time::timeout(Duration::from_secs(120), all).await.expect("hung");
}

#[tokio::test]
async fn tungstenite_default() {
    check(TUNGSTENITE, false).await;
}

#[tokio::test]
async fn tungstenite_tuned() {
    check(TUNGSTENITE, true).await;
}

#[tokio::test]
async fn fastwebsockets_default() {
    check(FASTWEBSOCKETS, false).await;
}

#[tokio::test]
async fn fastwebsockets_tuned() {
    check(FASTWEBSOCKETS, true).await;
}

/// The floor takes `--tuned` and changes nothing: one run covers it.
#[tokio::test]
async fn floor() {
    check(FLOOR, false).await;
}

#[test]
fn help_and_non_loopback_addresses() {
    for bin in [TUNGSTENITE, FASTWEBSOCKETS, FLOOR] {
        let help = Command::new(bin).arg("--help").output().unwrap();
        assert!(help.status.success());
        assert!(String::from_utf8_lossy(&help.stdout).contains("--tuned"));
        let refused = Command::new(bin).arg("0.0.0.0:0").output().unwrap();
        assert_eq!(refused.status.code(), Some(2));
    }
}
