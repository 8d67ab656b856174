//! A WebSocket server with the operators' endpoints on the same port:
//! `/` echoes every message, and publishes a text starting with `pub:` to
//! every connection; `GET /metrics`, `/healthz` and `/readyz` answer over
//! plain HTTP. scripts/metrics-check.sh scrapes it and checks /metrics
//! with Prometheus's own parsers.
//!
//! Run: `cargo run -p capstan-api --example ops_server -- 127.0.0.1:0`;
//! it prints `LISTENING port=P` once bound.

use std::time::{Duration, Instant};

use capstan::{Component, Conn, HttpServer, HttpService, IoServer, Message, Topics, WsServer};
use capstan_api::{Health, Metrics, ReadyFlag};

struct EchoAndPublish {
    topics: Topics,
    metrics: Metrics,
}

impl Component for EchoAndPublish {
    async fn on_open(&self, conn: &Conn) {
        self.topics.subscribe("all", conn);
    }

    async fn on_message(&self, conn: &Conn, message: Message) {
        if message.as_text().is_some_and(|text| text.starts_with("pub:")) {
            let started = Instant::now();
            let _ = self.topics.publish("all", message, &[]);
            self.metrics.observe_broker("publish", started.elapsed());
        } else {
            let _ = conn.send(message);
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".into());
    let metrics = Metrics::new();
    let listening = ReadyFlag::new();
    let topics = Topics::new();
    let health = Health::new().with_flag("listening", &listening).with_check(
        "engine",
        Duration::from_secs(1),
        || async { Ok(()) },
    );
    let app = EchoAndPublish { topics, metrics: metrics.clone() };
    let ops = HttpService::from_tower(capstan_api::router(metrics, health));
    let http = HttpServer::new(WsServer::new(app)).with_service(ops);
    let server = IoServer::bind(&addr, http).await?;
    listening.set(true);
    println!("LISTENING port={}", server.local_addr()?.port());
    server.run().await
}
