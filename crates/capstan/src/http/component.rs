//! The contract between the HTTP layer and the layers inside it.

use std::future::Future;
use std::pin::Pin;

use bytes::BytesMut;

use crate::request::Rejection;
use crate::request::Request;
use crate::server::{ConnContext, ShutdownSignal, Transport};

use super::fallback::BoxBody;

/// A future that serves a connection to its end.
pub type ServeFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A future that answers one plain HTTP request.
pub type AnswerFuture = Pin<Box<dyn Future<Output = http::Response<BoxBody>> + Send + 'static>>;

/// Takes over a connection whose request was accepted (a WebSocket upgrade).
pub trait Upgrade: Send + 'static {
    /// Serves the connection. `buffered` holds bytes that arrived after the
    /// request head.
    fn serve(
        self: Box<Self>,
        transport: Transport,
        request: Request,
        buffered: BytesMut,
        context: ConnContext,
    ) -> ServeFuture;

    /// Answers the request on a connection that stays the HTTP layer's (a
    /// kept-alive connection already serving plain HTTP), if this upgrade
    /// is plain HTTP itself (a session fallback's request); `None` when it
    /// needs a connection of its own (a WebSocket: the client is told so).
    fn answer(
        self: Box<Self>,
        request: Request,
        http: http::Request<hyper::body::Incoming>,
        shutdown: ShutdownSignal,
    ) -> Option<AnswerFuture> {
        let _ = (request, http, shutdown);
        None
    }
}

/// What a layer decides about a request.
#[non_exhaustive]
pub enum Decision {
    /// Take the connection over.
    Upgrade(Box<dyn Upgrade>),
    /// Answer with this error and close.
    Reject(Rejection),
    /// Not for this layer: the HTTP server gives it to its HTTP service if it
    /// has one, and otherwise answers with this.
    Pass(Rejection),
}

/// A layer inside [`crate::HttpServer`]: a WebSocket server, a router, or
/// a middleware of the user's.
pub trait HttpComponent: Send + Sync + 'static {
    /// Decides about a request, from its head alone. A layer may annotate
    /// the request on its way in (path parameters, an identity), and may
    /// await (look a session up in a database) within the HTTP layer's
    /// handshake timeout.
    fn on_request(&self, request: &mut Request) -> impl Future<Output = Decision> + Send;
}

/// A decision on its way, boxed.
pub(crate) type DecisionFuture<'a> = Pin<Box<dyn Future<Output = Decision> + Send + 'a>>;

/// [`HttpComponent`] as a trait object, for layers that hold several
/// (routers): one allocation per request and layer, at the handshake only.
pub(crate) trait DynHttpComponent: Send + Sync + 'static {
    fn on_request_boxed<'a>(&'a self, request: &'a mut Request) -> DecisionFuture<'a>;
}

impl<C: HttpComponent> DynHttpComponent for C {
    fn on_request_boxed<'a>(&'a self, request: &'a mut Request) -> DecisionFuture<'a> {
        Box::pin(self.on_request(request))
    }
}
