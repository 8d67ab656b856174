//! `capstan-game`: the TikzTakz server on its embedded defaults.

#![forbid(unsafe_code)]

use capstan_game::{Config, GameServer};
use clap::Parser;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = Config::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let server = GameServer::bind(&config).await?;
    let addr = server.local_addr()?;
    let host =
        if addr.ip().is_unspecified() { "localhost".to_string() } else { addr.ip().to_string() };
    println!("Capstan game: open http://{host}:{}/ in a browser", addr.port());
    println!(
        "  WebSocket ws://{host}:{}/ (any path), games in {}",
        addr.port(),
        config.db.display()
    );
    server.run().await
}
