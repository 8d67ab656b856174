//! Why a message could not be read: what the router answers with ABORT
//! `wamp.error.protocol_violation` (or ERROR, once a session is open).

use std::fmt;

/// A message that breaks WAMP v2's message rules.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes are not a value of the serializer (bad JSON, msgpack, CBOR).
    Malformed(String),
    /// A message must be a non-empty list.
    NotAList,
    /// The first element must be a known message code.
    UnknownCode(String),
    /// The number of elements does not fit the message.
    Arity {
        /// The message's name.
        message: &'static str,
        /// Elements received, the code included.
        len: usize,
    },
    /// A field has the wrong type.
    FieldType {
        /// The message's name.
        message: &'static str,
        /// The field's name in the spec.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What it was.
        found: &'static str,
    },
    /// An ID outside 1..=2^53.
    IdOutOfRange {
        /// The message's name.
        message: &'static str,
        /// The field's name in the spec.
        field: &'static str,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "not a valid message: {why}"),
            Self::NotAList => f.write_str("a message must be a non-empty list"),
            Self::UnknownCode(code) => write!(f, "unknown message type {code}"),
            Self::Arity { message, len } => {
                write!(f, "{message} cannot have {len} elements")
            }
            Self::FieldType { message, field, expected, found } => {
                write!(f, "{message}: {field} must be {expected}, not {found}")
            }
            Self::IdOutOfRange { message, field } => {
                write!(f, "{message}: {field} must be an ID from 1 to 2^53")
            }
        }
    }
}

impl std::error::Error for DecodeError {}
