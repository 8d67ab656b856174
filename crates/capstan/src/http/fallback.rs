//! Plain HTTP on the WebSocket port: requests that are not upgrades go to a
//! service the user supplies — an async function, or any tower `Service`
//! (an axum `Router` as it is) — served by hyper, with streaming bodies
//! (server-sent events, downloads). Capstan writes no HTTP server of its own.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use http_body::Body;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::server::{Io, ShutdownSignal};

/// A response with its whole body at once (any body type will do).
pub type HttpResponse = http::Response<Full<Bytes>>;

/// An error of a service or of a body, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Any response body, boxed: whole or streamed.
pub type BoxBody = UnsyncBoxBody<Bytes, BoxError>;

type AnyBody = BoxBody;

/// The layers' answer to a request, or the request back for the service.
pub(crate) type RoutedFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<AnyBody>, http::Request<Incoming>>> + Send>>;

/// Gives a request on a kept-alive connection to the layers before the
/// service, when it may be theirs (an upgrade, a session fallback's
/// request): their answer, or the request back for the service.
pub(crate) trait RouteRequest: Send + Sync + 'static {
    fn route(self: Arc<Self>, request: http::Request<Incoming>) -> RoutedFuture;
}

type BoxedHandler = dyn Fn(http::Request<Incoming>) -> Pin<Box<dyn Future<Output = http::Response<AnyBody>> + Send>>
    + Send
    + Sync;

/// A handler for plain HTTP requests. Cheap to clone.
#[derive(Clone)]
pub struct HttpService(Arc<BoxedHandler>);

impl HttpService {
    /// A service from an async function of the request; the response's
    /// body may be whole (`Full`) or streamed (any `http_body::Body`).
    pub fn from_fn<F, Fut, B>(handler: F) -> Self
    where
        F: Fn(http::Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = http::Response<B>> + Send + 'static,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Self(Arc::new(move |request| {
            let response = handler(request);
            Box::pin(async move { response.await.map(box_body) })
        }))
    }

    /// A service from any tower `Service` of HTTP requests, cloned for
    /// each request: an axum `Router` mounts as it is. A service error is
    /// answered with 500.
    pub fn from_tower<S, B>(service: S) -> Self
    where
        S: tower_service::Service<http::Request<Incoming>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Self(Arc::new(move |request| {
            let mut service = service.clone();
            Box::pin(async move {
                if let Err(error) = poll_fn(|cx| service.poll_ready(cx)).await.map_err(Into::into) {
                    return failed(error);
                }
                match service.call(request).await.map_err(Into::into) {
                    Ok(response) => response.map(box_body),
                    Err(error) => failed(error),
                }
            })
        }))
    }

    /// Serves the connection with hyper; `consumed` are the bytes already
    /// read from it (the first request head and what followed).
    /// With `route`, each request after the first is offered to it first
    /// (the first was the layers' already: they passed it here).
    pub(crate) async fn serve(
        &self,
        stream: Box<dyn Io>,
        consumed: Bytes,
        header_timeout: Duration,
        mut shutdown: ShutdownSignal,
        route: Option<Arc<dyn RouteRequest>>,
    ) {
        let handler = self.0.clone();
        let first = std::sync::atomic::AtomicBool::new(true);
        let service = hyper::service::service_fn(move |request| {
            let handler = handler.clone();
            let first = first.swap(false, std::sync::atomic::Ordering::Relaxed);
            let route = route.clone().filter(|_| !first);
            async move {
                let request = match route {
                    Some(route) => match route.route(request).await {
                        Ok(answer) => return Ok::<_, Infallible>(answer),
                        Err(request) => request,
                    },
                    None => request,
                };
                Ok(handler(request).await)
            }
        });
        let io = TokioIo::new(Replay { consumed, stream });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(io, service);
        tokio::pin!(connection);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "http connection ended with an error");
                }
            }
            _ = shutdown.wait() => {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
        }
    }
}

/// The answer to a service that failed: 500, logged.
fn failed(error: BoxError) -> http::Response<AnyBody> {
    tracing::debug!(%error, "the HTTP service failed");
    let mut response = http::Response::new(box_body(Full::new(Bytes::new())));
    *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    response
}

/// `body`, boxed, its errors boxed.
fn box_body<B>(body: B) -> AnyBody
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}

impl std::fmt::Debug for HttpService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpService")
    }
}

/// A stream that first yields bytes already read from it.
struct Replay {
    consumed: Bytes,
    stream: Box<dyn Io>,
}

impl AsyncRead for Replay {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.consumed.has_remaining() {
            let n = self.consumed.len().min(buf.remaining());
            buf.put_slice(&self.consumed[..n]);
            self.consumed.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Replay {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
