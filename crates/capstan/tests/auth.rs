//! Authentication at the handshake over real sockets: `Authenticate` with
//! `JwtAuth` (a token in the Authorization header, a cookie or the query
//! string) and with a closure. Accepted upgrades carry the identity into
//! every callback; refused ones get their status before any upgrade, and
//! the application never sees them.
#![cfg(feature = "jwt")]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use capstan::Rejection;
use capstan::http::{Authenticate, JwtAuth, JwtClaims};
use capstan::{HttpServer, Message, Request, WsServer};
use common::*;
use futures_util::{SinkExt, StreamExt};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const SECRET: &[u8] = b"integration-test-secret-32-bytes";

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn token(secret: &[u8], claims: Value) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret))
        .unwrap()
}

fn valid(sub: &str) -> String {
    token(SECRET, json!({ "sub": sub, "exp": now() + 600 }))
}

/// A server that requires an HS256 token; returns what its app sees.
async fn jwt_server() -> (TestServer, mpsc::UnboundedReceiver<Seen>) {
    let (recorder, seen) = Recorder::new(true);
    let auth = Authenticate::new(WsServer::new(recorder), JwtAuth::hs256(SECRET));
    (TestServer::start(HttpServer::new(auth)).await, seen)
}

/// Opens a WebSocket at `path` with extra headers; panics unless upgraded.
async fn connect(
    server: &TestServer,
    path: &str,
    headers: &[(&'static str, String)],
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut request = server.url(path).into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(*name, HeaderValue::from_str(value).unwrap());
    }
    let (ws, response) = timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("handshake in time")
        .unwrap_or_else(|e| panic!("not upgraded: {e}"));
    assert_eq!(response.status(), 101);
    ws
}

/// The identity the app sees in on_open, then in on_message.
async fn identity_seen(seen: &mut mpsc::UnboundedReceiver<Seen>) -> JwtClaims {
    let Seen::Open(conn) = next_seen(seen).await else { panic!("on_open first") };
    let claims = conn.identity::<JwtClaims>().expect("on_open sees the identity").clone();
    let Seen::Message(conn, _) = next_seen(seen).await else { panic!("then on_message") };
    assert_eq!(conn.identity::<JwtClaims>(), Some(&claims), "on_message sees it too");
    claims
}

/// An upgrade request on a raw socket: the whole answer, up to the close.
async fn refused(server: &TestServer, path: &str, extra: &str) -> String {
    http_exchange(server.addr, upgrade_request(path, extra).as_bytes()).await
}

#[track_caller]
fn assert_401(answer: &str, message: &str) {
    assert!(answer.starts_with("HTTP/1.1 401 Unauthorized\r\n"), "{answer}");
    let challenge = answer
        .split("\r\n")
        .find_map(|line| line.strip_prefix("WWW-Authenticate: "))
        .unwrap_or_else(|| panic!("no WWW-Authenticate: {answer}"));
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert!(!answer.contains("Sec-WebSocket-Accept"), "{answer}");
    assert!(answer.ends_with(&format!("\r\n\r\n{message}\n")), "{answer}");
}

#[tokio::test]
async fn a_valid_token_in_each_place_upgrades_and_every_callback_sees_it() {
    let (server, mut seen) = jwt_server().await;
    let places = [
        (
            "header",
            "/ws".to_owned(),
            vec![("authorization", format!("Bearer {}", valid("by-header")))],
        ),
        (
            "cookie",
            "/ws".to_owned(),
            vec![("cookie", format!("lang=en; token={}", valid("by-cookie")))],
        ),
        ("query", format!("/ws?room=1&token={}", valid("by-query")), vec![]),
    ];
    for (place, path, headers) in places {
        let mut ws = connect(&server, &path, &headers).await;
        ws.send(tungstenite::Message::text("hi")).await.unwrap();
        let echo = timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(echo, tungstenite::Message::text("hi"));
        let claims = identity_seen(&mut seen).await;
        assert_eq!(claims.sub.as_deref(), Some(format!("by-{place}").as_str()));
        ws.close(None).await.unwrap();
        let _ = next_close(&mut seen).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn bad_missing_or_expired_tokens_get_401_and_never_reach_the_app() {
    let (server, mut seen) = jwt_server().await;
    let wrong =
        token(b"some-other-secret-of-32-bytes...", json!({ "sub": "x", "exp": now() + 600 }));
    let expired = token(SECRET, json!({ "sub": "x", "exp": now() - 3600 }));
    let cases = [
        ("/ws", String::new(), "missing token"),
        ("/ws", "Authorization: Basic YTpi\r\n".to_owned(), "missing token"),
        ("/ws", format!("Authorization: Bearer {wrong}\r\n"), "invalid token"),
        ("/ws", "Cookie: token=not.a.jwt\r\n".to_owned(), "invalid token"),
        ("/ws", format!("Cookie: token={expired}\r\n"), "token expired"),
        (&*format!("/ws?token={expired}"), String::new(), "token expired"),
    ];
    for (path, extra, message) in &cases {
        assert_401(&refused(&server, path, extra).await, message);
    }
    // The application saw none of them: the next thing it sees is this one.
    let mut ws = connect(&server, &format!("/ws?token={}", valid("after")), &[]).await;
    ws.send(tungstenite::Message::text("hi")).await.unwrap();
    assert_eq!(identity_seen(&mut seen).await.sub.as_deref(), Some("after"));
    assert!(seen.try_recv().is_err(), "nothing else reached the app");
    ws.close(None).await.unwrap();
    let _ = next_close(&mut seen).await;
    drop(ws);
    server.stop().await;
}

#[tokio::test]
async fn tungstenite_reports_the_401() {
    let (server, _seen) = jwt_server().await;
    let request = server.url("/ws").into_client_request().unwrap();
    let error = timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("in time")
        .expect_err("refused");
    match error {
        tungstenite::Error::Http(response) => {
            assert_eq!(response.status(), 401);
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
        }
        other => panic!("{other:?}"),
    }
    server.stop().await;
}

#[tokio::test]
async fn plain_http_requests_are_not_asked_for_a_token() {
    let (server, _seen) = jwt_server().await;
    let request = "GET /ws HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let answer = http_exchange(server.addr, request.as_bytes()).await;
    // The WebSocket layer's own answer to a request that is no upgrade,
    // without a word about tokens.
    assert!(answer.starts_with("HTTP/1.1 426 Upgrade Required\r\n"), "{answer}");
    assert!(!answer.to_ascii_lowercase().contains("www-authenticate"), "{answer}");
    server.stop().await;
}

/// A closure authenticator: an API key header, refused with 403.
fn api_key(request: &Request) -> Result<String, Rejection> {
    match request.header("x-api-key") {
        Some("k-ann") => Ok("ann".to_owned()),
        _ => Err(Rejection::new(403, "unknown API key")),
    }
}

#[tokio::test]
async fn a_closure_authenticator_attaches_its_identity_or_refuses_with_403() {
    let (recorder, mut seen) = Recorder::new(true);
    let auth = Authenticate::new(WsServer::new(recorder), api_key);
    let server = TestServer::start(HttpServer::new(auth)).await;

    for extra in ["", "X-Api-Key: k-bob\r\n"] {
        let answer = refused(&server, "/", extra).await;
        assert!(answer.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{answer}");
        assert!(answer.ends_with("\r\n\r\nunknown API key\n"), "{answer}");
    }

    let mut ws = connect(&server, "/", &[("x-api-key", "k-ann".to_owned())]).await;
    let Seen::Open(conn) = next_seen(&mut seen).await else { panic!("on_open first") };
    assert_eq!(conn.identity::<String>().map(String::as_str), Some("ann"));
    assert_eq!(conn.identity::<JwtClaims>(), None, "only the type attached");
    ws.send(tungstenite::Message::text("x")).await.unwrap();
    let Seen::Message(conn, message) = next_seen(&mut seen).await else { panic!("on_message") };
    assert_eq!(message, Message::text("x"));
    assert_eq!(conn.identity::<String>().map(String::as_str), Some("ann"));
    ws.close(None).await.unwrap();
    let _ = next_close(&mut seen).await;
    drop(ws);
    server.stop().await;
}

/// A session store in its own task, asked over a channel: what an
/// authenticator that looks sessions up in a database or Redis awaits.
#[derive(Clone)]
struct SessionStore(mpsc::UnboundedSender<(String, tokio::sync::oneshot::Sender<Option<String>>)>);

impl SessionStore {
    /// A store that knows `sessions`; `answers`: whether it answers at all.
    fn start(sessions: &[(&str, &str)], answers: bool) -> Self {
        let sessions: std::collections::HashMap<String, String> =
            sessions.iter().map(|(id, user)| (id.to_string(), user.to_string())).collect();
        let (tx, mut rx) = mpsc::unbounded_channel::<(String, tokio::sync::oneshot::Sender<_>)>();
        tokio::spawn(async move {
            let mut unanswered = Vec::new();
            while let Some((id, reply)) = rx.recv().await {
                if answers {
                    let _ = reply.send(sessions.get(&id).cloned());
                } else {
                    unanswered.push(reply);
                }
            }
        });
        Self(tx)
    }
}

impl capstan::http::Authenticator for SessionStore {
    type Identity = String;

    async fn authenticate(&self, request: &Request) -> Result<String, Rejection> {
        let id = request.cookie("session").unwrap_or_default().to_owned();
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.0.send((id, reply)).map_err(|_| Rejection::new(503, "the store is gone"))?;
        match answer.await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => Err(Rejection::new(401, "no such session")),
            Err(_) => Err(Rejection::new(503, "the store is gone")),
        }
    }
}

#[tokio::test]
async fn an_authenticator_that_awaits_a_lookup_attaches_what_it_found() {
    let (recorder, mut seen) = Recorder::new(true);
    let store = SessionStore::start(&[("s-1", "ann")], true);
    let auth = Authenticate::new(WsServer::new(recorder), store);
    let server = TestServer::start(HttpServer::new(auth)).await;

    let answer = refused(&server, "/", "Cookie: session=s-9\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 401 Unauthorized\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nno such session\n"), "{answer}");

    let mut ws = connect(&server, "/", &[("cookie", "session=s-1".to_owned())]).await;
    let Seen::Open(conn) = next_seen(&mut seen).await else { panic!("on_open first") };
    assert_eq!(conn.identity::<String>().map(String::as_str), Some("ann"));
    ws.close(None).await.unwrap();
    let _ = next_close(&mut seen).await;
    drop(ws);
    server.stop().await;
}

#[tokio::test]
async fn an_authenticator_that_never_decides_is_answered_503_at_the_handshake_timeout() {
    let (recorder, mut seen) = Recorder::new(true);
    let store = SessionStore::start(&[("s-1", "ann")], false);
    let auth = Authenticate::new(WsServer::new(recorder), store);
    let config =
        capstan::HttpConfig { handshake_timeout: Duration::from_millis(300), ..Default::default() };
    let server = TestServer::start(HttpServer::new(auth).with_config(config)).await;

    let answer = refused(&server, "/", "Cookie: session=s-1\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nthe server could not decide in time\n"), "{answer}");
    assert!(seen.try_recv().is_err(), "the application never saw the connection");
    server.stop().await;
}
