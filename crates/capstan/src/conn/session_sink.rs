//! What a session-mode connection sends through instead of its own queue:
//! its session (a session route's), which numbers each message, keeps it
//! until the client acknowledges it, and hands it to the transport attached
//! now. A seam here so that the connection, below the sessions, names no
//! part of them.

use super::transport_kind::TransportKind;
use crate::error::SendError;
use crate::resume::SessionId;
use crate::ws::{CloseCode, Message, PreparedMessage};

/// A session, as the connection of its application sees it.
pub(crate) trait SessionSink: Send + Sync {
    /// Sends a data message.
    fn send(&self, message: Message) -> Result<(), SendError>;
    /// Sends a message prepared once for many connections.
    fn send_prepared(&self, message: &PreparedMessage) -> Result<(), SendError>;
    /// Ends the session.
    fn close(&self, code: CloseCode, reason: &str);
    /// The transport attached last.
    fn transport(&self) -> TransportKind;
    /// The session's id.
    fn id(&self) -> SessionId;
}
