//! The chat in session mode (`/session`, docs/SESSIONS.md): a user whose
//! connection is cut and who comes back within the grace period misses
//! nothing, gets nothing twice, and is never seen to leave; the classic
//! WebSocket at every other path is unchanged beside it.

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{WebSocketStream, client_async};

/// A session-mode client of the chat, written from SESSIONS.md: `c` +
/// JSON controls, `m` + the chat's envelopes.
struct ChatSession {
    ws: WebSocketStream<TcpStream>,
    /// Data messages received in the session.
    rx: u64,
}

impl ChatSession {
    async fn open(addr: std::net::SocketAddr, opening: Value) -> (ChatSession, Value) {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (ws, _) = client_async(format!("ws://{addr}/session"), stream).await.unwrap();
        let mut session = ChatSession { ws, rx: 0 };
        session.ws.send(Message::text(format!("c{opening}"))).await.unwrap();
        let welcome = session.control().await;
        (session, welcome["welcome"].clone())
    }

    async fn next_text(&mut self) -> String {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a message in time")
                .expect("the transport lives")
                .unwrap();
            if let Message::Text(text) = message {
                return text.to_string();
            }
        }
    }

    async fn control(&mut self) -> Value {
        let text = self.next_text().await;
        let json = text.strip_prefix('c').expect("a control");
        serde_json::from_str(json).unwrap()
    }

    async fn send(&mut self, kind: &str, data: Value) {
        let envelope = json!({ "type": kind, "data": data });
        self.ws.send(Message::text(format!("m{envelope}"))).await.unwrap();
    }

    /// The data of the next envelope of type `kind` (controls and other
    /// envelopes skipped).
    async fn expect(&mut self, kind: &str) -> Value {
        loop {
            let text = self.next_text().await;
            let Some(envelope) = text.strip_prefix('m') else { continue };
            self.rx += 1;
            let envelope: Value = serde_json::from_str(envelope).unwrap();
            if envelope["type"] == kind {
                return envelope["data"].clone();
            }
        }
    }
}

#[tokio::test]
async fn a_user_cut_off_and_back_within_the_grace_misses_nothing_and_never_leaves() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, welcome) = ChatSession::open(server.addr, json!({"hello": {"v": 1}})).await;
    assert_eq!(welcome["resumed"], false);
    let sid = welcome["sid"].as_str().unwrap().to_owned();
    alice.send("add_user", json!({ "username": "alice" })).await;
    let added = alice.expect("add_user").await;
    assert_eq!(added["username"], "alice");
    let (mut bob, _) = server.named("bob").await;

    // Alice's network drops; Bob writes meanwhile.
    drop(alice.ws);
    for i in 1..=3 {
        bob.post("general", &format!("while away {i}"), &format!("c{i}")).await;
    }
    // Alice is still a member: her session lives.
    let members = bob.ask("members", json!({ "room": "general" })).await;
    assert!(members["members"].as_array().unwrap().contains(&json!("alice")), "{members}");

    let (mut back, again) =
        ChatSession::open(server.addr, json!({"resume": {"sid": sid, "rx": alice.rx}})).await;
    assert_eq!(again["resumed"], true);
    back.rx = alice.rx;
    for i in 1..=3 {
        let message = back.expect("message").await;
        assert_eq!(message["content"], format!("while away {i}"));
    }
    // The same chat session: no add_user again, her post reaches Bob.
    back.send("message", json!({ "room": "general", "content": "back", "client_id": "a1" })).await;
    assert_eq!(back.expect("ack").await["client_id"], "a1");
    let seen = bob.expect_where("message", |m| m["content"] == "back").await;
    assert_eq!(seen["author"], "alice");
    drop((back, bob));
    server.stop().await;
}

#[tokio::test]
async fn a_session_closed_by_its_user_leaves_the_rooms() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = ChatSession::open(server.addr, json!({"hello": {"v": 1}})).await;
    alice.send("add_user", json!({ "username": "alice" })).await;
    alice.expect("add_user").await;
    let (mut bob, _) = server.named("bob").await;
    let bye = CloseFrame { code: CloseCode::Normal, reason: "".into() };
    alice.ws.close(Some(bye)).await.unwrap();
    let (change, presence) = bob.expect_change("general", "alice", "leave").await;
    assert_eq!(
        (change["event"].as_str(), presence["room"].as_str()),
        (Some("leave"), Some("general"))
    );
    drop((alice, bob));
    server.stop().await;
}
