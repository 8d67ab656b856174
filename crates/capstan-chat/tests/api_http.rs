//! The chat's server API over HTTP (`--api-key`): on the chat's own port,
//! or alone on `--api-port`; a publish shows in a real WebSocket client as
//! a bot's message; no key, a wrong key or no API configured get their
//! statuses, and the chat's port still serves its web client.

mod common;

use std::net::SocketAddr;

use capstan_chat::{ChatServer, Config};
use capstan_testkit::http::{Response, exchange};
use common::{Client, TestDb};
use serde_json::{Value, json};

const KEY: &str = "test-api-key-0123456789";

async fn post(addr: SocketAddr, path: &str, key: Option<&str>, body: &Value) -> Response {
    let body = body.to_string();
    let key = key.map(|k| format!("X-API-Key: {k}\r\n")).unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{key}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    Response::parse(&exchange(addr, request.as_bytes()).await)
}

fn json_body(response: &Response) -> Value {
    serde_json::from_str(&response.body_text()).expect("a JSON body")
}

/// Starts the chat; its address and, with `--api-port`, the API's.
async fn start(config: &Config) -> (SocketAddr, Option<SocketAddr>, capstan::ShutdownHandle) {
    let server = ChatServer::bind(config).await.expect("bind");
    let addr = server.local_addr().unwrap();
    let api = server.api_addr().map(Result::unwrap);
    let handle = server.shutdown_handle();
    tokio::spawn(server.run());
    (addr, api, handle)
}

#[tokio::test]
async fn on_the_chats_port_a_publish_reaches_the_room() {
    let db = TestDb::new();
    let config = Config { api_keys: vec![KEY.into()], ..db.config() };
    let (addr, api_port, stop) = start(&config).await;
    assert!(api_port.is_none());
    let mut alice = Client::connect(addr, "/ws", None).await.unwrap();
    alice.add_user(json!({ "username": "alice" })).await;

    let publish =
        json!({ "channel": "general", "data": { "content": "build green", "author": "CI" } });
    let answer = post(addr, "/api/publish", Some(KEY), &publish).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(json_body(&answer)["result"]["offset"], 1);
    let seen = alice.expect("message").await;
    assert_eq!((seen["author"].as_str(), seen["bot"].as_bool()), (Some("CI"), Some(true)));

    assert_eq!(post(addr, "/api/publish", None, &publish).await.status(), 401);
    assert_eq!(post(addr, "/api/publish", Some("wrong"), &publish).await.status(), 401);
    let unknown =
        post(addr, "/api/publish", Some(KEY), &json!({ "channel": "Bad Room", "data": "x" })).await;
    assert_eq!(unknown.status(), 200);
    assert_eq!(json_body(&unknown)["error"]["code"], 102);
    // The web client is still served on the same port.
    let page = common::http_get(addr, "/").await;
    assert_eq!(page.status(), 200);
    drop(alice);
    stop.shutdown();
}

#[tokio::test]
async fn on_its_own_port_the_api_is_not_on_the_chats() {
    let db = TestDb::new();
    let config = Config { api_keys: vec![KEY.into()], api_port: Some(0), ..db.config() };
    let (addr, api_port, stop) = start(&config).await;
    let api_port = api_port.expect("the API's own port");
    assert_ne!(api_port, addr);
    let publish = json!({ "channel": "general", "data": "hello" });
    let answer = post(api_port, "/api/publish", Some(KEY), &publish).await;
    assert_eq!(answer.status(), 200, "{}", answer.body_text());
    let on_chat = post(addr, "/api/publish", Some(KEY), &publish).await;
    assert_eq!(on_chat.status(), 405, "the chat's port has no API: only GET and HEAD there");
    stop.shutdown();
}

#[tokio::test]
async fn without_a_key_there_is_no_api() {
    let db = TestDb::new();
    let (addr, _, stop) = start(&db.config()).await;
    let answer =
        post(addr, "/api/publish", Some(KEY), &json!({ "channel": "general", "data": "x" })).await;
    assert_eq!(answer.status(), 405);
    stop.shutdown();
}
