//! A capstan application with the server API: WebSocket clients at
//! `/ws/{user}/{channel}` are subscribed to `channel` as `user` (and told
//! "welcome"); the API (`TopicsApi`, memory history) answers on the same
//! port, or on a port of its own with `--api-port`.
//!
//! ```text
//! API_KEY=secret cargo run -p capstan-api --example api_server -- 127.0.0.1:8000
//! API_KEY=secret cargo run -p capstan-api --example api_server -- 127.0.0.1:8000 --api-port 8001
//! ```
//!
//! It prints one line, `ws ws://ADDR/ws api http://ADDR/api`, once both
//! listen. Channel names are letters, digits and `_-:.`, at most 255
//! bytes; others get 102 (unknown channel).

use std::sync::Arc;

use capstan::pubsub::{Engine, HistoryLimits, MemoryHistory};
use capstan::{Component, Conn, HttpServer, IoServer, Message, Router, Topics, WsServer};
use capstan_api::{Api, ApiConfig, ApiError, ApiService, ErrorCode, TopicsApi};

struct Subscribe {
    api: TopicsApi,
}

impl Component for Subscribe {
    async fn on_open(&self, conn: &Conn) {
        let channel = conn.request().param("channel").unwrap_or_default().to_owned();
        if channel_name(&channel).is_err() {
            conn.close(capstan::CloseCode::POLICY_VIOLATION, "bad channel name");
            return;
        }
        self.api.subscribe(&channel, conn);
        let _ = conn.send_text("welcome");
    }

    async fn on_message(&self, _conn: &Conn, _message: Message) {}
}

/// The names this application has.
fn channel_name(channel: &str) -> Result<(), ApiError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-:.".contains(c);
    if channel.len() > 255 || !channel.chars().all(allowed) {
        return Err(ApiError::with_message(
            ErrorCode::UnknownChannel,
            format!("{channel:?}: letters, digits and _-:. only, at most 255 bytes"),
        ));
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8000".to_owned());
    let api_port = match (args.next().as_deref(), args.next()) {
        (Some("--api-port"), Some(port)) => Some(port),
        (None, _) => None,
        _ => {
            eprintln!("usage: api_server [ADDR] [--api-port PORT]; the key in API_KEY");
            std::process::exit(2);
        }
    };
    let key = std::env::var("API_KEY").unwrap_or_default();
    let config = ApiConfig {
        keys: vec![key].into_iter().filter(|k| !k.is_empty()).collect(),
        ..ApiConfig::default()
    };

    let history = Arc::new(MemoryHistory::new(HistoryLimits::default()));
    let topics = Topics::with_engine(Engine::local(history.clone()));
    let api = TopicsApi::new(topics)
        .with_history(history)
        .with_user(|conn: &Conn| conn.request().param("user").unwrap_or_default().to_owned())
        .with_validator(channel_name);
    let service = ApiService::new(Api::new(api.clone()), config)
        .unwrap_or_else(|e| panic!("API config: {e}"));
    let routes = Router::new().route("/ws/:user/:channel", WsServer::new(Subscribe { api }));

    match api_port {
        None => {
            // The API on the WebSocket's port: plain requests go to it.
            let http = HttpServer::new(routes).with_service(service.http_service());
            let server = IoServer::bind(&addr, http).await?;
            let at = server.local_addr()?;
            println!("ws ws://{at}/ws api http://{at}/api");
            server.run().await
        }
        Some(port) => {
            // The API alone on its own port, run beside the WebSocket's;
            // SIGINT/SIGTERM stop both.
            let ip = addr.rsplit_once(':').map_or("127.0.0.1", |(ip, _)| ip);
            let api_server = service.bind(format!("{ip}:{port}")).await?;
            let ws_server = IoServer::bind(&addr, HttpServer::new(routes)).await?;
            let (ws_at, api_at) = (ws_server.local_addr()?, api_server.local_addr()?);
            println!("ws ws://{ws_at}/ws api http://{api_at}/api");
            tokio::try_join!(ws_server.run(), api_server.run()).map(|_| ())
        }
    }
}
