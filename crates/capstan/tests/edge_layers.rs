//! The HTTP edge layers over real sockets: IP lists, the per-IP limit,
//! virtual hosts and path parameters.

mod common;

use capstan::http::{HostRouter, IpFilter, IpPolicy, PerIpLimit};
use capstan::ws::OpCode;
use capstan::{HttpServer, Message, Router, WsServer};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn status_of(answer: &str) -> &str {
    answer.split_whitespace().nth(1).unwrap_or("")
}

#[tokio::test]
async fn denied_addresses_get_403_and_never_reach_the_app() {
    let (recorder, mut seen) = Recorder::new(true);
    let policy = IpPolicy::new().deny("127.0.0.0/8".parse().unwrap());
    let server =
        TestServer::start(HttpServer::new(IpFilter::new(WsServer::new(recorder), policy))).await;
    let answer = http_exchange(server.addr, upgrade_request("/", "").as_bytes()).await;
    assert_eq!(status_of(&answer), "403", "{answer}");
    assert!(seen.try_recv().is_err(), "the app saw nothing");
    server.stop().await;
}

#[tokio::test]
async fn an_allow_list_admits_only_its_blocks() {
    let (recorder, _seen) = Recorder::new(true);
    let outside = IpPolicy::new().allow("10.0.0.0/8".parse().unwrap());
    let server =
        TestServer::start(HttpServer::new(IpFilter::new(WsServer::new(recorder), outside))).await;
    let answer = http_exchange(server.addr, upgrade_request("/", "").as_bytes()).await;
    assert_eq!(status_of(&answer), "403", "{answer}");
    server.stop().await;

    let (recorder, _seen) = Recorder::new(true);
    let inside = IpPolicy::new().allow("127.0.0.1/32".parse().unwrap());
    let server =
        TestServer::start(HttpServer::new(IpFilter::new(WsServer::new(recorder), inside))).await;
    let mut client = Client::connect(server.addr, "/").await;
    client.send_frame(OpCode::Text, true, b"in").await;
    assert_eq!(client.next_message().await, Message::text("in"));
    client.send_frame(OpCode::Close, true, &1000u16.to_be_bytes()).await;
    client.expect_close().await;
    server.stop().await;
}

#[tokio::test]
async fn the_per_ip_limit_answers_503_until_a_slot_frees() {
    let (recorder, mut seen) = Recorder::new(true);
    let server =
        TestServer::start(HttpServer::new(PerIpLimit::new(WsServer::new(recorder), 2))).await;
    let mut first = Client::connect(server.addr, "/").await;
    let _second = Client::connect(server.addr, "/").await;
    let answer = http_exchange(server.addr, upgrade_request("/", "").as_bytes()).await;
    assert_eq!(status_of(&answer), "503", "{answer}");
    assert!(answer.contains("too many connections from your address"), "{answer}");

    first.send_frame(OpCode::Close, true, &1000u16.to_be_bytes()).await;
    first.expect_close().await;
    // The slot frees when the connection's task ends.
    let mut closes = 0;
    while closes == 0 {
        if let Seen::Close(..) = next_seen(&mut seen).await {
            closes += 1;
        }
    }
    let mut third = None;
    for _ in 0..50 {
        let (stream, head) = handshake(server.addr, &upgrade_request("/", "")).await;
        if head.starts_with("HTTP/1.1 101") {
            third = Some(stream);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut third = third.expect("a freed slot is taken again");
    let frame = capstan::ws::encode_client_frame(OpCode::Text, true, b"third", [9, 9, 9, 9]);
    third.write_all(&frame).await.unwrap();
    let mut echo = [0u8; 7];
    tokio::time::timeout(WAIT, third.read_exact(&mut echo)).await.unwrap().unwrap();
    assert_eq!(&echo, b"\x81\x05third");
    drop((_second, third));
    server.stop().await;
}

/// Sends a request and reads the answer's head (the connection stays open).
async fn handshake(addr: std::net::SocketAddr, request: &str) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        match tokio::time::timeout(WAIT, stream.read_u8()).await.expect("answered") {
            Ok(byte) => head.push(byte),
            Err(_) => break,
        }
    }
    (stream, String::from_utf8_lossy(&head).into_owned())
}

#[tokio::test]
async fn virtual_hosts_route_by_host_and_path_parameters_reach_the_app() {
    let (chat, mut chat_seen) = Recorder::new(true);
    let (other, mut other_seen) = Recorder::new(true);
    let hosts = HostRouter::new()
        .host("chat.example", Router::new().route("/rooms/:room", WsServer::new(chat)))
        .host("other.example", WsServer::new(other));
    let server = TestServer::start(HttpServer::new(hosts)).await;

    let request = upgrade_request("/rooms/blue%20room", "")
        .replace("Host: localhost", "Host: chat.example:80");
    let (_chat_stream, answer) = handshake(server.addr, &request).await;
    assert!(answer.starts_with("HTTP/1.1 101"), "{answer}");
    match next_seen(&mut chat_seen).await {
        Seen::Open(conn) => assert_eq!(conn.request().param("room"), Some("blue room")),
        other => panic!("expected an open, got {other:?}"),
    }

    let request =
        upgrade_request("/anything", "").replace("Host: localhost", "Host: other.example");
    let (_other_stream, answer) = handshake(server.addr, &request).await;
    assert!(answer.starts_with("HTTP/1.1 101"), "{answer}");
    assert!(matches!(next_seen(&mut other_seen).await, Seen::Open(_)));

    let request =
        upgrade_request("/rooms/x", "").replace("Host: localhost", "Host: unknown.example");
    let answer = http_exchange(server.addr, request.as_bytes()).await;
    assert_eq!(status_of(&answer), "404", "{answer}");
    drop((_chat_stream, _other_stream));
    server.stop().await;
}
