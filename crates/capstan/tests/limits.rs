//! Hostile peers cost only themselves: a message flood is cut at the rate
//! limit, and a crowd of half-open connections neither blocks others nor
//! lingers past the handshake timeout.

mod common;

use std::time::Duration;

use capstan::ws::{Event, OpCode};
use capstan::{CloseCause, HttpConfig, HttpServer, Message, MessageRate, WsConfig, WsServer};
use common::*;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn a_message_flood_is_closed_at_the_rate_limit() {
    let (recorder, mut seen) = Recorder::new(true);
    let config = WsConfig {
        message_rate: Some(MessageRate { per_second: 0.001, burst: 5 }),
        ..WsConfig::default()
    };
    let server = TestServer::start(HttpServer::new(WsServer::with_config(recorder, config))).await;
    let mut client = Client::connect(server.addr, "/").await;
    for i in 0..20 {
        client.send_frame(OpCode::Text, true, format!("m{i}").as_bytes()).await;
    }
    // The burst is echoed, then the close: no echo of anything past it.
    let mut echoes = Vec::new();
    let frame = loop {
        match client.next_event().await {
            Some(Event::Message(message)) => echoes.push(message),
            Some(Event::Close(frame)) => break frame.expect("a close frame with a code"),
            Some(other) => panic!("{other:?} before the close"),
            None => panic!("closed without a close frame"),
        }
    };
    let burst: Vec<Message> = (0..5).map(|i| Message::text(format!("m{i}"))).collect();
    assert_eq!(echoes, burst, "exactly the burst was echoed");
    assert_eq!(frame.code.0, 1008);
    assert_eq!(frame.reason, "message rate exceeded");
    // Answer the close, as a client does; the server then ends the connection.
    client.send_frame(OpCode::Close, true, &1008u16.to_be_bytes()).await;
    assert_eq!(client.next_event().await, None);
    // Exactly the messages within the limit reached the app, then the close.
    let (delivered, close) = messages_then_close(&mut seen).await;
    assert_eq!(delivered, burst, "the messages that reached the app");
    assert_eq!(close.cause, CloseCause::RateLimited);
    drop(client);
    server.stop().await;
}

#[tokio::test]
async fn messages_within_the_rate_pass() {
    let (recorder, _seen) = Recorder::new(true);
    let config = WsConfig {
        message_rate: Some(MessageRate { per_second: 1000.0, burst: 50 }),
        ..WsConfig::default()
    };
    let server = TestServer::start(HttpServer::new(WsServer::with_config(recorder, config))).await;
    let mut client = Client::connect(server.addr, "/").await;
    for i in 0..50 {
        client.send_frame(OpCode::Text, true, format!("m{i}").as_bytes()).await;
        assert_eq!(client.next_message().await, Message::text(format!("m{i}")));
    }
    client.send_frame(OpCode::Close, true, &1000u16.to_be_bytes()).await;
    assert_eq!(client.expect_close().await.map(|f| f.code.0), Some(1000));
    server.stop().await;
}

#[tokio::test]
async fn half_open_connections_neither_block_others_nor_linger() {
    let (recorder, _seen) = Recorder::new(true);
    let http = HttpServer::new(WsServer::new(recorder)).with_config(HttpConfig {
        handshake_timeout: Duration::from_millis(300),
        ..Default::default()
    });
    let server = TestServer::start(http).await;
    let mut silent = Vec::new();
    for _ in 0..200 {
        silent.push(TcpStream::connect(server.addr).await.unwrap());
    }
    // A real client is served while 200 connections say nothing.
    let mut client = Client::connect(server.addr, "/").await;
    client.send_frame(OpCode::Text, true, b"still here").await;
    assert_eq!(client.next_message().await, Message::text("still here"));
    // Each silent one is answered 408 and closed by the server.
    for mut stream in silent {
        let mut answer = Vec::new();
        tokio::time::timeout(WAIT, stream.read_to_end(&mut answer)).await.expect("closed").unwrap();
        assert!(answer.starts_with(b"HTTP/1.1 408"), "{}", String::from_utf8_lossy(&answer));
    }
    client.send_frame(OpCode::Close, true, &1000u16.to_be_bytes()).await;
    client.expect_close().await;
    server.stop().await;
}
