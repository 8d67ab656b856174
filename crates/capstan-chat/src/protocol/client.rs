//! What clients send: envelopes parsed into commands, each failure named
//! with its error code.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::since::{RoomSince, Since};
use crate::errors::{ErrorCode, Refusal};

/// A request from a client, checked for shape (not yet for meaning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Take a name (or rename), join `general`, resume `rooms`.
    AddUser { username: String, session: Option<String>, rooms: BTreeMap<String, Since> },
    /// Change the name.
    RenameUser { username: String },
    /// Post to a room.
    Message { content: String, room: Option<String>, client_id: Option<String> },
    /// Join a room, catching up after an id (of an epoch).
    Join { room: String, after: Option<Since> },
    /// Leave a room.
    Leave { room: String },
    /// List the rooms, a page at a time.
    Rooms { after: Option<String>, limit: Option<u32> },
    /// List a room's members, a page at a time.
    Members { room: String, after: Option<String>, limit: Option<u32> },
    /// Stop receiving a user's messages.
    Block { user: String },
    /// Receive a blocked user's messages again.
    Unblock { user: String },
    /// Page through a room's history.
    History { room: String, before: Option<u64>, after: Option<u64>, limit: Option<u32> },
    /// Typing indicator.
    Typing { room: String, active: bool },
    /// A direct message.
    Direct { to: String, content: String, client_id: Option<String> },
}

impl Command {
    /// The envelope type of this command.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::AddUser { .. } => "add_user",
            Self::RenameUser { .. } => "rename_user",
            Self::Message { .. } => "message",
            Self::Join { .. } => "join",
            Self::Leave { .. } => "leave",
            Self::Rooms { .. } => "rooms",
            Self::Members { .. } => "members",
            Self::Block { .. } => "block",
            Self::Unblock { .. } => "unblock",
            Self::History { .. } => "history",
            Self::Typing { .. } => "typing",
            Self::Direct { .. } => "direct",
        }
    }
}

#[derive(Deserialize)]
struct AddUser {
    username: String,
    session: Option<String>,
    #[serde(default)]
    rooms: BTreeMap<String, RoomSince>,
}

#[derive(Deserialize)]
struct Username {
    username: String,
}

#[derive(Deserialize)]
struct Message {
    content: String,
    room: Option<String>,
    client_id: Option<String>,
}

#[derive(Deserialize)]
struct Join {
    room: String,
    after: Option<u64>,
    epoch: Option<String>,
}

#[derive(Deserialize)]
struct Room {
    room: String,
}

#[derive(Deserialize)]
struct Page {
    after: Option<String>,
    limit: Option<u32>,
}

#[derive(Deserialize)]
struct Members {
    room: String,
    after: Option<String>,
    limit: Option<u32>,
}

#[derive(Deserialize)]
struct User {
    user: String,
}

#[derive(Deserialize)]
struct History {
    room: String,
    before: Option<u64>,
    after: Option<u64>,
    limit: Option<u32>,
}

#[derive(Deserialize)]
struct Typing {
    room: String,
    active: bool,
}

#[derive(Deserialize)]
struct Direct {
    to: String,
    content: String,
    client_id: Option<String>,
}

/// Parses one text message into a command.
pub fn parse(text: &str) -> Result<Command, Refusal> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Refusal::new(ErrorCode::InvalidJson, format!("not JSON: {e}")))?;
    let Value::Object(mut envelope) = value else {
        return Err(Refusal::new(ErrorCode::InvalidEnvelope, "expected an object"));
    };
    let Some(Value::String(kind)) = envelope.remove("type") else {
        return Err(Refusal::new(ErrorCode::InvalidEnvelope, "expected a string \"type\""));
    };
    let data = match envelope.remove("data") {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(data @ Value::Object(_)) => data,
        Some(_) => {
            let refusal = Refusal::new(ErrorCode::InvalidEnvelope, "\"data\" must be an object");
            return Err(refusal.for_type(&kind));
        }
    };
    let command = match kind.as_str() {
        "add_user" => fields(data, &kind).map(|d: AddUser| Command::AddUser {
            username: d.username,
            session: d.session,
            rooms: d.rooms.into_iter().map(|(room, since)| (room, since.into())).collect(),
        }),
        "rename_user" => {
            fields(data, &kind).map(|d: Username| Command::RenameUser { username: d.username })
        }
        "message" => fields(data, &kind).map(|d: Message| Command::Message {
            content: d.content,
            room: d.room,
            client_id: d.client_id,
        }),
        "join" => fields(data, &kind).and_then(|d: Join| match (d.after, d.epoch) {
            (None, Some(_)) => {
                let message = "\"epoch\" goes with \"after\": the last id seen in it";
                Err(Refusal::new(ErrorCode::InvalidField, message).for_type(&kind))
            }
            (after, epoch) => {
                Ok(Command::Join { room: d.room, after: after.map(|after| Since { after, epoch }) })
            }
        }),
        "leave" => fields(data, &kind).map(|d: Room| Command::Leave { room: d.room }),
        "rooms" => {
            fields(data, &kind).map(|d: Page| Command::Rooms { after: d.after, limit: d.limit })
        }
        "members" => fields(data, &kind).map(|d: Members| Command::Members {
            room: d.room,
            after: d.after,
            limit: d.limit,
        }),
        "block" => fields(data, &kind).map(|d: User| Command::Block { user: d.user }),
        "unblock" => fields(data, &kind).map(|d: User| Command::Unblock { user: d.user }),
        "history" => fields(data, &kind).and_then(|d: History| {
            if d.before.is_some() && d.after.is_some() {
                let message = "give \"before\" or \"after\", not both";
                return Err(Refusal::new(ErrorCode::InvalidField, message).for_type(&kind));
            }
            Ok(Command::History { room: d.room, before: d.before, after: d.after, limit: d.limit })
        }),
        "typing" => {
            fields(data, &kind).map(|d: Typing| Command::Typing { room: d.room, active: d.active })
        }
        "direct" => fields(data, &kind).map(|d: Direct| Command::Direct {
            to: d.to,
            content: d.content,
            client_id: d.client_id,
        }),
        _ => {
            let refusal = Refusal::new(ErrorCode::UnknownType, format!("unknown type {kind:?}"));
            return Err(refusal.for_type(&kind));
        }
    }?;
    Ok(command)
}

/// A request's data, with the names of its fields: serde_json names a
/// missing field in its error, but not a field of the wrong type.
trait Fields: DeserializeOwned {
    const NAMES: &'static [&'static str];
}

impl Fields for AddUser {
    const NAMES: &'static [&'static str] = &["username", "session", "rooms"];
}

impl Fields for Username {
    const NAMES: &'static [&'static str] = &["username"];
}

impl Fields for Message {
    const NAMES: &'static [&'static str] = &["content", "room", "client_id"];
}

impl Fields for Join {
    const NAMES: &'static [&'static str] = &["room", "after", "epoch"];
}

impl Fields for Room {
    const NAMES: &'static [&'static str] = &["room"];
}

impl Fields for Page {
    const NAMES: &'static [&'static str] = &["after", "limit"];
}

impl Fields for Members {
    const NAMES: &'static [&'static str] = &["room", "after", "limit"];
}

impl Fields for User {
    const NAMES: &'static [&'static str] = &["user"];
}

impl Fields for History {
    const NAMES: &'static [&'static str] = &["room", "before", "after", "limit"];
}

impl Fields for Typing {
    const NAMES: &'static [&'static str] = &["room", "active"];
}

impl Fields for Direct {
    const NAMES: &'static [&'static str] = &["to", "content", "client_id"];
}

fn fields<T: Fields>(data: Value, kind: &str) -> Result<T, Refusal> {
    T::deserialize(&data).map_err(|e| {
        let message = match mistyped::<T>(&data) {
            Some(field) => format!("{kind}: {field}: {e}"),
            None => format!("{kind}: {e}"),
        };
        let client_id = data.get("client_id").and_then(Value::as_str);
        Refusal::new(ErrorCode::InvalidField, message).for_type(kind).for_client_id(client_id)
    })
}

/// The field present in `data` whose value alone makes it fail: without
/// it, `data` is fine or only misses it.
fn mistyped<T: Fields>(data: &Value) -> Option<&'static str> {
    T::NAMES.iter().copied().find(|name| {
        let mut without = data.clone();
        if without.as_object_mut().and_then(|o| o.remove(*name)).is_none() {
            return false;
        }
        match T::deserialize(&without) {
            Ok(_) => true,
            Err(e) => e.to_string() == format!("missing field `{name}`"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> ErrorCode {
        parse(text).unwrap_err().code
    }

    #[test]
    fn classic_demo_messages_parse() {
        assert_eq!(
            parse(r#"{"type":"add_user","data":{"username":"ann"}}"#).unwrap(),
            Command::AddUser { username: "ann".into(), session: None, rooms: BTreeMap::new() }
        );
        assert_eq!(
            parse(r#"{"type":"message","data":{"content":"hi"}}"#).unwrap(),
            Command::Message { content: "hi".into(), room: None, client_id: None }
        );
        assert_eq!(
            parse(r#"{"type":"rename_user","data":{"username":"bo"}}"#).unwrap(),
            Command::RenameUser { username: "bo".into() }
        );
    }

    #[test]
    fn extended_messages_parse() {
        let resume =
            r#"{"type":"add_user","data":{"username":"a","session":"s","rooms":{"general":4}}}"#;
        let Command::AddUser { rooms, session, .. } = parse(resume).unwrap() else { panic!() };
        assert_eq!(session.as_deref(), Some("s"));
        assert_eq!(rooms.get("general"), Some(&Since::id(4)));
        let with_epoch =
            r#"{"type":"add_user","data":{"username":"a","rooms":{"r":{"after":4,"epoch":"e1"}}}}"#;
        let Command::AddUser { rooms, .. } = parse(with_epoch).unwrap() else { panic!() };
        assert_eq!(rooms.get("r"), Some(&Since { after: 4, epoch: Some("e1".into()) }));
        let bad = r#"{"type":"add_user","data":{"username":"a","rooms":{"r":{"epoch":"e1"}}}}"#;
        assert_eq!(code(bad), ErrorCode::InvalidField);
        assert_eq!(
            parse(r#"{"type":"join","data":{"room":"r","after":3,"epoch":"e2"}}"#).unwrap(),
            Command::Join {
                room: "r".into(),
                after: Some(Since { after: 3, epoch: Some("e2".into()) })
            }
        );
        assert_eq!(
            parse(r#"{"type":"join","data":{"room":"r","after":3}}"#).unwrap(),
            Command::Join { room: "r".into(), after: Some(Since::id(3)) }
        );
        assert_eq!(
            code(r#"{"type":"join","data":{"room":"r","epoch":"e2"}}"#),
            ErrorCode::InvalidField
        );
        assert_eq!(
            parse(r#"{"type":"rooms"}"#).unwrap(),
            Command::Rooms { after: None, limit: None }
        );
        assert_eq!(
            parse(r#"{"type":"rooms","data":{"after":"b","limit":5}}"#).unwrap(),
            Command::Rooms { after: Some("b".into()), limit: Some(5) }
        );
        assert_eq!(
            parse(r#"{"type":"members","data":{"room":"r","after":"ann"}}"#).unwrap(),
            Command::Members { room: "r".into(), after: Some("ann".into()), limit: None }
        );
        assert_eq!(
            parse(r#"{"type":"block","data":{"user":"eve"}}"#).unwrap(),
            Command::Block { user: "eve".into() }
        );
        assert_eq!(
            parse(r#"{"type":"unblock","data":{"user":"eve"}}"#).unwrap(),
            Command::Unblock { user: "eve".into() }
        );
        assert_eq!(code(r#"{"type":"block","data":{}}"#), ErrorCode::InvalidField);
        assert_eq!(
            parse(r#"{"type":"typing","data":{"room":"r","active":true}}"#).unwrap(),
            Command::Typing { room: "r".into(), active: true }
        );
    }

    #[test]
    fn unknown_fields_are_ignored() {
        assert!(parse(r#"{"type":"message","data":{"content":"x","color":"red"},"v":2}"#).is_ok());
    }

    #[test]
    fn each_malformed_envelope_has_its_code() {
        assert_eq!(code("{not json"), ErrorCode::InvalidJson);
        assert_eq!(code("[1,2]"), ErrorCode::InvalidEnvelope);
        assert_eq!(code(r#"{"data":{}}"#), ErrorCode::InvalidEnvelope);
        assert_eq!(code(r#"{"type":5}"#), ErrorCode::InvalidEnvelope);
        assert_eq!(code(r#"{"type":"message","data":"hi"}"#), ErrorCode::InvalidEnvelope);
        assert_eq!(code(r#"{"type":"shout","data":{}}"#), ErrorCode::UnknownType);
    }

    #[test]
    fn missing_and_mistyped_fields_are_invalid_field() {
        let missing = parse(r#"{"type":"message","data":{}}"#).unwrap_err();
        assert_eq!(missing.code, ErrorCode::InvalidField);
        assert!(missing.message.contains("content"), "{}", missing.message);
        assert_eq!(missing.request_type.as_deref(), Some("message"));
        let mistyped = parse(r#"{"type":"message","data":{"content":7,"client_id":"c1"}}"#);
        let mistyped = mistyped.unwrap_err();
        assert_eq!(mistyped.code, ErrorCode::InvalidField);
        assert!(mistyped.message.contains("content"), "{}", mistyped.message);
        assert_eq!(mistyped.client_id.as_deref(), Some("c1"));
        let room = parse(r#"{"type":"message","data":{"content":"x","room":1}}"#).unwrap_err();
        assert!(room.message.contains("room"), "{}", room.message);
        assert_eq!(
            code(r#"{"type":"join","data":{"room":"a","after":-1}}"#),
            ErrorCode::InvalidField
        );
        assert_eq!(
            code(r#"{"type":"history","data":{"room":"a","before":3,"after":1}}"#),
            ErrorCode::InvalidField
        );
    }
}
