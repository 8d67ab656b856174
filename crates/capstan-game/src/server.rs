//! The stack on the original's port: `IoServer(HttpServer(Router(/wamp →
//! WsServer(WampServer), /session → SessionRoute(Arcade), /* →
//! WsServer(Arcade))))`. The classic WebSocket answers at every other
//! path, as the original did at every path; WAMP clients watch games at
//! `/wamp` (feed.rs); the web client
//! uses session mode at `/session` (a connection that survives network
//! cuts, docs/SESSIONS.md); plain requests get the web client, the JSON
//! API and `/healthz`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use capstan::{
    HttpServer, HttpService, IoServer, Limits, MessageRate, Router, ServerConfig, SessionRoute,
    ShutdownHandle, WsConfig, WsServer,
};

use capstan_wamp::WampServer;

use crate::arcade::Arcade;
use crate::config::Config;
use crate::feed::{self, WampFeed};
use crate::lobby::Lobby;
use crate::store::Store;
use crate::web::Site;

fn invalid(error: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("--wamp-realm: {error}"))
}

/// The game server, bound and ready to run.
pub struct GameServer {
    server: IoServer<HttpServer<Router>>,
    lobby: Arc<Lobby>,
    store: Store,
    wamp: WampServer,
}

impl GameServer {
    /// Opens the database and binds the port.
    pub async fn bind(config: &Config) -> io::Result<GameServer> {
        let store = Store::open(&config.db)
            .map_err(|e| io::Error::other(format!("database {}: {e}", config.db.display())))?;
        let wamp = WampServer::new(feed::router(&config.wamp_realm).map_err(invalid)?);
        let feed = WampFeed::start(&wamp, &config.wamp_realm).map_err(invalid)?;
        let lobby =
            Lobby::new(store.clone(), config.table_settings(), config.match_window(), Some(feed));
        let arcade = Arcade::new(lobby.clone(), store.clone(), config.time_control());
        let ws_config = WsConfig {
            limits: Limits {
                max_frame_size: config.max_message_bytes,
                max_message_size: config.max_message_bytes,
            },
            message_rate: Some(MessageRate {
                per_second: f64::from(config.rate),
                burst: config.burst,
            }),
            ..WsConfig::default()
        };
        let arcade = capstan::Shared::new(arcade);
        let sessions = SessionRoute::builder(arcade.clone()).websocket(ws_config.clone()).build();
        let wamp_config = WampServer::ws_config(WsConfig::default());
        let routes = Router::new()
            .route("/wamp", WsServer::with_config(wamp.clone(), wamp_config))
            .route("/session", sessions)
            .route("/*path", WsServer::with_config(arcade, ws_config));
        let site = Site { lobby: lobby.clone(), store: store.clone() };
        let service = HttpService::from_fn(move |request: http::Request<_>| {
            let site = site.clone();
            async move { site.answer(request.method(), request.uri().path()).await }
        });
        let http = HttpServer::new(routes).with_service(service);
        let limits =
            ServerConfig { max_connections: config.max_connections, ..ServerConfig::default() };
        let server =
            IoServer::new(http).with_config(limits).listen((config.bind, config.port)).await?;
        Ok(GameServer { server, lobby, store, wamp })
    }

    /// The address bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.server.local_addr()
    }

    /// A handle to stop the server.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.server.shutdown_handle()
    }

    /// Serves until SIGINT/SIGTERM or the shutdown handle; then ends the
    /// running games (no winner, stored as aborted) and lets the store
    /// finish writing.
    pub async fn run(self) -> io::Result<()> {
        let result = self.server.run().await;
        self.lobby.shut_down();
        self.wamp.shut_down();
        self.store.flush().await;
        result
    }
}
