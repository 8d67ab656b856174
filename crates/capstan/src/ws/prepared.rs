//! A message framed once, to be sent to many connections.

use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;

use super::deflate::{DeflateParams, compress_shared};
use super::{Message, OpCode, OutFrame};

#[derive(Debug)]
struct Inner {
    opcode: OpCode,
    payload: Bytes,
    frame: Bytes,
    /// Compressed frames without context takeover, by (level, window
    /// bits): made once, on first need, and shared by every connection
    /// that agreed to them.
    compressed: Mutex<Vec<(u32, u8, Bytes)>>,
    /// The same message with a one-byte prefix before the payload (a
    /// session-mode data message's `m`): made once, on first need, for
    /// every subscriber that needs it.
    prefixed: OnceLock<PreparedMessage>,
}

/// A data message already encoded as a WebSocket frame. Cloning it, or
/// queueing it on a connection, shares the bytes. For connections that
/// agreed to permessage-deflate without server context takeover, the
/// compressed frame is also made once and shared.
#[derive(Debug, Clone)]
pub struct PreparedMessage(Arc<Inner>);

impl PreparedMessage {
    /// Encodes `message` once.
    pub fn new(message: impl Into<Message>) -> Self {
        let message = message.into();
        let frame = OutFrame::message(message.clone()).to_bytes();
        let (opcode, payload) = match message {
            Message::Text(text) => (OpCode::Text, text.into_bytes()),
            Message::Binary(data) => (OpCode::Binary, data),
        };
        Self(Arc::new(Inner {
            opcode,
            payload,
            frame,
            compressed: Mutex::new(Vec::new()),
            prefixed: OnceLock::new(),
        }))
    }

    /// The encoded, uncompressed frame.
    pub fn frame(&self) -> &Bytes {
        &self.0.frame
    }

    /// The message again (sharing its bytes), for a broker that carries
    /// it to other nodes.
    pub fn message(&self) -> Message {
        let payload = self.0.payload.clone();
        match self.0.opcode {
            OpCode::Text => Message::Text(super::Utf8Bytes::from_validated(payload)),
            _ => Message::Binary(payload),
        }
    }

    /// The message with `prefix` before its payload, of the same type,
    /// prepared once. One prefix per message: every caller gives the same
    /// (the sessions' data prefix).
    pub(crate) fn prefixed(&self, prefix: u8) -> &PreparedMessage {
        self.0.prefixed.get_or_init(|| {
            let mut bytes = bytes::BytesMut::with_capacity(1 + self.0.payload.len());
            bytes.extend_from_slice(&[prefix]);
            bytes.extend_from_slice(&self.0.payload);
            let bytes = bytes.freeze();
            PreparedMessage::new(match self.0.opcode {
                OpCode::Text => Message::Text(super::Utf8Bytes::from_validated(bytes)),
                _ => Message::Binary(bytes),
            })
        })
    }

    /// The message's opcode and payload.
    pub(crate) fn parts(&self) -> (OpCode, &Bytes) {
        (self.0.opcode, &self.0.payload)
    }

    /// The frame compressed with a fresh window under `params`, made on
    /// first use and shared afterwards.
    pub fn compressed_frame(&self, params: &DeflateParams) -> Bytes {
        let key = (params.level, params.server_max_window_bits);
        let mut compressed = self.0.compressed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, frame)) = compressed.iter().find(|(l, b, _)| (*l, *b) == key) {
            return frame.clone();
        }
        let payload = compress_shared(&self.0.payload, key.0, key.1);
        let frame = OutFrame::compressed(self.0.opcode, Bytes::from(payload)).to_bytes();
        compressed.push((key.0, key.1, frame.clone()));
        frame
    }

    /// Payload length, uncompressed.
    pub fn len(&self) -> usize {
        self.0.payload.len()
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.0.payload.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::deflate::DeflateConfig;

    fn params() -> DeflateParams {
        crate::ws::deflate::negotiate(["permessage-deflate"], &DeflateConfig::default()).unwrap().0
    }

    #[test]
    fn encodes_a_complete_frame() {
        let prepared = PreparedMessage::new("hi");
        assert_eq!(&prepared.frame()[..], b"\x81\x02hi");
    }

    #[test]
    fn compressed_frame_is_made_once_and_shared() {
        let prepared = PreparedMessage::new("hello hello hello hello hello hello");
        let a = prepared.compressed_frame(&params());
        let b = prepared.clone().compressed_frame(&params());
        assert_eq!(a.as_ptr(), b.as_ptr(), "the same bytes, compressed once");
        assert_eq!(a[0], 0xc1, "FIN, RSV1, text");
        assert!(a.len() < prepared.frame().len());
    }
}
