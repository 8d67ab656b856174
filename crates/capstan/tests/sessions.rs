//! Session mode over real sockets (docs/SESSIONS.md): a session outlives
//! its WebSocket, a resume loses nothing and repeats nothing, the
//! application sees one connection; every refusal has its code.

mod common;

use std::time::Duration;

use capstan::resume::{ClientControl, ErrorCode, ServerControl, SessionId, Welcome, prefix};
use capstan::sessions::{Identity, SessionConfig};
use capstan::ws::OpCode;
use capstan::{CloseCause, CloseCode, Message, SendError, TransportKind};
use common::session_app::*;
use common::*;

/// A client of the session protocol, written from SESSIONS.md.
struct Session {
    ws: Client,
    /// Data messages received in the session.
    rx: u64,
}

/// What the server sent.
#[derive(Debug, PartialEq)]
enum In {
    Data(String),
    Control(ServerControl),
}

impl Session {
    async fn hello(fixture: &Fixture) -> (Session, Welcome) {
        Self::open(fixture, "", r#"{"hello":{"v":1}}"#).await
    }

    async fn resume(fixture: &Fixture, sid: &SessionId, rx: u64) -> (Session, Welcome) {
        let json = ClientControl::Resume { sid: sid.clone(), rx }.to_json();
        let mut session = Self::open(fixture, "", &json).await;
        session.0.rx = rx;
        session
    }

    async fn open(fixture: &Fixture, headers: &str, opening: &str) -> (Session, Welcome) {
        let mut session = Self::connect(fixture, headers).await;
        session.control(opening).await;
        match session.next().await {
            In::Control(ServerControl::Welcome(welcome)) => (session, welcome),
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    async fn connect(fixture: &Fixture, headers: &str) -> Session {
        Session { ws: Client::connect_with(fixture.server.addr, "/", headers).await, rx: 0 }
    }

    async fn control(&mut self, json: &str) {
        self.ws.send_frame(OpCode::Text, true, format!("c{json}").as_bytes()).await;
    }

    async fn send(&mut self, text: &str) {
        self.ws.send_frame(OpCode::Text, true, format!("m{text}").as_bytes()).await;
    }

    async fn next(&mut self) -> In {
        let message = self.ws.next_message().await;
        match prefix::split(message).expect("the server prefixes every message") {
            prefix::Incoming::Data(data) => {
                self.rx += 1;
                In::Data(data.as_text().expect("text").to_owned())
            }
            prefix::Incoming::Control(json) => {
                In::Control(ServerControl::parse(&json).expect("a valid control"))
            }
        }
    }

    /// The next data message, acks and heartbeats skipped.
    async fn data(&mut self) -> String {
        loop {
            match self.next().await {
                In::Data(text) => return text,
                In::Control(ServerControl::Ack(_) | ServerControl::Heartbeat(_)) => {}
                other => panic!("expected data, got {other:?}"),
            }
        }
    }

    /// The `error` the server sends, then its close code.
    async fn refused(mut self) -> (ErrorCode, u16) {
        let code = loop {
            match self.next().await {
                In::Control(ServerControl::Error { code, .. }) => break code,
                In::Control(ServerControl::Ack(_) | ServerControl::Heartbeat(_)) => {}
                other => panic!("expected an error, got {other:?}"),
            }
        };
        let close = self.closed().await;
        (code, close.code.0)
    }

    /// The server's close frame, answered as a client does (the server
    /// then ends the TCP connection).
    async fn closed(&mut self) -> capstan::ws::CloseFrame {
        loop {
            match self.ws.next_event().await {
                Some(capstan::ws::Event::Close(frame)) => {
                    let frame = frame.expect("a close code");
                    self.ws.send_frame(OpCode::Close, true, &frame.code.0.to_be_bytes()).await;
                    assert!(self.ws.next_event().await.is_none(), "the socket closes");
                    return frame;
                }
                Some(_) => {}
                None => panic!("closed without a close frame"),
            }
        }
    }
}

fn quick() -> SessionConfig {
    SessionConfig { grace: Duration::from_secs(30), ..SessionConfig::default() }
}

#[tokio::test]
async fn a_session_opens_with_welcome_and_echoes_with_prefixes() {
    let mut fixture = start(quick()).await;
    let (mut session, welcome) = Session::hello(&fixture).await;
    assert_eq!((welcome.rx, welcome.resumed), (0, false));
    assert_eq!((welcome.grace_ms, welcome.heartbeat_ms), (30_000, 15_000));
    let Ev::Open(conn) = next_ev(&mut fixture.events).await else { panic!("open first") };
    assert_eq!(conn.transport(), TransportKind::WebSocket);
    assert_eq!(conn.session_id(), Some(welcome.sid.clone()));
    session.send("hello").await;
    assert_eq!(session.next().await, In::Data("hello".into()));
    // A binary message stays binary, its prefix stripped both ways.
    session.ws.send_frame(OpCode::Binary, true, b"m\x00\x01").await;
    let message = session.ws.next_message().await;
    assert_eq!(message, Message::Binary(bytes::Bytes::from_static(b"m\x00\x01")));
}

/// The heart of it: the transport is cut while messages flow both ways;
/// the client resumes; every message arrives exactly once, in order, and
/// the application saw one connection.
#[tokio::test]
async fn a_cut_session_resumes_with_nothing_lost_nothing_twice() {
    let mut fixture = start(quick()).await;
    let (mut session, welcome) = Session::hello(&fixture).await;
    let Ev::Open(conn) = next_ev(&mut fixture.events).await else { panic!("open first") };
    for i in 1..=10 {
        session.send(&format!("up {i}")).await;
    }
    // The client read 4 of the 10 echoes when the cut came.
    for i in 1..=4 {
        assert_eq!(session.data().await, format!("up {i}"));
    }
    for i in 1..=10 {
        assert!(
            matches!(next_ev(&mut fixture.events).await, Ev::Message(m) if m == format!("up {i}"))
        );
    }
    drop(session.ws);
    // Sent while no transport is attached: kept for the client.
    fixture.topic.publish(Message::text("news 1"));
    conn.send_text("direct 1").unwrap();

    let (mut resumed, again) = Session::resume(&fixture, &welcome.sid, 4).await;
    assert_eq!((again.sid, again.rx, again.resumed), (welcome.sid.clone(), 10, true));
    let mut got = Vec::new();
    for _ in 0..8 {
        got.push(resumed.data().await);
    }
    let expected: Vec<String> = (5..=10)
        .map(|i| format!("up {i}"))
        .chain(["news 1".to_owned(), "direct 1".to_owned()])
        .collect();
    assert_eq!(got, expected);
    // The same application state: the count goes on, no second on_open.
    resumed.send("!count").await;
    assert_eq!(resumed.data().await, "count=11");
    assert!(matches!(next_ev(&mut fixture.events).await, Ev::Message(m) if m == "!count"));
    assert!(fixture.events.try_recv().is_err(), "no close, no second open");
}

#[tokio::test]
async fn a_resume_replaces_a_transport_still_attached() {
    let fixture = start(quick()).await;
    let (mut first, welcome) = Session::hello(&fixture).await;
    first.send("one").await;
    assert_eq!(first.data().await, "one");
    let (mut second, again) = Session::resume(&fixture, &welcome.sid, 1).await;
    assert_eq!(again.rx, 1);
    let close = first.closed().await;
    assert_eq!((close.code.0, close.reason.as_str()), (4409, "replaced"));
    second.send("two").await;
    assert_eq!(second.data().await, "two");
}

#[tokio::test]
async fn the_server_acknowledges_every_32_messages_and_heartbeats_when_idle() {
    let config = SessionConfig { heartbeat: Duration::from_millis(100), ..quick() };
    let fixture = start(config).await;
    let (mut session, _) = Session::hello(&fixture).await;
    for i in 1..=32 {
        session.send(&format!("{i}")).await;
    }
    let mut acks = Vec::new();
    let mut echoed = 0;
    while echoed < 32 || acks.is_empty() {
        match session.next().await {
            In::Data(_) => echoed += 1,
            In::Control(ServerControl::Ack(n)) => acks.push(n),
            In::Control(ServerControl::Heartbeat(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(acks, [32]);
    // Idle: a heartbeat carrying the count sent.
    loop {
        match session.next().await {
            In::Control(ServerControl::Heartbeat(sent)) => break assert_eq!(sent, 32),
            In::Control(ServerControl::Ack(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_data_message_not_acknowledged_by_count_is_within_the_ack_delay() {
    let config = SessionConfig { ack_delay: Duration::from_millis(50), ..quick() };
    let fixture = start(config).await;
    let (mut session, _) = Session::hello(&fixture).await;
    session.send("only one").await;
    assert_eq!(session.next().await, In::Data("only one".into()));
    assert_eq!(session.next().await, In::Control(ServerControl::Ack(1)));
}

#[tokio::test]
async fn a_session_without_transport_expires_and_cannot_be_resumed() {
    let config = SessionConfig { grace: Duration::from_millis(100), ..quick() };
    let mut fixture = start(config).await;
    let (session, welcome) = Session::hello(&fixture).await;
    let Ev::Open(conn) = next_ev(&mut fixture.events).await else { panic!("open first") };
    drop(session.ws);
    let Ev::Close(info) = next_ev(&mut fixture.events).await else { panic!("close") };
    assert_eq!(info.cause, CloseCause::SessionExpired);
    let json = ClientControl::Resume { sid: welcome.sid, rx: 0 }.to_json();
    let mut late = Session::connect(&fixture, "").await;
    late.control(&json).await;
    assert_eq!(late.refused().await, (ErrorCode::UnknownSession, 4404));
    // The application kept its `Conn`: sending on it is refused, the
    // session being over (and, once its route lets it go, freed).
    assert_eq!(conn.send_text("late"), Err(SendError::Closed));
}

#[tokio::test]
async fn the_application_closing_ends_the_session() {
    let mut fixture = start(quick()).await;
    let (mut session, welcome) = Session::hello(&fixture).await;
    session.send("!close").await;
    let close = session.closed().await;
    assert_eq!((close.code, close.reason.as_str()), (CloseCode::NORMAL, "bye"));
    assert!(matches!(next_ev(&mut fixture.events).await, Ev::Open(_)));
    assert!(matches!(next_ev(&mut fixture.events).await, Ev::Message(_)));
    let Ev::Close(info) = next_ev(&mut fixture.events).await else { panic!("close") };
    assert_eq!((info.cause, info.code), (CloseCause::ClosedByServer, CloseCode::NORMAL));
    let json = ClientControl::Resume { sid: welcome.sid, rx: 0 }.to_json();
    let mut late = Session::connect(&fixture, "").await;
    late.control(&json).await;
    assert_eq!(late.refused().await, (ErrorCode::UnknownSession, 4404));
}

#[tokio::test]
async fn the_client_closing_with_1000_ends_the_session_any_other_code_detaches_it() {
    let mut fixture = start(quick()).await;
    // 1001 (a page going away): the session waits for a resume.
    let (mut session, welcome) = Session::hello(&fixture).await;
    assert!(matches!(next_ev(&mut fixture.events).await, Ev::Open(_)));
    session.ws.send_frame(OpCode::Close, true, &1001u16.to_be_bytes()).await;
    session.ws.expect_close().await;
    let (mut resumed, _) = Session::resume(&fixture, &welcome.sid, 0).await;
    // 1000: over.
    resumed.ws.send_frame(OpCode::Close, true, &1000u16.to_be_bytes()).await;
    resumed.ws.expect_close().await;
    let Ev::Close(info) = next_ev(&mut fixture.events).await else { panic!("close") };
    assert_eq!((info.cause, info.code), (CloseCause::PeerClosed, CloseCode::NORMAL));
}

#[tokio::test]
async fn a_resume_from_another_identity_is_an_unknown_session() {
    let identify = |request: &capstan::Request| {
        Identity::new(request.header("x-user").unwrap_or_default().as_bytes())
    };
    let fixture = start_with(quick(), identify).await;
    let (alice, welcome) =
        Session::open(&fixture, "X-User: alice\r\n", r#"{"hello":{"v":1}}"#).await;
    drop(alice.ws);
    let json = ClientControl::Resume { sid: welcome.sid.clone(), rx: 0 }.to_json();
    let mut mallory = Session::connect(&fixture, "X-User: mallory\r\n").await;
    mallory.control(&json).await;
    assert_eq!(mallory.refused().await, (ErrorCode::UnknownSession, 4404));
    // Alice still can.
    let (_, again) = Session::open(&fixture, "X-User: alice\r\n", &json).await;
    assert!(again.resumed);
}

/// Each refusal of SESSIONS.md §6 over a real socket: the `error` control
/// with its code, then the close code that goes with it.
#[tokio::test]
async fn every_refusal_has_its_error_and_close_code() {
    let fixture = start(quick()).await;
    let unknown = SessionId::from_bytes([7; 16]);
    let cases: Vec<(&str, String, ErrorCode, u16)> = vec![
        ("data first", "mhello".into(), ErrorCode::ProtocolViolation, 4400),
        ("not json", "c{nope".into(), ErrorCode::ProtocolViolation, 4400),
        ("unknown control", r#"c{"bye":1}"#.into(), ErrorCode::ProtocolViolation, 4400),
        ("ack first", r#"c{"ack":0}"#.into(), ErrorCode::ProtocolViolation, 4400),
        ("no prefix", "hello".into(), ErrorCode::ProtocolViolation, 4400),
        ("version 2", r#"c{"hello":{"v":2}}"#.into(), ErrorCode::VersionNotSupported, 4426),
        (
            "unknown sid",
            format!("c{}", ClientControl::Resume { sid: unknown, rx: 0 }.to_json()),
            ErrorCode::UnknownSession,
            4404,
        ),
    ];
    for (case, first, code, close) in cases {
        let mut session = Session::connect(&fixture, "").await;
        session.ws.send_frame(OpCode::Text, true, first.as_bytes()).await;
        assert_eq!(session.refused().await, (code, close), "{case}");
    }
}

#[tokio::test]
async fn an_rx_beyond_what_was_sent_and_an_ack_beyond_it_end_the_session() {
    let mut fixture = start(quick()).await;
    let (mut session, welcome) = Session::hello(&fixture).await;
    session.send("one").await;
    assert_eq!(session.data().await, "one");
    drop(session.ws);
    let json = ClientControl::Resume { sid: welcome.sid.clone(), rx: 5 }.to_json();
    let mut ahead = Session::connect(&fixture, "").await;
    ahead.control(&json).await;
    assert_eq!(ahead.refused().await, (ErrorCode::RxBeyondSent, 4416));
    assert!(matches!(next_ev(&mut fixture.events).await, Ev::Open(_)));
    assert!(matches!(next_ev(&mut fixture.events).await, Ev::Message(_)));
    let Ev::Close(info) = next_ev(&mut fixture.events).await else { panic!("close") };
    assert_eq!(info.cause, CloseCause::SessionEnded(ErrorCode::RxBeyondSent));

    let (mut other, _) = Session::hello(&fixture).await;
    other.control(r#"{"ack":3}"#).await;
    assert_eq!(other.refused().await, (ErrorCode::ProtocolViolation, 4400));
}

#[tokio::test]
async fn a_client_that_never_acknowledges_passes_the_bound_and_is_told() {
    let config = SessionConfig { max_retained_bytes: 64, ..quick() };
    let mut fixture = start(config).await;
    let (mut session, _) = Session::hello(&fixture).await;
    session.send("!flood 100").await;
    let mut floods = 0;
    let code = loop {
        match session.next().await {
            In::Data(_) => floods += 1,
            In::Control(ServerControl::Error { code, .. }) => break code,
            In::Control(_) => {}
        }
    };
    assert_eq!(code, ErrorCode::RetentionFull);
    assert!(floods < 100, "{floods} sent before the bound");
    assert_eq!(session.closed().await.code.0, 4429);
    assert!(matches!(next_ev(&mut fixture.events).await, Ev::Open(_)));
    let close = loop {
        if let Ev::Close(info) = next_ev(&mut fixture.events).await {
            break info;
        }
    };
    assert_eq!(close.cause, CloseCause::SessionEnded(ErrorCode::RetentionFull));
}

/// A client that acknowledges keeps the session within its bound however
/// much flows: what was acknowledged is forgotten.
#[tokio::test]
async fn acknowledged_messages_are_forgotten() {
    let config = SessionConfig { max_retained_bytes: 256, ..quick() };
    let fixture = start(config).await;
    let (mut session, _) = Session::hello(&fixture).await;
    for round in 0..20 {
        session.send("!flood 10").await;
        for i in 1..=10 {
            assert_eq!(session.data().await, format!("flood {i}"), "round {round}");
        }
        session.control(&format!(r#"{{"ack":{}}}"#, session.rx)).await;
    }
    session.send("!count").await;
    assert_eq!(session.data().await, "count=21");
}

/// A burst the session keeps is delivered, whatever the WebSocket's own
/// outbound bound: a transport's queue holds only what the session keeps,
/// and the session's bound governs.
#[tokio::test]
async fn a_burst_within_the_sessions_bound_is_delivered_whole() {
    let (tx, _events) = tokio::sync::mpsc::unbounded_channel();
    let app = App { events: tx, topic: capstan::Topic::new("t") };
    let ws = capstan::WsConfig { max_outbound_bytes: 1024, ..capstan::WsConfig::default() };
    let route = capstan::SessionRoute::builder(app).websocket(ws).sessions(quick()).build();
    let server = TestServer::start(capstan::HttpServer::new(route)).await;
    let fixture = Fixture {
        server,
        events: tokio::sync::mpsc::unbounded_channel().1,
        topic: capstan::Topic::new("u"),
    };
    let (mut session, _) = Session::hello(&fixture).await;
    session.send("!flood 5000").await;
    for i in 1..=5000 {
        assert_eq!(session.data().await, format!("flood {i}"));
    }
}

/// A client that breaks RFC 6455 would break it again on its next
/// transport: its session ends with the transport.
#[tokio::test]
async fn a_client_breaking_rfc_6455_ends_its_session() {
    let mut fixture = start(quick()).await;
    let (mut session, welcome) = Session::hello(&fixture).await;
    assert!(matches!(next_ev(&mut fixture.events).await, Ev::Open(_)));
    // A text frame that is not UTF-8: 1007.
    session.ws.send_frame(OpCode::Text, true, b"m\xff\xfe").await;
    assert_eq!(session.closed().await.code, CloseCode::INVALID_PAYLOAD);
    let Ev::Close(info) = next_ev(&mut fixture.events).await else { panic!("close") };
    assert!(matches!(info.cause, CloseCause::ProtocolError(_)), "{:?}", info.cause);
    let json = ClientControl::Resume { sid: welcome.sid, rx: 0 }.to_json();
    let mut late = Session::connect(&fixture, "").await;
    late.control(&json).await;
    assert_eq!(late.refused().await, (ErrorCode::UnknownSession, 4404));
}

/// Past the bound while no transport is attached, the session ends at
/// once: the application is told then, not at the end of the grace period.
#[tokio::test]
async fn passing_the_bound_while_detached_ends_the_session_at_once() {
    let config = SessionConfig {
        grace: Duration::from_secs(3600),
        max_retained_bytes: 64,
        ..SessionConfig::default()
    };
    let mut fixture = start(config).await;
    let (mut session, _) = Session::hello(&fixture).await;
    let Ev::Open(conn) = next_ev(&mut fixture.events).await else { panic!("open first") };
    // 1001 (a page going away) detaches the session; the server ends the
    // TCP connection once it has, nearly.
    session.ws.send_frame(OpCode::Close, true, &1001u16.to_be_bytes()).await;
    session.ws.expect_close().await;
    let mut sent = 0;
    while conn.send_text("kept while away").is_ok() {
        sent += 1;
        assert!(sent < 100, "the bound is 64 bytes");
    }
    let Ev::Close(info) = next_ev(&mut fixture.events).await else { panic!("close") };
    assert_eq!(info.cause, CloseCause::SessionEnded(ErrorCode::RetentionFull));
}
