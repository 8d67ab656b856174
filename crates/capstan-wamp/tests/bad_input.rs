//! Bad input over a real socket: each gets the spec's answer (ABORT with
//! its reason, then the close; or the WebSocket close code for what never
//! reaches WAMP), and the router keeps serving the next client.

use std::net::SocketAddr;
use std::time::Duration;

use capstan::ws::{CloseFrame, Event, OpCode};
use capstan::{CloseCode, HttpServer, IoServer, Limits, WsConfig, WsServer};
use capstan_testkit::client::Client;
use capstan_wamp::{Router, WampServer};
use serde_json::{Value as Json, json};

/// Messages above this are refused by the WebSocket layer (1009).
const MAX_MESSAGE: usize = 64 << 10;

/// How long a connection may stay without a session here.
const JOIN_WITHIN: Duration = Duration::from_millis(300);

async fn serve() -> SocketAddr {
    let limits = Limits { max_frame_size: MAX_MESSAGE, max_message_size: MAX_MESSAGE };
    let config = WampServer::ws_config(WsConfig { limits, ..WsConfig::default() });
    let wamp = WampServer::new(Router::new(["realm1"])).with_join_timeout(JOIN_WITHIN);
    let ws = WsServer::with_config(wamp, config);
    let server = IoServer::bind("127.0.0.1:0", HttpServer::new(ws)).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run_until(std::future::pending()));
    addr
}

async fn connect(addr: SocketAddr) -> Client {
    Client::connect_with(addr, "/", "Sec-WebSocket-Protocol: wamp.2.json\r\n").await
}

async fn send_text(client: &mut Client, text: &str) {
    client.send_frame(OpCode::Text, true, text.as_bytes()).await;
}

async fn receive(client: &mut Client) -> Json {
    let message = client.next_message().await;
    serde_json::from_str(message.as_text().expect("wamp.2.json is text")).unwrap()
}

/// The server's close frame; answered as a client should (so the server
/// need not wait for its close timeout), then the server closes TCP.
async fn closed(client: &mut Client) -> CloseFrame {
    loop {
        match client.next_event().await {
            Some(Event::Close(frame)) => {
                client.send_frame(OpCode::Close, true, &1000u16.to_be_bytes()).await;
                assert_eq!(client.next_event().await, None, "TCP closes after the handshake");
                return frame.expect("a close code");
            }
            Some(_) => continue,
            None => panic!("closed without a close frame"),
        }
    }
}

fn hello() -> String {
    json!([1, "realm1", {"roles": {"caller": {}, "subscriber": {}}}]).to_string()
}

/// Sends `before` (each a text message), then `bad`: the router must ABORT
/// with `reason` and close normally.
async fn aborted(addr: SocketAddr, before: &[String], bad: &[u8], opcode: OpCode, reason: &str) {
    let mut client = connect(addr).await;
    for message in before {
        send_text(&mut client, message).await;
        receive(&mut client).await;
    }
    client.send_frame(opcode, true, bad).await;
    let abort = receive(&mut client).await;
    assert_eq!((abort[0].clone(), abort[2].clone()), (json!(3), json!(reason)), "{abort}");
    assert!(abort[1]["message"].is_string(), "ABORT says why: {abort}");
    assert_eq!(closed(&mut client).await.code, CloseCode::NORMAL);
}

/// A fresh client still joins and is answered.
async fn still_serving(addr: SocketAddr) {
    let mut client = connect(addr).await;
    send_text(&mut client, &hello()).await;
    assert_eq!(receive(&mut client).await[0], 2, "WELCOME");
    send_text(&mut client, &json!([48, 1, {}, "wamp.session.count", []]).to_string()).await;
    assert_eq!(receive(&mut client).await, json!([50, 1, {}, [1]]));
}

#[tokio::test]
async fn garbage_wrong_types_and_out_of_order_messages_are_aborted_and_the_router_goes_on() {
    let addr = serve().await;
    let violation = "wamp.error.protocol_violation";
    let joined = [hello()];
    let cases: [(&[String], &str, &str); 9] = [
        (&[], "this is not json", violation),
        (&[], "{\"a\": 1}", violation),
        (&[], "[999, 1]", violation),
        (&[], "[1, 42, {\"roles\": {\"caller\": {}}}]", violation),
        (&[], "[1, \"realm1\", {}]", violation),
        (&[], "[32, 1, {}, \"com.t\"]", violation),
        (&[], "[1, \"nowhere\", {\"roles\": {\"caller\": {}}}]", "wamp.error.no_such_realm"),
        (&joined, &hello(), violation),
        (&joined, "[48, 0, {}, \"com.x\"]", violation),
    ];
    for (before, bad, reason) in cases {
        aborted(addr, before, bad.as_bytes(), OpCode::Text, reason).await;
        still_serving(addr).await;
    }
    // A binary frame on wamp.2.json.
    aborted(addr, &joined, &[0x93, 0x01], OpCode::Binary, violation).await;
    still_serving(addr).await;
}

#[tokio::test]
async fn an_oversized_message_is_refused_by_the_websocket_layer_with_1009() {
    let addr = serve().await;
    let mut client = connect(addr).await;
    send_text(&mut client, &hello()).await;
    receive(&mut client).await;
    let big = format!("[16, 1, {{}}, \"com.t\", [\"{}\"]]", "x".repeat(MAX_MESSAGE));
    send_text(&mut client, &big).await;
    assert_eq!(closed(&mut client).await.code, CloseCode::MESSAGE_TOO_BIG);
    still_serving(addr).await;
}

#[tokio::test]
async fn a_client_without_a_wamp_subprotocol_is_closed_with_1002() {
    let addr = serve().await;
    let mut client = Client::connect(addr, "/").await;
    let close = closed(&mut client).await;
    assert_eq!(close.code, CloseCode::PROTOCOL_ERROR);
    assert!(close.reason.contains("wamp.2.json"), "{}", close.reason);
}

#[tokio::test]
async fn a_connection_that_never_joins_is_closed_and_one_that_joined_is_not() {
    let addr = serve().await;
    let mut idle = connect(addr).await;
    let mut member = connect(addr).await;
    send_text(&mut member, &hello()).await;
    assert_eq!(receive(&mut member).await[0], 2);
    let close = closed(&mut idle).await;
    assert_eq!(close.code, CloseCode::POLICY_VIOLATION);
    assert!(close.reason.contains("no WAMP session"), "{}", close.reason);
    // Past the timeout, the joined session is still served.
    tokio::time::sleep(JOIN_WITHIN).await;
    send_text(&mut member, &json!([48, 1, {}, "wamp.session.count", []]).to_string()).await;
    assert_eq!(receive(&mut member).await, json!([50, 1, {}, [1]]));
}
