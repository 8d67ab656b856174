//! Starts each peer binary in both configurations and checks the loadgen
//! protocol over loopback with a tokio-tungstenite client: echo of text and
//! binary messages, broadcast to every subscriber (the sender included) of
//! `pub:` texts only, 404 for other paths, the close handshake, and the
//! dropping of a subscriber that does not read. The floor (`peer-floor`)
//! passes the same checks.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

const TUNGSTENITE: &str = env!("CARGO_BIN_EXE_peer-tungstenite");
const FASTWEBSOCKETS: &str = env!("CARGO_BIN_EXE_peer-fastwebsockets");
const FLOOR: &str = env!("CARGO_BIN_EXE_peer-floor");

/// A peer binary running for one test, killed when dropped.
struct Peer {
    child: Child,
    /// `ws://127.0.0.1:PORT`, from its `LISTENING` line.
    url: String,
}

impl Peer {
    fn start(bin: &str, tuned: bool) -> Peer {
        let mut command = Command::new(bin);
        if tuned {
            command.arg("--tuned");
        }
        let mut child = command.stdout(Stdio::piped()).spawn().expect("start the peer");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let field = |name: &str| line.split_whitespace().find_map(|w| w.strip_prefix(name));
        assert!(line.starts_with("LISTENING port="), "{line:?}");
        assert_eq!(field("pid="), Some(child.id().to_string().as_str()), "{line:?}");
        assert_eq!(field("config="), Some(if tuned { "tuned" } else { "default" }), "{line:?}");
        let url = field("url=").expect("url=").to_string();
        Peer { child, url }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client on `path`, taking frames and messages of up to 64 MiB.
async fn connect(peer: &Peer, path: &str) -> Client {
    let limits =
        WebSocketConfig::default().max_frame_size(Some(64 << 20)).max_message_size(Some(64 << 20));
    let url = format!("{}{path}", peer.url);
    tokio_tungstenite::connect_async_with_config(url, Some(limits), true).await.unwrap().0
}

/// The next text or binary message (pings and pongs skipped).
async fn next_data(ws: &mut Client) -> Message {
    loop {
        match ws.next().await.expect("a message").expect("no error") {
            Message::Ping(_) | Message::Pong(_) => {}
            message => return message,
        }
    }
}

/// The next message, which must be a text.
async fn next_text(ws: &mut Client) -> String {
    match next_data(ws).await {
        Message::Text(text) => text.to_string(),
        other => panic!("expected a text, got {other:?}"),
    }
}

async fn echoes_text_and_binary(peer: &Peer) {
    let mut ws = connect(peer, "/echo").await;
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::text("hello"));
    ws.send(Message::binary(vec![0, 1, 2, 255])).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::binary(vec![0, 1, 2, 255]));
    ws.send(Message::Ping("are you there".into())).await.unwrap();
    ws.send(Message::text("after the ping")).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::text("after the ping"));
    // Over tungstenite's default frame limit (16 MiB): taken whole.
    let big: Vec<u8> = (0..17 << 20).map(|i| i as u8).collect();
    ws.send(Message::binary(big.clone())).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::binary(big));
    closes_cleanly(ws).await;
}

/// Two subscribers: a `pub:` text reaches both, the sender included; other
/// messages reach no one.
async fn broadcasts_pub_texts_to_all(peer: &Peer) {
    // Each one's own message back shows it is subscribed.
    let mut a = connect(peer, "/broadcast").await;
    a.send(Message::text("pub:a is in")).await.unwrap();
    assert_eq!(next_text(&mut a).await, "pub:a is in");
    let mut b = connect(peer, "/broadcast").await;
    b.send(Message::text("pub:b is in")).await.unwrap();
    assert_eq!(next_text(&mut b).await, "pub:b is in");
    assert_eq!(next_text(&mut a).await, "pub:b is in");

    a.send(Message::text("x")).await.unwrap();
    a.send(Message::binary(&b"pub:binary"[..])).await.unwrap();
    a.send(Message::text("pub:y")).await.unwrap();
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
    slow.send(Message::text("pub:slow is in")).await.unwrap();
    assert_eq!(next_text(&mut slow).await, "pub:slow is in");
    let mut publisher = connect(peer, "/broadcast").await;
    let payload = format!("pub:{}", "x".repeat((16 << 10) - 4));
    for _ in 0..MESSAGES {
        publisher.send(Message::text(payload.as_str())).await.unwrap();
        assert_eq!(next_text(&mut publisher).await, payload);
    }
    let mut received = 0;
    loop {
        match slow.next().await {
            Some(Ok(Message::Text(_))) => received += 1,
            Some(Ok(other)) => panic!("unexpected {other:?}"),
            Some(Err(Error::Protocol(_) | Error::Io(_))) | None => break,
            Some(Err(e)) => panic!("unexpected error {e}"),
        }
    }
    assert!(received < MESSAGES, "dropped before all {MESSAGES}: {received}");
    closes_cleanly(publisher).await;
}

/// Unknown paths: 404.
async fn answers_404_elsewhere(peer: &Peer) {
    let url = format!("{}/elsewhere", peer.url);
    match tokio_tungstenite::connect_async(url).await {
        Err(Error::Http(response)) => assert_eq!(response.status(), 404),
        Err(e) => panic!("expected a 404, got {e}"),
        Ok(_) => panic!("expected a 404, got an upgrade"),
    }
}

/// The client closes: the server answers with a close frame, then ends the
/// connection.
async fn closes_cleanly(mut ws: Client) {
    ws.send(Message::Close(None)).await.unwrap();
    let mut replied = false;
    loop {
        match ws.next().await {
            Some(Ok(Message::Close(_))) => replied = true,
            Some(Ok(_)) => {}
            None => break,
            Some(Err(e)) => panic!("expected a close reply, got {e}"),
        }
    }
    assert!(replied, "the stream ended without the server's close reply");
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
