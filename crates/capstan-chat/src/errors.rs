//! The chat protocol's error codes: stable strings for programs.

use std::fmt;

/// Why a request was refused (the connection stays open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The text is not JSON.
    InvalidJson,
    /// Not an object with a string `type` and an object `data`.
    InvalidEnvelope,
    /// A `type` the server does not know.
    UnknownType,
    /// A field is missing or has the wrong type.
    InvalidField,
    /// A binary frame was sent.
    BinaryUnsupported,
    /// The request needs a name: `add_user` first.
    NotNamed,
    /// The name is empty or white space.
    NameEmpty,
    /// The name is over 32 characters.
    NameTooLong,
    /// The name has control, invisible or formatting characters, a `|`, or
    /// marks stacked too high.
    NameInvalid,
    /// Another connected user has this name, or one that looks the same.
    NameTaken,
    /// The message is empty or white space.
    ContentEmpty,
    /// The message is over the size limit.
    ContentTooLong,
    /// Not a valid room name.
    RoomInvalid,
    /// The request is about a room not joined.
    NotInRoom,
    /// The user is in as many rooms as one user may be.
    TooManyRooms,
    /// The server holds as many rooms as it may: a new one cannot be made.
    RoomLimit,
    /// The user started as many new direct conversations as allowed in a
    /// minute.
    TooManyConversations,
    /// The user blocks as many users as one may.
    BlockLimit,
    /// A direct message to someone not connected, or to oneself.
    UserOffline,
    /// Too many requests.
    RateLimited,
    /// The message could not be stored.
    StorageFailed,
    /// The application's backend (a `--subscribe-hook` or
    /// `--publish-hook`) refused; the message is the backend's.
    Denied,
    /// The application's backend could not be asked (down, too slow, a
    /// bad answer) and the hooks' policy is to refuse then.
    BackendUnavailable,
}

impl ErrorCode {
    /// The code on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::InvalidEnvelope => "invalid_envelope",
            Self::UnknownType => "unknown_type",
            Self::InvalidField => "invalid_field",
            Self::BinaryUnsupported => "binary_unsupported",
            Self::NotNamed => "not_named",
            Self::NameEmpty => "name_empty",
            Self::NameTooLong => "name_too_long",
            Self::NameInvalid => "name_invalid",
            Self::NameTaken => "name_taken",
            Self::ContentEmpty => "content_empty",
            Self::ContentTooLong => "content_too_long",
            Self::RoomInvalid => "room_invalid",
            Self::NotInRoom => "not_in_room",
            Self::TooManyRooms => "too_many_rooms",
            Self::RoomLimit => "room_limit",
            Self::TooManyConversations => "too_many_conversations",
            Self::BlockLimit => "block_limit",
            Self::UserOffline => "user_offline",
            Self::RateLimited => "rate_limited",
            Self::StorageFailed => "storage_failed",
            Self::Denied => "denied",
            Self::BackendUnavailable => "backend_unavailable",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused request: the code, a sentence for people, and what it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The stable code.
    pub code: ErrorCode,
    /// For people.
    pub message: String,
    /// The `type` of the request refused, when known.
    pub request_type: Option<String>,
    /// The `client_id` of the message refused, when given.
    pub client_id: Option<String>,
    /// The room the refused request was about, when it named one.
    pub room: Option<String>,
}

impl Refusal {
    /// A refusal with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), request_type: None, client_id: None, room: None }
    }

    /// Names the request type refused.
    pub fn for_type(mut self, request_type: &str) -> Self {
        self.request_type = Some(request_type.to_owned());
        self
    }

    /// Names the room the refused request was about.
    pub fn for_room(mut self, room: &str) -> Self {
        self.room = Some(room.to_owned());
        self
    }

    /// Names the client id of the message refused.
    pub fn for_client_id(mut self, client_id: Option<&str>) -> Self {
        self.client_id = client_id.map(str::to_owned);
        self
    }
}
