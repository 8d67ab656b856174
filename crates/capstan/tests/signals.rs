//! The real binary stopped as a service manager (SIGTERM) and a terminal
//! (SIGINT) stop it: every peer gets a close 1001, and the process exits 0
//! within its drain timeout. The echo example, built by `cargo test` (run
//! `cargo build -p capstan --example echo` first when testing this file
//! alone).

mod common;

use std::time::Duration;

use capstan_testkit::process::Signal;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

/// Longest wait for the process to start or to exit: the server drains for
/// at most 10 s; this only guards against a hang.
const WAIT: Duration = Duration::from_secs(30);

async fn stops_on(sig: Signal) {
    let (mut child, addr) = common::spawn_echo(&[]);
    let url = format!("ws://{addr}");
    let mut peers = Vec::new();
    for n in 0..3 {
        let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str()).await.expect("connect");
        // Each is really served before the signal: an echo comes back.
        futures_util::SinkExt::send(&mut ws, Message::text(format!("hi {n}"))).await.unwrap();
        let echo = tokio::time::timeout(WAIT, ws.next()).await.expect("an echo").unwrap().unwrap();
        assert_eq!(echo, Message::text(format!("hi {n}")));
        peers.push(ws);
    }
    child.signal(sig);
    for ws in &mut peers {
        let close = loop {
            match tokio::time::timeout(WAIT, ws.next()).await.expect("a close frame in time") {
                Some(Ok(Message::Close(frame))) => break frame,
                Some(Ok(_)) => continue,
                other => panic!("{other:?} instead of a close frame"),
            }
        };
        assert_eq!(close.map(|f| u16::from(f.code)), Some(1001), "SIG{}", sig.name());
    }
    // The clients answered the close (tungstenite does while reading).
    drop(peers);
    assert_eq!(child.exit_code(WAIT).await, Some(0), "exit status after SIG{}", sig.name());
}

#[tokio::test]
async fn sigterm_closes_every_peer_with_1001_and_exits_0() {
    stops_on(Signal::Term).await;
}

#[tokio::test]
async fn sigint_closes_every_peer_with_1001_and_exits_0() {
    stops_on(Signal::Int).await;
}
