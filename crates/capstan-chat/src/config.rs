//! Command-line flags and environment variables, with embedded defaults.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{ArgGroup, Parser, ValueEnum};

/// The Capstan chat server: a web client and its WebSocket on one port,
/// history in an embedded SQLite file.
#[derive(Debug, Clone, Parser)]
#[command(name = "capstan-chat", version, about)]
#[command(group(ArgGroup::new("jwt").args(["jwt_secret", "jwt_public_key"])))]
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

    /// Run as one node of a cluster: messages, history and block lists in
    /// the Redis at this URL (e.g. `redis://127.0.0.1:6379`), shared by
    /// every node on it; `--db` is then not used.
    #[arg(long, env = "CHAT_REDIS", value_name = "URL")]
    pub redis: Option<String>,

    /// Turn the server API on (docs/API.md: publish, history, presence…
    /// over HTTP, in Centrifugo's shape) with this key, sent by callers as
    /// `X-API-Key` or `Authorization: apikey KEY`. Several keys: repeat
    /// the flag, or separate them with commas in CHAT_API_KEY. None: the
    /// API is off.
    #[arg(long = "api-key", env = "CHAT_API_KEY", value_name = "KEY", value_delimiter = ',')]
    pub api_keys: Vec<String>,

    /// Serve the server API on this port (on --bind) instead of the chat's
    /// own, e.g. to keep it off the public network.
    #[arg(long, env = "CHAT_API_PORT", requires = "api_keys")]
    pub api_port: Option<u16>,

    /// Server API calls allowed per second per key (bursts of twice as
    /// many); past it, 429.
    #[arg(long, env = "CHAT_API_RATE", default_value_t = 1000)]
    pub api_rate: u32,

    /// Turn the live admin page on (`/admin`: connections, traffic,
    /// rooms, nodes, close causes; docs/OPERATIONS.md), behind this token
    /// (at least 16 bytes; distinct from the API key).
    #[arg(long, env = "CHAT_ADMIN_TOKEN", value_name = "TOKEN")]
    pub admin_token: Option<String>,

    /// Log lines as text (for people) or one JSON object each (for log
    /// collectors); either way each line of a connection's work names the
    /// connection (`conn` span: `id`, `peer`, `ws`). Levels from RUST_LOG
    /// (default `info`).
    #[arg(long, env = "CHAT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// This node's name in the server API's `info` (default: the address
    /// and port bound).
    #[arg(long, env = "CHAT_NODE_NAME")]
    pub node_name: Option<String>,

    /// Messages kept per room; older ones are deleted (0: keep all).
    #[arg(long, env = "CHAT_RETAIN_MESSAGES", default_value_t = 10_000)]
    pub retain_messages: u64,

    /// Days messages are kept (0: forever).
    #[arg(long, env = "CHAT_RETAIN_DAYS", default_value_t = 0)]
    pub retain_days: u64,

    /// Days after its last message a room (public or a direct
    /// conversation) is removed with its history, unless someone is in it
    /// (0: never). A room never written to is not stored at all.
    #[arg(long, env = "CHAT_ROOM_IDLE_DAYS", default_value_t = 30)]
    pub room_idle_days: u64,

    /// Public rooms that may exist at once (stored, or with someone in
    /// them); past it, joining a new one is refused (room_limit).
    /// `general` is always there.
    #[arg(long, env = "CHAT_MAX_ROOMS", default_value_t = 10_000)]
    pub max_rooms: usize,

    /// Public rooms one user may be in at once, `general` included; past
    /// it, joining is refused (too_many_rooms).
    #[arg(long, env = "CHAT_MAX_ROOMS_PER_USER", default_value_t = 100)]
    pub max_rooms_per_user: usize,

    /// New direct conversations a user may start per minute (writing to
    /// someone already written to, or who wrote first, is not new); past it,
    /// refused (too_many_conversations). 0: no limit.
    #[arg(long, env = "CHAT_NEW_DIRECTS_PER_MINUTE", default_value_t = 10)]
    pub new_directs_per_minute: u32,

    /// Members past which a room's presence messages carry counts, not
    /// names (clients then read the list with `members`).
    #[arg(long, env = "CHAT_LARGE_ROOM", default_value_t = 1000)]
    pub large_room: usize,

    /// Users one user may block.
    #[arg(long, env = "CHAT_MAX_BLOCKS", default_value_t = 1000)]
    pub max_blocks: usize,

    /// Days after a session last connected its block list is forgotten
    /// (0: never).
    #[arg(long, env = "CHAT_SESSION_IDLE_DAYS", default_value_t = 30)]
    pub session_idle_days: u64,

    /// Connections one address may hold at once (503 beyond; 0: no
    /// limit). Behind a proxy every user has the proxy's address: leave it
    /// 0 there.
    #[arg(long, env = "CHAT_MAX_CONNECTIONS_PER_IP", default_value_t = 0)]
    pub max_connections_per_ip: usize,

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

    /// Require a JSON Web Token signed HS256 with this shared secret to
    /// open the WebSocket (401 without a valid one). The user name then
    /// comes from the token (its `name` claim, else `sub`), not from
    /// add_user. The token is read from `Authorization: Bearer`, the cookie
    /// `token` or the query parameter `token`. Prefer the environment
    /// variable: flags show in `ps`.
    #[arg(long, env = "CHAT_JWT_SECRET", value_name = "SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Like --jwt-secret, for tokens signed RS256: the issuer's RSA public
    /// key, a PEM file.
    #[arg(long, env = "CHAT_JWT_PUBLIC_KEY", value_name = "PATH")]
    pub jwt_public_key: Option<PathBuf>,

    /// With tokens required: accept only tokens whose `iss` is this issuer.
    #[arg(long, env = "CHAT_JWT_ISSUER", value_name = "ISS", requires = "jwt")]
    pub jwt_issuer: Option<String>,

    /// With tokens required: accept only tokens whose `aud` names this
    /// audience (tokens that carry an `aud` are refused without it).
    #[arg(long, env = "CHAT_JWT_AUDIENCE", value_name = "AUD", requires = "jwt")]
    pub jwt_audience: Option<String>,

    /// Ask the application's backend who each connection is: at the
    /// handshake, POST to this URL with the browser's cookies
    /// (docs/HOOKS.md); it allows with a user name (which `add_user`
    /// takes) and, optionally, the rooms the user may join, or refuses
    /// (the handshake's 4xx). Not with --jwt-*.
    #[arg(long, env = "CHAT_CONNECT_HOOK", value_name = "URL", conflicts_with = "jwt")]
    pub connect_hook: Option<String>,

    /// Ask the backend before a user joins a public room (unless the
    /// connect hook listed the user's rooms). Needs --connect-hook.
    #[arg(long, env = "CHAT_SUBSCRIBE_HOOK", value_name = "URL", requires = "connect_hook")]
    pub subscribe_hook: Option<String>,

    /// Ask the backend before a message is stored; it may refuse it or
    /// change its text. Needs --connect-hook.
    #[arg(long, env = "CHAT_PUBLISH_HOOK", value_name = "URL", requires = "connect_hook")]
    pub publish_hook: Option<String>,

    /// Longest wait for a hook's answer, in milliseconds.
    #[arg(long, env = "CHAT_HOOK_TIMEOUT_MS", default_value_t = 1000)]
    pub hook_timeout_ms: u64,

    /// How long a session of the web client (`/session`, session mode)
    /// outlives its transport, in seconds: a client that comes back within
    /// it misses nothing and is never seen to leave.
    #[arg(long, env = "CHAT_SESSION_GRACE_SECS", default_value_t = 30)]
    pub session_grace_secs: u64,

    /// What a hook's failure (backend down, too slow, a bad answer) means:
    /// `deny` (the handshake 503, the request `backend_unavailable`) or
    /// `allow` (an anonymous connection, the request goes on).
    #[arg(long, env = "CHAT_HOOK_FAILURE", value_enum, default_value_t = HookFailure::Deny)]
    pub hook_failure: HookFailure,

    /// Serve over TLS (https:// and wss://) with this PEM certificate chain
    /// (leaf first); needs --tls-key.
    #[arg(long, env = "CHAT_TLS_CERT", value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert.
    #[arg(long, env = "CHAT_TLS_KEY", value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
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
        assert_eq!((config.max_rooms, config.max_rooms_per_user), (10_000, 100));
        assert_eq!((config.room_idle_days, config.new_directs_per_minute), (30, 10));
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

    #[test]
    fn tokens_are_off_by_default() {
        let config = Config::defaults();
        assert_eq!((config.jwt_secret, config.jwt_public_key), (None, None));
    }

    #[test]
    fn one_kind_of_token_key_at_a_time() {
        let config =
            Config::try_parse_from(["capstan-chat", "--jwt-secret", "s", "--jwt-issuer", "me"])
                .unwrap();
        assert_eq!(config.jwt_secret.as_deref(), Some("s"));
        assert_eq!(config.jwt_issuer.as_deref(), Some("me"));
        let both = ["capstan-chat", "--jwt-secret", "s", "--jwt-public-key", "k.pem"];
        assert!(Config::try_parse_from(both).is_err());
        // An issuer or audience alone would silently check nothing.
        assert!(Config::try_parse_from(["capstan-chat", "--jwt-audience", "chat"]).is_err());
    }
}

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `fields`
    /// (`message` among them), `target`, `span` and `spans` (the
    /// connection's `id`, `peer`, `ws`).
    Json,
}

/// What a hook's failure means (`--hook-failure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HookFailure {
    /// Refuse.
    Deny,
    /// Go on (anonymously, at the handshake).
    Allow,
}
