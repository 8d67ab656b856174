//! `capstan-bench-server [ADDR]`: the server the load generator measures,
//! written with Capstan. The protocol (which peer servers in other
//! libraries implement alike) is in crates/capstan-bench/README.md:
//!
//! - `/echo`: every message is sent back as it came.
//! - `/broadcast`: every connection joins one topic; a text message that
//!   starts with `pub:` is published, unchanged, to every connection of
//!   the topic, its sender included. Other messages are ignored.
//! - `/echo-session`: the same echo in session mode (docs/SESSIONS.md): a
//!   [`SessionRoute`] around `Echo` with the same WebSocket settings and
//!   the default [`SessionConfig`], over WebSocket and the HTTP fallbacks
//!   (what `loadgen --session`/`--sse` and `session-cost` measure).
//!
//! No compression, no keepalive pings, generous limits; warnings on stderr
//! (`RUST_LOG` to choose, `warn` by default). It listens on ADDR
//! (default 127.0.0.1:0, loopback only) and prints one line on stdout,
//! `LISTENING port=P pid=PID url=ws://HOST:P`; it stops on SIGINT/SIGTERM.
//!
//! With `--redis URL` it is one node of several: `/broadcast` joins the
//! topic of a [`Topics`] registry on a [`RedisEngine`] (capstan-redis), so
//! a `pub:` text reaches the topic's subscribers on every node started
//! with the same Redis. Publications are plain (`Topics::publish_prepared`:
//! delivered on this node at once, then one `SPUBLISH`; nothing kept),
//! as a chat's typing notices or a WAMP event would be.

#![forbid(unsafe_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use capstan::DeflateConfig;
use capstan::Limits;
use capstan::sessions::SessionConfig;
use capstan::{
    Component, Conn, HttpServer, IoServer, Message, PreparedMessage, Router, ServerConfig,
    SessionRoute, Topic, Topics, WsConfig, WsServer,
};
use capstan_redis::{RedisConfig, RedisEngine};
use clap::Parser;

/// Sends every message back (in session mode too: the session layer
/// numbers, keeps and acknowledges around it).
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

/// The topic every `/broadcast` connection joins.
const TOPIC: &str = "broadcast";

/// `/broadcast` on one node of several: the topic of a registry whose
/// broker is Redis, so publications reach the subscribers of every node.
struct ClusterBroadcast {
    topics: Topics,
}

impl Component for ClusterBroadcast {
    async fn on_open(&self, conn: &Conn) {
        self.topics.subscribe(TOPIC, conn);
    }

    async fn on_message(&self, _conn: &Conn, message: Message) {
        if message.as_text().is_some_and(|text| text.starts_with("pub:")) {
            // Framed once here; delivered to this node's subscribers at
            // once, and published plain through Redis to the others (the
            // ack, PUBLISH's answer, is not waited for).
            let prepared = PreparedMessage::new(message);
            let _ = self.topics.publish_prepared(TOPIC, &prepared, &[]);
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

/// What `--help` says after the flags.
const AFTER_HELP: &str = "Prints `LISTENING port=P pid=PID url=ws://ADDR` on stdout once listening \
                          (in --redis mode, once connected to Redis).";

/// Capstan serving /echo, /broadcast and /echo-session (the echo in
/// session mode) for loadgen.
#[derive(Debug, PartialEq, Parser)]
#[command(name = "capstan-bench-server", args_override_self = true, after_help = AFTER_HELP)]
struct Args {
    /// Where to listen, a loopback IP:PORT (port 0: any free port).
    #[arg(default_value = "127.0.0.1:0", value_parser = loopback)]
    addr: SocketAddr,

    /// One node of several: /broadcast's topic runs on the Redis engine at
    /// URL (redis://127.x.y.z:PORT[/DB], loopback only), so publications
    /// reach the subscribers of every node started with the same URL
    /// (plain, not kept).
    #[arg(long, value_name = "URL", value_parser = redis_url)]
    redis: Option<String>,

    /// Worker threads (default: one per CPU this process may use). With
    /// one, the event loop runs on the main thread alone.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    workers: Option<u16>,
}

/// Parses ADDR: an `IP:PORT` whose IP is a loopback address.
fn loopback(text: &str) -> Result<SocketAddr, String> {
    match text.parse::<SocketAddr>() {
        Ok(addr) if addr.ip().is_loopback() => Ok(addr),
        _ => Err("not a loopback IP:PORT".into()),
    }
}

/// Accepts `redis://IP:PORT[/DB]` with IP a loopback address: the
/// benchmarks' load stays on this machine.
fn redis_url(url: &str) -> Result<String, String> {
    let rest = url.strip_prefix("redis://").ok_or("not redis://")?;
    let authority = rest.split('/').next().unwrap_or_default();
    match authority.parse::<SocketAddr>() {
        Ok(addr) if addr.ip().is_loopback() => Ok(url.to_owned()),
        _ => Err("the Redis must be at a loopback IP:PORT".into()),
    }
}

fn main() -> ExitCode {
    // --help, or a usage error: printed, exit status 0 or 2.
    let args = Args::parse();
    // Warnings (the Redis engine's cuts and timeouts) on stderr.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let workers = args.workers.map_or_else(available_cpus, usize::from);
    let runtime = match runtime_for(workers).build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("capstan-bench-server: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("capstan-bench-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// CPUs this process may run on (1 when pinned with taskset).
fn available_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The runtime with `workers` worker threads; with one, the event loop
/// runs on the main thread alone (Tokio's current-thread runtime), as
/// uWebSockets' does: no scheduler shared between threads, and a
/// single-threaded process, whose system calls on a socket skip the
/// kernel's reference count on its file (`fdget`'s light path).
fn runtime_for(workers: usize) -> tokio::runtime::Builder {
    let mut builder = if workers <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(workers);
        builder
    };
    builder.enable_all();
    builder
}

async fn serve(Args { addr, redis, .. }: Args) -> std::io::Result<()> {
    // What `App::new().ws_config(ws_config()).route(..)` builds, spelled
    // out so that a session route stands beside the plain ones.
    let session_echo = SessionRoute::builder(Echo)
        .websocket(ws_config())
        .sessions(SessionConfig::default())
        .build();
    let router = Router::new()
        .route("/echo", WsServer::with_config(Echo, ws_config()))
        .route("/echo-session", session_echo);
    let router = match redis {
        None => router.route(
            "/broadcast",
            WsServer::with_config(Broadcast { topic: Topic::new(TOPIC) }, ws_config()),
        ),
        Some(url) => {
            let engine = RedisEngine::connect(RedisConfig::new(url.as_str()))
                .await
                .map_err(|e| std::io::Error::other(format!("redis at {url}: {e}")))?;
            let topics = Topics::with_engine(engine.engine());
            router.route(
                "/broadcast",
                WsServer::with_config(ClusterBroadcast { topics }, ws_config()),
            )
        }
    };
    let limits = ServerConfig { max_connections: 1_000_000, ..ServerConfig::default() };
    let server = IoServer::bind(addr, HttpServer::new(router)).await?.with_config(limits);
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

#[cfg(test)]
mod tests {
    use super::*;

    use clap::CommandFactory;
    use clap::error::ErrorKind;

    /// The arguments of one line, split at whitespace, after the program name.
    fn parse(line: &str) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("capstan-bench-server").chain(line.split_whitespace()))
    }

    #[test]
    fn arguments() {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        assert_eq!(
            parse("").unwrap(),
            Args { addr: any, redis: None, workers: None },
            "the defaults"
        );
        assert_eq!(parse("--workers 2").unwrap().workers, Some(2));
        let both = parse("127.0.0.2:9000 --redis redis://127.0.0.1:6379").unwrap();
        assert_eq!(both.addr, SocketAddr::from(([127, 0, 0, 2], 9000)));
        assert_eq!(both.redis.as_deref(), Some("redis://127.0.0.1:6379"));
        let db = parse("--redis redis://127.0.0.1:6379/2").unwrap();
        assert_eq!(db.redis.as_deref(), Some("redis://127.0.0.1:6379/2"));
        let again = parse("--redis redis://127.0.0.1:1 --redis redis://127.0.0.1:2").unwrap();
        assert_eq!(again.redis.as_deref(), Some("redis://127.0.0.1:2"), "the last one");
        for bad in [
            "10.0.0.1:80",
            "127.0.0.1:1 127.0.0.1:2",
            "--redis",
            "--redis redis://10.0.0.1:6379",
            "--redis redis://localhost:6379",
            "--redis http://127.0.0.1:6379",
            "--workers 0",
            "--workers",
            "--bogus",
        ] {
            let error = parse(bad).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad}: {error}");
        }
    }

    #[test]
    fn help_says_what_it_serves_and_prints() {
        for line in ["--help", "-h", "127.0.0.1:1 --help"] {
            assert_eq!(parse(line).unwrap_err().kind(), ErrorKind::DisplayHelp, "{line}");
        }
        let help = Args::command().render_long_help().to_string();
        for said in [
            "Usage: capstan-bench-server [OPTIONS] [ADDR]",
            "/echo-session",
            "[default: 127.0.0.1:0]",
            "--redis <URL>",
            "loopback only",
            "LISTENING port=P pid=PID url=ws://ADDR",
        ] {
            assert!(help.contains(said), "{said:?} in\n{help}");
        }
    }
}
