//! The nine messages of WAMP v1, as values of [`Message`], read from and
//! written to their JSON list form `[TYPE_ID, field, …]`. Reading checks the
//! arity and the type of every field ([`DecodeError`] names the message,
//! the field and what it must be); URIs are taken as they come (a CURIE is
//! expanded by the receiving [`Session`](super::Session), not here).

use super::error::DecodeError;
use super::{decode, encode, json};
use crate::value::Value;

/// A message's type: the number in its first element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// 0, server to client: the session is open.
    Welcome = 0,
    /// 1, either way: a CURIE prefix for a URI.
    Prefix = 1,
    /// 2, client to server: a remote procedure call.
    Call = 2,
    /// 3, server to client: a call's result.
    CallResult = 3,
    /// 4, server to client: a call's error.
    CallError = 4,
    /// 5, client to server: subscribe to a topic.
    Subscribe = 5,
    /// 6, client to server: unsubscribe from a topic.
    Unsubscribe = 6,
    /// 7, client to server: publish an event to a topic.
    Publish = 7,
    /// 8, server to client: an event published to a subscribed topic.
    Event = 8,
}

impl MessageType {
    /// Every type, by number.
    pub const ALL: [MessageType; 9] = [
        Self::Welcome,
        Self::Prefix,
        Self::Call,
        Self::CallResult,
        Self::CallError,
        Self::Subscribe,
        Self::Unsubscribe,
        Self::Publish,
        Self::Event,
    ];

    /// The type numbered `n`, if any.
    pub fn from_number(n: u64) -> Option<Self> {
        usize::try_from(n).ok().and_then(|n| Self::ALL.get(n).copied())
    }

    /// Its number on the wire.
    pub fn number(self) -> u64 {
        self as u64
    }

    /// Its name in the spec (for error messages).
    pub fn name(self) -> &'static str {
        match self {
            Self::Welcome => "WELCOME",
            Self::Prefix => "PREFIX",
            Self::Call => "CALL",
            Self::CallResult => "CALLRESULT",
            Self::CallError => "CALLERROR",
            Self::Subscribe => "SUBSCRIBE",
            Self::Unsubscribe => "UNSUBSCRIBE",
            Self::Publish => "PUBLISH",
            Self::Event => "EVENT",
        }
    }

    /// Whether a client may send it (PREFIX goes both ways).
    pub fn is_sent_by_clients(self) -> bool {
        matches!(
            self,
            Self::Prefix | Self::Call | Self::Subscribe | Self::Unsubscribe | Self::Publish
        )
    }
}

/// Who of a topic's subscribers a PUBLISH leaves out, as the client wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Exclude {
    /// Not given: `[7, topicURI, event]`. Ratchet (and so Capstan) excludes
    /// nobody then; autobahn's own v1 router excluded the publisher.
    #[default]
    Unspecified,
    /// `excludeMe`: `true` leaves the publisher out, `false` nobody. A
    /// `null` here (what autobahn-python 0.8 sends when its `excludeMe` is
    /// not given) reads as `false`.
    Me(bool),
    /// These session IDs.
    Sessions(Vec<String>),
}

/// A WAMP v1 message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// `[0, sessionId, protocolVersion, serverIdent]`.
    Welcome {
        /// The session's ID, chosen by the server.
        session_id: String,
        /// Always 1.
        protocol_version: u64,
        /// The server's name and version ("Capstan/0.1.0").
        server_ident: String,
    },
    /// `[1, prefix, URI]`: `prefix:rest` stands for `URI` + `rest` from now on.
    Prefix {
        /// The CURIE prefix.
        prefix: String,
        /// The URI it stands for.
        uri: String,
    },
    /// `[2, callID, procURI, arg, …]`.
    Call {
        /// The client's ID for the call, echoed in its answer.
        call_id: String,
        /// The procedure (URI or CURIE).
        proc_uri: String,
        /// The arguments, as many as given.
        args: Vec<Value>,
    },
    /// `[3, callID, result]`.
    CallResult {
        /// The call answered.
        call_id: String,
        /// Its result.
        result: Value,
    },
    /// `[4, callID, errorURI, errorDesc]` or `[4, callID, errorURI, errorDesc, errorDetails]`.
    CallError {
        /// The call answered.
        call_id: String,
        /// The error's URI.
        error_uri: String,
        /// For developers.
        error_desc: String,
        /// Application details, if any.
        error_details: Option<Value>,
    },
    /// `[5, topicURI]`.
    Subscribe {
        /// The topic (URI or CURIE).
        topic_uri: String,
    },
    /// `[6, topicURI]`.
    Unsubscribe {
        /// The topic (URI or CURIE).
        topic_uri: String,
    },
    /// `[7, topicURI, event]`, `[7, topicURI, event, excludeMe]`,
    /// `[7, topicURI, event, exclude]` or `[7, topicURI, event, exclude, eligible]`.
    Publish {
        /// The topic (URI or CURIE).
        topic_uri: String,
        /// The event.
        event: Value,
        /// Who is left out.
        exclude: Exclude,
        /// Who alone may receive it, if given (the fifth element).
        eligible: Option<Vec<String>>,
    },
    /// `[8, topicURI, event]`.
    Event {
        /// The topic.
        topic_uri: String,
        /// The event.
        event: Value,
    },
}

impl Message {
    /// The message's type.
    pub fn message_type(&self) -> MessageType {
        match self {
            Self::Welcome { .. } => MessageType::Welcome,
            Self::Prefix { .. } => MessageType::Prefix,
            Self::Call { .. } => MessageType::Call,
            Self::CallResult { .. } => MessageType::CallResult,
            Self::CallError { .. } => MessageType::CallError,
            Self::Subscribe { .. } => MessageType::Subscribe,
            Self::Unsubscribe { .. } => MessageType::Unsubscribe,
            Self::Publish { .. } => MessageType::Publish,
            Self::Event { .. } => MessageType::Event,
        }
    }

    /// Reads a message from JSON text.
    pub fn parse(text: &str) -> Result<Self, DecodeError> {
        Self::from_value(json::parse(text).map_err(DecodeError::NotJson)?)
    }

    /// Reads a message from its list form.
    pub fn from_value(value: Value) -> Result<Self, DecodeError> {
        decode::message(value)
    }

    /// Its list form.
    pub fn to_value(&self) -> Value {
        encode::message(self)
    }

    /// Its JSON text, as sent in a WebSocket text message.
    pub fn to_text(&self) -> String {
        json::to_text(&self.to_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_numbered_as_in_the_spec() {
        for (n, kind) in MessageType::ALL.iter().enumerate() {
            assert_eq!(MessageType::from_number(n as u64), Some(*kind));
            assert_eq!(kind.number(), n as u64);
        }
        assert_eq!(MessageType::from_number(9), None);
        assert_eq!(MessageType::from_number(u64::MAX), None);
        let from_clients: Vec<_> =
            MessageType::ALL.iter().filter(|t| t.is_sent_by_clients()).map(|t| t.name()).collect();
        assert_eq!(from_clients, ["PREFIX", "CALL", "SUBSCRIBE", "UNSUBSCRIBE", "PUBLISH"]);
    }
}
