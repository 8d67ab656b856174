//! The serializers of WAMP v2 over WebSocket, one per subprotocol:
//! `wamp.2.json` in text frames, `wamp.2.msgpack` and `wamp.2.cbor` in
//! binary frames. Each turns a [`Message`]'s list form into bytes and back.

mod cbor;
mod json;
mod msgpack;

use std::fmt;

use crate::message::{DecodeError, Message};
use crate::value::Value;

/// A WAMP v2 serializer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Serializer {
    /// `wamp.2.json`: JSON text; bytes as a string of `\0` then base64.
    Json,
    /// `wamp.2.msgpack`: MessagePack, in binary frames.
    MsgPack,
    /// `wamp.2.cbor`: CBOR, in binary frames.
    Cbor,
}

/// A message that cannot be written by a serializer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SerializeError {
    /// JSON has no NaN or infinity.
    NonFiniteFloat,
}

impl fmt::Display for SerializeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NonFiniteFloat => f.write_str("JSON cannot carry NaN or an infinity"),
        }
    }
}

impl std::error::Error for SerializeError {}

impl Serializer {
    /// Every serializer, in the order a server prefers them.
    pub const ALL: [Serializer; 3] = [Serializer::Json, Serializer::MsgPack, Serializer::Cbor];

    /// The WebSocket subprotocol that names it.
    pub fn subprotocol(self) -> &'static str {
        match self {
            Self::Json => "wamp.2.json",
            Self::MsgPack => "wamp.2.msgpack",
            Self::Cbor => "wamp.2.cbor",
        }
    }

    /// The serializer a subprotocol names, if any.
    pub fn from_subprotocol(protocol: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.subprotocol() == protocol)
    }

    /// Whether its messages go in binary frames.
    pub fn is_binary(self) -> bool {
        !matches!(self, Self::Json)
    }

    /// `message` as a WebSocket message of this serializer.
    pub fn encode(self, message: &Message) -> Result<capstan::Message, SerializeError> {
        self.encode_value(&message.to_value())
    }

    /// A value (a message's list form) as a WebSocket message.
    pub fn encode_value(self, value: &Value) -> Result<capstan::Message, SerializeError> {
        Ok(match self {
            Self::Json => capstan::Message::text(json::to_string(value)?),
            Self::MsgPack => capstan::Message::binary(msgpack::to_bytes(value)),
            Self::Cbor => capstan::Message::binary(cbor::to_bytes(value)),
        })
    }

    /// Reads a message from a WebSocket message of this serializer.
    pub fn decode(self, message: &capstan::Message) -> Result<Message, DecodeError> {
        Message::from_value(self.decode_value(message)?)
    }

    /// Reads a value from a WebSocket message of this serializer.
    pub fn decode_value(self, message: &capstan::Message) -> Result<Value, DecodeError> {
        match (self, message.as_text()) {
            (Self::Json, Some(text)) => json::from_str(text),
            (Self::Json, None) => {
                Err(DecodeError::Malformed("wamp.2.json messages are text frames".into()))
            }
            (_, Some(_)) => Err(DecodeError::Malformed(format!(
                "{} messages are binary frames",
                self.subprotocol()
            ))),
            (Self::MsgPack, None) => msgpack::from_slice(message.as_bytes()),
            (Self::Cbor, None) => cbor::from_slice(message.as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests;
