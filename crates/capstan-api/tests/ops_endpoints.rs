//! /metrics, /healthz and /readyz served by a running capstan server (the
//! router mounted as its plain-HTTP service), over real sockets: the
//! scraped figures move with the server's traffic, the health endpoints
//! answer as their checks say.

use std::net::SocketAddr;
use std::time::Duration;

use capstan::ws::OpCode;
use capstan::{
    Component, Conn, HttpServer, HttpService, IoServer, Message, ShutdownHandle, WsServer,
};
use capstan_api::{Health, Metrics, ReadyFlag};
use capstan_testkit::client::Client;
use capstan_testkit::http::{Response, exchange};

/// Echoes every message but `quiet`.
struct Echo;

impl Component for Echo {
    async fn on_message(&self, conn: &Conn, message: Message) {
        if message.as_text() != Some("quiet") {
            let _ = conn.send(message);
        }
    }
}

/// Serves an echo on `/` with the operators' router beside it.
async fn serve(metrics: Metrics, health: Health) -> (SocketAddr, ShutdownHandle) {
    let ops = HttpService::from_tower(capstan_api::router(metrics, health));
    let http = HttpServer::new(WsServer::new(Echo)).with_service(ops);
    let server = IoServer::bind("127.0.0.1:0", http).await.unwrap();
    let addr = server.local_addr().unwrap();
    let shutdown = server.shutdown_handle();
    tokio::spawn(server.run_until(std::future::pending()));
    (addr, shutdown)
}

async fn get(addr: SocketAddr, path: &str) -> Response {
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    Response::parse(&exchange(addr, request.as_bytes()).await)
}

/// The value of the sample `series` (name and labels as written).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
}

#[tokio::test]
async fn a_scrape_shows_the_traffic_and_the_api_calls() {
    let metrics = Metrics::new();
    let (addr, shutdown) = serve(metrics.clone(), Health::new()).await;

    let before = get(addr, "/metrics").await;
    assert_eq!(before.status(), 200);
    assert_eq!(before.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let before = before.body_text();

    let mut client = Client::connect(addr, "/").await;
    for _ in 0..3 {
        client.send_frame(OpCode::Text, true, b"12345678").await;
        client.next_message().await;
    }
    client.send_frame(OpCode::Text, true, b"quiet").await;
    client.send_frame(OpCode::Text, true, b"last").await;
    client.next_message().await;
    metrics.observe_api_call("publish", "ok", Duration::from_millis(2));

    let after = get(addr, "/metrics").await.body_text();
    let moved = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(moved("capstan_messages_received_total"), 5.0);
    assert_eq!(moved("capstan_received_bytes_total"), 33.0);
    assert_eq!(moved("capstan_messages_sent_total"), 4.0);
    assert_eq!(moved("capstan_sent_bytes_total"), 28.0);
    assert_eq!(moved("capstan_connections_open"), 1.0);
    assert!(moved(r#"capstan_connections_accepted_total{transport="plain"}"#) >= 2.0);
    let calls = r#"capstan_api_call_duration_seconds_count{method="publish",outcome="ok"}"#;
    assert_eq!(sample(&after, calls), 1.0);
    assert!(sample(&after, "capstan_process_resident_memory_bytes") > 0.0);
    assert!(sample(&after, "capstan_process_open_fds") > 0.0);
    shutdown.shutdown();
}

#[tokio::test]
async fn healthz_answers_while_readyz_names_the_failing_checks() {
    let listening = ReadyFlag::new();
    let health = Health::new().with_flag("listening", &listening).with_check(
        "store",
        Duration::from_millis(50),
        std::future::pending,
    );
    let (addr, shutdown) = serve(Metrics::new(), health).await;

    let alive = get(addr, "/healthz").await;
    assert_eq!((alive.status(), alive.body_text().as_str()), (200, "ok\n"));

    let not_ready = get(addr, "/readyz").await;
    assert_eq!(not_ready.status(), 503);
    assert_eq!(
        not_ready.body_text(),
        "not ready\nlistening: not set\nstore: no answer within 50ms\n"
    );
    listening.set(true);
    let body = get(addr, "/readyz").await.body_text();
    assert_eq!(body, "not ready\nstore: no answer within 50ms\n");
    shutdown.shutdown();

    let ready = Health::new().with_flag("listening", &listening);
    let (addr, shutdown) = serve(Metrics::new(), ready).await;
    let ready = get(addr, "/readyz").await;
    assert_eq!((ready.status(), ready.body_text().as_str()), (200, "ready\n"));
    shutdown.shutdown();
}
