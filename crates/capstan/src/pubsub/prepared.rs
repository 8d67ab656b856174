//! A message framed once, to be sent to many connections.

use bytes::Bytes;

use crate::ws::{Message, OutFrame};

/// A data message already encoded as a WebSocket frame. Cloning it, or
/// queueing it on a connection, shares the bytes.
#[derive(Debug, Clone)]
pub struct PreparedMessage {
    frame: Bytes,
}

impl PreparedMessage {
    /// Encodes `message` once.
    pub fn new(message: impl Into<Message>) -> Self {
        Self { frame: OutFrame::message(message.into()).to_bytes() }
    }

    /// The encoded frame.
    pub fn frame(&self) -> &Bytes {
        &self.frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_complete_frame() {
        let prepared = PreparedMessage::new("hi");
        assert_eq!(&prepared.frame()[..], b"\x81\x02hi");
    }
}
