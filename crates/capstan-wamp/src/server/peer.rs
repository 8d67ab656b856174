//! How the router reaches a session: a WebSocket connection (serialized by
//! its subprotocol) or a session in this process (the message itself, on
//! a channel: no serializing, no network hop).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use capstan::pubsub::Fanout;
use capstan::{CloseCode, Conn, PreparedMessage};
use tokio::sync::mpsc::UnboundedSender;

use crate::id::Id;
use crate::message::Message;
use crate::serializer::{SerializeError, Serializer};

use super::v1_bridge::{Translated, V1Bridge};

/// A joined session, as the router reaches it.
pub(super) enum Peer {
    /// A client over WebSocket.
    Remote {
        /// Its connection.
        conn: Conn,
        /// The serializer it agreed.
        serializer: Serializer,
    },
    /// A session of this process ([`crate::LocalSession`]).
    Local(UnboundedSender<Message>),
    /// A WAMP v1 client, through the bridge.
    V1 {
        /// Its connection.
        conn: Conn,
        /// Its side of the bridge.
        bridge: Arc<Mutex<V1Bridge>>,
    },
}

impl Peer {
    /// Sends `message` to this session.
    pub(super) fn send(&self, message: &Message) {
        match self {
            Self::Remote { conn, serializer } => match serializer.encode(message) {
                // Refused only when the connection is closing or over its bound.
                Ok(frame) => drop(conn.send(frame)),
                Err(error) => report_unsendable(conn, &error),
            },
            // A local session that went away takes nothing more.
            Self::Local(channel) => drop(channel.send(message.clone())),
            Self::V1 { conn, bridge } => {
                let translated = bridge.lock().unwrap_or_else(|p| p.into_inner()).outbound(message);
                for step in translated {
                    match step {
                        Translated::Send(v1) => {
                            let _ = conn.send(capstan::Message::text(v1.to_text()));
                        }
                        Translated::Close => {
                            conn.close(CloseCode::GOING_AWAY, "the WAMP session ended")
                        }
                        Translated::Nothing => {}
                    }
                }
            }
        }
    }
}

/// Sends `message` to every session in `to`: one frame per serializer,
/// shared by every connection that speaks it, sent through `fanout`
/// (paced as a capstan topic: written at once while events come far
/// apart, batched per connection under a flood).
pub(super) fn fan_out(fanout: &Fanout, peers: &HashMap<Id, Peer>, to: &[Id], message: &Message) {
    let mut by_serializer: [Vec<&Conn>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for id in to {
        match peers.get(id) {
            Some(Peer::Remote { conn, serializer }) => {
                let slot = Serializer::ALL.iter().position(|s| s == serializer).expect("listed");
                by_serializer[slot].push(conn);
            }
            Some(other @ (Peer::Local(_) | Peer::V1 { .. })) => other.send(message),
            None => {}
        }
    }
    if by_serializer.iter().all(Vec::is_empty) {
        return;
    }
    let value = message.to_value();
    for (serializer, conns) in Serializer::ALL.iter().zip(&by_serializer) {
        let Some(first) = conns.first() else { continue };
        match serializer.encode_value(&value) {
            Ok(frame) => {
                let _ = fanout.send(&PreparedMessage::new(frame), conns.iter().copied());
            }
            Err(error) => report_unsendable(first, &error),
        }
    }
}

/// A message the serializer cannot write (NaN in JSON): the peer gets
/// nothing, and the reason goes to stderr.
fn report_unsendable(conn: &Conn, error: &SerializeError) {
    eprintln!("capstan-wamp: not sent to connection {}: {error}", conn.id());
}
