//! The API alone on a port of its own (`--api-port`): capstan's own I/O
//! and HTTP layers with the API as their plain-HTTP service, so that the
//! port has the same connection limit, head limits and graceful shutdown
//! (`run`, SIGINT/SIGTERM, or its `shutdown_handle`) as the WebSocket's.

use std::io;

use tokio::net::ToSocketAddrs;

use crate::service::ApiService;

/// The server a separate API port runs: no WebSocket route, every request
/// to the API's service (an upgrade request too: it is answered as any
/// other request to its path).
pub type ApiServer = capstan::IoServer<capstan::HttpServer<capstan::Router>>;

impl ApiService {
    /// Binds `addr` and serves the API there alone: run the returned server
    /// beside the WebSocket's (`tokio::try_join!(ws.run(), api.run())`).
    pub async fn bind(self, addr: impl ToSocketAddrs) -> io::Result<ApiServer> {
        let http =
            capstan::HttpServer::new(capstan::Router::new()).with_service(self.http_service());
        capstan::IoServer::bind(addr, http).await
    }
}
