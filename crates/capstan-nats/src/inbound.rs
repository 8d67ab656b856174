//! Publications that come from NATS, handed to the node's fan-out: plain
//! ones delivered at once, kept ones to the topic's sequencer (which puts
//! them in order and reads gaps from the history). A node's own are
//! skipped: it delivered them when it published. Malformed envelopes are
//! logged and dropped.

use bytes::Bytes;
use capstan::PreparedMessage;
use capstan::pubsub::Stored;

use crate::envelope::Envelope;
use crate::shared::Shared;

/// Handles one NATS message received on `topic`'s subject.
pub(crate) fn receive(shared: &Shared, topic: &str, payload: Bytes) {
    let envelope = match Envelope::decode(payload) {
        Ok(envelope) => envelope,
        Err(error) => {
            tracing::warn!(topic, %error, "malformed publication from NATS dropped");
            return;
        }
    };
    if envelope.origin == shared.node {
        return;
    }
    let Some(local) = shared.local() else { return };
    match envelope.position {
        None => {
            local.deliver(topic, &PreparedMessage::new(envelope.message), &[]);
        }
        Some(position) => {
            local.deliver_kept(topic, Stored { position, message: envelope.message }, &[]);
        }
    }
}
