//! The chat server with tokens required (`--jwt-secret`,
//! `--jwt-public-key`): no valid token, no WebSocket; the token, not
//! `add_user`, decides the user name (docs/chat-protocol.md,
//! "Authentication"). Real servers on ephemeral ports, real clients.

mod common;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use capstan_chat::{ChatServer, Config};
use capstan_testkit::handshake::{self, SAMPLE_KEY};
use capstan_testkit::http;
use common::{Client, Server, TestDb};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite;

const SECRET: &str = "chat-test-secret-of-32-bytes-...";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../capstan/tests/fixtures").join(name)
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// An HS256 token for `claims` (an `exp` ten minutes ahead is added).
fn hs256(claims: Value) -> String {
    sign(Algorithm::HS256, &EncodingKey::from_secret(SECRET.as_bytes()), claims)
}

fn sign(algorithm: Algorithm, key: &EncodingKey, mut claims: Value) -> String {
    if claims.get("exp").is_none() {
        claims["exp"] = json!(now() + 600);
    }
    jsonwebtoken::encode(&Header::new(algorithm), &claims, key).unwrap()
}

fn secret_config(db: &TestDb) -> Config {
    Config { jwt_secret: Some(SECRET.to_owned()), ..db.config() }
}

/// A client presenting `token` in the query string (what a browser page
/// can do; the cookie `token` and `Authorization: Bearer` work too).
async fn with_token(server: &Server, token: &str) -> Client {
    Client::connect(server.addr, &format!("/ws?token={token}"), None)
        .await
        .unwrap_or_else(|e| panic!("not upgraded: {e}"))
}

/// The status and body of the answer to an upgrade request at `target`,
/// sent by hand with `extra` header lines.
async fn upgrade_answer(server: &Server, target: &str, extra: &str) -> (String, String) {
    let request = handshake::request(&server.addr.to_string(), target, SAMPLE_KEY, extra);
    let raw = http::exchange(server.addr, request.as_bytes()).await;
    let answer = String::from_utf8_lossy(&raw);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (head.to_owned(), body.to_owned())
}

#[tokio::test]
async fn no_token_no_websocket() {
    let db = TestDb::new();
    let server = Server::start(&secret_config(&db)).await;

    let (head, body) = upgrade_answer(&server, "/ws", "").await;
    assert!(head.starts_with("HTTP/1.1 401 "), "{head}");
    assert!(head.contains("\r\nWWW-Authenticate: Bearer"), "{head}");
    assert_eq!(body, "missing token\n");

    let wrong = sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(b"not-the-server-secret-32-bytes.."),
        json!({ "sub": "alice" }),
    );
    let expired = hs256(json!({ "sub": "alice", "exp": now() - 3600 }));
    for (target, extra, message) in [
        (format!("/ws?token={wrong}"), String::new(), "invalid token\n"),
        ("/ws".to_owned(), format!("Cookie: token={expired}\r\n"), "token expired\n"),
        ("/".to_owned(), "Authorization: Bearer x.y.z\r\n".to_owned(), "invalid token\n"),
    ] {
        let (head, body) = upgrade_answer(&server, &target, &extra).await;
        assert!(head.starts_with("HTTP/1.1 401 "), "{target} {extra}: {head}");
        assert_eq!(body, message, "{target} {extra}");
    }

    // A WebSocket client sees the refusal as an HTTP error.
    match Client::connect(server.addr, "/ws", None).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("upgraded without a token"),
    }

    // The web client and plain HTTP are served as before.
    let page = common::http_get(server.addr, "/").await;
    assert_eq!(page.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn the_token_decides_the_name() {
    let db = TestDb::new();
    let server = Server::start(&secret_config(&db)).await;

    // `name` first; the name asked for is ignored.
    let mut alice = with_token(&server, &hs256(json!({ "sub": "u-1", "name": "Alice" }))).await;
    let answer = alice.add_user(json!({ "username": "mallory" })).await;
    assert_eq!(answer["username"], "Alice");
    assert_eq!(answer["members"], json!(["Alice"]));

    // No `name`: `sub`. Others see the token's names.
    let mut bob = with_token(&server, &hs256(json!({ "sub": "bob" }))).await;
    assert_eq!(bob.add_user(json!({ "username": "Alice" })).await["username"], "bob");
    alice.expect_change("general", "bob", "join").await;

    bob.send("message", json!({ "content": "hi" })).await;
    assert_eq!(alice.expect("message").await["author"], "bob");

    // Renaming keeps the token's name.
    assert_eq!(bob.ask("rename_user", json!({ "username": "robert" })).await["username"], "bob");
    // add_user again renames (answered with `renamed`): the same.
    bob.send("add_user", json!({ "username": "rob" })).await;
    assert_eq!(bob.expect("renamed").await["username"], "bob");
    bob.send("message", json!({ "content": "still bob" })).await;
    assert_eq!(alice.expect("message").await["author"], "bob");

    server.stop().await;
}

#[tokio::test]
async fn the_same_token_name_takes_its_session_over() {
    let db = TestDb::new();
    let server = Server::start(&secret_config(&db)).await;

    let mut first = with_token(&server, &hs256(json!({ "sub": "ann" }))).await;
    let answer = first.add_user(json!({ "username": "ann" })).await;
    // Another token for the same user (no session sent): the same user's
    // new connection, which takes the name over.
    let mut second = with_token(&server, &hs256(json!({ "sub": "ann", "jti": "2" }))).await;
    let again = second.add_user(json!({ "username": "x" })).await;
    assert_eq!(again["username"], "ann");
    assert_ne!(again["session"], answer["session"]);
    assert_eq!(first.expect_close().await, Some(4001));

    // A different user whose name differs only in case is not the same user.
    let mut other = with_token(&server, &hs256(json!({ "sub": "ANN" }))).await;
    other.send("add_user", json!({ "username": "ANN" })).await;
    assert_eq!(other.expect_error().await["code"], "name_taken");

    server.stop().await;
}

#[tokio::test]
async fn a_token_without_a_usable_name_is_forbidden() {
    let db = TestDb::new();
    let server = Server::start(&secret_config(&db)).await;
    for claims in
        [json!({ "role": "x" }), json!({ "sub": "a|b" }), json!({ "name": "x".repeat(40) })]
    {
        let token = hs256(claims.clone());
        let (head, body) = upgrade_answer(&server, &format!("/ws?token={token}"), "").await;
        assert!(head.starts_with("HTTP/1.1 403 "), "{claims}: {head}");
        assert!(body.contains("token"), "{claims}: {body}");
    }
    server.stop().await;
}

#[tokio::test]
async fn token_names_follow_the_rules_of_names() {
    let db = TestDb::new();
    let server = Server::start(&secret_config(&db)).await;
    // Invisible characters in the claim: 403 before the upgrade, saying why.
    for claims in [json!({ "sub": "ann\u{200b}" }), json!({ "name": "\u{202e}nna" })] {
        let token = hs256(claims.clone());
        let (head, body) = upgrade_answer(&server, &format!("/ws?token={token}"), "").await;
        assert!(head.starts_with("HTTP/1.1 403 "), "{claims}: {head}");
        assert!(body.contains("invisible"), "{claims}: {body}");
    }
    // Kept in NFKC, like any name.
    let mut wide = with_token(&server, &hs256(json!({ "sub": "ｗｉｄｅ" }))).await;
    assert_eq!(wide.add_user(json!({ "username": "x" })).await["username"], "wide");
    // A token user whose name looks like a connected user's is refused.
    let mut alice = with_token(&server, &hs256(json!({ "sub": "alice" }))).await;
    alice.add_user(json!({ "username": "x" })).await;
    let mut fake = with_token(&server, &hs256(json!({ "sub": "аlice" }))).await;
    fake.send("add_user", json!({ "username": "x" })).await;
    let error = fake.expect_error().await;
    assert_eq!(error["code"], "name_taken", "{error}");
    server.stop().await;
}

#[tokio::test]
async fn origins_are_checked_before_tokens() {
    let db = TestDb::new();
    let server = Server::start(&secret_config(&db)).await;
    let token = hs256(json!({ "sub": "alice" }));
    let path = format!("/ws?token={token}");
    match Client::connect(server.addr, &path, Some("https://evil.example")).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a foreign page got in"),
    }
    let own = format!("http://{}", server.addr);
    let mut client = Client::connect(server.addr, &path, Some(&own)).await.unwrap();
    assert_eq!(client.add_user(json!({ "username": "z" })).await["username"], "alice");
    server.stop().await;
}

#[tokio::test]
async fn rs256_with_a_public_key_file() {
    let db = TestDb::new();
    let config = Config { jwt_public_key: Some(fixture("jwt_rsa_public.pem")), ..db.config() };
    let server = Server::start(&config).await;

    let private = std::fs::read(fixture("jwt_rsa_private.pem")).unwrap();
    let key = EncodingKey::from_rsa_pem(&private).unwrap();
    let mut carol =
        with_token(&server, &sign(Algorithm::RS256, &key, json!({ "sub": "carol" }))).await;
    assert_eq!(carol.add_user(json!({ "username": "someone" })).await["username"], "carol");

    // Signed by another key, or HS256 keyed with the public key: refused.
    let other = std::fs::read(fixture("jwt_rsa_other_private.pem")).unwrap();
    let other = sign(
        Algorithm::RS256,
        &EncodingKey::from_rsa_pem(&other).unwrap(),
        json!({ "sub": "eve" }),
    );
    let public = std::fs::read(fixture("jwt_rsa_public.pem")).unwrap();
    let confused =
        sign(Algorithm::HS256, &EncodingKey::from_secret(&public), json!({ "sub": "eve" }));
    for token in [other, confused] {
        let (head, body) = upgrade_answer(&server, &format!("/ws?token={token}"), "").await;
        assert!(head.starts_with("HTTP/1.1 401 "), "{head}");
        assert_eq!(body, "invalid token\n");
    }
    server.stop().await;
}

#[tokio::test]
async fn bad_key_configuration_fails_at_start() {
    let db = TestDb::new();
    let missing = Config { jwt_public_key: Some(fixture("no-such-key.pem")), ..db.config() };
    let error = ChatServer::bind(&missing).await.err().expect("refused");
    assert!(error.to_string().contains("no-such-key.pem"), "{error}");

    let not_a_key = Config { jwt_public_key: Some(fixture("README.md")), ..db.config() };
    let error = ChatServer::bind(&not_a_key).await.err().expect("refused");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{error}");

    let empty = Config { jwt_secret: Some(String::new()), ..db.config() };
    assert!(ChatServer::bind(&empty).await.is_err());
}

#[tokio::test]
async fn without_a_key_tokens_are_ignored_and_names_are_asked_for() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let mut client = with_token(&server, &hs256(json!({ "sub": "alice" }))).await;
    assert_eq!(client.add_user(json!({ "username": "dave" })).await["username"], "dave");
    let (_, answer) = server.named("erin").await;
    assert_eq!(answer["username"], "erin");
    server.stop().await;
}
