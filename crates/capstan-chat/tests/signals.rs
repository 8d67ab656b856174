//! The `capstan-chat` binary stopped with SIGTERM and with SIGINT: every
//! peer gets a close 1001, the process exits 0 within its drain timeout,
//! and every message acknowledged before the signal is in the database
//! afterwards.

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use capstan_testkit::process::{Process, Signal};
use common::{Client, TestDb};
use serde_json::json;

/// Longest wait for the process to start or to exit: the server drains for
/// at most 10 s; this only guards against a hang.
const WAIT: Duration = Duration::from_secs(30);

/// Starts the binary on an ephemeral port over `db`: the process (killed
/// when dropped) and its address.
fn start(db: &TestDb) -> (Process, SocketAddr) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_capstan-chat"));
    command
        .args(["--bind", "127.0.0.1", "--port", "0", "--rate", "1000", "--burst", "1000", "--db"])
        .arg(db.path())
        .stderr(Stdio::null());
    let chat = Process::start(&mut command, WAIT).expect("start capstan-chat");
    // "Capstan chat: open http://127.0.0.1:PORT/ in a browser"
    let addr = chat.address();
    (chat, addr)
}

async fn stops_on(sig: Signal) {
    let db = TestDb::new();
    let (mut child, addr) = start(&db);
    let mut alice = Client::connect(addr, "/ws", None).await.expect("connect");
    alice.add_user(json!({ "username": "alice" })).await;
    let mut bob = Client::connect(addr, "/ws", None).await.expect("connect");
    bob.add_user(json!({ "username": "bob" })).await;
    let mut acked = Vec::new();
    for n in 0..30 {
        let ack = alice.post("general", &format!("m{n}"), &format!("c{n}")).await;
        acked.push(ack["id"].as_u64().unwrap());
    }
    child.signal(sig);
    for client in [&mut alice, &mut bob] {
        assert_eq!(client.expect_close().await, Some(1001), "SIG{}", sig.name());
    }
    drop((alice, bob));
    assert_eq!(child.exit_code(WAIT).await, Some(0), "exit status after SIG{}", sig.name());

    let conn = rusqlite::Connection::open(db.path()).unwrap();
    let mut statement = conn
        .prepare("SELECT id, content FROM messages WHERE room = 'general' ORDER BY id")
        .unwrap();
    let stored: Vec<(u64, String)> = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let expected: Vec<(u64, String)> =
        acked.iter().enumerate().map(|(n, id)| (*id, format!("m{n}"))).collect();
    assert_eq!(stored, expected, "every acknowledged message is in the database");
}

#[tokio::test]
async fn sigterm_closes_every_peer_with_1001_exits_0_and_keeps_what_was_acknowledged() {
    stops_on(Signal::Term).await;
}

#[tokio::test]
async fn sigint_closes_every_peer_with_1001_exits_0_and_keeps_what_was_acknowledged() {
    stops_on(Signal::Int).await;
}
