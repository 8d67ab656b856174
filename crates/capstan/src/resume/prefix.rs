//! The type byte every session-mode message starts with: `m` and the
//! application's payload (text stays text, binary stays binary), or `c`
//! and a control (text only). Reading strips it without copying (a slice
//! of the same `Bytes`); writing keeps it apart from the payload
//! ([`PrefixedData`]), so that a frame's head can carry it and the payload
//! stays the shared one.

use std::fmt;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::ws::{Message, Utf8Bytes};

/// The first byte of a data message.
pub const DATA: u8 = b'm';
/// The first byte of a control message.
pub const CONTROL: u8 = b'c';

/// A session-mode message, its prefix read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A data message: the application's payload, of the frame's type.
    Data(Message),
    /// A control: the JSON after the `c`.
    Control(Utf8Bytes),
}

/// Why a message is not a session-mode message (each closes with 4400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixError {
    /// Every message starts with its type byte: an empty one has none.
    Empty,
    /// The type byte is `m` or `c`.
    UnknownType(u8),
    /// A control is a text message.
    BinaryControl,
}

impl fmt::Display for PrefixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty message: no type prefix"),
            Self::UnknownType(byte) => write!(f, "unknown message type 0x{byte:02x}"),
            Self::BinaryControl => f.write_str("control message in a binary frame"),
        }
    }
}

impl std::error::Error for PrefixError {}

/// Reads a message's type byte and strips it (no copy: the same bytes,
/// advanced past it).
pub fn split(message: Message) -> Result<Incoming, PrefixError> {
    let first = *message.as_bytes().first().ok_or(PrefixError::Empty)?;
    let rest = |mut bytes: Bytes| {
        bytes.advance(1);
        bytes
    };
    match (first, message) {
        // The prefix is one ASCII byte: the rest is UTF-8 still.
        (DATA, Message::Text(text)) => {
            Ok(Incoming::Data(Message::Text(Utf8Bytes::from_validated(rest(text.into_bytes())))))
        }
        (DATA, Message::Binary(bytes)) => Ok(Incoming::Data(Message::Binary(rest(bytes)))),
        (CONTROL, Message::Text(text)) => {
            Ok(Incoming::Control(Utf8Bytes::from_validated(rest(text.into_bytes()))))
        }
        (CONTROL, Message::Binary(_)) => Err(PrefixError::BinaryControl),
        (other, _) => Err(PrefixError::UnknownType(other)),
    }
}

/// A data message on its way out: the prefix, then the payload as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixedData {
    message: Message,
}

impl PrefixedData {
    /// `message` as a session-mode data message.
    pub fn new(message: Message) -> Self {
        Self { message }
    }

    /// The bytes that go before the payload (in a frame's head, for a
    /// vectored write).
    pub fn prefix(&self) -> &'static [u8] {
        &[DATA]
    }

    /// The application's message (its payload shared, not copied).
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The payload length on the wire, prefix included.
    pub fn wire_len(&self) -> usize {
        1 + self.message.len()
    }

    /// One contiguous message, prefix and payload (one copy: for what needs
    /// a single buffer, such as a compressor fed once).
    pub fn to_message(&self) -> Message {
        let bytes = join(DATA, self.message.as_bytes());
        match &self.message {
            Message::Text(_) => Message::Text(Utf8Bytes::from_validated(bytes)),
            Message::Binary(_) => Message::Binary(bytes),
        }
    }
}

/// A control's JSON as a session-mode message.
pub fn control(json: &str) -> Message {
    Message::Text(Utf8Bytes::from_validated(join(CONTROL, json.as_bytes())))
}

fn join(prefix: u8, rest: &[u8]) -> Bytes {
    let mut bytes = BytesMut::with_capacity(1 + rest.len());
    bytes.put_u8(prefix);
    bytes.put_slice(rest);
    bytes.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_data_round_trips_and_stays_text() {
        for text in ["hello", "", "mm", "c{}", "héllo ✓"] {
            let out = PrefixedData::new(Message::text(text.to_owned())).to_message();
            assert!(out.is_text());
            assert_eq!(out.as_bytes()[0], b'm');
            assert_eq!(out.len(), 1 + text.len());
            assert_eq!(split(out), Ok(Incoming::Data(Message::text(text.to_owned()))));
        }
    }

    #[test]
    fn binary_data_round_trips_and_stays_binary() {
        for bytes in [&b"\x00\xff\x6d"[..], b"", b"c"] {
            let data = PrefixedData::new(Message::binary(bytes.to_vec()));
            assert_eq!(data.wire_len(), 1 + bytes.len());
            let out = data.to_message();
            assert!(!out.is_text());
            assert_eq!(out.as_bytes()[0], 0x6D);
            assert_eq!(split(out), Ok(Incoming::Data(Message::binary(bytes.to_vec()))));
        }
    }

    #[test]
    fn reading_strips_the_prefix_without_copying() {
        let wire = Bytes::from_static(b"mpayload");
        let Ok(Incoming::Data(Message::Binary(payload))) = split(Message::Binary(wire.clone()))
        else {
            panic!("a binary data message");
        };
        assert_eq!(payload.as_ptr(), wire[1..].as_ptr());
        let text = Utf8Bytes::from(String::from("c{\"ack\":1}"));
        let at = text.as_bytes()[1..].as_ptr();
        let Ok(Incoming::Control(json)) = split(Message::Text(text)) else { panic!("a control") };
        assert_eq!(json.as_str(), "{\"ack\":1}");
        assert_eq!(json.as_bytes().as_ptr(), at);
    }

    #[test]
    fn writing_keeps_the_payload_shared() {
        let payload = Bytes::from_static(b"shared");
        let data = PrefixedData::new(Message::Binary(payload.clone()));
        assert_eq!(data.prefix(), b"m");
        let Message::Binary(kept) = data.message() else { panic!("binary") };
        assert_eq!(kept.as_ptr(), payload.as_ptr());
    }

    #[test]
    fn a_control_is_text_with_its_prefix() {
        let message = control("{\"hb\":3}");
        assert_eq!(message, Message::text("c{\"hb\":3}"));
        assert_eq!(split(message), Ok(Incoming::Control(Utf8Bytes::from("{\"hb\":3}"))));
    }

    #[test]
    fn anything_else_is_refused() {
        assert_eq!(split(Message::text("")), Err(PrefixError::Empty));
        assert_eq!(split(Message::binary(Vec::new())), Err(PrefixError::Empty));
        assert_eq!(split(Message::text("hello")), Err(PrefixError::UnknownType(b'h')));
        assert_eq!(split(Message::text("M")), Err(PrefixError::UnknownType(b'M')));
        assert_eq!(split(Message::binary(vec![0xC3, 0xA9])), Err(PrefixError::UnknownType(0xC3)));
        assert_eq!(split(Message::binary(b"c{}".to_vec())), Err(PrefixError::BinaryControl));
    }
}
