//! A kept-alive connection serving plain HTTP gives each later request that
//! may be the layers' (an upgrade, a session fallback's request: both need
//! the edge layers' checks and their route) to the layers first, as the
//! connection's first request was: a browser or a proxy sends a session's
//! POST on whatever connection of its pool is idle, one that served a page
//! included.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;

use super::component::{Decision, HttpComponent};
use super::fallback::{BoxBody, RouteRequest, RoutedFuture};
use crate::request::{Rejection, Request};
use crate::server::ShutdownSignal;

/// The layers, for the later requests of one kept-alive connection.
pub(crate) struct KeptAlive<C> {
    pub(crate) component: Arc<C>,
    pub(crate) remote: SocketAddr,
    pub(crate) shutdown: ShutdownSignal,
    /// How long the layers may take to decide (the handshake timeout).
    pub(crate) timeout: Duration,
}

impl<C: HttpComponent> RouteRequest for KeptAlive<C> {
    fn route(self: Arc<Self>, http: http::Request<Incoming>) -> RoutedFuture {
        Box::pin(async move {
            if !may_be_connection_request(&http) {
                return Err(http);
            }
            let Some(mut request) = head_of(&http).filter(Request::is_connection_request) else {
                return Err(http);
            };
            request.set_remote_addr(self.remote);
            let decided =
                tokio::time::timeout(self.timeout, self.component.on_request(&mut request));
            let Ok(decision) = decided.await else {
                return Ok(answer(&Rejection::new(503, "the server could not decide in time")));
            };
            match decision {
                Decision::Pass(_) => Err(http),
                Decision::Reject(rejection) => Ok(answer(&rejection)),
                Decision::Upgrade(upgrade) => {
                    match upgrade.answer(request, http, self.shutdown.clone()) {
                        Some(answering) => Ok(answering.await),
                        None => Ok(answer(&Rejection::new(
                            400,
                            "an upgrade needs a connection of its own, not a kept-alive one",
                        ))),
                    }
                }
            }
        })
    }
}

/// Whether `http` could be a connection request, told without building
/// its head: it has an Upgrade header, or its query could name `capstan`
/// (spelled out, or percent-encoded). Every other plain request (a page,
/// an API call) goes straight to the service, as the first one would.
fn may_be_connection_request(http: &http::Request<Incoming>) -> bool {
    http.headers().contains_key(http::header::UPGRADE)
        || http.uri().query().is_some_and(|query| query.contains("capstan") || query.contains('%'))
}

/// The request's head as the layers read it (method, target, headers).
fn head_of(http: &http::Request<Incoming>) -> Option<Request> {
    let mut head = format!("{} {} HTTP/1.1\r\n", http.method(), http.uri());
    for (name, value) in http.headers() {
        head.push_str(name.as_str());
        head.push_str(": ");
        head.push_str(value.to_str().ok()?);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    Request::parse(head.as_bytes()).ok().flatten().map(|(request, _)| request)
}

/// A rejection as a response on a connection that goes on.
fn answer(rejection: &Rejection) -> http::Response<BoxBody> {
    let body = Full::new(Bytes::from(format!("{}\n", rejection.message())));
    let mut response = http::Response::new(body.map_err(|never| match never {}).boxed_unsync());
    *response.status_mut() =
        http::StatusCode::from_u16(rejection.status()).unwrap_or(http::StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    for (name, value) in rejection.headers() {
        if let (Ok(name), Ok(value)) =
            (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_str(value))
        {
            headers.insert(name, value);
        }
    }
    response
}
