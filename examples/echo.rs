//! An echo server: sends every message back. Used for conformance
//! (Autobahn|Testsuite) and benchmarks.
//! Run: `cargo run --release -p capstan --example echo -- 127.0.0.1:9001`.

use capstan::DeflateConfig;
use capstan::Limits;
use capstan::{Component, Conn, HttpServer, IoServer, Message, WsConfig, WsServer};

struct Echo;

impl Component for Echo {
    async fn on_message(&self, conn: &Conn, message: Message) {
        let _ = conn.send(message);
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9001".into());
    // Autobahn's limits cases send single messages of up to 16 MiB.
    // Compression: as the client offers (context takeover where allowed),
    // or with ECHO_DEFLATE=default the server's default (no context
    // takeover either way), or ECHO_DEFLATE=off.
    let deflate = match std::env::var("ECHO_DEFLATE").as_deref() {
        Ok("default") => DeflateConfig::default(),
        Ok("off") => DeflateConfig::disabled(),
        _ => DeflateConfig { threshold: 0, ..DeflateConfig::as_offered() },
    };
    let config = WsConfig {
        limits: Limits { max_frame_size: 64 << 20, max_message_size: 64 << 20 },
        max_outbound_bytes: 64 << 20,
        deflate,
        ..WsConfig::default()
    };
    let server =
        IoServer::bind(&addr, HttpServer::new(WsServer::with_config(Echo, config))).await?;
    println!("echo server on ws://{}", server.local_addr()?);
    server.run().await
}
