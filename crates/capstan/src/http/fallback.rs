//! Plain HTTP on the WebSocket port: requests that are not upgrades go to a
//! hyper service the user supplies (pages, health checks, an axum router
//! adapted with a closure). Capstan writes no HTTP server of its own.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::server::{Io, ShutdownSignal};

/// The response type of an [`HttpService`].
pub type HttpResponse = http::Response<Full<Bytes>>;

type BoxedHandler = dyn Fn(http::Request<Incoming>) -> Pin<Box<dyn Future<Output = HttpResponse> + Send>>
    + Send
    + Sync;

/// A handler for plain HTTP requests. Cheap to clone.
#[derive(Clone)]
pub struct HttpService(Arc<BoxedHandler>);

impl HttpService {
    /// A service from an async function of the request.
    pub fn from_fn<F, Fut>(handler: F) -> Self
    where
        F: Fn(http::Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HttpResponse> + Send + 'static,
    {
        Self(Arc::new(move |request| Box::pin(handler(request))))
    }

    /// Serves the connection with hyper; `consumed` are the bytes already
    /// read from it (the first request head and what followed).
    pub(crate) async fn serve(
        &self,
        stream: Box<dyn Io>,
        consumed: Bytes,
        header_timeout: Duration,
        mut shutdown: ShutdownSignal,
    ) {
        let handler = self.0.clone();
        let service = hyper::service::service_fn(move |request| {
            let response = handler(request);
            async move { Ok::<_, Infallible>(response.await) }
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
