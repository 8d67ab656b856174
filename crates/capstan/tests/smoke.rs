mod common;

use capstan::ws::{Event, OpCode};
use capstan::{HttpServer, Message, WsServer};
use common::*;

#[tokio::test]
async fn raw_client_echo_and_close() {
    let (recorder, mut seen) = Recorder::new(true);
    let server = TestServer::start(HttpServer::new(WsServer::new(recorder))).await;
    let mut client = Client::connect(server.addr, "/").await;
    assert!(matches!(next_seen(&mut seen).await, Seen::Open(_)));
    client.send_frame(OpCode::Text, true, b"hello").await;
    assert_eq!(client.next_event().await, Some(Event::Message(Message::text("hello"))));
    client.send_frame(OpCode::Close, true, &1000u16.to_be_bytes()).await;
    let frame = client.expect_close().await.unwrap();
    assert_eq!(frame.code.0, 1000);
    let info = next_close(&mut seen).await;
    assert_eq!(info.cause, capstan::CloseCause::PeerClosed);
    server.stop().await;
}
