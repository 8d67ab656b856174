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
    WsConfig, WsServer,
};
use tokio::sync::Notify;

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
    stop: GameShutdown,
}

/// Stops a [`GameServer`] from elsewhere, as SIGTERM does. Cheap to clone.
#[derive(Clone, Default)]
pub struct GameShutdown(Arc<Notify>);

impl GameShutdown {
    /// Starts the shutdown: the games end, then the connections close.
    pub fn shutdown(&self) {
        self.0.notify_one();
    }
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
        Ok(GameServer { server, lobby, store, wamp, stop: GameShutdown::default() })
    }

    /// The address bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.server.local_addr()
    }

    /// A handle to stop the server.
    pub fn shutdown_handle(&self) -> GameShutdown {
        self.stop.clone()
    }

    /// Serves until SIGINT/SIGTERM or the shutdown handle. Then the games
    /// end first (no winner; a started game is stored as aborted, and its
    /// players and spectators are told), before the connections close — a
    /// closing connection must not read as a player leaving — and the
    /// store finishes writing.
    pub async fn run(self) -> io::Result<()> {
        let lobby = self.lobby.clone();
        let stop = self.stop.0.clone();
        let result = self
            .server
            .run_until(async move {
                tokio::select! {
                    () = capstan::server::termination_signal() => {}
                    () = stop.notified() => {}
                }
                lobby.shut_down();
            })
            .await;
        self.wamp.shut_down();
        self.store.flush().await;
        result
    }
}
