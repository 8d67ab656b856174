//! The Capstan chat server: the Ratchet demo made real. Rooms, presence,
//! direct messages, typing, history in SQLite that survives restarts, and
//! reconnects that lose nothing (docs/chat-protocol.md).
//!
//! The stack: `IoServer(HttpServer(OriginCheck(Router(/admin/ws →
//! admin feed, /* → PerIpLimit(Router(/session → SessionRoute(Chat),
//! /* → WsServer(Chat)))))))`: the classic WebSocket at every path, and the
//! web client's session mode (docs/SESSIONS.md: a connection that survives
//! cuts, with HTTP fallbacks) at `/session`, one `Chat` shared by both;
//! the web client, the server API, `/metrics`, `/healthz`, `/readyz` and
//! `/admin` served by the HTTP layer on the same port (surface.rs). With a
//! token key configured (`--jwt-secret` or `--jwt-public-key`), both routes
//! are behind `Authenticate` too (`TokenAuth`); with `--connect-hook`,
//! behind the backend's `ConnectHook` (`access`).

#![forbid(unsafe_code)]

pub mod access;
pub mod blocks;
pub mod chat;
pub mod cluster;
pub mod config;
pub mod content;
pub mod direct_budget;
pub mod errors;
pub mod hooks;
pub mod message;
pub mod name_registry;
pub mod names;
pub mod presence;
pub mod protocol;
pub mod rate;
pub mod room;
pub mod rooms;
pub mod server_api;
pub mod storage;
pub mod store;
pub mod surface;
pub mod time;
pub mod user;
pub mod web;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use capstan::Limits;
use capstan::http::{JwtAuth, OriginCheck, OriginPolicy, PerIpLimit};
use capstan::sessions::SessionConfig;
use capstan::{
    HttpServer, IoServer, ServerConfig, SessionRoute, ShutdownHandle, Topics, WsConfig, WsServer,
};

use access::{Auth, session_identity};
use blocks::Blocks;
use capstan_api::hooks::{
    ConnectHook, FailurePolicy, HookClient, HookConfig, PublishHook, SubscribeHook,
};
use capstan_api::{
    Admin, AdminConfig, Api, ApiConfig, ApiServer, ApiService, CapstanStats, Health, Metrics,
    RateLimit, ReadyFlag,
};
pub use chat::{Chat, ChatLimits, TokenAuth, TokenUser};
use cluster::Cluster;
pub use config::Config;
use config::HookFailure;
use hooks::ChatHooks;
use rooms::Rooms;
use server_api::{ChatApi, ClusterView, NodeDirectory, NodeIdentity};
use std::time::Duration;
use storage::Storage;
use store::{Shared, Store, StoreConfig};
use surface::Ops;

/// A chat server bound to its port, ready to run.
pub struct ChatServer {
    server: IoServer<HttpServer<OriginCheck<capstan::Router>>>,
    /// The server API on a port of its own (`--api-port`).
    api_server: Option<ApiServer>,
    /// Keeps this node in the cluster's node directory (stopped when
    /// dropped).
    directory: Option<AbortOnDrop>,
    store: Storage,
    api: Api,
}

impl ChatServer {
    /// Opens the database and binds the port.
    pub async fn bind(config: &Config) -> io::Result<Self> {
        if config.max_rooms_per_user == 0 {
            let message = "--max-rooms-per-user must be at least 1 (general counts)";
            return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
        }
        let tokens = token_auth(config)?;
        let store_config = StoreConfig {
            retain_messages: config.retain_messages,
            retain_days: config.retain_days,
            room_idle_days: config.room_idle_days,
            session_idle_days: config.session_idle_days,
            max_blocks: config.max_blocks,
            history_on_join: config.history_on_join,
            max_batch: config.store_batch,
            ..StoreConfig::default()
        };
        let rooms = Arc::new(Rooms::new(config.max_rooms));
        let blocks = Arc::new(Blocks::new());
        let metrics = Metrics::new();
        let mut names = None;
        let mut counter = None;
        let mut view = None;
        let mut node_id = None;
        let (shared, store) = match &config.redis {
            None => {
                let shared =
                    Shared { topics: Topics::new(), rooms, blocks, metrics: metrics.clone() };
                let store = Store::open(&config.db, store_config, shared.clone()).map_err(|e| {
                    io::Error::other(format!("database {}: {e}", config.db.display()))
                })?;
                (shared, Storage::Local(store))
            }
            Some(url) => {
                let cluster = Cluster::connect(url, &store_config).await?;
                let members = cluster.members();
                rooms.mirror_to(Arc::new(members.clone()));
                let topics = cluster.topics(blocks.clone());
                let shared = Shared { topics, rooms, blocks, metrics: metrics.clone() };
                let store = cluster.start(store_config, shared.clone(), members.clone());
                counter = Some(members.counter(&shared.rooms));
                let nodes = NodeDirectory::new(cluster.presence());
                view =
                    Some(ClusterView { members: members.clone(), rooms: cluster.rooms(), nodes });
                node_id = Some(cluster.node_id());
                names = Some((cluster.names(shared.topics.clone()), members));
                (shared, Storage::Cluster(store))
            }
        };
        let limits = ChatLimits {
            max_message_bytes: config.max_message_bytes,
            rate: config.rate,
            burst: config.burst,
            max_rooms_per_user: config.max_rooms_per_user,
            new_directs_per_minute: config.new_directs_per_minute,
        };
        presence::spawn(&shared.rooms, shared.topics.clone(), config.large_room, counter);
        let node = Arc::new(NodeIdentity::new(
            node_id.unwrap_or_else(user::new_token),
            config.node_name.clone(),
        ));
        let chat = Chat::new(store.clone(), shared.clone(), limits);
        let chat_api = ChatApi::new(
            store.clone(),
            &shared,
            chat.name_registry(),
            view,
            config.max_message_bytes,
            node.clone(),
        );
        let directory = chat_api.keep_in_directory().map(AbortOnDrop);
        let api = Api::new(chat_api);
        let chat = match names {
            Some((names, members)) => chat.in_cluster(names, members),
            None => chat,
        };
        let hooks = backend_hooks(config)?;
        let chat = chat.with_hooks(hooks.chat);
        // Room for a maximal message in its JSON envelope; beyond, 1009.
        let frame = (config.max_message_bytes * 6 + 4096).max(64 * 1024);
        let ws_config = WsConfig {
            limits: Limits { max_frame_size: frame, max_message_size: frame },
            ..WsConfig::default()
        };
        let origins = OriginPolicy::same_host().or_origins(config.allowed_origins.iter().cloned());
        // The same chat twice: the classic WebSocket at every path, and in
        // session mode at /session (docs/SESSIONS.md), which the web client
        // uses: a connection that survives cuts, with HTTP fallbacks.
        let chat = capstan::Shared::new(chat);
        let ws = WsServer::with_config(chat.clone(), ws_config.clone());
        let sessions = SessionRoute::builder(chat)
            .websocket(ws_config)
            .sessions(SessionConfig {
                grace: Duration::from_secs(config.session_grace_secs.max(1)),
                ..SessionConfig::default()
            })
            .identify(session_identity)
            .build();
        let auth =
            Auth { tokens: tokens.map(|tokens| TokenAuth(Arc::new(tokens))), hook: hooks.connect };
        let per_ip = match config.max_connections_per_ip {
            0 => usize::MAX,
            max => max,
        };
        // One budget per address for both routes. Origins are checked first
        // (outside): a page of another site never gets to present the
        // browser's token cookie.
        let per_ip = PerIpLimit::new(
            capstan::Router::new()
                .route("/session", auth.wrap(sessions))
                .route("/*path", auth.wrap(ws)),
            per_ip,
        );
        let listening = ReadyFlag::new();
        let probe = store.clone();
        let health = Health::new().with_flag("listening", &listening).with_check(
            "store",
            Duration::from_secs(2),
            move || {
                let store = probe.clone();
                async move { store.ping().await }
            },
        );
        let admin = admin_config(config)?;
        let admin = Admin::new(admin, api.clone(), Arc::new(CapstanStats)).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("--admin-token: {e}"))
        })?;
        let ops = Ops { metrics: metrics.clone(), health, admin };
        let api_service = match config.api_keys.is_empty() {
            true => None,
            false => Some(api_service(config, api.clone(), &metrics)?),
        };
        let (on_port, api_server) = match (api_service, config.api_port) {
            (Some(service), Some(port)) => {
                let addr = SocketAddr::new(config.bind, port);
                (None, Some(surface::bind_api_port(service, &ops, addr).await?))
            }
            (service, _) => (service, None),
        };
        // The admin page's feed at /admin/ws; the chat at every other path
        // (the classic demo connects to the bare host).
        let routes = capstan::Router::new()
            .route("/admin/ws", ops.admin.ws_endpoint())
            .route("/*path", per_ip);
        let http = HttpServer::new(OriginCheck::new(routes, origins))
            .with_service(surface::http_service(on_port, &ops));
        let limits =
            ServerConfig { max_connections: config.max_connections, ..ServerConfig::default() };
        let server = IoServer::new(http).with_config(limits);
        let server = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => {
                let tls = capstan::TlsConfig::from_pem_files(cert, key)?;
                server.listen_tls((config.bind, config.port), tls).await?
            }
            _ => server.listen((config.bind, config.port)).await?,
        };
        let bound = server.local_addr()?;
        node.name_if_unnamed(|| bound.to_string());
        listening.set(true);
        Ok(Self { server, api_server, directory, store, api })
    }

    /// The address of the server API's own port (`--api-port`), if any.
    pub fn api_addr(&self) -> Option<io::Result<SocketAddr>> {
        self.api_server.as_ref().map(IoServer::local_addr)
    }

    /// The server API, for Rust code in this process: what `POST
    /// /api/...` does (docs/API.md).
    pub fn api(&self) -> Api {
        self.api.clone()
    }

    /// The address bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.server.local_addr()
    }

    /// A handle to stop the server.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.server.shutdown_handle()
    }

    /// Serves until SIGINT/SIGTERM or the shutdown handle, then closes every
    /// connection (1001) and lets the store finish writing.
    pub async fn run(self) -> io::Result<()> {
        self.run_until(std::future::pending()).await
    }

    /// Serves until `stop` resolves (or a signal, or the handle).
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send,
    ) -> io::Result<()> {
        let signals = async {
            tokio::select! {
                () = stop => {}
                () = capstan::server::termination_signal() => {}
            }
        };
        // The API's own port, if any, stops with the chat's.
        let api = self.api_server.map(|server| {
            let handle = server.shutdown_handle();
            (handle, tokio::spawn(server.run_until(std::future::pending())))
        });
        let result = self.server.run_until(signals).await;
        drop(self.directory);
        if let Some((handle, task)) = api {
            handle.shutdown();
            let _ = task.await;
        }
        self.store.stop().await?;
        result
    }
}

/// A task stopped when its handle is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The server API's HTTP service over `api`, with the configured keys and
/// rate.
fn api_service(config: &Config, api: Api, metrics: &Metrics) -> io::Result<ApiService> {
    let invalid = |e: capstan_api::ConfigError| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("--api-key: {e}"))
    };
    let rate = RateLimit { per_second: config.api_rate, burst: config.api_rate.saturating_mul(2) };
    let settings =
        ApiConfig { keys: config.api_keys.clone(), rate_limit: Some(rate), ..ApiConfig::default() };
    let metrics = metrics.clone();
    let service = ApiService::new(api, settings).map_err(invalid)?;
    Ok(service.observer(move |method, outcome, elapsed| {
        metrics.observe_api_call(method, outcome, elapsed)
    }))
}

/// The admin page's settings: on with `--admin-token`; its cookie marked
/// Secure over TLS; its feed open to the chat's own origins.
fn admin_config(config: &Config) -> io::Result<AdminConfig> {
    let Some(token) = &config.admin_token else { return Ok(AdminConfig::default()) };
    let mut admin = AdminConfig::with_token(token.clone());
    admin.secure_cookie = config.tls_cert.is_some();
    admin.allowed_origins = config.allowed_origins.clone();
    Ok(admin)
}

/// The backend hooks the configuration asks for.
struct BackendHooks {
    connect: Option<ConnectHook>,
    chat: ChatHooks,
}

fn backend_hooks(config: &Config) -> io::Result<BackendHooks> {
    let policy = match config.hook_failure {
        HookFailure::Deny => FailurePolicy::Deny,
        HookFailure::Allow => FailurePolicy::Allow,
    };
    let timeout = std::time::Duration::from_millis(config.hook_timeout_ms.max(1));
    let pool = HookClient::new();
    let hook = |url: &Option<String>, flag: &str| -> io::Result<Option<HookConfig>> {
        url.as_deref()
            .map(|url| {
                HookConfig::new(url).map(|c| c.with_timeout(timeout).with_policy(policy)).map_err(
                    |e| io::Error::new(io::ErrorKind::InvalidInput, format!("{flag}: {e}")),
                )
            })
            .transpose()
    };
    let connect = hook(&config.connect_hook, "--connect-hook")?
        .map(|c| ConnectHook::new(c).with_client(pool.clone()));
    let subscribe = hook(&config.subscribe_hook, "--subscribe-hook")?
        .map(|c| SubscribeHook::new(c).with_client(pool.clone()));
    let publish = hook(&config.publish_hook, "--publish-hook")?
        .map(|c| PublishHook::new(c).with_client(pool));
    Ok(BackendHooks { connect, chat: ChatHooks { subscribe, publish } })
}

/// The token verifier the configuration asks for, if any.
fn token_auth(config: &Config) -> io::Result<Option<JwtAuth>> {
    let invalid = |message: String| io::Error::new(io::ErrorKind::InvalidInput, message);
    let auth = match (&config.jwt_secret, &config.jwt_public_key) {
        (None, None) => {
            if config.jwt_issuer.is_some() || config.jwt_audience.is_some() {
                return Err(invalid("--jwt-issuer and --jwt-audience need a token key".into()));
            }
            return Ok(None);
        }
        (Some(_), Some(_)) => {
            return Err(invalid("give --jwt-secret or --jwt-public-key, not both".into()));
        }
        (Some(secret), None) => {
            if secret.is_empty() {
                return Err(invalid("--jwt-secret is empty".into()));
            }
            if secret.len() < 32 {
                tracing::warn!("the JWT secret is short: use at least 32 random bytes");
            }
            JwtAuth::hs256(secret.as_bytes())
        }
        (None, Some(path)) => {
            let pem = std::fs::read(path).map_err(|e| {
                io::Error::new(e.kind(), format!("JWT public key {}: {e}", path.display()))
            })?;
            JwtAuth::rs256_pem(&pem)
                .map_err(|e| invalid(format!("JWT public key {}: {e}", path.display())))?
        }
    };
    let auth = match &config.jwt_issuer {
        Some(issuer) => auth.with_issuer(issuer),
        None => auth,
    };
    let auth = match &config.jwt_audience {
        Some(audience) => auth.with_audience(audience),
        None => auth,
    };
    Ok(Some(auth))
}
