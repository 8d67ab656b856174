//! Ratchet's `App` shortcut: several components on one port, by path.

use std::io;

use tokio::net::ToSocketAddrs;

use crate::component::StatefulComponent;
use crate::http::{HttpServer, Router};
use crate::server::IoServer;
use crate::ws_server::{WsConfig, WsServer};

/// `App::new().route("/chat", Chat).route("/echo", Echo).run("0.0.0.0:8080")`:
/// the whole stack with default limits, built for you.
#[derive(Default)]
pub struct App {
    router: Router,
    config: WsConfig,
}

impl App {
    /// An app with no route, default WebSocket limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the WebSocket limits for the routes added after this call.
    pub fn ws_config(mut self, config: WsConfig) -> Self {
        self.config = config;
        self
    }

    /// Serves `component` over WebSocket at `path`.
    pub fn route(mut self, path: &str, component: impl StatefulComponent) -> Self {
        let server = WsServer::with_config(component, self.config.clone());
        self.router = self.router.route(path, server);
        self
    }

    /// The stack this app stands for: `HttpServer(Router(WsServer(..)))`.
    pub fn into_http(self) -> HttpServer<Router> {
        HttpServer::new(self.router)
    }

    /// Binds `addr` and serves until SIGINT/SIGTERM.
    pub async fn run(self, addr: impl ToSocketAddrs) -> io::Result<()> {
        IoServer::bind(addr, self.into_http()).await?.run().await
    }
}
