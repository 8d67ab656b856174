//! The I/O server: listeners, the accept loop, limits and graceful shutdown.

pub(crate) mod coalesce;
mod handler;
pub(crate) mod io_server;
pub(crate) mod shutdown;
mod spawn;
pub(crate) mod tls;
mod transport;

pub use handler::{ConnContext, ConnectionHandler};
pub(crate) use io_server::IoServer;
pub use io_server::termination_signal;
pub use shutdown::ShutdownSignal;
pub(crate) use spawn::spawn_in_span;
pub use transport::{Io, Transport};
