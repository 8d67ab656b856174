//! `--log-format json`: every line the binary writes is one JSON object,
//! and each line of a connection's work carries the connection's span —
//! its number (`id`), its peer, and, once upgraded, its WebSocket id
//! (`ws`) — so one connection's lines can be picked out of many.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use capstan_testkit::process::address_in;
use common::{Client, TestDb};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn json_lines_name_the_connection_they_belong_to() {
    let db = TestDb::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_capstan-chat"))
        .args(["--bind", "127.0.0.1", "--port", "0", "--log-format", "json", "--db"])
        .arg(db.path())
        .env("RUST_LOG", "info,capstan=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start capstan-chat");
    let (tx, lines) = mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let first = lines.recv_timeout(WAIT).expect("a first line");
    let first: Value = serde_json::from_str(&first).expect("the first line is JSON");
    let banner = first["fields"]["message"].as_str().expect("a message field");
    let addr = address_in(banner).expect("the address in the first line");

    // Two connections, each closed by its client.
    for name in ["alice", "bob"] {
        let mut client = Client::connect(addr, "/ws", None).await.expect("connect");
        client.add_user(json!({ "username": name })).await;
        client.send_frame(Message::Close(None)).await;
        client.expect_close().await;
    }
    // The server's "closed" lines come right after the close handshake.
    let mut seen = Vec::new();
    let mut closed = Vec::new();
    while closed.len() < 2 {
        let line = lines.recv_timeout(WAIT).expect("the connections' closed lines");
        let value: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("a line that is not JSON ({e}): {line}"));
        assert!(value["level"].is_string() && value["fields"].is_object(), "{line}");
        if value["fields"]["message"] == "closed" {
            closed.push(value.clone());
        }
        seen.push(value);
    }
    let mut ids = Vec::new();
    for line in &closed {
        let span = &line["span"];
        assert_eq!(span["name"], "conn", "the line is in its connection's span: {line}");
        assert!(span["peer"].as_str().is_some_and(|p| p.starts_with("127.0.0.1:")), "{line}");
        // The connection's WebSocket id is in the span, as in the line's own field.
        let ws = span["ws"].as_u64().expect("ws id in the span");
        assert_eq!(line["fields"]["conn"].as_str(), Some(ws.to_string().as_str()), "{line}");
        ids.push(span["id"].as_u64().expect("a connection number"));
    }
    assert_ne!(ids[0], ids[1], "each connection has its own number");
    let _ = child.kill();
    let _ = child.wait();
}
