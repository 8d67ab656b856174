//! The upstream of the HTTP fallbacks (docs/SESSIONS.md §8.3): a POST's
//! JSON batch of data messages, numbered from `first`, and an optional
//! cumulative ack, read strictly: anything else is a protocol violation
//! named after the rule it breaks.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::Value;

use crate::resume::MAX_NUMBER;
use crate::ws::Message;

/// One POST's batch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Batch {
    /// The first message's number (0 when there is none).
    pub(crate) first: u64,
    /// The data messages, in order.
    pub(crate) messages: Vec<Message>,
    /// The client's cumulative acknowledgement, if given.
    pub(crate) ack: Option<u64>,
}

/// Why a body is not a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BatchError {
    /// The body is JSON (RFC 8259).
    NotJson,
    /// The body is one object.
    NotObject,
    /// Only `first`, `messages` and `ack` are fields of a batch.
    UnknownField(String),
    /// `first` and `ack` are integers from 0 to 2^53 − 1.
    NotNumber(&'static str),
    /// `messages` is an array.
    MessagesNotArray,
    /// A message is a string (text) or `{"b": "<base64>"}` (binary).
    BadMessage(usize),
    /// Messages are numbered from `first`, which is at least 1.
    MessagesWithoutFirst,
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson => f.write_str("the batch is not JSON"),
            Self::NotObject => f.write_str("the batch is not a JSON object"),
            Self::UnknownField(name) => write!(f, "unknown field {name:?} in the batch"),
            Self::NotNumber(field) => {
                write!(f, "{field} is not an integer from 0 to 2^53 - 1")
            }
            Self::MessagesNotArray => f.write_str("messages is not an array"),
            Self::BadMessage(index) => {
                write!(f, "message {index} is neither a string nor {{\"b\": base64}}")
            }
            Self::MessagesWithoutFirst => f.write_str("messages need first (from 1)"),
        }
    }
}

impl std::error::Error for BatchError {}

/// Reads a POST body.
pub(crate) fn parse(body: &[u8]) -> Result<Batch, BatchError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| BatchError::NotJson)?;
    let Value::Object(fields) = value else { return Err(BatchError::NotObject) };
    let mut batch = Batch::default();
    for (name, value) in fields {
        match name.as_str() {
            "first" => batch.first = number(&value, "first")?,
            "ack" => batch.ack = Some(number(&value, "ack")?),
            "messages" => {
                let Value::Array(items) = value else { return Err(BatchError::MessagesNotArray) };
                batch.messages = items
                    .into_iter()
                    .enumerate()
                    .map(|(index, item)| message(item).ok_or(BatchError::BadMessage(index)))
                    .collect::<Result<_, _>>()?;
            }
            _ => return Err(BatchError::UnknownField(name)),
        }
    }
    if !batch.messages.is_empty() && batch.first == 0 {
        return Err(BatchError::MessagesWithoutFirst);
    }
    Ok(batch)
}

fn number(value: &Value, field: &'static str) -> Result<u64, BatchError> {
    value.as_u64().filter(|n| *n <= MAX_NUMBER).ok_or(BatchError::NotNumber(field))
}

fn message(item: Value) -> Option<Message> {
    match item {
        Value::String(text) => Some(Message::text(text)),
        Value::Object(mut fields) if fields.len() == 1 => match fields.remove("b")? {
            Value::String(encoded) => {
                STANDARD.decode(encoded).ok().map(|bytes| Message::Binary(Bytes::from(bytes)))
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_of_text_and_binary_with_an_ack() {
        let batch = parse(br#"{"first":42,"messages":["hello",{"b":"AAEC"}],"ack":17}"#).unwrap();
        assert_eq!(batch.first, 42);
        assert_eq!(batch.ack, Some(17));
        assert_eq!(
            batch.messages,
            [Message::text("hello"), Message::Binary(Bytes::from_static(&[0, 1, 2]))]
        );
    }

    #[test]
    fn an_ack_alone_and_an_empty_object_are_batches() {
        assert_eq!(parse(br#"{"ack":3}"#).unwrap(), Batch { ack: Some(3), ..Batch::default() });
        assert_eq!(parse(b"{}").unwrap(), Batch::default());
    }

    #[test]
    fn every_broken_rule_is_named() {
        let cases: [(&[u8], BatchError); 10] = [
            (b"{nope", BatchError::NotJson),
            (b"[1]", BatchError::NotObject),
            (br#"{"first":1,"extra":0}"#, BatchError::UnknownField("extra".into())),
            (br#"{"first":-1}"#, BatchError::NotNumber("first")),
            (br#"{"ack":1.5}"#, BatchError::NotNumber("ack")),
            (br#"{"ack":9007199254740992}"#, BatchError::NotNumber("ack")),
            (br#"{"first":1,"messages":"x"}"#, BatchError::MessagesNotArray),
            (br#"{"first":1,"messages":["a",3]}"#, BatchError::BadMessage(1)),
            (br#"{"first":1,"messages":[{"b":"***"}]}"#, BatchError::BadMessage(0)),
            (br#"{"messages":["a"]}"#, BatchError::MessagesWithoutFirst),
        ];
        for (body, error) in cases {
            assert_eq!(parse(body), Err(error), "{}", String::from_utf8_lossy(body));
        }
    }
}
