//! The outermost layer: accepts TCP connections and gives each one a task.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::task::JoinSet;

use super::handler::{ConnContext, ConnectionHandler};
use super::shutdown::{ShutdownHandle, Tracker};
use super::tls::TlsConfig;
use super::transport::Transport;

/// Limits of the I/O server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Connections served at once; more are answered by the handler's
    /// `on_overload` (503 from the HTTP layer) and closed.
    pub max_connections: usize,
    /// How long shutdown waits for connections to finish their close
    /// handshakes before it gives up on them.
    pub drain_timeout: Duration,
    /// Disable Nagle's algorithm on accepted sockets.
    pub nodelay: bool,
    /// Time allowed for a TLS handshake on a TLS listener.
    pub tls_handshake_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_connections: 100_000,
            drain_timeout: Duration::from_secs(10),
            nodelay: true,
            tls_handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// Accepts connections on one or more TCP listeners and hands each to the
/// wrapped layer, in its own task: `IoServer::bind(addr, HttpServer::new(...))`.
pub struct IoServer<H> {
    handler: Arc<H>,
    listeners: Vec<(TcpListener, Option<TlsConfig>)>,
    config: ServerConfig,
    shutdown: ShutdownHandle,
}

impl<H: ConnectionHandler> IoServer<H> {
    /// A server with no listener yet.
    pub fn new(handler: H) -> Self {
        Self {
            handler: Arc::new(handler),
            listeners: Vec::new(),
            config: ServerConfig::default(),
            shutdown: ShutdownHandle::new(),
        }
    }

    /// A server listening on `addr`.
    pub async fn bind(addr: impl ToSocketAddrs, handler: H) -> io::Result<Self> {
        Self::new(handler).listen(addr).await
    }

    /// Adds a listener on `addr`.
    pub async fn listen(mut self, addr: impl ToSocketAddrs) -> io::Result<Self> {
        self.listeners.push((TcpListener::bind(addr).await?, None));
        Ok(self)
    }

    /// Adds a TLS listener (wss://) on `addr`.
    pub async fn listen_tls(
        mut self,
        addr: impl ToSocketAddrs,
        tls: TlsConfig,
    ) -> io::Result<Self> {
        self.listeners.push((TcpListener::bind(addr).await?, Some(tls)));
        Ok(self)
    }

    /// Adds a listener bound elsewhere (TLS when `tls` is given).
    pub fn with_listener(mut self, listener: TcpListener, tls: Option<TlsConfig>) -> Self {
        self.listeners.push((listener, tls));
        self
    }

    /// Replaces the limits.
    pub fn with_config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// The addresses listened on.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners.iter().filter_map(|(l, _)| l.local_addr().ok()).collect()
    }

    /// The first address listened on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listeners
            .first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no listener"))?
            .0
            .local_addr()
    }

    /// A handle that can start a graceful shutdown from elsewhere.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Serves until SIGINT or SIGTERM (or the shutdown handle), then closes
    /// every connection with 1001 and drains.
    pub async fn run(self) -> io::Result<()> {
        self.run_until(termination_signal()).await
    }

    /// Serves until `stop` resolves (or the shutdown handle fires), then
    /// shuts down gracefully.
    pub async fn run_until(self, stop: impl Future<Output = ()> + Send) -> io::Result<()> {
        if self.listeners.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "no listener"));
        }
        let tracker = Arc::new(Tracker::default());
        let mut acceptors = JoinSet::new();
        for (listener, tls) in self.listeners {
            acceptors.spawn(accept_loop(
                listener,
                tls,
                self.handler.clone(),
                self.config.clone(),
                self.shutdown.clone(),
                tracker.clone(),
            ));
        }
        let mut signal = self.shutdown.signal();
        tokio::select! {
            _ = stop => {}
            _ = signal.wait() => {}
        }
        tracing::info!(live = tracker.live(), "shutting down");
        self.shutdown.shutdown();
        acceptors.shutdown().await;
        if tokio::time::timeout(self.config.drain_timeout, tracker.drained()).await.is_err() {
            tracing::warn!(live = tracker.live(), "drain timeout: connections left open");
        }
        Ok(())
    }
}

async fn accept_loop<H: ConnectionHandler>(
    listener: TcpListener,
    tls: Option<TlsConfig>,
    handler: Arc<H>,
    config: ServerConfig,
    shutdown: ShutdownHandle,
    tracker: Arc<Tracker>,
) {
    let mut stopping = shutdown.signal();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopping.wait() => return,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors or a connection reset before accept: back
                // off briefly instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        crate::stats::accepted(tls.is_some());
        if config.nodelay {
            let _ = stream.set_nodelay(true);
        }
        let overloaded = tracker.live() >= config.max_connections;
        let context =
            (!overloaded).then(|| ConnContext::new(remote, shutdown.signal(), tracker.enter()));
        let handler = handler.clone();
        let tls = tls.clone();
        let tls_timeout = config.tls_handshake_timeout;
        // Every log line of this connection's task carries its number and
        // peer (and, once upgraded, its WebSocket `Conn` id: field `ws`).
        let span = tracing::info_span!(
            "conn",
            id = connection_number(),
            peer = %remote,
            ws = tracing::field::Empty
        );
        let task = async move {
            let transport = match tls {
                None => Transport::tcp(stream),
                Some(tls) => {
                    match tokio::time::timeout(tls_timeout, tls.acceptor().accept(stream)).await {
                        Ok(Ok(stream)) => Transport::tls(stream),
                        Ok(Err(error)) => {
                            tracing::debug!(%remote, %error, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%remote, "TLS handshake timed out");
                            return;
                        }
                    }
                }
            };
            let Ok(transport) = transport else { return };
            match context {
                Some(context) => handler.on_connection(transport, context).await,
                None => handler.on_overload(transport).await,
            }
        };
        super::spawn_in_span(task, span);
    }
}

/// A number for each connection accepted, unique in the process: the `id`
/// of its log lines.
fn connection_number() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM: what [`IoServer::run`] stops
/// on, for an application that does something first (`run_until`).
pub async fn termination_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
