//! How a node frames the chat's kept publications for its connections: a
//! room message with its id (the stream offset), a direct message with
//! the name of the user it went to; and, on every node, the connections
//! that block the author are skipped — of typing notices too.

use std::sync::Arc;

use capstan::pubsub::{Framing, Stored};
use capstan::{ConnId, Message, PreparedMessage};
use serde_json::Value;

use super::payload;
use crate::blocks::Blocks;
use crate::protocol::server as wire;
use crate::room::Room;

/// The chat's [`Framing`].
pub struct ChatFraming {
    /// The block lists of this node's connections.
    pub blocks: Arc<Blocks>,
}

impl Framing for ChatFraming {
    fn frame(&self, _topic: &str, stored: &Stored) -> PreparedMessage {
        let text = stored.message.as_text().unwrap_or_default();
        let Some(message) = payload::decode(text, stored.position.offset) else {
            tracing::warn!(
                offset = stored.position.offset,
                "a kept publication that is not a chat message"
            );
            return PreparedMessage::new(stored.message.clone());
        };
        let framed = match Room::parse(&message.room) {
            Ok(Room::Direct(a, b)) => {
                let to = if a == message.author { b } else { a };
                wire::direct(&message, &to)
            }
            _ => wire::message(&message),
        };
        PreparedMessage::new(framed)
    }

    fn skip(&self, _topic: &str, stored: &Stored) -> Vec<ConnId> {
        let text = stored.message.as_text().unwrap_or_default();
        match payload::decode(text, stored.position.offset) {
            Some(message) => self.blocks.blockers_of(&message.author),
            None => Vec::new(),
        }
    }

    /// A typing notice skips whoever blocks its author on this node (the
    /// sender's node skips its own when it publishes).
    fn skip_plain(&self, _topic: &str, message: &Message) -> Vec<ConnId> {
        let Some(text) = message.as_text() else { return Vec::new() };
        if !text.contains(r#""type":"typing""#) {
            return Vec::new();
        }
        let Ok(notice) = serde_json::from_str::<Value>(text) else { return Vec::new() };
        match (notice["type"].as_str(), notice["data"]["user"].as_str()) {
            (Some("typing"), Some(user)) => self.blocks.blockers_of(user),
            _ => Vec::new(),
        }
    }
}
