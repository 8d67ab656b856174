//! The promises about idle connections, checked without the benchmark:
//! an idle connection holds no read buffer (the process's gauge of
//! connections waiting with one, `capstan::waiting_with_read_buffer`,
//! is 0 with 2,000 idle connections, and 1 while one waits with half a
//! frame), and 2,000 idle connections cost the real server (the echo
//! example, a process of its own) less than 3 KiB of RSS each. This file
//! is a test binary of its own: the gauge is the process's.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use capstan::waiting_with_read_buffer;
use capstan::ws::OpCode;
use capstan::{HttpServer, Message, WsConfig, WsServer};
use common::*;

/// Idle connections opened by each test.
const IDLE: usize = 2000;
/// What an idle connection may cost the server, in RSS (measured here:
/// 2.1–2.2 KiB in a debug build; the benchmark's release figure is ~2 KiB).
const BYTES_PER_IDLE_CONNECTION: usize = 3 * 1024;

/// Fails clearly when this process may not open `needed` descriptors.
fn check_descriptors(needed: usize) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    let soft: usize = line.split_whitespace().nth(3).unwrap().parse().unwrap_or(usize::MAX);
    assert!(soft >= needed, "this test opens {needed} descriptors; `ulimit -n` is {soft}");
}

/// Waits (bounded) until `probe` holds: waiting on the event itself.
async fn until(what: &str, probe: impl Fn() -> bool) {
    let wait = async {
        while !probe() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(WAIT, wait).await.unwrap_or_else(|_| panic!("{what}"));
}

/// Opens `n` connections to `addr`, each echoing one message first (so
/// that its read path has run), then left idle.
async fn idle_clients(addr: SocketAddr, n: usize) -> Vec<Client> {
    let mut clients = Vec::with_capacity(n);
    for i in 0..n {
        let mut client = Client::connect(addr, "/").await;
        client.send_frame(OpCode::Text, true, format!("hello {i}").as_bytes()).await;
        assert_eq!(client.next_message().await, Message::text(format!("hello {i}")));
        clients.push(client);
    }
    clients
}

#[tokio::test]
async fn an_idle_connection_holds_no_read_buffer() {
    check_descriptors(2 * IDLE + 100);
    let (recorder, _seen) = Recorder::new(true);
    let config = WsConfig { ping_interval: None, ..WsConfig::default() };
    let server = TestServer::start(HttpServer::new(WsServer::with_config(recorder, config))).await;
    let mut clients = idle_clients(server.addr, IDLE).await;
    assert_eq!(waiting_with_read_buffer(), 0, "idle connections waiting with a read buffer");

    // Half a frame: that connection waits holding what came (the gauge
    // sees it), and gives the buffer back once the frame is whole.
    let frame = capstan::ws::encode_client_frame(OpCode::Text, true, b"split in two", [1, 2, 3, 4]);
    let client = &mut clients[7];
    client.send_raw(&frame[..8]).await;
    until("the half-frame connection counted", || waiting_with_read_buffer() == 1).await;
    client.send_raw(&frame[8..]).await;
    assert_eq!(client.next_message().await, Message::text("split in two"));
    until("its buffer given back", || waiting_with_read_buffer() == 0).await;
    drop(clients);
    server.stop().await;
}

#[tokio::test]
async fn idle_connections_cost_the_server_less_than_3_kib_each() {
    check_descriptors(IDLE + 200);
    let (echo, addr) = spawn_echo(&[("ECHO_DEFLATE", "off")]);

    // A first batch faults in the code and sets the allocator's pools.
    let warm = idle_clients(addr, 100).await;
    let before = proc_memory(&echo.id().to_string(), "VmRSS");
    let clients = idle_clients(addr, IDLE).await;
    let after = proc_memory(&echo.id().to_string(), "VmRSS");
    let per_connection = after.saturating_sub(before) / IDLE;
    eprintln!(
        "{IDLE} idle connections: {} KiB → {} KiB, {per_connection} bytes each",
        before / 1024,
        after / 1024
    );
    assert!(
        per_connection < BYTES_PER_IDLE_CONNECTION,
        "{per_connection} bytes of server RSS per idle connection"
    );
    drop((warm, clients));
}
