//! What travels on a topic's channel: one line of text header, then the
//! message's bytes as published.
//!
//! ```text
//! c1 K <origin> <number> <op> <offset> <epoch>\n<payload>    a kept publication
//! c1 P <origin> <number> <op>\n<payload>                     a plain one
//! ```
//!
//! `c1` is the format's version; `origin` the publishing node's id and
//! `number` its own count of publications (so the origin knows its own
//! when they come back: it skips its plain ones, delivered at once, and
//! applies the `exclude` list of its kept ones); `op` is `t` (text) or `b`
//! (binary); a kept publication carries its place in the topic's stream.
//! The publish script writes `<offset> <epoch>` itself, after the header
//! the node gave it ([`Envelope::kept_header`]). Fields hold no spaces: ids
//! and epochs are hex.

use std::fmt;

use bytes::Bytes;
use capstan::Message;
use capstan::pubsub::Position;

/// The format's version, first in every header.
const VERSION: &str = "c1";

/// The longest header read: past it, the envelope is malformed.
const MAX_HEADER: usize = 256;

/// A publication as it came over pub/sub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    /// The publishing node's id.
    pub origin: String,
    /// The publishing node's number for it.
    pub number: u64,
    /// Its place in the stream, if kept.
    pub position: Option<Position>,
    /// The message.
    pub message: Message,
}

/// `t` or `b`: a message's kind in a header and in a stream entry.
pub(crate) fn opcode(message: &Message) -> &'static str {
    if message.is_text() { "t" } else { "b" }
}

/// The message an opcode and its bytes make.
pub(crate) fn message(op: &[u8], payload: Bytes) -> Result<Message, EnvelopeError> {
    match op {
        b"t" => capstan::Utf8Bytes::try_from_bytes(payload)
            .map(Message::Text)
            .map_err(|_| EnvelopeError::TextIsNotUtf8),
        b"b" => Ok(Message::Binary(payload)),
        _ => Err(EnvelopeError::UnknownOpcode),
    }
}

impl Envelope {
    /// The header of a kept publication, as the publish script takes it
    /// (it adds ` <offset> <epoch>\n` and the payload).
    pub(crate) fn kept_header(origin: &str, number: u64, message: &Message) -> String {
        format!("{VERSION} K {origin} {number} {}", opcode(message))
    }

    /// A plain publication, whole.
    pub(crate) fn plain(origin: &str, number: u64, message: &Message) -> Vec<u8> {
        let header = format!("{VERSION} P {origin} {number} {}\n", opcode(message));
        let mut envelope = Vec::with_capacity(header.len() + message.len());
        envelope.extend_from_slice(header.as_bytes());
        envelope.extend_from_slice(message.as_bytes());
        envelope
    }

    /// Reads an envelope; the payload shares `bytes`.
    pub(crate) fn decode(bytes: Bytes) -> Result<Envelope, EnvelopeError> {
        let end = bytes
            .iter()
            .take(MAX_HEADER)
            .position(|&b| b == b'\n')
            .ok_or(EnvelopeError::HeaderHasNoEnd)?;
        let header =
            std::str::from_utf8(&bytes[..end]).map_err(|_| EnvelopeError::HeaderIsNotText)?;
        let fields: Vec<&str> = header.split(' ').collect();
        if fields[0] != VERSION {
            return Err(EnvelopeError::UnknownVersion);
        }
        let expected = match fields.get(1) {
            Some(&"K") => 7,
            Some(&"P") => 5,
            _ => return Err(EnvelopeError::UnknownKind),
        };
        if fields.len() != expected {
            return Err(EnvelopeError::WrongFieldCount { expected, got: fields.len() });
        }
        if fields.iter().any(|f| f.is_empty()) {
            return Err(EnvelopeError::EmptyField);
        }
        let number = fields[3].parse().map_err(|_| EnvelopeError::NotANumber("number"))?;
        let position = if expected == 7 {
            let offset: u64 = fields[5].parse().map_err(|_| EnvelopeError::NotANumber("offset"))?;
            if offset == 0 {
                return Err(EnvelopeError::OffsetZero);
            }
            Some(Position::new(offset, fields[6]))
        } else {
            None
        };
        let message = message(fields[4].as_bytes(), bytes.slice(end + 1..))?;
        Ok(Envelope { origin: fields[2].to_owned(), number, position, message })
    }
}

/// An envelope rule a channel's message broke (it is dropped, and logged).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The header must end with a newline within 256 bytes.
    HeaderHasNoEnd,
    /// The header must be text.
    HeaderIsNotText,
    /// The header must begin with the version `c1`.
    UnknownVersion,
    /// The kind must be `K` (kept) or `P` (plain).
    UnknownKind,
    /// A kept header has 7 fields, a plain one 5.
    WrongFieldCount {
        /// How many the kind has.
        expected: usize,
        /// How many came.
        got: usize,
    },
    /// Fields are separated by one space and none is empty.
    EmptyField,
    /// The named field must be a decimal number.
    NotANumber(&'static str),
    /// Offsets begin at 1.
    OffsetZero,
    /// The opcode must be `t` (text) or `b` (binary).
    UnknownOpcode,
    /// A text message must be UTF-8.
    TextIsNotUtf8,
}

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HeaderHasNoEnd => f.write_str("no newline ends the header within 256 bytes"),
            Self::HeaderIsNotText => f.write_str("the header is not UTF-8 text"),
            Self::UnknownVersion => write!(f, "the header does not begin with {VERSION:?}"),
            Self::UnknownKind => f.write_str("the kind is neither K (kept) nor P (plain)"),
            Self::WrongFieldCount { expected, got } => {
                write!(f, "the header has {got} fields, not {expected}")
            }
            Self::EmptyField => f.write_str("a header field is empty"),
            Self::NotANumber(field) => write!(f, "the {field} is not a decimal number"),
            Self::OffsetZero => f.write_str("the offset is 0 (offsets begin at 1)"),
            Self::UnknownOpcode => f.write_str("the opcode is neither t (text) nor b (binary)"),
            Self::TextIsNotUtf8 => f.write_str("a text message is not UTF-8"),
        }
    }
}

impl std::error::Error for EnvelopeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_envelope_reads_back() {
        let bytes = Envelope::plain("ab12", 7, &Message::text("hi there"));
        assert_eq!(bytes, b"c1 P ab12 7 t\nhi there");
        let read = Envelope::decode(Bytes::from(bytes)).unwrap();
        assert_eq!(
            read,
            Envelope {
                origin: "ab12".into(),
                number: 7,
                position: None,
                message: Message::text("hi there")
            }
        );
    }

    #[test]
    fn a_kept_envelope_as_the_script_writes_it_reads_back() {
        let message = Message::binary(vec![0u8, b'\n', 255]);
        let mut bytes = Envelope::kept_header("n1", 3, &message).into_bytes();
        bytes.extend_from_slice(b" 42 e9\n");
        bytes.extend_from_slice(message.as_bytes());
        let read = Envelope::decode(Bytes::from(bytes)).unwrap();
        assert_eq!(read.position, Some(Position::new(42, "e9")));
        assert_eq!((read.origin.as_str(), read.number), ("n1", 3));
        assert_eq!(read.message, message, "newlines in the payload are payload");
    }

    #[test]
    fn each_broken_rule_is_named() {
        let bad = |bytes: &[u8]| Envelope::decode(Bytes::copy_from_slice(bytes)).unwrap_err();
        assert_eq!(bad(b"garbage"), EnvelopeError::HeaderHasNoEnd);
        assert_eq!(bad(&[b'x'; 300]), EnvelopeError::HeaderHasNoEnd);
        assert_eq!(bad(b"c2 P n 1 t\nx"), EnvelopeError::UnknownVersion);
        assert_eq!(bad(b"c1 Q n 1 t\nx"), EnvelopeError::UnknownKind);
        assert_eq!(bad(b"c1 K n 1 t\nx"), EnvelopeError::WrongFieldCount { expected: 7, got: 5 });
        assert_eq!(bad(b"c1 P n 1 t x\nx"), EnvelopeError::WrongFieldCount { expected: 5, got: 6 });
        assert_eq!(bad(b"c1 P n  t\nx"), EnvelopeError::EmptyField);
        assert_eq!(bad(b"c1 P n x t\nx"), EnvelopeError::NotANumber("number"));
        assert_eq!(bad(b"c1 K n 1 t 0 e\nx"), EnvelopeError::OffsetZero);
        assert_eq!(bad(b"c1 P n 1 z\nx"), EnvelopeError::UnknownOpcode);
        assert_eq!(bad(b"c1 P n 1 t\n\xff"), EnvelopeError::TextIsNotUtf8);
        assert_eq!(bad(b"c1 P n 1 t\xff\nx"), EnvelopeError::HeaderIsNotText);
    }
}
