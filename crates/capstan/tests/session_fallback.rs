//! The HTTP fallbacks of session mode over real sockets (docs/SESSIONS.md
//! §8): a session opened by POST, read as Server-Sent Events or as a
//! fetched stream, fed by numbered POST batches; duplicates dropped, gaps
//! and oversized bodies refused without harm, malformed batches ending the
//! session; sessions moving between a fallback and a WebSocket.

mod common;

use std::net::SocketAddr;

use bytes::{Buf, BytesMut};
use capstan::resume::{ClientControl, ErrorCode, ServerControl, SessionId};
use capstan::sessions::SessionConfig;
use capstan::ws::OpCode;
use capstan::{CloseCause, TransportKind};
use capstan_testkit::http::{Response, exchange, read_head};
use common::session_app::*;
use common::*;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A POST, answered whole.
async fn post(addr: SocketAddr, query: &str, body: &[u8]) -> Response {
    let head = format!(
        "POST /?{query} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    Response::parse(&exchange(addr, &request).await)
}

/// Opens a transport: its token.
async fn open(addr: SocketAddr, kind: &str, opening: &str) -> String {
    let response = post(addr, &format!("capstan=open&transport={kind}"), opening.as_bytes()).await;
    assert_eq!(response.status(), 200, "{}", response.body_text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    let json: Value = serde_json::from_str(&response.body_text()).unwrap();
    json["transport"].as_str().unwrap().to_owned()
}

async fn send(addr: SocketAddr, token: &str, batch: &str) -> Response {
    post(addr, &format!("capstan=send&transport={token}"), batch.as_bytes()).await
}

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq)]
struct SseEvent {
    event: Option<String>,
    id: Option<u64>,
    data: String,
}

/// A downstream's GET, read event by event (its chunked body decoded).
struct Downstream {
    stream: TcpStream,
    head: Response,
    /// Raw bytes not yet de-chunked.
    raw: BytesMut,
    /// De-chunked body not yet split into events.
    body: String,
    ended: bool,
}

impl Downstream {
    async fn get(addr: SocketAddr, kind: &str, token: &str) -> Downstream {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = format!("GET /?capstan={kind}&transport={token} HTTP/1.1\r\nHost: x\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = BytesMut::new();
        let head = within(read_head(&mut stream, &mut raw)).await.unwrap();
        Downstream { stream, head, raw, body: String::new(), ended: false }
    }

    /// The next event; `None` once the response ended.
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.body.find("\n\n") {
                let block: String = self.body.drain(..end + 2).collect();
                return Some(parse_event(&block));
            }
            if self.ended {
                return None;
            }
            if !self.dechunk() {
                let read = within(self.stream.read_buf(&mut self.raw)).await;
                if matches!(read, Ok(0) | Err(_)) {
                    self.ended = true;
                }
            }
        }
    }

    /// Moves whole chunks from `raw` to `body`; says whether it moved any.
    fn dechunk(&mut self) -> bool {
        let mut moved = false;
        loop {
            let Some(line_end) = self.raw.windows(2).position(|w| w == b"\r\n") else {
                return moved;
            };
            let size_text = std::str::from_utf8(&self.raw[..line_end]).unwrap();
            let size = usize::from_str_radix(size_text.trim(), 16).unwrap();
            if self.raw.len() < line_end + 2 + size + 2 {
                return moved;
            }
            self.raw.advance(line_end + 2);
            let chunk = self.raw.split_to(size);
            self.raw.advance(2);
            if size == 0 {
                self.ended = true;
                return true;
            }
            self.body.push_str(std::str::from_utf8(&chunk).unwrap());
            moved = true;
        }
    }

    /// The next data message's text (controls other than acks and
    /// heartbeats are an error).
    async fn data(&mut self) -> (u64, String) {
        loop {
            let event = self.next().await.expect("an event");
            match event.event.as_deref() {
                None => {
                    let text: String = serde_json::from_str(&event.data).unwrap();
                    return (event.id.unwrap(), text);
                }
                Some("control") => match control(&event) {
                    ServerControl::Ack(_) | ServerControl::Heartbeat(_) => {}
                    other => panic!("expected data, got {other:?}"),
                },
                Some(other) => panic!("expected data, got event {other}: {event:?}"),
            }
        }
    }

    /// The next control other than acks and heartbeats.
    async fn control(&mut self) -> ServerControl {
        loop {
            let event = self.next().await.expect("an event");
            assert_eq!(event.event.as_deref(), Some("control"), "{event:?}");
            match control(&event) {
                ServerControl::Ack(_) | ServerControl::Heartbeat(_) => {}
                other => return other,
            }
        }
    }

    /// The `close` event's code, then the end of the response.
    async fn closed(&mut self) -> u64 {
        loop {
            let event = self.next().await.expect("a close event");
            if event.event.as_deref() == Some("close") {
                let json: Value = serde_json::from_str(&event.data).unwrap();
                assert!(self.next().await.is_none(), "the response ends after close");
                return json["code"].as_u64().unwrap();
            }
        }
    }
}

async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future).await.expect("in time")
}

fn parse_event(block: &str) -> SseEvent {
    let mut event = SseEvent { event: None, id: None, data: String::new() };
    for line in block.lines().filter(|line| !line.is_empty()) {
        let (field, value) = line.split_once(':').unwrap();
        match field {
            "event" => event.event = Some(value.to_owned()),
            "id" => event.id = Some(value.parse().unwrap()),
            "data" => event.data = value.to_owned(),
            other => panic!("unknown field {other}"),
        }
    }
    event
}

fn control(event: &SseEvent) -> ServerControl {
    ServerControl::parse(&event.data).unwrap()
}

const HELLO: &str = r#"c{"hello":{"v":1}}"#;

fn config() -> SessionConfig {
    SessionConfig::default()
}

#[tokio::test]
async fn a_session_runs_over_server_sent_events_and_post_batches() {
    let mut fixture = start(config()).await;
    let addr = fixture.server.addr;
    let token = open(addr, "sse", HELLO).await;
    let Ev::Open(conn) = next_ev(&mut fixture.events).await else { panic!("open") };
    assert_eq!(conn.transport(), TransportKind::ServerSentEvents);
    let mut down = Downstream::get(addr, "sse", &token).await;
    assert_eq!(down.head.status(), 200);
    assert_eq!(down.head.header("content-type"), Some("text/event-stream"));
    let ServerControl::Welcome(welcome) = down.control().await else { panic!("welcome") };
    assert_eq!((welcome.rx, welcome.resumed), (0, false));
    assert_eq!(conn.session_id(), Some(welcome.sid));

    let batch = r#"{"first":1,"messages":["two\nlines",{"b":"AAEC"},"!count"]}"#;
    assert_eq!(send(addr, &token, batch).await.status(), 204);
    assert_eq!(down.data().await, (1, "two\nlines".to_owned()));
    let binary = down.next().await.unwrap();
    assert_eq!(
        (binary.event.as_deref(), binary.id, binary.data.as_str()),
        (Some("binary"), Some(2), "AAEC")
    );
    assert_eq!(down.data().await, (3, "count=3".to_owned()));
    // What the application sends on its own comes the same way.
    fixture.topic.publish(capstan::Message::text("news"));
    assert_eq!(down.data().await, (4, "news".to_owned()));
}

#[tokio::test]
async fn the_stream_transport_carries_the_same_events_as_plain_text() {
    let fixture = start(config()).await;
    let addr = fixture.server.addr;
    let token = open(addr, "stream", HELLO).await;
    let mut down = Downstream::get(addr, "stream", &token).await;
    assert_eq!(down.head.header("content-type"), Some("text/plain; charset=utf-8"));
    assert!(matches!(down.control().await, ServerControl::Welcome(_)));
    assert_eq!(send(addr, &token, r#"{"first":1,"messages":["hi"]}"#).await.status(), 204);
    assert_eq!(down.data().await, (1, "hi".to_owned()));
    // A token opened for one kind of downstream is not read as another.
    let other = open(addr, "sse", HELLO).await;
    let wrong = Downstream::get(addr, "stream", &other).await;
    assert_eq!(wrong.head.status(), 404);
}

/// A batch sent again (its answer was lost) delivers nothing twice; a gap
/// and an oversized body are refused and take nothing, and the session
/// goes on.
#[tokio::test]
async fn retries_gaps_and_oversized_bodies_cost_nothing_else() {
    let mut fixture = start(config()).await;
    let addr = fixture.server.addr;
    let token = open(addr, "sse", HELLO).await;
    let mut down = Downstream::get(addr, "sse", &token).await;
    down.control().await;
    assert_eq!(send(addr, &token, r#"{"first":1,"messages":["a","b"]}"#).await.status(), 204);
    assert_eq!(send(addr, &token, r#"{"first":1,"messages":["a","b","c"]}"#).await.status(), 204);
    let gap = send(addr, &token, r#"{"first":9,"messages":["z"]}"#).await;
    assert_eq!(gap.status(), 409);
    assert!(gap.body_text().contains(r#""code":"gap""#), "{}", gap.body_text());
    let big = format!(r#"{{"first":4,"messages":["{}"]}}"#, "x".repeat(70 << 10));
    assert_eq!(send(addr, &token, &big).await.status(), 413);
    assert_eq!(send(addr, &token, r#"{"first":4,"messages":["d"]}"#).await.status(), 204);
    for (number, text) in [(1, "a"), (2, "b"), (3, "c"), (4, "d")] {
        assert_eq!(down.data().await, (number, text.to_owned()));
    }
    assert!(matches!(next_ev(&mut fixture.events).await, Ev::Open(_)));
    for text in ["a", "b", "c", "d"] {
        assert!(matches!(next_ev(&mut fixture.events).await, Ev::Message(m) if m == text));
    }
}

#[tokio::test]
async fn a_malformed_batch_ends_the_session_with_its_error() {
    let mut fixture = start(config()).await;
    let addr = fixture.server.addr;
    let token = open(addr, "sse", HELLO).await;
    let mut down = Downstream::get(addr, "sse", &token).await;
    down.control().await;
    let refused = send(addr, &token, r#"{"first":1,"extra":true}"#).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.body_text().contains("protocol_violation"), "{}", refused.body_text());
    let ServerControl::Error { code, .. } = down.control().await else { panic!("error") };
    assert_eq!(code, ErrorCode::ProtocolViolation);
    assert_eq!(down.closed().await, 4400);
    assert!(matches!(next_ev(&mut fixture.events).await, Ev::Open(_)));
    let Ev::Close(info) = next_ev(&mut fixture.events).await else { panic!("close") };
    assert_eq!(info.cause, CloseCause::SessionEnded(ErrorCode::ProtocolViolation));
    assert_eq!(send(addr, &token, "{}").await.status(), 404, "the transport is gone");
}

#[tokio::test]
async fn unknown_tokens_second_readers_and_refused_openings_are_answered_plainly() {
    let fixture = start(config()).await;
    let addr = fixture.server.addr;
    let nobody = SessionId::from_bytes([9; 16]).encode();
    assert_eq!(send(addr, &nobody, "{}").await.status(), 404);
    assert_eq!(send(addr, "not-a-token", "{}").await.status(), 404);
    let token = open(addr, "sse", HELLO).await;
    let first = Downstream::get(addr, "sse", &token).await;
    assert_eq!(first.head.status(), 200);
    assert_eq!(Downstream::get(addr, "sse", &token).await.head.status(), 404);

    let resume = ClientControl::Resume { sid: SessionId::from_bytes([9; 16]), rx: 0 }.to_json();
    let cases = [
        (format!("c{resume}"), 404, "unknown_session"),
        (r#"c{"hello":{"v":7}}"#.to_owned(), 426, "version_not_supported"),
        ("mhello".to_owned(), 400, "protocol_violation"),
    ];
    for (opening, status, code) in cases {
        let response = post(addr, "capstan=open&transport=sse", opening.as_bytes()).await;
        assert_eq!(response.status(), status, "{opening}");
        assert!(response.body_text().contains(code), "{}", response.body_text());
    }
    let wrong = post(addr, "capstan=open&transport=carrier-pigeon", HELLO.as_bytes()).await;
    assert_eq!(wrong.status(), 400);
}

/// A session moves from a fallback to a WebSocket and back: what was sent
/// while neither was attached comes first on the next.
#[tokio::test]
async fn a_session_moves_between_a_fallback_and_a_websocket() {
    let mut fixture = start(config()).await;
    let addr = fixture.server.addr;
    let token = open(addr, "sse", HELLO).await;
    let mut down = Downstream::get(addr, "sse", &token).await;
    let ServerControl::Welcome(welcome) = down.control().await else { panic!("welcome") };
    let Ev::Open(conn) = next_ev(&mut fixture.events).await else { panic!("open") };
    assert_eq!(send(addr, &token, r#"{"first":1,"messages":["one"]}"#).await.status(), 204);
    assert_eq!(down.data().await, (1, "one".to_owned()));
    drop(down);
    conn.send_text("while away").unwrap();

    // Onto a WebSocket, the client having received 1.
    let mut ws = Client::connect(addr, "/").await;
    let resume = ClientControl::Resume { sid: welcome.sid.clone(), rx: 1 }.to_json();
    ws.send_frame(OpCode::Text, true, format!("c{resume}").as_bytes()).await;
    let welcome_ws = ws.next_message().await;
    assert!(welcome_ws.as_text().unwrap().contains(r#""resumed":true"#), "{welcome_ws:?}");
    assert!(welcome_ws.as_text().unwrap().contains(r#""rx":1"#), "{welcome_ws:?}");
    assert_eq!(ws.next_message().await.as_text(), Some("mwhile away"));
    assert_eq!(conn.transport(), TransportKind::WebSocket);
    ws.send_frame(OpCode::Text, true, b"mtwo").await;
    assert_eq!(ws.next_message().await.as_text(), Some("mtwo"));
    drop(ws);

    // And back onto a stream, having received 3 (two echoes and one).
    let resume = ClientControl::Resume { sid: welcome.sid, rx: 3 }.to_json();
    let token = open(addr, "stream", &format!("c{resume}")).await;
    let mut down = Downstream::get(addr, "stream", &token).await;
    let ServerControl::Welcome(again) = down.control().await else { panic!("welcome") };
    assert_eq!((again.rx, again.resumed), (2, true));
    assert_eq!(send(addr, &token, r#"{"first":3,"messages":["three"]}"#).await.status(), 204);
    assert_eq!(down.data().await, (4, "three".to_owned()));
    assert_eq!(conn.transport(), TransportKind::Streaming);
}

#[tokio::test]
async fn a_close_post_ends_the_session() {
    let mut fixture = start(config()).await;
    let addr = fixture.server.addr;
    let token = open(addr, "sse", HELLO).await;
    let mut down = Downstream::get(addr, "sse", &token).await;
    down.control().await;
    let closed = post(addr, &format!("capstan=close&transport={token}"), b"").await;
    assert_eq!(closed.status(), 204);
    assert_eq!(down.closed().await, 1000);
    assert!(matches!(next_ev(&mut fixture.events).await, Ev::Open(_)));
    let Ev::Close(info) = next_ev(&mut fixture.events).await else { panic!("close") };
    assert_eq!(info.cause, CloseCause::PeerClosed);
}

#[tokio::test]
async fn a_server_shutting_down_ends_its_downstreams_and_sessions() {
    let mut fixture = start(config()).await;
    let addr = fixture.server.addr;
    let token = open(addr, "sse", HELLO).await;
    let mut down = Downstream::get(addr, "sse", &token).await;
    down.control().await;
    assert!(matches!(next_ev(&mut fixture.events).await, Ev::Open(_)));
    fixture.server.shutdown.shutdown();
    assert_eq!(down.closed().await, 1001);
    let Ev::Close(info) = next_ev(&mut fixture.events).await else { panic!("close") };
    assert_eq!(info.cause, CloseCause::ServerShutdown);
}

/// The fallbacks' requests pass the route's authentication as upgrades
/// do, and a session stays bound to the identity that made it.
#[tokio::test]
async fn fallback_requests_are_authenticated_and_bound_to_their_user() {
    use capstan::http::Authenticate;
    use capstan::sessions::Identity;
    use capstan::{HttpServer, Rejection, Request, SessionRoute};

    let (tx, _events) = tokio::sync::mpsc::unbounded_channel();
    let app = App { events: tx, topic: capstan::Topic::new("t") };
    let route = SessionRoute::builder(app)
        .identify(|request: &Request| {
            Identity::new(request.identity::<String>().map(String::as_str).unwrap_or_default())
        })
        .build();
    let auth = |request: &Request| match request.header("x-user") {
        Some(user) => Ok(user.to_owned()),
        None => Err(Rejection::new(401, "who are you?")),
    };
    let server = TestServer::start(HttpServer::new(Authenticate::new(route, auth))).await;
    let addr = server.addr;

    let refused = post(addr, "capstan=open&transport=sse", HELLO.as_bytes()).await;
    assert_eq!(refused.status(), 401, "{}", refused.body_text());

    let as_user = |user: &'static str, query: String, body: String| async move {
        let head = format!(
            "POST /?{query} HTTP/1.1\r\nHost: x\r\nX-User: {user}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        Response::parse(&exchange(addr, format!("{head}{body}").as_bytes()).await)
    };
    let opened = as_user("alice", "capstan=open&transport=sse".into(), HELLO.into()).await;
    assert_eq!(opened.status(), 200, "{}", opened.body_text());
    let token: Value = serde_json::from_str(&opened.body_text()).unwrap();
    let token = token["transport"].as_str().unwrap().to_owned();
    let mut down = Downstream::get(addr, "sse", &token).await;
    assert_eq!(down.head.status(), 401, "the downstream's GET is authenticated too");
    let get =
        format!("GET /?capstan=sse&transport={token} HTTP/1.1\r\nHost: x\r\nX-User: alice\r\n\r\n");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(get.as_bytes()).await.unwrap();
    let mut raw = BytesMut::new();
    down = Downstream {
        head: within(read_head(&mut stream, &mut raw)).await.unwrap(),
        stream,
        raw,
        body: String::new(),
        ended: false,
    };
    assert_eq!(down.head.status(), 200);
    let ServerControl::Welcome(welcome) = down.control().await else { panic!("welcome") };

    let resume = format!("c{}", ClientControl::Resume { sid: welcome.sid, rx: 0 }.to_json());
    let stolen = as_user("mallory", "capstan=open&transport=sse".into(), resume.clone()).await;
    assert_eq!(stolen.status(), 404, "{}", stolen.body_text());
    let resumed = as_user("alice", "capstan=open&transport=sse".into(), resume).await;
    assert_eq!(resumed.status(), 200, "{}", resumed.body_text());
}

/// Browsers and proxies send a request on whichever connection of their
/// pool is idle: a session's POST or GET that comes on a connection that
/// served a page goes to the session route all the same, through the same
/// layers (authentication included), not to the page's service.
#[tokio::test]
async fn fallback_requests_on_a_kept_alive_page_connection_reach_the_session_route() {
    use capstan::http::Authenticate;
    use capstan::{HttpServer, HttpService, Rejection, Request, SessionRoute};
    use capstan_testkit::http::read_response;
    use http_body_util::Full;

    let (tx, _events) = tokio::sync::mpsc::unbounded_channel();
    let app = App { events: tx, topic: capstan::Topic::new("t") };
    let auth = |request: &Request| match request.header("x-user") {
        Some(user) => Ok(user.to_owned()),
        None => Err(Rejection::new(401, "who are you?")),
    };
    let page = HttpService::from_fn(|_request| async move {
        ::http::Response::new(Full::new(bytes::Bytes::from("page")))
    });
    let http = HttpServer::new(Authenticate::new(SessionRoute::new(app), auth)).with_service(page);
    let server = TestServer::start(http).await;
    let addr = server.addr;
    let page_request = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";

    // A page, then the session's opening on the same connection.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut buf = BytesMut::new();
    stream.write_all(page_request.as_bytes()).await.unwrap();
    assert_eq!(read_response(&mut stream, &mut buf).await.body_text(), "page");
    let open = format!(
        "POST /?capstan=open&transport=sse HTTP/1.1\r\nHost: x\r\nX-User: alice\r\n\
         Content-Length: {}\r\n\r\n{HELLO}",
        HELLO.len()
    );
    stream.write_all(open.as_bytes()).await.unwrap();
    let opened = read_response(&mut stream, &mut buf).await;
    assert_eq!(opened.status(), 200, "{}", opened.body_text());
    let token: Value = serde_json::from_str(&opened.body_text()).unwrap();
    let token = token["transport"].as_str().unwrap().to_owned();

    // Without its credentials, the layers refuse it there too.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut buf = BytesMut::new();
    stream.write_all(page_request.as_bytes()).await.unwrap();
    read_response(&mut stream, &mut buf).await;
    let bare = format!("GET /?capstan=sse&transport={token} HTTP/1.1\r\nHost: x\r\n\r\n");
    stream.write_all(bare.as_bytes()).await.unwrap();
    assert_eq!(read_response(&mut stream, &mut buf).await.status(), 401);

    // The downstream on a page's connection, with them.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut raw = BytesMut::new();
    stream.write_all(page_request.as_bytes()).await.unwrap();
    read_response(&mut stream, &mut raw).await;
    let get =
        format!("GET /?capstan=sse&transport={token} HTTP/1.1\r\nHost: x\r\nX-User: alice\r\n\r\n");
    stream.write_all(get.as_bytes()).await.unwrap();
    let head = within(read_head(&mut stream, &mut raw)).await.unwrap();
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    let mut down = Downstream { stream, head, raw, body: String::new(), ended: false };
    assert!(matches!(down.control().await, ServerControl::Welcome(_)));
}
