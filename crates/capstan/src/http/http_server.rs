//! The HTTP layer as a value: `HttpServer::new(WsServer::new(app))`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, BytesMut};

use super::component::{Decision, HttpComponent};
use super::fallback::HttpService;
use super::head::{HeadError, read_head};
use super::kept_alive::KeptAlive;
use crate::request::Rejection;
use crate::server::{ConnContext, ConnectionHandler, Transport};

/// Limits of the HTTP layer.
#[derive(Debug, Clone, Copy)]
pub struct HttpConfig {
    /// The largest request head accepted; larger ones get 431. At most 65535.
    pub max_head_size: usize,
    /// Time allowed for the request head to arrive (against slowloris);
    /// after it, 408.
    pub handshake_timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self { max_head_size: 8 * 1024, handshake_timeout: Duration::from_secs(10) }
    }
}

/// Reads each connection's request head and lets the layer inside decide:
/// upgrade, reject, or pass it to the plain HTTP service.
pub struct HttpServer<C> {
    component: Arc<C>,
    config: HttpConfig,
    service: Option<HttpService>,
}

impl<C: HttpComponent> HttpServer<C> {
    /// Wraps `component` (a [`crate::WsServer`] or a [`crate::Router`]).
    pub fn new(component: C) -> Self {
        Self { component: Arc::new(component), config: HttpConfig::default(), service: None }
    }

    /// Replaces the limits.
    pub fn with_config(mut self, config: HttpConfig) -> Self {
        self.config = config;
        self.config.max_head_size = self.config.max_head_size.min(u16::MAX as usize);
        self
    }

    /// Serves plain (non-upgrade) requests with `service`.
    pub fn with_service(mut self, service: HttpService) -> Self {
        self.service = Some(service);
        self
    }
}

impl<C: HttpComponent> ConnectionHandler for HttpServer<C> {
    fn on_connection(
        &self,
        transport: Transport,
        context: ConnContext,
    ) -> impl Future<Output = ()> + Send + 'static {
        let component = self.component.clone();
        let service = self.service.clone();
        let config = self.config;
        async move { serve(&component, config, service.as_ref(), transport, context).await }
    }

    fn on_overload(&self, transport: Transport) -> impl Future<Output = ()> + Send + 'static {
        let rejection = Rejection::new(503, "server at its connection limit");
        async move { answer_and_close(transport, &rejection).await }
    }
}

async fn serve<C: HttpComponent>(
    component: &Arc<C>,
    config: HttpConfig,
    service: Option<&HttpService>,
    mut transport: Transport,
    context: ConnContext,
) {
    let mut buf = BytesMut::new();
    let limit = config.max_head_size;
    let mut shutdown = context.shutdown.clone();
    let head = tokio::select! {
        head = tokio::time::timeout(config.handshake_timeout, read_head(&mut transport, &mut buf, limit)) => {
            head.unwrap_or(Err(HeadError::TimedOut))
        }
        () = shutdown.wait() => Err(HeadError::ShuttingDown),
    };
    let head = match head {
        // Shutdown started while the head was on its way: no new sessions.
        Ok(_) if context.shutdown.is_triggered() => Err(HeadError::ShuttingDown),
        head => head,
    };
    let mut request = match head {
        Ok(request) => request,
        Err(error) => {
            tracing::debug!(remote = %context.remote, ?error, "bad request head");
            if let Some(rejection) = error.rejection() {
                answer_and_close(transport, &rejection).await;
            }
            return;
        }
    };
    request.set_remote_addr(context.remote);
    // A layer may await (an authenticator's lookup): within the same
    // timeout as the head, so a stalled lookup cannot hold the connection.
    let decided =
        tokio::time::timeout(config.handshake_timeout, component.on_request(&mut request));
    let Ok(decision) = decided.await else {
        tracing::debug!(remote = %context.remote, "no decision within the handshake timeout");
        let rejection = Rejection::new(503, "the server could not decide in time");
        return answer_and_close(transport, &rejection).await;
    };
    match decision {
        // The upgraded connection becomes a task of its own, so that what
        // reading the request head took (this task) is freed now and not
        // kept for the connection's life. It keeps the connection's log
        // span (the accept loop's `conn`).
        Decision::Upgrade(upgrade) => {
            crate::server::spawn_in_span(
                upgrade.serve(transport, request, buf, context),
                tracing::Span::current(),
            );
        }
        Decision::Reject(rejection) => answer_and_close(transport, &rejection).await,
        Decision::Pass(rejection) => match service {
            Some(service) => {
                let mut consumed = BytesMut::with_capacity(request.head_bytes().len() + buf.len());
                consumed.put_slice(request.head_bytes());
                consumed.put_slice(&buf);
                let timeout = config.handshake_timeout;
                let route = Arc::new(KeptAlive {
                    component: component.clone(),
                    remote: context.remote,
                    shutdown: context.shutdown.clone(),
                    timeout,
                });
                service
                    .serve(
                        transport.into_io(),
                        consumed.freeze(),
                        timeout,
                        context.shutdown,
                        Some(route),
                    )
                    .await
            }
            None => answer_and_close(transport, &rejection).await,
        },
    }
}

/// Sends a short HTTP error and closes the connection.
pub(crate) async fn answer_and_close(mut transport: Transport, rejection: &Rejection) {
    crate::stats::rejected(rejection.status());
    let write = async {
        transport.write_all(&rejection.to_bytes()).await?;
        transport.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), write).await;
}
