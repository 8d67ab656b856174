//! Plain HTTP beside WebSocket on one port: a real axum `Router` mounted as
//! it is (`HttpService::from_tower`), its bodies streamed (a chunk reaches
//! the client before the body ends), upgrades still going to the WebSocket
//! layer.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::routing::get;
use bytes::Bytes;
use capstan::HttpService;
use capstan::{Component, Conn, HttpServer, IoServer, Message, WsServer};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// Upper bound for any single wait (a hang fails, it never passes).
const WAIT: Duration = Duration::from_secs(10);

struct Echo;

impl Component for Echo {
    async fn on_message(&self, conn: &Conn, message: Message) {
        let _ = conn.send(message);
    }
}

/// A body fed chunk by chunk through a channel: it ends when the sender is
/// dropped.
fn channel_body(rx: mpsc::UnboundedReceiver<&'static str>) -> Body {
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        let chunk = rx.recv().await?;
        Some((Ok::<_, std::convert::Infallible>(Bytes::from_static(chunk.as_bytes())), rx))
    });
    Body::from_stream(chunks)
}

/// Serves `service` beside an echoing WebSocket layer on 127.0.0.1: the
/// address, and what shuts the server down and checks it ended well.
async fn start(service: HttpService) -> (SocketAddr, impl Future<Output = ()>) {
    let http = HttpServer::new(WsServer::new(Echo)).with_service(service);
    let server = IoServer::bind("127.0.0.1:0", http).await.unwrap();
    let addr = server.local_addr().unwrap();
    let shutdown = server.shutdown_handle();
    let task = tokio::spawn(server.run_until(std::future::pending()));
    let stop = async move {
        shutdown.shutdown();
        tokio::time::timeout(WAIT, task).await.unwrap().unwrap().unwrap();
    };
    (addr, stop)
}

/// Reads from `stream` until `buffer` holds `needle`.
async fn read_until(stream: &mut TcpStream, buffer: &mut Vec<u8>, needle: &str) {
    let found = async {
        while !String::from_utf8_lossy(buffer).contains(needle) {
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(
                n > 0,
                "the connection ended before {needle:?}: {:?}",
                String::from_utf8_lossy(buffer)
            );
            buffer.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(WAIT, found)
        .await
        .unwrap_or_else(|_| panic!("no {needle:?} in {:?}", String::from_utf8_lossy(buffer)));
}

#[tokio::test]
async fn an_axum_router_mounts_as_is_and_streams_its_bodies() {
    let (events, rx) = mpsc::unbounded_channel();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(Some(rx)));
    let router = axum::Router::new().route("/hello", get(|| async { "hello from axum" })).route(
        "/events",
        get(move || {
            let rx = rx.lock().unwrap().take().expect("one stream");
            async move {
                axum::http::Response::builder()
                    .header("content-type", "text/event-stream")
                    .body(channel_body(rx))
                    .unwrap()
            }
        }),
    );
    let (addr, stop) = start(HttpService::from_tower(router)).await;

    // A whole body.
    let mut hello = TcpStream::connect(addr).await.unwrap();
    hello.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    read_until(&mut hello, &mut answer, "hello from axum").await;
    assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"), "{}", String::from_utf8_lossy(&answer));

    // The router's own 404.
    let mut missing = TcpStream::connect(addr).await.unwrap();
    missing
        .write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    read_until(&mut missing, &mut answer, "\r\n\r\n").await;
    assert!(answer.starts_with(b"HTTP/1.1 404"), "{}", String::from_utf8_lossy(&answer));

    // A streamed body: each event arrives while the body is still open
    // (the next one is sent only once the previous one was read).
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    events.send("data: one\n\n").unwrap();
    read_until(&mut stream, &mut answer, "data: one").await;
    let head = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    events.send("data: two\n\n").unwrap();
    read_until(&mut stream, &mut answer, "data: two").await;
    drop(events);
    read_until(&mut stream, &mut answer, "0\r\n\r\n").await;

    // WebSocket upgrades on the same port still reach the WebSocket layer.
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/")).await.unwrap();
    ws.send(tokio_tungstenite::tungstenite::Message::text("ping")).await.unwrap();
    let echoed = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(echoed.into_text().unwrap().as_str(), "ping");
    drop(ws);

    stop.await;
}

#[tokio::test]
async fn a_failing_tower_service_is_answered_with_500() {
    #[derive(Clone)]
    struct Broken;

    impl tower_service::Service<http::Request<hyper::body::Incoming>> for Broken {
        type Response = http::Response<http_body_util::Full<Bytes>>;
        type Error = std::io::Error;
        type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Self::Error>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: http::Request<hyper::body::Incoming>) -> Self::Future {
            std::future::ready(Err(std::io::Error::other("the database is down")))
        }
    }

    let (addr, stop) = start(HttpService::from_tower(Broken)).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    read_until(&mut client, &mut answer, "\r\n\r\n").await;
    assert!(answer.starts_with(b"HTTP/1.1 500"), "{}", String::from_utf8_lossy(&answer));
    stop.await;
}
