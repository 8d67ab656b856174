//! The rules for user names, room names, client ids and message content.

use crate::errors::{ErrorCode, Refusal};

/// The longest user name, in characters.
pub const MAX_NAME_CHARS: usize = 32;
/// The longest room name, in characters.
pub const MAX_ROOM_CHARS: usize = 32;
/// The longest client id, in characters.
pub const MAX_CLIENT_ID_CHARS: usize = 64;
/// The room everyone is in.
pub const DEFAULT_ROOM: &str = "general";

/// Checks a user name; returns it trimmed.
pub fn user_name(raw: &str) -> Result<String, Refusal> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Refusal::new(ErrorCode::NameEmpty, "the name is empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        let message = format!("the name is over {MAX_NAME_CHARS} characters");
        return Err(Refusal::new(ErrorCode::NameTooLong, message));
    }
    if name.chars().any(char::is_control) {
        return Err(Refusal::new(ErrorCode::NameInvalid, "the name has control characters"));
    }
    if name.contains('|') {
        // `|` separates the two names of a direct conversation's room.
        return Err(Refusal::new(ErrorCode::NameInvalid, "the name has a \"|\""));
    }
    Ok(name.to_owned())
}

/// The key names are unique by (case-insensitive).
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// A room: a public one, or the direct conversation of two users.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Room {
    /// `a-z 0-9 - _`, 1–32 characters.
    Public(String),
    /// `@` + the two names sorted, joined by `|`.
    Direct(String, String),
}

impl Room {
    /// Parses a room name as clients send it.
    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        if let Some(pair) = raw.strip_prefix('@') {
            let invalid = || Refusal::new(ErrorCode::RoomInvalid, format!("invalid room {raw:?}"));
            let (a, b) = pair.split_once('|').ok_or_else(invalid)?;
            let (a, b) =
                (user_name(a).map_err(|_| invalid())?, user_name(b).map_err(|_| invalid())?);
            if a >= b || format!("{a}|{b}") != pair {
                return Err(invalid());
            }
            return Ok(Self::Direct(a, b));
        }
        let valid = !raw.is_empty()
            && raw.chars().count() <= MAX_ROOM_CHARS
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if valid {
            Ok(Self::Public(raw.to_owned()))
        } else {
            let message = format!("invalid room {raw:?}: 1-{MAX_ROOM_CHARS} of a-z 0-9 - _");
            Err(Refusal::new(ErrorCode::RoomInvalid, message))
        }
    }

    /// The direct conversation of two users.
    pub fn direct(one: &str, other: &str) -> Self {
        if one <= other {
            Self::Direct(one.to_owned(), other.to_owned())
        } else {
            Self::Direct(other.to_owned(), one.to_owned())
        }
    }

    /// The default room.
    pub fn general() -> Self {
        Self::Public(DEFAULT_ROOM.to_owned())
    }

    /// The name on the wire and in the store.
    pub fn name(&self) -> String {
        match self {
            Self::Public(name) => name.clone(),
            Self::Direct(a, b) => format!("@{a}|{b}"),
        }
    }

    /// Whether `user` may read this room (anyone for public rooms).
    pub fn readable_by(&self, user: &str) -> bool {
        match self {
            Self::Public(_) => true,
            Self::Direct(a, b) => a == user || b == user,
        }
    }

    /// Whether this is a direct conversation.
    pub fn is_direct(&self) -> bool {
        matches!(self, Self::Direct(..))
    }
}

/// Checks message content against the byte limit.
pub fn content(raw: &str, max_bytes: usize) -> Result<(), Refusal> {
    if raw.trim().is_empty() {
        return Err(Refusal::new(ErrorCode::ContentEmpty, "the message is empty"));
    }
    if raw.len() > max_bytes {
        let message = format!("the message is over {max_bytes} bytes");
        return Err(Refusal::new(ErrorCode::ContentTooLong, message));
    }
    Ok(())
}

/// Checks a client id.
pub fn client_id(raw: Option<&str>) -> Result<(), Refusal> {
    match raw {
        Some(id) if id.is_empty() || id.chars().count() > MAX_CLIENT_ID_CHARS => {
            let message = format!("client_id must be 1-{MAX_CLIENT_ID_CHARS} characters");
            Err(Refusal::new(ErrorCode::InvalidField, message))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names() {
        assert_eq!(user_name("  ann  ").unwrap(), "ann");
        assert_eq!(user_name("Zoë 🚀").unwrap(), "Zoë 🚀");
        assert_eq!(user_name(&"é".repeat(32)).unwrap().chars().count(), 32);
        assert_eq!(user_name("").unwrap_err().code, ErrorCode::NameEmpty);
        assert_eq!(user_name(" \t ").unwrap_err().code, ErrorCode::NameEmpty);
        assert_eq!(user_name(&"x".repeat(33)).unwrap_err().code, ErrorCode::NameTooLong);
        assert_eq!(user_name("a\u{7}b").unwrap_err().code, ErrorCode::NameInvalid);
        assert_eq!(user_name("a|b").unwrap_err().code, ErrorCode::NameInvalid);
        assert_eq!(name_key("Ann"), name_key("aNN"));
    }

    #[test]
    fn room_names() {
        assert_eq!(Room::parse("general").unwrap(), Room::general());
        assert_eq!(Room::parse("rust-lang_2").unwrap().name(), "rust-lang_2");
        for bad in ["", "General", "has space", "ü", &"r".repeat(33), "@", "@a", "@b|a", "@a|a"] {
            assert_eq!(Room::parse(bad).unwrap_err().code, ErrorCode::RoomInvalid, "{bad:?}");
        }
    }

    #[test]
    fn direct_rooms_sort_their_users() {
        let room = Room::direct("bob", "alice");
        assert_eq!(room.name(), "@alice|bob");
        assert_eq!(Room::parse("@alice|bob").unwrap(), room);
        assert!(room.readable_by("alice") && room.readable_by("bob"));
        assert!(!room.readable_by("carol"));
    }

    #[test]
    fn content_limits() {
        assert!(content("hi", 10).is_ok());
        assert_eq!(content("  ", 10).unwrap_err().code, ErrorCode::ContentEmpty);
        assert_eq!(content("ééééé é", 10).unwrap_err().code, ErrorCode::ContentTooLong);
        assert!(content(&"x".repeat(10), 10).is_ok());
    }
}
