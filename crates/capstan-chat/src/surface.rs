//! What the chat's ports answer besides the chat's WebSocket: the embedded
//! web client; the operators' endpoints (`/metrics`, `/healthz`,
//! `/readyz`) and the admin page (`/admin`, its feed at `/admin/ws`, with
//! `--admin-token`); the server API (`--api-key`), on the chat's port or
//! alone with the operators' endpoints on `--api-port`. One axum router
//! per port: the API's and operators' routes first, the web client for
//! every other request.

use std::io;
use std::net::SocketAddr;

use axum::Router;
use capstan::{HttpServer, HttpService, IoServer};
use capstan_api::{Admin, ApiServer, ApiService, Health, Metrics};
use http::{Method, Uri};

use crate::web;

/// What operators reach: metrics, health, the admin page.
pub struct Ops {
    /// `/metrics`.
    pub metrics: Metrics,
    /// `/healthz`, `/readyz`.
    pub health: Health,
    /// `/admin` (off without a token).
    pub admin: Admin,
}

impl Ops {
    fn router(&self) -> Router {
        capstan_api::router(self.metrics.clone(), self.health.clone())
    }
}

/// The plain-HTTP service of the chat's port.
pub fn http_service(api: Option<ApiService>, ops: &Ops) -> HttpService {
    let mut router = ops.router().merge(ops.admin.router());
    if let Some(api) = api {
        router = router.merge(api.router());
    }
    let router =
        router.fallback(|method: Method, uri: Uri| async move { web::answer(&method, uri.path()) });
    HttpService::from_tower(router)
}

/// The server API alone on `addr`, with the operators' endpoints (`/metrics`
/// and the health checks, for an internal port).
pub async fn bind_api_port(api: ApiService, ops: &Ops, addr: SocketAddr) -> io::Result<ApiServer> {
    let router = api.router().merge(ops.router());
    let http =
        HttpServer::new(capstan::Router::new()).with_service(HttpService::from_tower(router));
    IoServer::bind(addr, http).await
}
