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

/// The mark before a bot's name in a stored author. Bots are the authors
/// of what the server API publishes; `|` is a character no user name may
/// hold (it joins the names of a direct conversation), so a bot never
/// passes for a user nor a user for a bot.
pub const BOT_MARK: char = '|';

/// The stored author of the bot `name`.
pub fn bot_author(name: &str) -> String {
    format!("{BOT_MARK}{name}")
}

/// The bot's name, if `author` is a bot's.
pub fn bot_name(author: &str) -> Option<&str> {
    author.strip_prefix(BOT_MARK)
}
