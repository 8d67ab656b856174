//! Errors reported to the application through `on_error` and by sends.

use std::fmt;
use std::io;

use crate::ws::ProtocolError;

/// Something that went wrong on one connection.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnError {
    /// The peer broke a rule of RFC 6455.
    Protocol(ProtocolError),
    /// The socket failed.
    Io(io::Error),
}

impl fmt::Display for ConnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Protocol(e) => write!(f, "protocol error: {e}"),
            Self::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

impl std::error::Error for ConnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Protocol(e) => Some(e),
            Self::Io(e) => Some(e),
        }
    }
}

/// Why a send was refused. Sends never block; a refused message is not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The connection is closing or closed.
    Closed,
    /// The outbound queue is over its byte bound: the peer reads too slowly.
    /// The connection is being closed as a slow consumer.
    QueueFull,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("connection is closed"),
            Self::QueueFull => f.write_str("outbound queue is full (slow consumer)"),
        }
    }
}

impl std::error::Error for SendError {}
