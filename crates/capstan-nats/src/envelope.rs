//! A publication as it travels on NATS: who sent it, whether it is text or
//! binary, its place in the topic's history if it is kept, and the
//! message's bytes as published (not re-encoded).
//!
//! ```text
//! 0        version (1)
//! 1        kind: bit 0 binary (else text), bit 1 kept (else plain)
//! 2..18    the origin node's id
//! kept only:
//!   +8     the offset, u64 big-endian
//!   +2     the epoch's length n, u16 big-endian
//!   +n     the epoch, UTF-8
//! rest     the message's payload
//! ```
//!
//! Anything else is refused with a precise [`EnvelopeError`]: what came
//! from NATS is input, and input never panics.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};
use capstan::Message;
use capstan::Utf8Bytes;
use capstan::pubsub::Position;

use crate::node::NodeId;

const VERSION: u8 = 1;
const BINARY: u8 = 0b01;
const KEPT: u8 = 0b10;
/// Version, kind, origin.
const HEAD: usize = 2 + 16;
/// Offset and epoch length, after the head of a kept one.
const KEPT_HEAD: usize = 8 + 2;

/// One publication on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    /// The node that published it.
    pub origin: NodeId,
    /// Its place in the topic's history (kept publications only).
    pub position: Option<Position>,
    /// The message.
    pub message: Message,
}

/// Why bytes from NATS are not an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EnvelopeError {
    /// Shorter than its header says.
    Truncated { len: usize },
    /// A version this node does not read.
    Version(u8),
    /// Kind bits this node does not know.
    Kind(u8),
    /// The epoch is longer than a `u16` says (encoding only).
    EpochTooLong(usize),
    /// The epoch is not UTF-8.
    EpochNotUtf8,
    /// A text message that is not UTF-8.
    TextNotUtf8,
}

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { len } => write!(f, "truncated envelope ({len} bytes)"),
            Self::Version(v) => write!(f, "unknown envelope version {v}"),
            Self::Kind(k) => write!(f, "unknown envelope kind {k:#04x}"),
            Self::EpochTooLong(n) => write!(f, "epoch of {n} bytes is over 65535"),
            Self::EpochNotUtf8 => f.write_str("epoch is not UTF-8"),
            Self::TextNotUtf8 => f.write_str("text message is not UTF-8"),
        }
    }
}

impl std::error::Error for EnvelopeError {}

impl Envelope {
    /// Its bytes (the payload is copied once, into the NATS message).
    pub(crate) fn encode(&self) -> Result<Bytes, EnvelopeError> {
        let payload = self.message.as_bytes();
        let mut kind = if self.message.is_text() { 0 } else { BINARY };
        let epoch = self.position.as_ref().map(|p| p.epoch.as_bytes());
        let epoch_len = match epoch {
            Some(epoch) => {
                kind |= KEPT;
                u16::try_from(epoch.len()).map_err(|_| EnvelopeError::EpochTooLong(epoch.len()))?
            }
            None => 0,
        };
        let mut out = BytesMut::with_capacity(encoded_len(payload.len(), epoch.map(<[u8]>::len)));
        out.put_u8(VERSION);
        out.put_u8(kind);
        out.put_slice(&self.origin.0);
        if let (Some(position), Some(epoch)) = (&self.position, epoch) {
            out.put_u64(position.offset);
            out.put_u16(epoch_len);
            out.put_slice(epoch);
        }
        out.put_slice(payload);
        Ok(out.freeze())
    }

    /// Reads an envelope; its payload shares `bytes`.
    pub(crate) fn decode(bytes: Bytes) -> Result<Self, EnvelopeError> {
        let truncated = EnvelopeError::Truncated { len: bytes.len() };
        if bytes.len() < HEAD {
            return Err(truncated);
        }
        if bytes[0] != VERSION {
            return Err(EnvelopeError::Version(bytes[0]));
        }
        let kind = bytes[1];
        if kind & !(BINARY | KEPT) != 0 {
            return Err(EnvelopeError::Kind(kind));
        }
        let mut origin = [0; 16];
        origin.copy_from_slice(&bytes[2..HEAD]);
        let mut at = HEAD;
        let position = if kind & KEPT != 0 {
            let head = bytes.get(at..at + KEPT_HEAD).ok_or(truncated.clone())?;
            let offset = u64::from_be_bytes(head[..8].try_into().expect("8 bytes"));
            let epoch_len = usize::from(u16::from_be_bytes([head[8], head[9]]));
            at += KEPT_HEAD;
            let epoch = bytes.get(at..at + epoch_len).ok_or(truncated)?;
            let epoch = std::str::from_utf8(epoch).map_err(|_| EnvelopeError::EpochNotUtf8)?;
            at += epoch_len;
            Some(Position::new(offset, epoch))
        } else {
            None
        };
        let payload = bytes.slice(at..);
        let message = if kind & BINARY != 0 {
            Message::Binary(payload)
        } else {
            let text =
                Utf8Bytes::try_from_bytes(payload).map_err(|_| EnvelopeError::TextNotUtf8)?;
            Message::Text(text)
        };
        Ok(Self { origin: NodeId(origin), position, message })
    }
}

/// The length of an envelope for a payload of `payload` bytes, kept with
/// an epoch of `epoch` bytes or not kept.
pub(crate) fn encoded_len(payload: usize, epoch: Option<usize>) -> usize {
    HEAD + epoch.map_or(0, |epoch| KEPT_HEAD + epoch) + payload
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> NodeId {
        NodeId(*b"0123456789abcdef")
    }

    #[test]
    fn plain_and_kept_text_and_binary_round_trip() {
        let cases = [
            Envelope { origin: origin(), position: None, message: Message::text("héllo") },
            Envelope { origin: origin(), position: None, message: Message::binary(vec![0, 255]) },
            Envelope {
                origin: origin(),
                position: Some(Position::new(u64::MAX, "epoch-1")),
                message: Message::text(""),
            },
            Envelope {
                origin: origin(),
                position: Some(Position::new(7, "")),
                message: Message::binary(vec![1; 300]),
            },
        ];
        for envelope in cases {
            let bytes = envelope.encode().unwrap();
            let epoch = envelope.position.as_ref().map(|p| p.epoch.len());
            assert_eq!(bytes.len(), encoded_len(envelope.message.len(), epoch));
            assert_eq!(Envelope::decode(bytes).unwrap(), envelope);
        }
    }

    #[test]
    fn malformed_envelopes_are_refused_precisely() {
        let kept = Envelope {
            origin: origin(),
            position: Some(Position::new(3, "ep")),
            message: Message::text("x"),
        }
        .encode()
        .unwrap();
        let with = |at: usize, byte: u8| {
            let mut bytes = kept.to_vec();
            bytes[at] = byte;
            Bytes::from(bytes)
        };
        let decode = Envelope::decode;
        assert_eq!(decode(Bytes::new()), Err(EnvelopeError::Truncated { len: 0 }));
        assert_eq!(
            decode(Bytes::from_static(b"garbage")),
            Err(EnvelopeError::Truncated { len: 7 })
        );
        assert_eq!(decode(with(0, 9)), Err(EnvelopeError::Version(9)));
        assert_eq!(decode(with(1, 0x06)), Err(EnvelopeError::Kind(0x06)));
        assert_eq!(decode(kept.slice(..HEAD + 5)), Err(EnvelopeError::Truncated { len: HEAD + 5 }));
        // The epoch's length says more than there is.
        assert_eq!(decode(with(HEAD + 9, 200)), Err(EnvelopeError::Truncated { len: kept.len() }));
        assert_eq!(decode(with(HEAD + KEPT_HEAD, 0xFF)), Err(EnvelopeError::EpochNotUtf8));
        assert_eq!(decode(with(kept.len() - 1, 0xC3)), Err(EnvelopeError::TextNotUtf8));
        let long = Envelope {
            origin: origin(),
            position: Some(Position::new(1, "e".repeat(70_000))),
            message: Message::text("x"),
        };
        assert_eq!(long.encode(), Err(EnvelopeError::EpochTooLong(70_000)));
    }
}
