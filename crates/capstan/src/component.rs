//! The application's side: four callbacks, as in Ratchet's
//! `MessageComponentInterface`.

mod shared;
mod stateful;

use std::future::Future;
use std::sync::Arc;

use crate::conn::Conn;
use crate::error::ConnError;
use crate::stats::CloseKind;
use crate::ws::{CloseCode, Message, ProtocolError};

pub use shared::Shared;
pub use stateful::StatefulComponent;

/// A real-time application: what happens when a client connects, sends a
/// message, goes away, or breaks something. (To keep typed state per
/// connection, implement [`StatefulComponent`] instead.)
///
/// Callbacks for one connection run one at a time, in order; callbacks for
/// different connections run concurrently. A callback that awaits stalls only
/// its own connection's input (its output keeps flowing).
pub trait Component: Send + Sync + 'static {
    /// A client completed the WebSocket handshake.
    fn on_open(&self, conn: &Conn) -> impl Future<Output = ()> + Send {
        let _ = conn;
        async {}
    }

    /// A complete text or binary message arrived.
    fn on_message(&self, conn: &Conn, message: Message) -> impl Future<Output = ()> + Send;

    /// The connection ended; called exactly once after `on_open`.
    fn on_close(&self, conn: &Conn, close: CloseInfo) -> impl Future<Output = ()> + Send {
        let _ = (conn, close);
        async {}
    }

    /// Something went wrong on the connection (a protocol violation by the
    /// peer, an I/O error); `on_close` follows.
    fn on_error(&self, conn: &Conn, error: ConnError) -> impl Future<Output = ()> + Send {
        let _ = (conn, error);
        async {}
    }
}

impl<C: Component> Component for Arc<C> {
    fn on_open(&self, conn: &Conn) -> impl Future<Output = ()> + Send {
        C::on_open(self, conn)
    }

    fn on_message(&self, conn: &Conn, message: Message) -> impl Future<Output = ()> + Send {
        C::on_message(self, conn, message)
    }

    fn on_close(&self, conn: &Conn, close: CloseInfo) -> impl Future<Output = ()> + Send {
        C::on_close(self, conn, close)
    }

    fn on_error(&self, conn: &Conn, error: ConnError) -> impl Future<Output = ()> + Send {
        C::on_error(self, conn, error)
    }
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The close code: the one received from the peer, the one sent when the
    /// server closed, 1005 when the peer's close frame had none, 1006 when
    /// the connection ended without a close frame.
    pub code: CloseCode,
    /// The reason that went with the code.
    pub reason: String,
    /// Why it ended.
    pub cause: CloseCause,
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseCause {
    /// The peer sent a close frame.
    PeerClosed,
    /// The application called [`Conn::close`].
    ClosedByServer,
    /// The peer did not answer a keepalive ping in time, or sent nothing
    /// within the idle timeout.
    TimedOut(Timeout),
    /// The peer broke RFC 6455; the connection was failed with the RFC's code.
    ProtocolError(ProtocolError),
    /// The server is shutting down (close 1001 was sent).
    ServerShutdown,
    /// The peer read too slowly: its outbound queue passed its bound.
    SlowConsumer,
    /// The peer sent messages faster than the route's message rate limit
    /// (close 1008).
    RateLimited,
    /// The TCP connection ended or failed without a close handshake.
    ConnectionLost,
    /// A session-mode connection (`capstan::sessions`) had no transport
    /// for its grace period: the client did not come back.
    SessionExpired,
    /// A session-mode connection ended on a rule of the session protocol
    /// (docs/SESSIONS.md §6): the client was sent this code.
    SessionEnded(crate::resume::ErrorCode),
}

impl From<&CloseCause> for CloseKind {
    fn from(cause: &CloseCause) -> Self {
        match cause {
            CloseCause::PeerClosed => Self::PeerClosed,
            CloseCause::ClosedByServer => Self::ClosedByServer,
            CloseCause::TimedOut(Timeout::Keepalive) => Self::KeepaliveTimeout,
            CloseCause::TimedOut(Timeout::Idle) => Self::IdleTimeout,
            CloseCause::ProtocolError(_) => Self::ProtocolError,
            CloseCause::ServerShutdown => Self::ServerShutdown,
            CloseCause::SlowConsumer => Self::SlowConsumer,
            CloseCause::RateLimited => Self::RateLimited,
            // A transport's close is never one of these (they are a
            // session's, told to its application only); counted as what
            // they come closest to.
            CloseCause::ConnectionLost | CloseCause::SessionExpired => Self::ConnectionLost,
            CloseCause::SessionEnded(_) => Self::ProtocolError,
        }
    }
}

/// Which timer fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Timeout {
    /// No answer to a keepalive ping.
    Keepalive,
    /// No message within the idle timeout.
    Idle,
}
