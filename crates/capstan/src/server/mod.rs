//! The I/O server: listeners, the accept loop, limits and graceful shutdown.

pub(crate) mod coalesce;
mod handler;
mod io_server;
pub(crate) mod shutdown;
mod tls;
mod transport;

pub use handler::{ConnContext, ConnectionHandler};
pub use io_server::{IoServer, ServerConfig};
pub use shutdown::{ShutdownHandle, ShutdownSignal};
pub use tls::TlsConfig;
pub use transport::{Io, Transport};
