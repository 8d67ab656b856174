//! The `capstan-chat` binary stopped with SIGTERM and with SIGINT: every
//! peer gets a close 1001, the process exits 0 within its drain timeout,
//! and every message acknowledged before the signal is in the database
//! afterwards.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Client, TestDb};
use serde_json::json;

/// Longest wait for the process to start or to exit: the server drains for
/// at most 10 s; this only guards against a hang.
const WAIT: Duration = Duration::from_secs(30);

/// Starts the binary on an ephemeral port over `db`; its address.
fn start(db: &TestDb) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_capstan-chat"))
        .args(["--bind", "127.0.0.1", "--port", "0", "--rate", "1000", "--burst", "1000", "--db"])
        .arg(db.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start capstan-chat");
    // "Capstan chat: open http://127.0.0.1:PORT/ in a browser"
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).expect("its first line");
    // The rest is drained: a closed pipe would fail the server's prints.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL");
    let addr = url.trim_start_matches("http://").trim_end_matches('/').parse().expect("an address");
    (child, addr)
}

/// Sends `signal` (TERM, INT) to `child`.
fn signal(child: &Child, signal: &str) {
    let status =
        Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status();
    assert!(status.expect("run kill").success(), "kill -{signal} failed");
}

/// Waits for `child` to exit (bounded by [`WAIT`]); its exit code. Polls,
/// yielding to the runtime: the test's clients must go on answering.
async fn exit_code(child: &mut Child) -> Option<i32> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().expect("wait for the server") {
            return status.code();
        }
        assert!(Instant::now() < deadline, "the server did not exit within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn stops_on(sig: &str) {
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
    signal(&child, sig);
    for client in [&mut alice, &mut bob] {
        assert_eq!(client.expect_close().await, Some(1001), "SIG{sig}");
    }
    drop((alice, bob));
    assert_eq!(exit_code(&mut child).await, Some(0), "exit status after SIG{sig}");

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
    stops_on("TERM").await;
}

#[tokio::test]
async fn sigint_closes_every_peer_with_1001_exits_0_and_keeps_what_was_acknowledged() {
    stops_on("INT").await;
}
