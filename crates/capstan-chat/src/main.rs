//! `capstan-chat`: run the chat server on its embedded defaults.

#![forbid(unsafe_code)]

use capstan_chat::{ChatServer, Config};
use clap::Parser;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let config = Config::parse();
    let server = ChatServer::bind(&config).await?;
    let addr = server.local_addr()?;
    let host =
        if addr.ip().is_unspecified() { "localhost".to_string() } else { addr.ip().to_string() };
    let (http, ws) = if config.tls_cert.is_some() { ("https", "wss") } else { ("http", "ws") };
    println!("Capstan chat: open {http}://{host}:{}/ in a browser", addr.port());
    let history = match &config.redis {
        Some(url) => format!("{url} (cluster node)"),
        None => config.db.display().to_string(),
    };
    println!("  WebSocket {ws}://{host}:{}/ws, history in {history}", addr.port());
    server.run().await
}
