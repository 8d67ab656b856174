//! Which transport carries a connection: a WebSocket, or one of the HTTP
//! fallbacks of a session-mode route (docs/SESSIONS.md §8).

use std::fmt;

/// The transport under a [`Conn`](crate::Conn), as [`Conn::transport`]
/// tells it: the application sends and receives the same way on each.
///
/// [`Conn::transport`]: crate::Conn::transport
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// RFC 6455.
    WebSocket,
    /// Server-Sent Events down, POST batches up.
    ServerSentEvents,
    /// A chunked HTTP response read as a stream down, POST batches up.
    Streaming,
}

impl TransportKind {
    /// Its name on the wire and in logs: `websocket`, `sse`, `stream`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WebSocket => "websocket",
            Self::ServerSentEvents => "sse",
            Self::Streaming => "stream",
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
