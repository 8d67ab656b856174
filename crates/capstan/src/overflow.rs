//! What a bounded queue does at its bound: a connection's outbound queue,
//! a session's messages kept for its client.

/// What happens when a connection's queue is at its bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Overflow {
    /// Refuse the send and close the connection as a slow consumer (1008).
    #[default]
    Close,
    /// Drop the oldest queued messages (not yet handed to the socket) to
    /// make room, and count them; the connection stays.
    DropOldest,
}
