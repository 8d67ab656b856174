//! `capstan-bench-server [ADDR]`: the server the load generator measures,
//! written with Capstan. The protocol (which peer servers in other
//! libraries implement alike) is in crates/capstan-bench/README.md:
//!
//! - `/echo`: every message is sent back as it came.
//! - `/broadcast`: every connection joins one topic; a text message that
//!   starts with `pub:` is published, unchanged, to every connection of
//!   the topic, its sender included. Other messages are ignored.
//!
//! No compression, no keepalive pings, generous limits. It listens on ADDR
//! (default 127.0.0.1:0, loopback only) and prints one line on stdout,
//! `LISTENING port=P pid=PID url=ws://HOST:P`; it stops on SIGINT/SIGTERM.

#![forbid(unsafe_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use capstan::DeflateConfig;
use capstan::Limits;
use capstan::{
    App, Component, Conn, IoServer, Message, PreparedMessage, ServerConfig, Topic, WsConfig,
};

/// Sends every message back.
struct Echo;

impl Component for Echo {
    async fn on_message(&self, conn: &Conn, message: Message) {
        let _ = conn.send(message);
    }
}

/// Every connection subscribed to one topic; `pub:` texts published to it.
struct Broadcast {
    topic: Topic,
}

impl Component for Broadcast {
    async fn on_open(&self, conn: &Conn) {
        self.topic.subscribe(conn);
    }

    async fn on_message(&self, _conn: &Conn, message: Message) {
        if message.as_text().is_some_and(|text| text.starts_with("pub:")) {
            // Framed once; every subscriber's queue shares the bytes.
            let prepared = PreparedMessage::new(message);
            self.topic.publish_prepared(&prepared, &[]);
        }
    }
}

/// The WebSocket settings: nothing that would add work or end connections
/// on its own during a run.
fn ws_config() -> WsConfig {
    WsConfig {
        limits: Limits { max_frame_size: 64 << 20, max_message_size: 64 << 20 },
        max_outbound_bytes: 64 << 20,
        ping_interval: None,
        idle_timeout: None,
        deflate: DeflateConfig::disabled(),
        ..WsConfig::default()
    }
}

const USAGE: &str = "\
capstan-bench-server [ADDR]: Capstan serving /echo and /broadcast for loadgen

  ADDR  where to listen, a loopback address (default 127.0.0.1:0: any free port)

Prints `LISTENING port=P pid=PID url=ws://ADDR` on stdout once listening.";

fn main() -> ExitCode {
    let arg = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".into());
    if arg == "--help" || arg == "-h" {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let addr: SocketAddr = match arg.parse() {
        Ok(addr) if SocketAddr::ip(&addr).is_loopback() => addr,
        _ => {
            eprintln!("capstan-bench-server: {arg:?} is not a loopback IP:PORT\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Worker threads: as many as the CPUs this process may use (one when
    // pinned with taskset).
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("capstan-bench-server: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("capstan-bench-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(addr: SocketAddr) -> std::io::Result<()> {
    let app = App::new()
        .ws_config(ws_config())
        .route("/echo", Echo)
        .route("/broadcast", Broadcast { topic: Topic::new("broadcast") });
    let limits = ServerConfig { max_connections: 1_000_000, ..ServerConfig::default() };
    let server = IoServer::bind(addr, app.into_http()).await?.with_config(limits);
    let local = server.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "LISTENING port={} pid={} url=ws://{local}",
        local.port(),
        std::process::id()
    )?;
    stdout.flush()?;
    drop(stdout);
    server.run().await
}
