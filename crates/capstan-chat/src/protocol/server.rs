//! What the server sends: envelopes built from the chat's values.

use serde_json::{Value, json};

use crate::errors::Refusal;
use crate::message::{StoredMessage, bot_name};
use crate::rooms::{Change, Counts, PresenceEvent};
use crate::time::rfc3339;

/// `{"type": kind, "data": data}` as text.
pub fn envelope(kind: &str, data: Value) -> String {
    json!({ "type": kind, "data": data }).to_string()
}

/// A stored message as clients see it.
pub fn message_value(message: &StoredMessage) -> Value {
    let mut value = json!({
        "id": message.id,
        "room": message.room,
        "author": message.author,
        "content": message.content,
        "created": unix_seconds(message.created_ms),
        "created_at": rfc3339(message.created_ms),
    });
    if let Some(bot) = bot_name(&message.author) {
        value["author"] = json!(bot);
        value["bot"] = json!(true);
    }
    if let Some(client_id) = &message.client_id {
        value["client_id"] = json!(client_id);
    }
    value
}

/// A list of stored messages.
pub fn messages_value(messages: &[StoredMessage]) -> Value {
    Value::Array(messages.iter().map(message_value).collect())
}

/// What a bot said in `room` without keeping it (the server API's
/// publish with `skip_history`): shown, never in history, no id.
pub fn bot_notice(room: &str, bot: &str, content: &str, created_ms: i64) -> String {
    let data = json!({
        "room": room,
        "author": bot,
        "bot": true,
        "content": content,
        "created": unix_seconds(created_ms),
        "created_at": rfc3339(created_ms),
    });
    envelope("notice", data)
}

/// A time as the classic demo sent it: whole seconds since the Unix epoch.
pub fn unix_seconds(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// A message posted to a room.
pub fn message(message: &StoredMessage) -> String {
    envelope("message", message_value(message))
}

/// A direct message, to both its users.
pub fn direct(message: &StoredMessage, to: &str) -> String {
    let mut value = message_value(message);
    value["to"] = json!(to);
    envelope("direct", value)
}

/// The sender's acknowledgement: stored, with this id.
pub fn ack(message: &StoredMessage, duplicate: bool) -> String {
    let mut data = json!({ "id": message.id, "room": message.room, "duplicate": duplicate });
    if let Some(client_id) = &message.client_id {
        data["client_id"] = json!(client_id);
    }
    envelope("ack", data)
}

/// A refused request.
pub fn error(refusal: &Refusal) -> String {
    let mut data = json!({ "code": refusal.code.as_str(), "message": refusal.message });
    if let Some(kind) = &refusal.request_type {
        data["type"] = json!(kind);
    }
    if let Some(client_id) = &refusal.client_id {
        data["client_id"] = json!(client_id);
    }
    if let Some(room) = &refusal.room {
        data["room"] = json!(room);
    }
    envelope("error", data)
}

/// A notice for people.
pub fn info(message: &str) -> String {
    envelope("info", json!({ "message": message }))
}

/// Changes in who is in a room: `changes` in order, and how many members
/// the room has after them.
pub fn presence(room: &str, changes: &[Change], member_count: usize) -> String {
    let changes: Vec<Value> = changes
        .iter()
        .map(|change| {
            let mut value = json!({ "user": change.user, "event": change.event.as_str() });
            if let PresenceEvent::Rename { from } = &change.event {
                value["from"] = json!(from);
            }
            value
        })
        .collect();
    envelope("presence", json!({ "room": room, "changes": changes, "member_count": member_count }))
}

/// Changes in who is in a large room, counted, not named: a client reads
/// the list with `members`.
pub fn presence_counts(room: &str, counts: &Counts, member_count: usize) -> String {
    envelope(
        "presence",
        json!({
            "room": room,
            "member_count": member_count,
            "joined": counts.joined,
            "left": counts.left,
            "renamed": counts.renamed,
        }),
    )
}

/// Someone is (not) typing.
pub fn typing(room: &str, user: &str, active: bool) -> String {
    envelope("typing", json!({ "room": room, "user": user, "active": active }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorCode;

    fn stored() -> StoredMessage {
        StoredMessage {
            room: "general".into(),
            id: 7,
            author: "ann".into(),
            content: "<b>hi</b>".into(),
            created_ms: 0,
            client_id: Some("c1".into()),
        }
    }

    #[test]
    fn message_keeps_the_classic_fields() {
        let value: Value = serde_json::from_str(&message(&stored())).unwrap();
        assert_eq!(value["type"], "message");
        assert_eq!(value["data"]["content"], "<b>hi</b>");
        assert_eq!(value["data"]["author"], "ann");
        assert_eq!(value["data"]["created"], 0);
        assert_eq!(value["data"]["created_at"], "1970-01-01T00:00:00.000Z");
        assert_eq!(value["data"]["id"], 7);
        assert_eq!(value["data"]["client_id"], "c1");
    }

    #[test]
    fn presence_carries_the_changes_not_the_members() {
        let id = capstan::ConnId::from_raw(1);
        let changes = [
            Change { user: "ann".into(), event: PresenceEvent::Join, conn: id },
            Change {
                user: "bo".into(),
                event: PresenceEvent::Rename { from: "bob".into() },
                conn: id,
            },
        ];
        let value: Value = serde_json::from_str(&presence("general", &changes, 7)).unwrap();
        assert_eq!(
            value["data"],
            json!({
                "room": "general",
                "changes": [
                    { "user": "ann", "event": "join" },
                    { "user": "bo", "event": "rename", "from": "bob" },
                ],
                "member_count": 7,
            })
        );
    }

    #[test]
    fn error_names_code_type_and_client_id() {
        let refusal = Refusal::new(ErrorCode::RateLimited, "slow down")
            .for_type("message")
            .for_client_id(Some("c9"))
            .for_room("general");
        let value: Value = serde_json::from_str(&error(&refusal)).unwrap();
        assert_eq!(value["data"]["room"], "general");
        assert_eq!(value["data"]["code"], "rate_limited");
        assert_eq!(value["data"]["type"], "message");
        assert_eq!(value["data"]["client_id"], "c9");
    }
}
