//! `capstan-chat`: run the chat server on its embedded defaults.

#![forbid(unsafe_code)]

use capstan_chat::config::LogFormat;
use capstan_chat::{ChatServer, Config};
use clap::Parser;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = Config::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match config.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().with_current_span(true).with_span_list(true).init(),
    }
    let server = ChatServer::bind(&config).await?;
    let addr = server.local_addr()?;
    let host =
        if addr.ip().is_unspecified() { "localhost".to_string() } else { addr.ip().to_string() };
    let (http, ws) = if config.tls_cert.is_some() { ("https", "wss") } else { ("http", "ws") };
    let format = config.log_format;
    say(format, &format!("Capstan chat: open {http}://{host}:{}/ in a browser", addr.port()));
    let history = match &config.redis {
        Some(url) => format!("{url} (cluster node)"),
        None => config.db.display().to_string(),
    };
    say(format, &format!("  WebSocket {ws}://{host}:{}/ws, history in {history}", addr.port()));
    let api = match (server.api_addr(), config.api_keys.is_empty()) {
        (_, true) => None,
        (Some(addr), false) => Some(format!("http://{}/api/", addr?)),
        (None, false) => Some(format!("{http}://{host}:{}/api/", addr.port())),
    };
    if let Some(api) = api {
        say(format, &format!("  server API at {api} (docs/API.md)"));
    }
    server.run().await
}

/// Prints one of the start-up lines (the first names the address: scripts
/// read it) in the log's format: as it is for text, as a log event for
/// JSON (every line of the output is then JSON).
fn say(format: LogFormat, line: &str) {
    match format {
        LogFormat::Text => println!("{line}"),
        LogFormat::Json => tracing::info!("{}", line.trim()),
    }
}
