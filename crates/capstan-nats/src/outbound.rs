//! Publications on their way to NATS, in the order this node published
//! them: one task hands them to the client and, for those whose publisher
//! waits for an answer (plain ones), flushes and answers — a batch at a
//! time, so a flood costs one flush per batch, not one per publication.

use std::sync::Arc;

use bytes::Bytes;
use capstan::pubsub::{AckSender, Acknowledged, BrokerError};
use tokio::sync::mpsc;

use crate::shared::Shared;

/// Most publications handed to the client before one flush.
const BATCH: usize = 64;

/// One publication for NATS.
pub(crate) struct Outgoing {
    /// Its subject.
    pub subject: String,
    /// Its envelope.
    pub payload: Bytes,
    /// Where to answer once NATS took it (`None`: answered already, a
    /// kept one whose history has it).
    pub ack: Option<AckSender>,
}

/// Hands what comes on `queue` to NATS until the broker drops its end.
pub(crate) async fn run(shared: Arc<Shared>, mut queue: mpsc::Receiver<Outgoing>) {
    let timeout = shared.config.timeout;
    let mut batch = Vec::with_capacity(BATCH);
    let mut waiting = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        for Outgoing { subject, payload, ack } in batch.drain(..) {
            let taken = match tokio::time::timeout(timeout, shared.client.publish(subject, payload))
                .await
            {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!("the NATS client did not take it: {e}")),
                Err(_) => Err(format!("the NATS client did not take it within {timeout:?}")),
            };
            match (taken, ack) {
                (Ok(()), Some(ack)) => waiting.push(ack),
                (Ok(()), None) => {}
                (Err(why), Some(ack)) => ack.send(Err(unavailable(&shared, &why))),
                (Err(why), None) => {
                    tracing::warn!(%why, "kept publication not sent on NATS (other nodes read it from the history)");
                }
            }
        }
        if waiting.is_empty() {
            continue;
        }
        let answer = match tokio::time::timeout(timeout, shared.client.flush()).await {
            Ok(Ok(())) => Ok(Acknowledged::default()),
            Ok(Err(e)) => Err(unavailable(&shared, &format!("not flushed: {e}"))),
            Err(_) => Err(unavailable(&shared, &format!("not flushed within {timeout:?}"))),
        };
        for ack in waiting.drain(..) {
            ack.send(answer.clone());
        }
    }
}

fn unavailable(shared: &Shared, why: &str) -> BrokerError {
    BrokerError::Unavailable(format!("NATS at {}: {why}", shared.config.url))
}
