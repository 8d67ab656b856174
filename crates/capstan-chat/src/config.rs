//! Command-line flags and environment variables, with embedded defaults.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Parser;

/// The Capstan chat server: a web client and its WebSocket on one port,
/// history in an embedded SQLite file.
#[derive(Debug, Clone, Parser)]
#[command(name = "capstan-chat", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "CHAT_BIND", default_value = "0.0.0.0")]
    pub bind: IpAddr,

    /// Port for the web client and the WebSocket.
    #[arg(long, env = "CHAT_PORT", default_value_t = 8080)]
    pub port: u16,

    /// SQLite database file (created if missing).
    #[arg(long, env = "CHAT_DB", default_value = "capstan-chat.db")]
    pub db: PathBuf,

    /// Messages kept per room; older ones are deleted (0: keep all).
    #[arg(long, env = "CHAT_RETAIN_MESSAGES", default_value_t = 10_000)]
    pub retain_messages: u64,

    /// Days messages are kept (0: forever).
    #[arg(long, env = "CHAT_RETAIN_DAYS", default_value_t = 0)]
    pub retain_days: u64,

    /// Origins allowed to open the WebSocket besides the server's own
    /// (comma-separated, e.g. https://chat.example.com; "*" allows any).
    #[arg(long = "allowed-origin", env = "CHAT_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Largest message, in bytes of UTF-8.
    #[arg(long, env = "CHAT_MAX_MESSAGE_BYTES", default_value_t = 4096)]
    pub max_message_bytes: usize,

    /// Requests per second allowed per connection.
    #[arg(long, env = "CHAT_RATE", default_value_t = 10.0)]
    pub rate: f64,

    /// Requests allowed in a burst per connection.
    #[arg(long, env = "CHAT_BURST", default_value_t = 20)]
    pub burst: u32,

    /// Connections served at once (503 beyond).
    #[arg(long, env = "CHAT_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,

    /// Messages sent to a client joining a room.
    #[arg(long, env = "CHAT_HISTORY_ON_JOIN", default_value_t = 50)]
    pub history_on_join: usize,

    /// Most messages stored in one transaction (one disk sync); 1 turns
    /// batching off.
    #[arg(long, env = "CHAT_STORE_BATCH", default_value_t = 512)]
    pub store_batch: usize,
}

impl Config {
    /// The defaults, as if run without flags or environment (for tests).
    pub fn defaults() -> Self {
        Self::parse_from(["capstan-chat"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_serve_port_8080_with_a_local_database() {
        let config = Config::defaults();
        assert_eq!(config.port, 8080);
        assert_eq!(config.db, PathBuf::from("capstan-chat.db"));
        assert_eq!(config.max_message_bytes, 4096);
    }

    #[test]
    fn flags_override_defaults() {
        let config = Config::parse_from([
            "capstan-chat",
            "--port",
            "9000",
            "--allowed-origin",
            "https://a.example,https://b.example",
            "--retain-days",
            "30",
        ]);
        assert_eq!(config.port, 9000);
        assert_eq!(config.allowed_origins, ["https://a.example", "https://b.example"]);
        assert_eq!(config.retain_days, 30);
    }
}
