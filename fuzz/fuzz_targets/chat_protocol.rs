//! The chat's client protocol: `protocol::parse` on arbitrary text, and the
//! name rules (`names::user_name`, `Room::parse`, `content`, `client_id`)
//! on every field of what parses and on the text itself. Nothing may panic,
//! and:
//! - a parsed command's `type_name` is the envelope's `type`, and the
//!   command written back as an envelope parses to the same command;
//! - a refusal is one of the parse-level codes, names the envelope's type
//!   when it gives one, and its error envelope is valid JSON;
//! - a valid user name is 1-32 characters, without white space at its
//!   ends, control characters or `|`, and is kept as it is when checked
//!   again (normalizing is idempotent); it clashes with itself; a valid
//!   room's name is the text it was parsed from, and parses again to the
//!   same room.
#![no_main]

use capstan_chat::content;
use capstan_chat::errors::ErrorCode;
use capstan_chat::names::{self, MAX_NAME_CHARS, NameKey};
use capstan_chat::protocol::{self, Command};
use capstan_chat::room::{MAX_ROOM_CHARS, Room};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    check_names(text);
    for line in text.lines().take(8) {
        check_names(line);
    }

    match protocol::parse(text) {
        Ok(command) => {
            let envelope: Value = serde_json::from_str(text).expect("parsed, so JSON");
            assert_eq!(
                envelope.get("type").and_then(Value::as_str),
                Some(command.type_name()),
                "type_name differs from the envelope's type"
            );
            let again = protocol::parse(&to_envelope(&command).to_string())
                .expect("a command written back must parse");
            assert_eq!(again, command, "the command does not round-trip");
            for field in fields(&command) {
                check_names(field);
            }
        }
        Err(refusal) => {
            assert!(
                matches!(
                    refusal.code,
                    ErrorCode::InvalidJson
                        | ErrorCode::InvalidEnvelope
                        | ErrorCode::UnknownType
                        | ErrorCode::InvalidField
                ),
                "parse refused with {:?}",
                refusal.code
            );
            assert!(!refusal.message.is_empty());
            if let Some(kind) = &refusal.request_type {
                let envelope: Value = serde_json::from_str(text).expect("a type, so JSON");
                assert_eq!(envelope.get("type").and_then(Value::as_str), Some(kind.as_str()));
            }
            let error: Value = serde_json::from_str(&protocol::server::error(&refusal))
                .expect("the error envelope is JSON");
            assert_eq!(error["type"], "error");
            assert_eq!(error["data"]["code"], refusal.code.as_str());
        }
    }
});

/// The envelope a client would send for `command`.
fn to_envelope(command: &Command) -> Value {
    let data = match command {
        Command::AddUser { username, session, rooms } => {
            let rooms: serde_json::Map<String, Value> =
                rooms.iter().map(|(room, since)| (room.clone(), room_since(since))).collect();
            json!({ "username": username, "session": session, "rooms": rooms })
        }
        Command::RenameUser { username } => json!({ "username": username }),
        Command::Message { content, room, client_id } => {
            json!({ "content": content, "room": room, "client_id": client_id })
        }
        Command::Join { room, after } => {
            let epoch = after.as_ref().and_then(|since| since.epoch.as_deref());
            json!({ "room": room, "after": after.as_ref().map(|since| since.after), "epoch": epoch })
        }
        Command::Leave { room } => json!({ "room": room }),
        Command::Rooms { after, limit } => json!({ "after": after, "limit": limit }),
        Command::Members { room, after, limit } => {
            json!({ "room": room, "after": after, "limit": limit })
        }
        Command::Block { user } | Command::Unblock { user } => json!({ "user": user }),
        Command::History { room, before, after, limit } => {
            json!({ "room": room, "before": before, "after": after, "limit": limit })
        }
        Command::Typing { room, active } => json!({ "room": room, "active": active }),
        Command::Direct { to, content, client_id } => {
            json!({ "to": to, "content": content, "client_id": client_id })
        }
    };
    json!({ "type": command.type_name(), "data": data })
}

/// A resume point as `add_user`'s `rooms` carries it: the bare last id, or
/// with its epoch.
fn room_since(since: &protocol::Since) -> Value {
    match &since.epoch {
        None => json!(since.after),
        Some(epoch) => json!({ "after": since.after, "epoch": epoch }),
    }
}

/// Every string a command carries.
fn fields(command: &Command) -> Vec<&str> {
    let mut out = Vec::new();
    match command {
        Command::AddUser { username, session, rooms } => {
            out.push(username.as_str());
            out.extend(session.as_deref());
            out.extend(rooms.keys().map(String::as_str));
            out.extend(rooms.values().filter_map(|since| since.epoch.as_deref()));
        }
        Command::RenameUser { username } => out.push(username),
        Command::Message { content, room, client_id } => {
            out.push(content);
            out.extend(room.as_deref());
            out.extend(client_id.as_deref());
        }
        Command::Join { room, after } => {
            out.push(room);
            out.extend(after.as_ref().and_then(|since| since.epoch.as_deref()));
        }
        Command::Leave { room } => out.push(room),
        Command::Rooms { after, .. } => out.extend(after.as_deref()),
        Command::Members { room, after, .. } => {
            out.push(room);
            out.extend(after.as_deref());
        }
        Command::Block { user } | Command::Unblock { user } => out.push(user),
        Command::History { room, .. } | Command::Typing { room, .. } => out.push(room),
        Command::Direct { to, content, client_id } => {
            out.extend([to.as_str(), content.as_str()]);
            out.extend(client_id.as_deref());
        }
    }
    out
}

fn check_names(raw: &str) {
    if let Ok(name) = names::user_name(raw) {
        assert_eq!(name, name.trim(), "white space at the ends of {name:?}");
        assert!(!name.is_empty());
        let key = NameKey::of(&name);
        assert!(key.clashes_with(&NameKey::of(&name)));
        assert!(name.chars().count() <= MAX_NAME_CHARS);
        assert!(!name.chars().any(char::is_control), "{name:?}");
        assert!(!name.contains('|'));
        assert_eq!(names::user_name(&name).ok().as_ref(), Some(&name), "not idempotent");
    }
    if let Ok(room) = Room::parse(raw) {
        assert_eq!(room.name(), raw, "a room's name is not the text it came from");
        assert_eq!(Room::parse(&room.name()).ok().as_ref(), Some(&room));
        match &room {
            Room::Public(name) => {
                assert!(!name.is_empty() && name.chars().count() <= MAX_ROOM_CHARS);
            }
            Room::Direct(a, b) => {
                assert!(a < b, "direct room users not sorted: {a:?} {b:?}");
                assert_eq!(Room::direct(b, a), room);
                assert!(room.readable_by(a) && room.readable_by(b));
            }
        }
    }
    let _ = content::content(raw, 4096);
    let _ = content::client_id(Some(raw));
}
