//! What the I/O server hands each accepted connection to.

use std::future::Future;
use std::net::SocketAddr;

use super::shutdown::{ShutdownSignal, TrackerGuard};
use super::transport::Transport;

/// Facts about an accepted connection, and the shutdown signal it watches.
#[derive(Debug)]
pub struct ConnContext {
    /// The peer's address.
    pub remote: SocketAddr,
    /// Fires when the server starts shutting down.
    pub shutdown: ShutdownSignal,
    /// Counts the connection as live until dropped.
    live: Option<TrackerGuard>,
}

impl ConnContext {
    pub(crate) fn new(remote: SocketAddr, shutdown: ShutdownSignal, live: TrackerGuard) -> Self {
        Self { remote, shutdown, live: Some(live) }
    }

    /// The address, the signal, and the guard that counts the connection
    /// as live until it is dropped.
    pub(crate) fn into_parts(self) -> (SocketAddr, ShutdownSignal, Option<TrackerGuard>) {
        (self.remote, self.shutdown, self.live)
    }
}

/// The layer the I/O server wraps: it takes over each accepted stream.
/// [`crate::HttpServer`] is the usual one.
pub trait ConnectionHandler: Send + Sync + 'static {
    /// Serves one connection until it ends.
    fn on_connection(
        &self,
        transport: Transport,
        context: ConnContext,
    ) -> impl Future<Output = ()> + Send + 'static;

    /// Answers a connection refused because the server is full (the default
    /// just closes it).
    fn on_overload(&self, transport: Transport) -> impl Future<Output = ()> + Send + 'static {
        async move { drop(transport) }
    }
}
