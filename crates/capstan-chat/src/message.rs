//! A chat message: as received, to be stored, and as stored (with its id
//! in its room). The value the protocol writes and the store keeps.

/// A message to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The room's name.
    pub room: String,
    /// Who wrote it.
    pub author: String,
    /// The text.
    pub content: String,
    /// When the server received it.
    pub created_ms: i64,
    /// The sender's id for it, if any.
    pub client_id: Option<String>,
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// The room's name.
    pub room: String,
    /// Its sequence number in the room: increasing by one, never reused.
    pub id: u64,
    /// Who wrote it.
    pub author: String,
    /// The text.
    pub content: String,
    /// When it was stored.
    pub created_ms: i64,
    /// The sender's id for it, if any.
    pub client_id: Option<String>,
}
