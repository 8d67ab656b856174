//! Measures how many chat messages per second are stored and acknowledged,
//! with the store's batching on and off, in the same run:
//!
//! `cargo run --release -p capstan-chat --example store_load -- [clients] [messages] [window]`
//!
//! Each client sends `messages` messages (with client ids), keeping
//! `window` of them waiting for their ack. An ack means the message is
//! committed to SQLite with `synchronous=FULL` (on disk). Loopback only.

#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use capstan_chat::{ChatServer, Config};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let clients = args.first().copied().unwrap_or(50);
    let messages = args.get(1).copied().unwrap_or(200);
    let window = args.get(2).copied().unwrap_or(8);
    println!("{clients} clients x {messages} messages, {window} in flight per client\n");
    println!("| store batch | messages | seconds | acked messages/s |");
    println!("|---:|---:|---:|---:|");
    let mut rates = Vec::new();
    for batch in [1, 512] {
        let (elapsed, total) = run(batch, clients, messages, window).await;
        let rate = total as f64 / elapsed.as_secs_f64();
        rates.push(rate);
        println!("| {batch} | {total} | {:.2} | {rate:.0} |", elapsed.as_secs_f64());
    }
    println!("\nbatched / unbatched: {:.1}x", rates[1] / rates[0]);
}

async fn run(batch: usize, clients: usize, messages: usize, window: usize) -> (Duration, usize) {
    let dir =
        std::env::temp_dir().join(format!("capstan-store-load-{}-{batch}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = Config {
        bind: "127.0.0.1".parse().unwrap(),
        port: 0,
        db: dir.join("chat.db"),
        rate: 1e9,
        burst: u32::MAX,
        store_batch: batch,
        ..Config::defaults()
    };
    let server = ChatServer::bind(&config).await.unwrap();
    let addr = server.local_addr().unwrap();
    let shutdown = server.shutdown_handle();
    let task = tokio::spawn(server.run_until(std::future::pending()));
    let start = Instant::now();
    let mut workers = Vec::new();
    for c in 0..clients {
        workers.push(tokio::spawn(client(addr, c, messages, window)));
    }
    let mut total = 0;
    for worker in workers {
        total += tokio::time::timeout(Duration::from_secs(600), worker).await.unwrap().unwrap();
    }
    let elapsed = start.elapsed();
    shutdown.shutdown();
    task.await.unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (elapsed, total)
}

async fn client(addr: std::net::SocketAddr, c: usize, messages: usize, window: usize) -> usize {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await.unwrap();
    let add = json!({"type": "add_user", "data": {"username": format!("user{c}")}});
    ws.send(Message::text(add.to_string())).await.unwrap();
    let (mut sent, mut acked) = (0, 0);
    while acked < messages {
        while sent < messages && sent - acked < window {
            let data = json!({"content": format!("message {sent} from {c}"), "client_id": format!("{c}-{sent}")});
            ws.send(Message::text(json!({"type": "message", "data": data}).to_string()))
                .await
                .unwrap();
            sent += 1;
        }
        let Some(Ok(Message::Text(text))) = ws.next().await else { panic!("connection lost") };
        let value: Value = serde_json::from_str(&text).unwrap();
        match value["type"].as_str() {
            Some("ack") => acked += 1,
            Some("error") => panic!("refused: {value}"),
            _ => {}
        }
    }
    acked
}
