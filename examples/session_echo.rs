//! A session-mode echo (docs/SESSIONS.md), the server the session clients'
//! tests run against: `session_echo [ADDR]` (default 127.0.0.1:9300).
//!
//! - `/echo`: session mode. Echoes each data message as it came (text stays
//!   text, binary stays binary), and answers text commands: `!opens`,
//!   `!closes` (the application's `on_open`/`on_close` calls so far in the
//!   process), `!count` (data messages this session received, this one
//!   included), `!close` (the application closes the session: 1000 "bye"),
//!   `!flood N` (sends `flood 1` … `flood N`), `!transport` (the transport
//!   under the session now).
//! - `/relay`: session mode; each data message goes to every other session
//!   of the relay (a topic), as it came.
//! - `/plain`: a plain WebSocket echo, for comparison.
//! - `GET /capstan.js`: the browser client (`capstan::sessions::CLIENT_JS`).
//!
//! Environment: `SESSION_GRACE_MS` (default 30000), `SESSION_HEARTBEAT_MS`
//! (default 15000). Prints `listening on http://ADDR` once bound.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use capstan::sessions::{CLIENT_JS, SessionConfig};
use capstan::{
    CloseCode, CloseInfo, Component, Conn, HttpServer, HttpService, IoServer, Message, Router,
    SessionRoute, StatefulComponent, Topic, WsServer,
};
use http_body_util::Full;

/// The session-mode application.
#[derive(Default)]
struct SessionEcho {
    opens: AtomicU64,
    closes: AtomicU64,
}

impl StatefulComponent for SessionEcho {
    /// Data messages this session received.
    type State = u64;

    async fn on_open(&self, _conn: &Conn) -> u64 {
        self.opens.fetch_add(1, Ordering::Relaxed);
        0
    }

    async fn on_message(&self, conn: &Conn, count: &mut u64, message: Message) {
        *count += 1;
        let Some(command) = message.as_text().and_then(|text| text.strip_prefix('!')) else {
            let _ = conn.send(message);
            return;
        };
        let (name, argument) = command.split_once(' ').unwrap_or((command, ""));
        let reply = match name {
            "opens" => format!("opens={}", self.opens.load(Ordering::Relaxed)),
            "closes" => format!("closes={}", self.closes.load(Ordering::Relaxed)),
            "count" => format!("count={count}"),
            "transport" => format!("transport={}", conn.transport()),
            "close" => return conn.close(CloseCode::NORMAL, "bye"),
            "flood" => {
                for n in 1..=argument.parse::<u64>().unwrap_or(0) {
                    if conn.send_text(format!("flood {n}")).is_err() {
                        break;
                    }
                    // A long burst lets the connection write meanwhile.
                    if n % 1024 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
                return;
            }
            _ => {
                let _ = conn.send(message);
                return;
            }
        };
        let _ = conn.send_text(reply);
    }

    async fn on_close(&self, _conn: &Conn, _count: u64, _close: CloseInfo) {
        self.closes.fetch_add(1, Ordering::Relaxed);
    }
}

/// Every session in one topic; each message to all the others.
struct Relay {
    topic: Topic,
}

impl Component for Relay {
    async fn on_open(&self, conn: &Conn) {
        self.topic.subscribe(conn);
    }

    async fn on_message(&self, conn: &Conn, message: Message) {
        self.topic.publish_except(message, &[conn.id()]);
    }
}

/// The plain WebSocket echo.
struct PlainEcho;

impl Component for PlainEcho {
    async fn on_message(&self, conn: &Conn, message: Message) {
        let _ = conn.send(message);
    }
}

fn millis_from_env(name: &str, default: u64) -> Duration {
    let value = std::env::var(name).ok().and_then(|value| value.parse().ok());
    Duration::from_millis(value.unwrap_or(default))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9300".to_owned());
    let sessions = SessionConfig {
        grace: millis_from_env("SESSION_GRACE_MS", 30_000),
        heartbeat: millis_from_env("SESSION_HEARTBEAT_MS", 15_000),
        ..SessionConfig::default()
    };
    let relay = SessionRoute::builder(Relay { topic: Topic::new("relay") })
        .sessions(sessions.clone())
        .build();
    let echo = SessionRoute::builder(SessionEcho::default()).sessions(sessions).build();
    let routes = Router::new()
        .route("/echo", echo)
        .route("/relay", relay)
        .route("/plain", WsServer::new(PlainEcho));
    let http = HttpServer::new(routes).with_service(HttpService::from_fn(|request| async move {
        let found = request.method() == http::Method::GET && request.uri().path() == "/capstan.js";
        let (status, body) = if found { (200, CLIENT_JS) } else { (404, "not found") };
        http::Response::builder()
            .status(status)
            .header("content-type", if found { "text/javascript" } else { "text/plain" })
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .expect("a valid response")
    }));
    let server = IoServer::bind(addr, http).await?;
    println!("listening on http://{}", server.local_addr()?);
    server.run().await
}
