//! The chat asking the application's backend (`--connect-hook`,
//! `--subscribe-hook`, `--publish-hook`): a real HTTP backend with
//! sessions of its own (capstan-api's tests/backend/session_backend.py,
//! Python's standard library), started by the test; real WebSocket
//! clients presenting its session cookie. The backend names the user,
//! lists or checks the rooms, refuses or rewrites messages; a backend that
//! is down refuses (policy deny) or lets in anonymously (policy allow).

mod common;

use std::path::Path;
use std::process::Command;

use capstan_chat::Config;
use capstan_chat::config::HookFailure;
use capstan_testkit::process::Process;
use capstan_testkit::wait::WAIT;
use common::{Client, Server, TestDb};
use serde_json::json;
use tokio_tungstenite::tungstenite;

/// The session backend, killed when dropped.
struct Backend(Process);

impl Backend {
    fn start() -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../capstan-api/tests/backend/session_backend.py");
        let process = Process::start(Command::new("python3").arg(script), WAIT)
            .unwrap_or_else(|e| panic!("the session backend (python3 is needed): {e}"));
        Self(process)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.0.address())
    }
}

fn hooked(db: &TestDb, backend: &Backend) -> Config {
    Config {
        connect_hook: Some(backend.url("/connect")),
        subscribe_hook: Some(backend.url("/subscribe")),
        publish_hook: Some(backend.url("/publish")),
        ..db.config()
    }
}

async fn as_session(server: &Server, session: &str) -> Result<Client, tungstenite::Error> {
    let cookie = format!("session_id={session}");
    Client::connect_with(server.addr, "/ws", &[("cookie", &cookie)]).await
}

fn status(result: Result<Client, tungstenite::Error>) -> u16 {
    match result {
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("upgraded"),
    }
}

#[tokio::test]
async fn the_backend_names_the_user_and_refuses_who_it_does_not_know() {
    let backend = Backend::start();
    let db = TestDb::new();
    let server = Server::start(&hooked(&db, &backend)).await;
    let mut ann = as_session(&server, "s-ann").await.expect("ann's session is let in");
    // The backend's name wins over the one asked for.
    let answer = ann.add_user(json!({ "username": "someone-else" })).await;
    assert_eq!(answer["username"], "ann");
    assert_eq!(status(as_session(&server, "s-mallory").await), 403, "a banned user");
    assert_eq!(status(Client::connect(server.addr, "/ws", None).await), 401, "no session");
    drop(ann);
    server.stop().await;
}

#[tokio::test]
async fn rooms_are_the_backends_list_or_its_answer() {
    let backend = Backend::start();
    let db = TestDb::new();
    let server = Server::start(&hooked(&db, &backend)).await;
    // ann's rooms are listed by the connect hook: "news" yes, others no.
    let mut ann = as_session(&server, "s-ann").await.unwrap();
    ann.add_user(json!({ "username": "ann" })).await;
    ann.ask("join", json!({ "room": "news" })).await;
    ann.send("join", json!({ "room": "lobby" })).await;
    let refused = ann.expect_error().await;
    assert_eq!(
        (refused["code"].as_str(), refused["type"].as_str()),
        (Some("denied"), Some("join"))
    );
    // bob has no list: the subscribe hook decides, and may disconnect.
    let mut bob = as_session(&server, "s-bob").await.unwrap();
    bob.add_user(json!({ "username": "bob" })).await;
    bob.ask("join", json!({ "room": "lobby" })).await;
    bob.send("join", json!({ "room": "kick" })).await;
    assert_eq!(bob.expect_close().await, Some(4502));
    drop(ann);
    server.stop().await;
}

#[tokio::test]
async fn messages_pass_the_publish_hook() {
    let backend = Backend::start();
    let db = TestDb::new();
    let server = Server::start(&hooked(&db, &backend)).await;
    let mut bob = as_session(&server, "s-bob").await.unwrap();
    bob.add_user(json!({ "username": "bob" })).await;
    let ack = bob.post("general", "hello", "c1").await;
    assert_eq!(ack["id"], 1);
    bob.ask("join", json!({ "room": "readonly" })).await;
    bob.send("message", json!({ "room": "readonly", "content": "hi", "client_id": "c2" })).await;
    let refused = bob.expect_error().await;
    assert_eq!(refused["code"], "denied");
    assert_eq!(refused["message"], "read-only channel");
    assert_eq!(refused["client_id"], "c2");
    drop(bob);
    server.stop().await;
}

#[tokio::test]
async fn a_backend_that_is_down_refuses_or_lets_in_by_policy() {
    let db = TestDb::new();
    // A port nothing listens on.
    let port = capstan_testkit::scratch::free_port();
    let down = format!("http://127.0.0.1:{port}/connect");
    let deny = Config { connect_hook: Some(down.clone()), ..db.config() };
    let server = Server::start(&deny).await;
    assert_eq!(status(Client::connect(server.addr, "/ws", None).await), 503);
    server.stop().await;

    let db = TestDb::new();
    let allow =
        Config { connect_hook: Some(down), hook_failure: HookFailure::Allow, ..db.config() };
    let server = Server::start(&allow).await;
    let mut guest = Client::connect(server.addr, "/ws", None).await.expect("let in anonymously");
    // Anonymous: the name asked for is taken as usual.
    assert_eq!(guest.add_user(json!({ "username": "guest" })).await["username"], "guest");
    drop(guest);
    server.stop().await;
}
