//! Room names: a public room (`a-z 0-9 - _`), or the direct conversation
//! of two users (`@` + the two names sorted, joined by `|`).

use crate::errors::{ErrorCode, Refusal};
use crate::names::user_name;

/// The longest room name, in characters.
pub const MAX_ROOM_CHARS: usize = 32;
/// The room everyone is in.
pub const DEFAULT_ROOM: &str = "general";

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
        if is_public_name(raw) {
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

/// Whether `name` is a public room's name: 1–32 of `a-z 0-9 - _`.
pub fn is_public_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_ROOM_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn direct_rooms_name_users_in_their_normal_form() {
        // "ａｌｉｃｅ" is kept as "alice": the room must say so.
        assert_eq!(Room::parse("@bob|ａｌｉｃｅ").unwrap_err().code, ErrorCode::RoomInvalid);
        assert!(Room::parse("@al\u{200b}ice|bob").is_err());
    }
}
