//! The HTTP side of the server over real sockets: the opening handshake and
//! its error answers, routing, head limits, slowloris, plain HTTP on the
//! WebSocket port, what the application sees of the upgrade request,
//! subprotocols and the connection limit.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use capstan::ws::{Event, OpCode, encode_client_frame};
use capstan::{
    HttpConfig, HttpServer, HttpService, Message, Router, ServerConfig, WsConfig, WsServer,
};
use capstan_testkit::http::{self, Response, read_response};
use common::*;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Sec-WebSocket-Accept for [`KEY`], from RFC 6455 §1.3.
const RFC_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// An HTTP response as received.
type Answer = Response;

/// The checks these tests make of an answer.
trait Check {
    /// Checks the status code and that the status line is well-formed HTTP/1.1.
    fn assert_status(&self, status: u16);
    /// An error answer: the status, `close` in Connection, and a body whose
    /// length matches Content-Length.
    fn assert_error(&self, status: u16);
}

impl Check for Answer {
    fn assert_status(&self, status: u16) {
        assert!(self.status_line.starts_with("HTTP/1.1 "), "status line {:?}", self.status_line);
        assert_eq!(self.status(), status, "unexpected answer: {self:#?}");
    }

    fn assert_error(&self, status: u16) {
        self.assert_status(status);
        let connection = self.header("connection").unwrap_or_default().to_ascii_lowercase();
        assert!(connection.split(',').any(|t| t.trim() == "close"), "{self:#?}");
        let length: usize = self.header("content-length").expect("content-length").parse().unwrap();
        assert_eq!(length, self.body.len(), "{self:#?}");
        assert!(!self.body.is_empty(), "error answers explain themselves");
    }
}

/// Splits a response head off `raw`: the answer (without body) and the head
/// length, or `None` if the head is not complete yet.
fn parse_head(raw: &[u8]) -> Option<(Answer, usize)> {
    Response::parse_head(raw).unwrap_or_else(|e| panic!("{e}"))
}

/// Reads until the server closes the connection (a clean FIN or a reset),
/// within [`WAIT`]; panics if it keeps the connection open.
async fn read_until_closed(stream: &mut TcpStream, into: &mut Vec<u8>) {
    let _ = http::read_until_closed(stream, into).await;
}

/// Parses a whole response that ended with the connection.
fn parse_closed(raw: &[u8]) -> Answer {
    Response::parse(raw)
}

/// Sends `request` on a new connection and returns the answer, checking that
/// the server then closes the connection.
async fn exchange(addr: SocketAddr, request: &[u8]) -> Answer {
    Response::parse(&http::exchange(addr, request).await)
}

/// Sends `request` (which may carry frames behind its head) on a new
/// connection; the server must answer 101, with exactly `Upgrade:
/// websocket` and `Connection: upgrade` (in any case).
async fn upgrade(addr: SocketAddr, request: impl AsRef<[u8]>) -> (Client, Answer) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let upgraded =
        timeout(WAIT, Client::upgrade(stream, request.as_ref())).await.expect("answer in time");
    let peer = upgraded.unwrap_or_else(|e| panic!("not upgraded: {e}"));
    let answer = peer.response().clone();
    answer.assert_status(101);
    assert_eq!(answer.header("upgrade").map(str::to_ascii_lowercase).as_deref(), Some("websocket"));
    assert_eq!(
        answer.header("connection").map(str::to_ascii_lowercase).as_deref(),
        Some("upgrade")
    );
    (peer, answer)
}

/// What these tests do with an upgraded connection.
trait Peer {
    /// Sends a text message and expects it back (the recorder echoes).
    async fn echo(&mut self, text: &str);
    /// Runs the close handshake and checks the server closes the socket.
    async fn close(self);
}

impl Peer for Client {
    async fn echo(&mut self, text: &str) {
        self.send_frame(OpCode::Text, true, text.as_bytes()).await;
        assert_eq!(self.next_event().await, Some(Event::Message(Message::text(text.to_owned()))));
    }

    async fn close(mut self) {
        self.send_frame(OpCode::Close, true, &1000u16.to_be_bytes()).await;
        assert_eq!(self.expect_close().await.map(|f| f.code.0), Some(1000));
    }
}

/// The next `on_open`'s connection.
async fn next_open(rx: &mut mpsc::UnboundedReceiver<Seen>) -> capstan::Conn {
    loop {
        match next_seen(rx).await {
            Seen::Open(conn) => return conn,
            Seen::Error(_, error) => panic!("error before open: {error}"),
            _ => continue,
        }
    }
}

/// A plain WebSocket echo server.
async fn echo_server() -> (TestServer, mpsc::UnboundedReceiver<Seen>) {
    let (recorder, seen) = Recorder::new(true);
    (TestServer::start(HttpServer::new(WsServer::new(recorder))).await, seen)
}

/// An upgrade request with one standard header replaced (or removed, when
/// `value` is `None`).
fn upgrade_with(name: &str, value: Option<&str>) -> String {
    let mut out = String::new();
    for line in upgrade_request("/", "").split_inclusive("\r\n") {
        let header = line.split_once(':').map(|(n, _)| n);
        if header.is_some_and(|n| n.eq_ignore_ascii_case(name)) {
            if let Some(value) = value {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        } else {
            out.push_str(line);
        }
    }
    out
}

/// A service that answers every plain request with "page".
fn page_service() -> HttpService {
    HttpService::from_fn(
        |_request| async move { ::http::Response::new(Full::new(Bytes::from("page"))) },
    )
}

/// A service that answers with the method and path it was given.
fn path_service() -> HttpService {
    HttpService::from_fn(|request| async move {
        let body = format!("page {} {}", request.method(), request.uri().path());
        ::http::Response::new(Full::new(Bytes::from(body)))
    })
}

// ---------------------------------------------------------------------------
// 1. The valid handshake
// ---------------------------------------------------------------------------

#[tokio::test]
async fn valid_upgrade_gets_101_with_the_rfc_accept_key() {
    let (server, mut seen) = echo_server().await;
    let (mut peer, answer) = upgrade(server.addr, upgrade_request("/", "")).await;
    assert_eq!(answer.status_line, "HTTP/1.1 101 Switching Protocols");
    assert_eq!(answer.header("sec-websocket-accept"), Some(RFC_ACCEPT));
    assert_eq!(answer.header("sec-websocket-protocol"), None, "no protocol was offered");
    next_open(&mut seen).await;
    peer.echo("after the handshake").await;
    peer.close().await;
    server.stop().await;
}

#[tokio::test]
async fn browser_style_header_values_are_accepted() {
    // Firefox sends "Connection: keep-alive, Upgrade"; token matching is
    // case-insensitive and the key may carry surrounding whitespace.
    let (server, mut seen) = echo_server().await;
    let request = "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: WebSocket\r\n\
        Connection: keep-alive, upgrade\r\nSec-WebSocket-Key:   dGhlIHNhbXBsZSBub25jZQ==  \r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";
    let (mut peer, answer) = upgrade(server.addr, request.as_bytes()).await;
    assert_eq!(answer.header("sec-websocket-accept"), Some(RFC_ACCEPT));
    next_open(&mut seen).await;
    peer.echo("firefox").await;
    peer.close().await;
    server.stop().await;
}

#[tokio::test]
async fn frame_sent_with_the_handshake_is_not_lost() {
    // A client may pipeline its first frame right behind the request head.
    let (server, mut seen) = echo_server().await;
    let mut request = upgrade_request("/", "").into_bytes();
    request.extend(encode_client_frame(OpCode::Text, true, b"early", [5, 6, 7, 8]));
    let (mut peer, _) = upgrade(server.addr, &request).await;
    assert_eq!(peer.next_event().await, Some(Event::Message(Message::text("early"))));
    let conn = next_open(&mut seen).await;
    match next_seen(&mut seen).await {
        Seen::Message(c, message) => {
            assert_eq!(c.id(), conn.id());
            assert_eq!(message, Message::text("early"));
        }
        other => panic!("expected the early message, saw {other:?}"),
    }
    peer.close().await;
    server.stop().await;
}

// ---------------------------------------------------------------------------
// 2. Handshake errors
// ---------------------------------------------------------------------------

#[tokio::test]
async fn bad_key_is_400() {
    let (server, _seen) = echo_server().await;
    for key in ["not base64!", "c2hvcnQ=", "AAAAAAAAAAAAAAAAAAAAAAAA"] {
        let answer =
            exchange(server.addr, upgrade_with("Sec-WebSocket-Key", Some(key)).as_bytes()).await;
        answer.assert_error(400);
        assert_eq!(answer.header("sec-websocket-accept"), None);
    }
    server.stop().await;
}

#[tokio::test]
async fn missing_or_repeated_key_is_400() {
    let (server, _seen) = echo_server().await;
    let answer = exchange(server.addr, upgrade_with("Sec-WebSocket-Key", None).as_bytes()).await;
    answer.assert_error(400);
    let twice = upgrade_request("/", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n");
    exchange(server.addr, twice.as_bytes()).await.assert_error(400);
    server.stop().await;
}

#[tokio::test]
async fn missing_host_is_400() {
    let (server, _seen) = echo_server().await;
    let answer = exchange(server.addr, upgrade_with("Host", None).as_bytes()).await;
    answer.assert_error(400);
    assert!(answer.body_text().to_ascii_lowercase().contains("host"), "{answer:#?}");
    server.stop().await;
}

#[tokio::test]
async fn connection_without_upgrade_token_is_400() {
    let (server, _seen) = echo_server().await;
    let request = upgrade_with("Connection", Some("keep-alive"));
    let answer = exchange(server.addr, request.as_bytes()).await;
    answer.assert_error(400);
    assert!(answer.body_text().contains("Connection"), "{answer:#?}");
    // A token that merely contains "upgrade" is not the token.
    let request = upgrade_with("Connection", Some("upgraded"));
    exchange(server.addr, request.as_bytes()).await.assert_error(400);
    server.stop().await;
}

#[tokio::test]
async fn post_upgrade_is_405_with_allow_get() {
    let (server, _seen) = echo_server().await;
    let request = upgrade_request("/", "").replacen("GET", "POST", 1);
    let answer = exchange(server.addr, request.as_bytes()).await;
    answer.assert_error(405);
    assert_eq!(answer.status_line, "HTTP/1.1 405 Method Not Allowed");
    assert_eq!(answer.header("allow"), Some("GET"));
    server.stop().await;
}

#[tokio::test]
async fn version_8_is_426_with_the_supported_version() {
    let (server, _seen) = echo_server().await;
    let request = upgrade_with("Sec-WebSocket-Version", Some("8"));
    let answer = exchange(server.addr, request.as_bytes()).await;
    answer.assert_error(426);
    assert_eq!(answer.status_line, "HTTP/1.1 426 Upgrade Required");
    assert_eq!(answer.header("sec-websocket-version"), Some("13"));
    assert_eq!(answer.header("sec-websocket-accept"), None);
    server.stop().await;
}

#[tokio::test]
async fn missing_version_is_426_with_the_supported_version() {
    let (server, _seen) = echo_server().await;
    let request = upgrade_with("Sec-WebSocket-Version", None);
    let answer = exchange(server.addr, request.as_bytes()).await;
    answer.assert_error(426);
    assert_eq!(answer.header("sec-websocket-version"), Some("13"));
    server.stop().await;
}

#[tokio::test]
async fn http_10_upgrade_is_400() {
    let (server, _seen) = echo_server().await;
    let request = upgrade_request("/", "").replacen("HTTP/1.1", "HTTP/1.0", 1);
    let answer = exchange(server.addr, request.as_bytes()).await;
    answer.assert_error(400);
    assert!(answer.body_text().contains("HTTP/1.1"), "{answer:#?}");
    server.stop().await;
}

#[tokio::test]
async fn rejected_handshakes_never_reach_the_app() {
    let (server, mut seen) = echo_server().await;
    exchange(server.addr, upgrade_with("Host", None).as_bytes()).await.assert_error(400);
    // A valid connection afterwards is the first thing the app sees.
    let (peer, _) = upgrade(server.addr, upgrade_request("/after", "")).await;
    let conn = next_open(&mut seen).await;
    assert_eq!(conn.request().path(), "/after");
    peer.close().await;
    server.stop().await;
}

// ---------------------------------------------------------------------------
// 3. Plain HTTP without a service
// ---------------------------------------------------------------------------

#[tokio::test]
async fn plain_get_without_service_is_426_with_upgrade_websocket() {
    let (server, _seen) = echo_server().await;
    let request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let answer = exchange(server.addr, request.as_bytes()).await;
    answer.assert_error(426);
    assert_eq!(answer.header("upgrade"), Some("websocket"));
    server.stop().await;
}

// ---------------------------------------------------------------------------
// 4. Router
// ---------------------------------------------------------------------------

#[tokio::test]
async fn router_unknown_path_is_404() {
    let (recorder, _seen) = Recorder::new(true);
    let router = Router::new().route("/a", WsServer::new(recorder));
    let server = TestServer::start(HttpServer::new(router)).await;
    for path in ["/b", "/a/", "/", "/A"] {
        let answer = exchange(server.addr, upgrade_request(path, "").as_bytes()).await;
        answer.assert_error(404);
        assert_eq!(answer.status_line, "HTTP/1.1 404 Not Found");
    }
    let plain = "GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n";
    exchange(server.addr, plain.as_bytes()).await.assert_error(404);
    server.stop().await;
}

#[tokio::test]
async fn router_routed_path_upgrades() {
    let (recorder, mut seen) = Recorder::new(true);
    let router = Router::new().route("/a", WsServer::new(recorder));
    let server = TestServer::start(HttpServer::new(router)).await;
    let (mut peer, answer) = upgrade(server.addr, upgrade_request("/a?x=1", "")).await;
    assert_eq!(answer.header("sec-websocket-accept"), Some(RFC_ACCEPT));
    let conn = next_open(&mut seen).await;
    assert_eq!(conn.request().path(), "/a");
    assert_eq!(conn.request().query_param("x").as_deref(), Some("1"));
    peer.echo("routed").await;
    peer.close().await;
    server.stop().await;
}

#[tokio::test]
async fn router_gives_each_route_its_own_connections() {
    let (first, mut seen_a) = Recorder::new(true);
    let (second, mut seen_b) = Recorder::new(true);
    let router = Router::new().route("/a", WsServer::new(first)).route("/b", WsServer::new(second));
    let server = TestServer::start(HttpServer::new(router)).await;

    let (mut peer_a, _) = upgrade(server.addr, upgrade_request("/a", "")).await;
    let conn_a = next_open(&mut seen_a).await;
    assert_eq!(conn_a.request().path(), "/a");
    let (mut peer_b, _) = upgrade(server.addr, upgrade_request("/b", "")).await;
    let conn_b = next_open(&mut seen_b).await;
    assert_eq!(conn_b.request().path(), "/b");
    assert_ne!(conn_a.id(), conn_b.id());

    peer_a.echo("to a").await;
    peer_b.echo("to b").await;
    match next_seen(&mut seen_a).await {
        Seen::Message(conn, message) => {
            assert_eq!(conn.id(), conn_a.id());
            assert_eq!(message, Message::text("to a"));
        }
        other => panic!("route /a saw {other:?}"),
    }
    match next_seen(&mut seen_b).await {
        Seen::Message(conn, message) => {
            assert_eq!(conn.id(), conn_b.id());
            assert_eq!(message, Message::text("to b"));
        }
        other => panic!("route /b saw {other:?}"),
    }
    peer_a.close().await;
    peer_b.close().await;
    assert_eq!(next_close(&mut seen_a).await.code.0, 1000);
    assert_eq!(next_close(&mut seen_b).await.code.0, 1000);
    // Neither recorder saw the other route's connection.
    assert!(seen_a.try_recv().is_err(), "nothing else on /a");
    assert!(seen_b.try_recv().is_err(), "nothing else on /b");
    server.stop().await;
}

// ---------------------------------------------------------------------------
// 5. Head size and header count limits
// ---------------------------------------------------------------------------

fn small_head_server(recorder: Recorder) -> HttpServer<WsServer<Recorder>> {
    let config = HttpConfig { max_head_size: 1024, ..Default::default() };
    HttpServer::new(WsServer::new(recorder)).with_config(config)
}

/// An upgrade request padded with an X-Pad header to exactly `len` bytes.
fn padded_upgrade(len: usize) -> String {
    let base = upgrade_request("/", "X-Pad: \r\n").len();
    assert!(len >= base, "cannot pad to {len}");
    let request = upgrade_request("/", &format!("X-Pad: {}\r\n", "p".repeat(len - base)));
    assert_eq!(request.len(), len);
    request
}

#[tokio::test]
async fn head_over_the_limit_is_431() {
    let (recorder, _seen) = Recorder::new(true);
    let server = TestServer::start(small_head_server(recorder)).await;
    let answer = exchange(server.addr, padded_upgrade(2048).as_bytes()).await;
    answer.assert_error(431);
    assert_eq!(answer.status_line, "HTTP/1.1 431 Request Header Fields Too Large");
    server.stop().await;
}

#[tokio::test]
async fn head_one_byte_over_the_limit_is_431() {
    let (recorder, _seen) = Recorder::new(true);
    let server = TestServer::start(small_head_server(recorder)).await;
    exchange(server.addr, padded_upgrade(1025).as_bytes()).await.assert_error(431);
    server.stop().await;
}

#[tokio::test]
async fn head_at_and_below_the_limit_is_accepted() {
    let (recorder, mut seen) = Recorder::new(true);
    let server = TestServer::start(small_head_server(recorder)).await;
    for len in [1024, 1023, 600] {
        let (mut peer, answer) = upgrade(server.addr, padded_upgrade(len)).await;
        assert_eq!(answer.header("sec-websocket-accept"), Some(RFC_ACCEPT));
        next_open(&mut seen).await;
        peer.echo("fits").await;
        peer.close().await;
    }
    server.stop().await;
}

/// An upgrade request with `extra` more header lines than the standard five.
fn upgrade_with_headers(extra: usize) -> String {
    let lines: String = (0..extra).map(|i| format!("X-H{i}: v\r\n")).collect();
    upgrade_request("/", &lines)
}

#[tokio::test]
async fn more_than_64_header_lines_is_431() {
    let (server, _seen) = echo_server().await;
    // The standard request has 5 header lines: 5 + 60 = 65.
    let answer = exchange(server.addr, upgrade_with_headers(60).as_bytes()).await;
    answer.assert_error(431);
    let answer = exchange(server.addr, upgrade_with_headers(200).as_bytes()).await;
    answer.assert_error(431);
    server.stop().await;
}

#[tokio::test]
async fn exactly_64_header_lines_are_accepted() {
    let (server, mut seen) = echo_server().await;
    let (mut peer, _) = upgrade(server.addr, upgrade_with_headers(59)).await;
    let conn = next_open(&mut seen).await;
    assert_eq!(conn.request().headers().count(), 64);
    peer.echo("64").await;
    peer.close().await;
    server.stop().await;
}

// ---------------------------------------------------------------------------
// 6. Not HTTP at all
// ---------------------------------------------------------------------------

/// The start of a TLS 1.2/1.3 ClientHello record (a client speaking wss://
/// or https:// to a plain port).
const CLIENT_HELLO: &[u8] = &[
    0x16, 0x03, 0x01, 0x00, 0x4a, 0x01, 0x00, 0x00, 0x46, 0x03, 0x03, 0x5b, 0x2c, 0x91, 0x0e, 0x77,
    0x1a, 0x8c, 0x3d, 0x4f, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
    0xcc, 0xdd, 0xee, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x00, 0x00,
    0x04, 0x13, 0x01, 0x13, 0x02, 0x01, 0x00, 0x00, 0x19, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x0c, 0x00,
    0x00, 0x09, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x2b, 0x00, 0x03, 0x02,
    0x03, 0x04,
];

#[tokio::test]
async fn tls_client_hello_is_400() {
    let (server, mut seen) = echo_server().await;
    let answer = exchange(server.addr, CLIENT_HELLO).await;
    answer.assert_error(400);
    assert_eq!(answer.status_line, "HTTP/1.1 400 Bad Request");
    assert!(seen.try_recv().is_err(), "the app saw nothing");
    server.stop().await;
}

#[tokio::test]
async fn binary_garbage_is_400() {
    let (server, mut seen) = echo_server().await;
    exchange(server.addr, b"\x00\x01\x02\r\n\r\n").await.assert_error(400);
    // Garbage after a valid request line is caught too.
    exchange(server.addr, b"GET / HTTP/1.1\r\n\x01\x02 bad\r\n\r\n").await.assert_error(400);
    exchange(server.addr, b"NOT HTTP AT ALL\r\n\r\n").await.assert_error(400);
    assert!(seen.try_recv().is_err(), "the app saw nothing");
    server.stop().await;
}

// ---------------------------------------------------------------------------
// 7. Slowloris
// ---------------------------------------------------------------------------

fn impatient_server(recorder: Recorder) -> HttpServer<WsServer<Recorder>> {
    let config = HttpConfig { handshake_timeout: Duration::from_millis(300), ..Default::default() };
    HttpServer::new(WsServer::new(recorder)).with_config(config)
}

#[tokio::test]
async fn half_a_head_then_silence_gets_408() {
    let (recorder, mut seen) = Recorder::new(true);
    let server = TestServer::start(impatient_server(recorder)).await;
    let request = upgrade_request("/", "");
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(&request.as_bytes()[..request.len() / 2]).await.unwrap();
    let mut raw = Vec::new();
    read_until_closed(&mut stream, &mut raw).await;
    let answer = parse_closed(&raw);
    answer.assert_error(408);
    assert_eq!(answer.status_line, "HTTP/1.1 408 Request Timeout");
    assert!(seen.try_recv().is_err(), "the app saw nothing");
    server.stop().await;
}

#[tokio::test]
async fn silent_client_gets_408() {
    let (recorder, _seen) = Recorder::new(true);
    let server = TestServer::start(impatient_server(recorder)).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let mut raw = Vec::new();
    read_until_closed(&mut stream, &mut raw).await;
    parse_closed(&raw).assert_error(408);
    server.stop().await;
}

#[tokio::test]
async fn dribbling_a_head_byte_by_byte_still_gets_408() {
    // The timeout covers the whole head, not each read: a client that keeps
    // sending one byte at a time must not hold the connection forever.
    let (recorder, _seen) = Recorder::new(true);
    let server = TestServer::start(impatient_server(recorder)).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let dribble = tokio::spawn(async move {
        let head = format!("GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: {}", "s".repeat(4000));
        for byte in head.bytes() {
            if write.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let mut raw = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        match timeout(WAIT, read.read(&mut chunk)).await {
            Err(_) => panic!("the server let a dribbling client hold the connection"),
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => raw.extend_from_slice(&chunk[..n]),
        }
    }
    dribble.abort();
    parse_closed(&raw).assert_error(408);
    server.stop().await;
}

// ---------------------------------------------------------------------------
// 8. Plain HTTP handed to a user service on the same port
// ---------------------------------------------------------------------------

fn server_with_service(recorder: Recorder, service: HttpService) -> HttpServer<WsServer<Recorder>> {
    HttpServer::new(WsServer::new(recorder)).with_service(service)
}

#[tokio::test]
async fn plain_get_goes_to_the_service_and_upgrades_still_work() {
    let (recorder, mut seen) = Recorder::new(true);
    let server = TestServer::start(server_with_service(recorder, page_service())).await;

    let request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let answer = exchange(server.addr, request.as_bytes()).await;
    answer.assert_status(200);
    assert_eq!(answer.body_text(), "page");
    assert_eq!(answer.header("content-length"), Some("4"));

    let (mut peer, answer) = upgrade(server.addr, upgrade_request("/", "")).await;
    assert_eq!(answer.header("sec-websocket-accept"), Some(RFC_ACCEPT));
    next_open(&mut seen).await;
    peer.echo("still a websocket server").await;
    peer.close().await;

    // And plain HTTP again after the upgrade.
    let answer = exchange(server.addr, request.as_bytes()).await;
    answer.assert_status(200);
    assert_eq!(answer.body_text(), "page");
    server.stop().await;
}

#[tokio::test]
async fn service_keeps_the_connection_alive_between_requests() {
    let (recorder, _seen) = Recorder::new(true);
    let server = TestServer::start(server_with_service(recorder, path_service())).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let mut buf = BytesMut::new();

    stream.write_all(b"GET /one HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let first = read_response(&mut stream, &mut buf).await;
    first.assert_status(200);
    assert_eq!(first.body_text(), "page GET /one");
    assert_ne!(first.header("connection"), Some("close"));

    stream
        .write_all(b"GET /two HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let second = read_response(&mut stream, &mut buf).await;
    second.assert_status(200);
    assert_eq!(second.body_text(), "page GET /two");

    let mut rest = buf.to_vec();
    read_until_closed(&mut stream, &mut rest).await;
    assert!(rest.is_empty(), "nothing after the last response: {rest:?}");
    server.stop().await;
}

#[tokio::test]
async fn service_answers_pipelined_requests_and_bodies() {
    // Everything the HTTP layer read past the first head (a body, the next
    // request) must reach the service.
    let (recorder, _seen) = Recorder::new(true);
    let echo_body =
        HttpService::from_fn(|request: ::http::Request<hyper::body::Incoming>| async move {
            use http_body_util::BodyExt;
            let (parts, body) = request.into_parts();
            let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            let text =
                format!("{} {} {}", parts.method, parts.uri.path(), String::from_utf8_lossy(&body));
            ::http::Response::new(Full::new(Bytes::from(text)))
        });
    let server = TestServer::start(server_with_service(recorder, echo_body)).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello\
              GET /next HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let mut buf = BytesMut::new();
    let first = read_response(&mut stream, &mut buf).await;
    first.assert_status(200);
    assert_eq!(first.body_text(), "POST /form hello");
    let second = read_response(&mut stream, &mut buf).await;
    second.assert_status(200);
    assert_eq!(second.body_text(), "GET /next ");
    let mut rest = buf.to_vec();
    read_until_closed(&mut stream, &mut rest).await;
    assert!(rest.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn service_gets_unknown_router_paths() {
    let (recorder, mut seen) = Recorder::new(true);
    let router = Router::new().route("/ws", WsServer::new(recorder));
    let server = TestServer::start(HttpServer::new(router).with_service(path_service())).await;
    let request = "GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let answer = exchange(server.addr, request.as_bytes()).await;
    answer.assert_status(200);
    assert_eq!(answer.body_text(), "page GET /index.html");
    let (peer, _) = upgrade(server.addr, upgrade_request("/ws", "")).await;
    next_open(&mut seen).await;
    peer.close().await;
    server.stop().await;
}

#[tokio::test]
async fn idle_keep_alive_connection_with_half_a_head_is_closed() {
    // After the first request, hyper serves the connection; the head timeout
    // must still apply to the next request.
    let (recorder, _seen) = Recorder::new(true);
    let config = HttpConfig { handshake_timeout: Duration::from_millis(300), ..Default::default() };
    let http = server_with_service(recorder, page_service()).with_config(config);
    let server = TestServer::start(http).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let mut buf = BytesMut::new();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    read_response(&mut stream, &mut buf).await.assert_status(200);
    stream.write_all(b"GET / HTTP/1.1\r\nHost: loc").await.unwrap();
    let mut rest = buf.to_vec();
    read_until_closed(&mut stream, &mut rest).await;
    // The unfinished second head is never answered: hyper ends the
    // connection at the timeout without a word (no 200, no 408).
    assert!(rest.is_empty(), "answered: {:?}", String::from_utf8_lossy(&rest));
    server.stop().await;
}

// ---------------------------------------------------------------------------
// 9. The upgrade request, as the application sees it
// ---------------------------------------------------------------------------

#[tokio::test]
async fn upgrade_request_is_visible_to_the_app() {
    let (server, mut seen) = echo_server().await;
    let extra = "Cookie: session=abc123; theme=\"dark\"\r\nX-Custom: hello there\r\n";
    let (first, _) =
        upgrade(server.addr, upgrade_request("/room/42?user=ann%20b&n=1", extra)).await;
    let conn = next_open(&mut seen).await;
    let request = conn.request();
    assert_eq!(request.method(), "GET");
    assert_eq!(request.path(), "/room/42");
    assert_eq!(request.target(), "/room/42?user=ann%20b&n=1");
    assert_eq!(request.query(), Some("user=ann%20b&n=1"));
    assert_eq!(request.query_param("user").as_deref(), Some("ann b"));
    assert_eq!(request.query_param("n").as_deref(), Some("1"));
    assert_eq!(request.query_param("missing"), None);
    assert_eq!(request.cookie("session"), Some("abc123"));
    assert_eq!(request.cookie("theme"), Some("dark"));
    assert_eq!(request.cookie("nope"), None);
    assert_eq!(request.header("x-custom"), Some("hello there"));
    assert_eq!(request.header("X-CUSTOM"), Some("hello there"));
    assert_eq!(request.header("host"), Some("localhost"));
    assert_eq!(conn.remote_addr(), first.stream.local_addr().unwrap());
    assert_eq!(conn.remote_addr().ip(), std::net::Ipv4Addr::LOCALHOST);
    assert_eq!(conn.protocol(), None);

    let (second, _) = upgrade(server.addr, upgrade_request("/room/43", "")).await;
    let other = next_open(&mut seen).await;
    assert_ne!(conn.id(), other.id());
    assert_eq!(other.request().path(), "/room/43");
    assert_eq!(other.request().cookie("session"), None);
    assert_eq!(other.remote_addr(), second.stream.local_addr().unwrap());
    assert_ne!(other.remote_addr(), conn.remote_addr());

    first.close().await;
    second.close().await;
    server.stop().await;
}

// ---------------------------------------------------------------------------
// 10. Subprotocols, with a third-party client
// ---------------------------------------------------------------------------

fn protocol_server(recorder: Recorder, protocols: &[&str]) -> HttpServer<WsServer<Recorder>> {
    let config = WsConfig {
        protocols: protocols.iter().map(|p| p.to_string()).collect(),
        ..Default::default()
    };
    HttpServer::new(WsServer::with_config(recorder, config))
}

fn client_request(server: &TestServer, protocols: &str) -> tungstenite::handshake::client::Request {
    let mut request = server.url("/").into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        tungstenite::http::HeaderValue::from_str(protocols).unwrap(),
    );
    request
}

#[tokio::test]
async fn subprotocol_follows_the_clients_preference() {
    let (recorder, mut seen) = Recorder::new(true);
    let server = TestServer::start(protocol_server(recorder, &["v1", "v2"])).await;
    let request = client_request(&server, "v2, v1");
    let (mut ws, response) = timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("handshake in time")
        .expect("handshake succeeds");
    assert_eq!(response.status(), 101);
    let chosen: Vec<_> = response.headers().get_all("sec-websocket-protocol").iter().collect();
    assert_eq!(chosen, ["v2"]);
    let conn = next_open(&mut seen).await;
    assert_eq!(conn.protocol(), Some("v2"));

    ws.send(tungstenite::Message::text("over v2")).await.unwrap();
    let echoed = timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(echoed, tungstenite::Message::text("over v2"));
    let normal = tungstenite::protocol::CloseFrame {
        code: tungstenite::protocol::frame::coding::CloseCode::Normal,
        reason: "done".into(),
    };
    ws.close(Some(normal)).await.unwrap();
    while let Some(message) = timeout(WAIT, ws.next()).await.expect("server closes") {
        if message.is_err() {
            break;
        }
    }
    assert_eq!(next_close(&mut seen).await.code.0, 1000);
    drop(ws);
    server.stop().await;
}

#[tokio::test]
async fn subprotocol_server_preference_does_not_override_the_client() {
    // Raw client: the server lists v1 first, the client prefers v2.
    let (recorder, mut seen) = Recorder::new(true);
    let server = TestServer::start(protocol_server(recorder, &["v1", "v2"])).await;
    let (peer, answer) =
        upgrade(server.addr, upgrade_request("/", "Sec-WebSocket-Protocol: v3, v2, v1\r\n")).await;
    assert_eq!(answer.header("sec-websocket-protocol"), Some("v2"));
    assert_eq!(next_open(&mut seen).await.protocol(), Some("v2"));
    peer.close().await;
    server.stop().await;
}

#[tokio::test]
async fn subprotocol_without_overlap_is_not_chosen() {
    let (recorder, mut seen) = Recorder::new(true);
    let server = TestServer::start(protocol_server(recorder, &["v1", "v2"])).await;

    // The server must not pick a protocol the client did not offer. RFC 6455
    // lets it accept with none; tungstenite then fails the connection itself
    // (its own policy), which tells us the 101 carried no protocol header.
    let request = client_request(&server, "v3, v4");
    let result = timeout(WAIT, tokio_tungstenite::connect_async(request)).await.expect("in time");
    match result {
        Err(tungstenite::Error::Protocol(
            tungstenite::error::ProtocolError::SecWebSocketSubProtocolError(
                tungstenite::error::SubProtocolError::NoSubProtocol,
            ),
        )) => {}
        Err(other) => panic!("unexpected handshake failure: {other:?}"),
        Ok((_, response)) => panic!("server chose a protocol: {response:?}"),
    }
    // The server did accept the connection, without a protocol.
    let conn = next_open(&mut seen).await;
    assert_eq!(conn.protocol(), None);
    next_close(&mut seen).await;

    // Seen on the wire: 101 and no Sec-WebSocket-Protocol header.
    let (mut peer, answer) =
        upgrade(server.addr, upgrade_request("/", "Sec-WebSocket-Protocol: v3, v4\r\n")).await;
    assert_eq!(answer.header("sec-websocket-protocol"), None, "{answer:#?}");
    assert_eq!(next_open(&mut seen).await.protocol(), None);
    peer.echo("no protocol").await;
    peer.close().await;
    server.stop().await;
}

#[tokio::test]
async fn subprotocol_offered_to_a_server_without_any_is_not_chosen() {
    let (server, mut seen) = echo_server().await;
    let (peer, answer) =
        upgrade(server.addr, upgrade_request("/", "Sec-WebSocket-Protocol: v1\r\n")).await;
    assert_eq!(answer.header("sec-websocket-protocol"), None);
    assert_eq!(next_open(&mut seen).await.protocol(), None);
    peer.close().await;
    server.stop().await;
}

// ---------------------------------------------------------------------------
// 11. Global connection limit
// ---------------------------------------------------------------------------

#[tokio::test]
async fn connection_over_the_limit_gets_503() {
    let (recorder, mut seen) = Recorder::new(true);
    let config = ServerConfig { max_connections: 2, ..Default::default() };
    let server = TestServer::start_with(HttpServer::new(WsServer::new(recorder)), config).await;

    let (first, _) = upgrade(server.addr, upgrade_request("/", "")).await;
    let (mut second, _) = upgrade(server.addr, upgrade_request("/", "")).await;
    next_open(&mut seen).await;
    next_open(&mut seen).await;

    // The third is answered before it sends anything, and closed.
    let mut third = TcpStream::connect(server.addr).await.unwrap();
    let mut raw = Vec::new();
    read_until_closed(&mut third, &mut raw).await;
    let answer = parse_closed(&raw);
    answer.assert_error(503);
    assert_eq!(answer.status_line, "HTTP/1.1 503 Service Unavailable");
    assert_eq!(answer.header("sec-websocket-accept"), None);
    assert!(seen.try_recv().is_err(), "the app never saw the third connection");

    // The two admitted connections are unaffected.
    second.echo("still here").await;

    // Once one leaves, a new connection is admitted again (the slot is freed
    // when the server is done with the old socket, so poll, within WAIT).
    first.close().await;
    next_close(&mut seen).await;
    let admitted = timeout(WAIT, async {
        loop {
            let mut stream = TcpStream::connect(server.addr).await.unwrap();
            stream.write_all(upgrade_request("/", "").as_bytes()).await.unwrap();
            let mut buf = BytesMut::new();
            let status = loop {
                if let Some((answer, _)) = parse_head(&buf) {
                    break answer.status();
                }
                match stream.read_buf(&mut buf).await {
                    Ok(0) | Err(_) => break 0,
                    Ok(_) => {}
                }
            };
            if status == 101 {
                return stream;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("a slot frees up after a connection closes");
    next_open(&mut seen).await;
    drop(admitted);
    second.close().await;
    server.stop().await;
}

#[tokio::test]
async fn connection_over_the_limit_gets_503_even_after_sending_a_request() {
    let (recorder, mut seen) = Recorder::new(true);
    let config = ServerConfig { max_connections: 2, ..Default::default() };
    let server = TestServer::start_with(HttpServer::new(WsServer::new(recorder)), config).await;
    let (first, _) = upgrade(server.addr, upgrade_request("/", "")).await;
    let (second, _) = upgrade(server.addr, upgrade_request("/", "")).await;
    next_open(&mut seen).await;
    next_open(&mut seen).await;
    let answer = exchange(server.addr, upgrade_request("/", "").as_bytes()).await;
    answer.assert_error(503);
    assert_eq!(answer.header("upgrade"), None);
    first.close().await;
    second.close().await;
    server.stop().await;
}

// ---------------------------------------------------------------------------
// More limits, shutdown, and HTTP conformance
// ---------------------------------------------------------------------------

/// Sends `request` and reads the answer head, without waiting for the close.
async fn answer_head(addr: SocketAddr, request: &[u8]) -> (TcpStream, Answer) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut buf = BytesMut::new();
    loop {
        if let Some((answer, _)) = parse_head(&buf) {
            return (stream, answer);
        }
        let n = timeout(WAIT, stream.read_buf(&mut buf)).await.expect("answer in time").unwrap();
        assert!(n > 0, "closed without an answer: {:?}", String::from_utf8_lossy(&buf));
    }
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed() {
    // A plain HTTP client that goes quiet after its first request must not
    // hold the connection forever.
    let (recorder, _seen) = Recorder::new(true);
    let config = HttpConfig { handshake_timeout: Duration::from_millis(300), ..Default::default() };
    let http = server_with_service(recorder, page_service()).with_config(config);
    let server = TestServer::start(http).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let mut buf = BytesMut::new();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let answer = read_response(&mut stream, &mut buf).await;
    answer.assert_status(200);
    assert_eq!(answer.body_text(), "page");
    let mut rest = buf.to_vec();
    read_until_closed(&mut stream, &mut rest).await;
    // Closed at the timeout, with nothing more said.
    assert!(rest.is_empty(), "answered: {:?}", String::from_utf8_lossy(&rest));
    server.stop().await;
}

#[tokio::test]
async fn largest_head_limit_is_64_kib() {
    // max_head_size is capped at 65535: a head of exactly that size upgrades,
    // one byte more is refused with 431.
    let (recorder, mut seen) = Recorder::new(true);
    let config = HttpConfig { max_head_size: usize::MAX, ..Default::default() };
    let http = HttpServer::new(WsServer::new(recorder)).with_config(config);
    let server = TestServer::start(http).await;
    let (mut peer, _) = upgrade(server.addr, padded_upgrade(65535)).await;
    let conn = next_open(&mut seen).await;
    let pad = 65535 - upgrade_request("/", "X-Pad: \r\n").len();
    assert_eq!(conn.request().header("x-pad").map(str::len), Some(pad));
    peer.echo("big head").await;
    peer.close().await;
    exchange(server.addr, padded_upgrade(65536).as_bytes()).await.assert_error(431);
    exchange(server.addr, padded_upgrade(200_000).as_bytes()).await.assert_error(431);
    server.stop().await;
}

#[tokio::test]
async fn head_over_the_64_kib_cap_is_reported_as_too_large() {
    let (recorder, _seen) = Recorder::new(true);
    let config = HttpConfig { max_head_size: usize::MAX, ..Default::default() };
    let http = HttpServer::new(WsServer::new(recorder)).with_config(config);
    let server = TestServer::start(http).await;
    let answer = exchange(server.addr, padded_upgrade(65536).as_bytes()).await;
    answer.assert_error(431);
    assert_eq!(answer.body_text(), "request head too large\n");
    server.stop().await;
}

#[tokio::test]
async fn two_host_headers_are_400() {
    let (server, mut seen) = echo_server().await;
    let request = upgrade_request("/", "Host: evil.example\r\n");
    let (mut stream, answer) = answer_head(server.addr, request.as_bytes()).await;
    answer.assert_status(400);
    let mut rest = Vec::new();
    read_until_closed(&mut stream, &mut rest).await;
    assert!(seen.try_recv().is_err(), "the app saw nothing");
    server.stop().await;
}

#[tokio::test]
async fn answers_with_upgrade_list_it_in_connection() {
    let (server, _seen) = echo_server().await;
    let plain = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_owned();
    let version = upgrade_with("Sec-WebSocket-Version", Some("8"));
    for request in [plain, version] {
        let answer = exchange(server.addr, request.as_bytes()).await;
        answer.assert_status(426);
        assert_eq!(answer.header("upgrade"), Some("websocket"));
        let connection = answer.header("connection").unwrap_or_default().to_ascii_lowercase();
        let tokens: Vec<_> = connection.split(',').map(str::trim).collect();
        assert!(tokens.contains(&"upgrade"), "Connection: {connection:?}");
        assert!(tokens.contains(&"close"), "Connection: {connection:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn shutdown_ends_connections_still_sending_their_head() {
    let (recorder, _seen) = Recorder::new(true);
    let config = HttpConfig { handshake_timeout: Duration::from_secs(60), ..Default::default() };
    let http = HttpServer::new(WsServer::new(recorder)).with_config(config);
    let limits = ServerConfig { drain_timeout: Duration::from_secs(60), ..Default::default() };
    let server = TestServer::start_with(http, limits).await;

    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: loc").await.unwrap();
    // A later connection answered means the slow one was accepted (the
    // backlog is served in order).
    exchange(server.addr, upgrade_with("Host", None).as_bytes()).await.assert_error(400);

    server.shutdown.shutdown();
    let mut raw = Vec::new();
    read_until_closed(&mut slow, &mut raw).await;
    let (answer, _) = parse_head(&raw)
        .unwrap_or_else(|| panic!("no answer: {:?}", String::from_utf8_lossy(&raw)));
    assert_eq!(answer.status(), 503, "{answer:#?}");
    server.stop().await;
}
