//! The v1 server over real sockets, with the tests' raw client: WELCOME,
//! the subprotocol rule, every answer to bad input, and a call and a
//! publication through the application.

use std::net::SocketAddr;
use std::sync::Mutex;

use capstan::ws::{Event, OpCode};
use capstan::{HttpServer, IoServer, WsConfig, WsServer};
use capstan_testkit::client::Client;
use capstan_testkit::frame::close_payload;
use capstan_testkit::wait::within;

use super::*;
use crate::v1::{ERROR_INVALID_ARGUMENT, Message, Topic, WampV1Error};
use crate::value::Value;

/// Answers calls with their arguments, broadcasts publications as asked,
/// and keeps what `on_error` was told.
#[derive(Default)]
struct Recorder {
    errors: Mutex<Vec<String>>,
}

impl WampV1App for Recorder {
    async fn on_error(&self, _conn: &WampConn, error: WampV1Error) {
        self.errors.lock().unwrap().push(error.to_string());
    }

    async fn on_call(&self, conn: &WampConn, call_id: &str, topic: &Topic, params: Vec<Value>) {
        let mut result = vec![Value::from(topic.id())];
        result.extend(params);
        conn.call_result(call_id, result);
    }

    async fn on_publish(
        &self,
        _conn: &WampConn,
        topic: &Topic,
        event: Value,
        exclude: &[String],
        eligible: &[String],
    ) {
        topic.broadcast(&event, exclude, eligible);
    }
}

/// A server on a free port; its address and a handle on it.
async fn serve(config: WsConfig) -> (SocketAddr, WampV1Server<Recorder>) {
    let wamp = WampV1Server::new(Recorder::default());
    let ws = WsServer::with_config(wamp.clone(), config);
    let server = IoServer::bind("127.0.0.1:0", HttpServer::new(ws)).await.expect("bind");
    let addr = server.local_addr().expect("bound");
    tokio::spawn(server.run());
    (addr, wamp)
}

async fn wamp_server() -> (SocketAddr, WampV1Server<Recorder>) {
    serve(ws_config(WsConfig::default())).await
}

/// A client that offered `wamp`, and the session ID its WELCOME gave.
async fn client(addr: SocketAddr) -> (Client, String) {
    let mut client = Client::connect_with(addr, "/", "Sec-WebSocket-Protocol: wamp\r\n").await;
    assert_eq!(client.response().header("sec-websocket-protocol"), Some("wamp"));
    let welcome = next(&mut client).await;
    let Message::Welcome { session_id, protocol_version, server_ident } = welcome else {
        panic!("WELCOME first, not {welcome:?}")
    };
    assert_eq!((protocol_version, server_ident.as_str()), (1, SERVER_IDENT));
    (client, session_id)
}

async fn send(client: &mut Client, text: &str) {
    client.send_frame(OpCode::Text, true, text.as_bytes()).await;
}

/// The next message from the server, read as WAMP v1.
async fn next(client: &mut Client) -> Message {
    let message = client.next_message().await;
    Message::parse(message.as_text().expect("WAMP v1 is text")).expect("a WAMP v1 message")
}

/// The server's close frame's code and reason, skipping anything before
/// it; the close answered, and the socket then closed by the server.
async fn closed(client: &mut Client) -> (u16, String) {
    loop {
        match client.next_event().await {
            Some(Event::Close(frame)) => {
                let frame = frame.expect("a close code");
                client.send_frame(OpCode::Close, true, &close_payload(frame.code.0, b"")).await;
                assert_eq!(client.next_event().await, None, "the socket closes after");
                return (frame.code.0, frame.reason);
            }
            Some(_) => continue,
            None => panic!("closed without a close frame"),
        }
    }
}

#[tokio::test]
async fn a_call_is_answered_with_its_curie_expanded() {
    let (addr, _) = wamp_server().await;
    let (mut a, _) = client(addr).await;
    send(&mut a, r#"[1,"calc","http://example.com/calc#"]"#).await;
    send(&mut a, r#"[2,"c1","calc:add",1,2]"#).await;
    let result = Value::List(vec!["http://example.com/calc#add".into(), 1i64.into(), 2i64.into()]);
    assert_eq!(next(&mut a).await, Message::CallResult { call_id: "c1".into(), result });
}

#[tokio::test]
async fn an_event_reaches_the_subscribers_the_publisher_chose() {
    let (addr, wamp) = wamp_server().await;
    let (mut a, a_id) = client(addr).await;
    let (mut b, _) = client(addr).await;
    send(&mut a, r#"[5,"http://example.com/t"]"#).await;
    send(&mut b, r#"[5,"http://example.com/t"]"#).await;
    // A call answered: the subscription before it is in place.
    send(&mut b, r#"[2,"sync","p"]"#).await;
    assert!(matches!(next(&mut b).await, Message::CallResult { .. }));
    assert_eq!(wamp.topics().get("http://example.com/t").map(|t| t.count()), Some(2));
    send(&mut a, r#"[7,"http://example.com/t","one",true]"#).await;
    let one = Message::Event { topic_uri: "http://example.com/t".into(), event: "one".into() };
    assert_eq!(next(&mut b).await, one);
    send(&mut b, &format!(r#"[7,"http://example.com/t","two",[],["{a_id}"]]"#)).await;
    let two = Message::Event { topic_uri: "http://example.com/t".into(), event: "two".into() };
    assert_eq!(next(&mut a).await, two, "a got no event but the one meant for it");
}

#[tokio::test]
async fn a_bad_call_is_answered_and_the_connection_goes_on() {
    let (addr, wamp) = wamp_server().await;
    let (mut a, _) = client(addr).await;
    send(&mut a, r#"[2,"c1",42]"#).await;
    let Message::CallError { call_id, error_uri, error_desc, .. } = next(&mut a).await else {
        panic!("CALLERROR")
    };
    assert_eq!((call_id.as_str(), error_uri.as_str()), ("c1", ERROR_INVALID_ARGUMENT));
    assert_eq!(error_desc, "CALL: procURI must be a string, not an integer");
    send(&mut a, r#"[2,"c2","p"]"#).await;
    assert!(matches!(next(&mut a).await, Message::CallResult { call_id, .. } if call_id == "c2"));
    assert!(wamp.app().errors.lock().unwrap().is_empty(), "not an error of the connection");
}

#[tokio::test]
async fn anything_else_unreadable_closes_with_a_reason() {
    let (addr, wamp) = wamp_server().await;
    let cases = [
        ("not json", 1007, "not JSON: expected ident at line 1 column 2"),
        (r#"{"a":1}"#, 1007, "a WAMP message must be a non-empty list"),
        ("[42]", 1007, "unknown WAMP v1 message type 42 (0 to 8)"),
        (r#"[5,"t",1]"#, 1007, "SUBSCRIBE cannot have 3 elements"),
        (r#"[7,"t",1,"me"]"#, 1007, "PUBLISH: exclude must be a boolean (excludeMe)"),
        (r#"[8,"t",1]"#, 1007, "only a server sends EVENT"),
    ];
    for (text, code, reason) in cases {
        let (mut a, _) = client(addr).await;
        send(&mut a, text).await;
        let (got_code, got_reason) = closed(&mut a).await;
        assert_eq!(got_code, code, "{text}");
        assert!(got_reason.starts_with(reason), "{text}: {got_reason}");
    }
    let (mut a, _) = client(addr).await;
    a.send_frame(OpCode::Binary, true, br#"[5,"t"]"#).await;
    assert_eq!(closed(&mut a).await, (1003, "WAMP v1 messages are text, not binary".into()));
    let errors = wamp.app().errors.lock().unwrap().clone();
    assert_eq!(errors.len(), cases.len() + 1, "on_error told each time: {errors:?}");
    assert!(errors.iter().all(|e| e.starts_with("WAMP v1: ")), "{errors:?}");
}

#[tokio::test]
async fn the_subprotocol_is_wamp_or_none() {
    let (addr, _) = wamp_server().await;
    // No subprotocol offered: served (WAMP v1 has one format).
    let mut plain = Client::connect(addr, "/").await;
    assert!(matches!(next(&mut plain).await, Message::Welcome { .. }));
    // A v2 client is told this is not its protocol.
    let v2 = "Sec-WebSocket-Protocol: wamp.2.json\r\n";
    let mut other = Client::connect_with(addr, "/", v2).await;
    let (code, reason) = closed(&mut other).await;
    assert_eq!(code, 1002);
    assert!(reason.contains("subprotocol wamp"), "{reason}");
    // A layer set up without ws_config agrees to nothing: the client that
    // asked for wamp is told why.
    let (bare, _) = serve(WsConfig::default()).await;
    let mut asked = Client::connect_with(bare, "/", "Sec-WebSocket-Protocol: wamp\r\n").await;
    let (code, reason) = closed(&mut asked).await;
    assert_eq!(code, 1002);
    assert!(reason.contains("ws_config"), "{reason}");
}

#[tokio::test]
async fn a_client_that_leaves_leaves_its_topics() {
    let (addr, wamp) = wamp_server().await;
    let (mut a, _) = client(addr).await;
    send(&mut a, r#"[5,"http://example.com/t"]"#).await;
    send(&mut a, r#"[2,"sync","p"]"#).await;
    assert!(matches!(next(&mut a).await, Message::CallResult { .. }));
    assert_eq!(wamp.topics().len(), 1);
    a.send_frame(OpCode::Close, true, &close_payload(1000, b"")).await;
    assert_eq!(a.expect_close().await.map(|f| f.code.0), Some(1000));
    within("the topic to go", async {
        while !wamp.topics().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
}
