//! How a node turns kept publications into what its subscribers receive,
//! whom it skips (for plain publications too), and what it tells them when
//! some were lost. An application that shows
//! positions to its clients (the chat's message ids) frames them here; the
//! default sends each message as it was published.

use super::history::Stored;
use super::topic::Topic;
use crate::conn::ConnId;
use crate::ws::{CloseCode, Message, PreparedMessage};

/// Frames kept publications for a node's subscribers.
pub trait Framing: Send + Sync + 'static {
    /// What the subscribers of `topic` receive for `stored` (encoded once
    /// per node). The default: its message as published.
    fn frame(&self, _topic: &str, stored: &Stored) -> PreparedMessage {
        PreparedMessage::new(stored.message.clone())
    }

    /// This node's connections that must not receive `stored` (on top of
    /// the publisher's own exclusions): an application that filters per
    /// recipient (blocked authors) says so here. The default: none.
    fn skip(&self, _topic: &str, _stored: &Stored) -> Vec<ConnId> {
        Vec::new()
    }

    /// This node's connections that must not receive the plain (not kept)
    /// publication `message` of `topic`, from this node or another: as
    /// [`Framing::skip`], for what is not kept (the chat's typing notices
    /// skip whoever blocks their author). The default: none.
    fn skip_plain(&self, _topic: &str, _message: &Message) -> Vec<ConnId> {
        Vec::new()
    }

    /// Publications of `topic` were missed on this node and the history
    /// cannot give them back (trimmed, expired, a new epoch, the engine
    /// unreachable). The default closes every subscriber with 1012
    /// (service restart): a client reconnects with the last position it
    /// saw and recovers, or is told plainly that it cannot.
    fn lost(&self, topic: &Topic) {
        let reason = format!("publications of {} were lost here: reconnect", topic.name());
        for conn in topic.subscribers() {
            conn.close(CloseCode::SERVICE_RESTART, &reason);
        }
    }
}

/// The default [`Framing`]: messages as published; losses close.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsPublished;

impl Framing for AsPublished {}
