//! A chat message as a kept publication carries it: the message without
//! its id (the engine gives the id: the stream offset, one gap-free
//! sequence per room across the cluster), as compact JSON.

use serde::{Deserialize, Serialize};

use crate::message::{NewMessage, StoredMessage};

/// The fields a kept room message carries.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    room: String,
    author: String,
    content: String,
    created_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
}

/// `message` as published.
pub fn encode(message: &NewMessage) -> String {
    let payload = Payload {
        room: message.room.clone(),
        author: message.author.clone(),
        content: message.content.clone(),
        created_ms: message.created_ms,
        client_id: message.client_id.clone(),
    };
    serde_json::to_string(&payload).expect("a payload always serializes")
}

/// The message a kept publication at `offset` is; `None` if it is not a
/// chat message (written by something else).
pub fn decode(text: &str, offset: u64) -> Option<StoredMessage> {
    let payload: Payload = serde_json::from_str(text).ok()?;
    Some(StoredMessage {
        room: payload.room,
        id: offset,
        author: payload.author,
        content: payload.content,
        created_ms: payload.created_ms,
        client_id: payload.client_id,
    })
}

/// The stored form of `message`, with the id the engine gave it.
pub fn stored(message: NewMessage, id: u64) -> StoredMessage {
    StoredMessage {
        room: message.room,
        id,
        author: message.author,
        content: message.content,
        created_ms: message.created_ms,
        client_id: message.client_id,
    }
}

/// The idempotency key of a message: a `client_id` counts per author and
/// room (the room is the topic already).
pub fn idempotency_key(message: &NewMessage) -> Option<String> {
    let client_id = message.client_id.as_ref()?;
    Some(format!("{}\u{1f}{client_id}", crate::names::name_key(&message.author)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_comes_back_with_the_id_the_engine_gave() {
        let message = NewMessage {
            room: "general".into(),
            author: "ann".into(),
            content: "hi \"there\"".into(),
            created_ms: 1_700_000_000_123,
            client_id: Some("c-1".into()),
        };
        let back = decode(&encode(&message), 42).unwrap();
        assert_eq!(back, stored(message.clone(), 42));
        assert_eq!(decode("not json", 1), None);
        assert_eq!(idempotency_key(&message).as_deref(), Some("ann\u{1f}c-1"));
        let without = NewMessage { client_id: None, ..message };
        assert!(!encode(&without).contains("client_id"));
        assert_eq!(idempotency_key(&without), None);
    }
}
