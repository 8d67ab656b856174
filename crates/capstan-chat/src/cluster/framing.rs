//! How a node frames the chat's kept publications for its connections: a
//! room message with its id (the stream offset), a direct message with
//! the name of the user it went to; and, on every node, the connections
//! that block the author are skipped.

use std::sync::Arc;

use capstan::pubsub::{Framing, Stored};
use capstan::{ConnId, PreparedMessage};

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
}
