//! What the chat's port answers besides the WebSocket: the embedded web
//! client, and, when configured, the server API (`--api-key`, unless
//! `--api-port` puts it on a port of its own). One axum router: the API's
//! routes first, the web client for every other request.

use axum::Router;
use capstan::HttpService;
use capstan_api::ApiService;
use http::{Method, Uri};

use crate::web;

/// The plain-HTTP service of the chat's port.
pub fn http_service(api: Option<ApiService>) -> HttpService {
    let mut router = Router::new();
    if let Some(api) = api {
        router = router.merge(api.router());
    }
    let router =
        router.fallback(|method: Method, uri: Uri| async move { web::answer(&method, uri.path()) });
    HttpService::from_tower(router)
}
