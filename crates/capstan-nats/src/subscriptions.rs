//! This node's subscriptions at NATS, one per topic it has subscribers on,
//! kept by one task in the order the registry asks (its `subscribe` and
//! `unsubscribe` are called under a lock and only queue the work here).
//! Each subscription has a reader task that hands what arrives to the
//! node (see `inbound`). The client restores them by itself after a
//! reconnect; then the kept topics read their history since what they
//! delivered, for what was published meanwhile.

use std::collections::HashMap;
use std::sync::Arc;

use capstan::pubsub::BrokerError;
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::inbound;
use crate::shared::Shared;

/// What the subscriptions task is asked to do.
#[derive(Debug)]
pub(crate) enum Control {
    /// Subscribe to a topic's subject.
    Subscribe(String),
    /// Unsubscribe from it.
    Unsubscribe(String),
    /// Answer once the subscriptions asked for so far are in effect at
    /// the server.
    Ready(String, oneshot::Sender<Result<(), BrokerError>>),
    /// The client reconnected after a cut: catch up once its
    /// subscriptions are back.
    Reconnected,
    /// The client dropped messages for a slow subscription: catch up.
    CatchUp,
}

/// The reader tasks, by topic; stopped when dropped (the broker went away).
#[derive(Default)]
struct Readers(HashMap<String, JoinHandle<()>>);

impl Drop for Readers {
    fn drop(&mut self) {
        for reader in self.0.values() {
            reader.abort();
        }
    }
}

/// Does what comes on `control` until the broker drops its end.
pub(crate) async fn run(shared: Arc<Shared>, mut control: mpsc::UnboundedReceiver<Control>) {
    let mut readers = Readers::default();
    while let Some(order) = control.recv().await {
        match order {
            Control::Subscribe(topic) => {
                if !readers.0.contains_key(&topic)
                    && let Some(reader) = subscribe(&shared, &topic).await
                {
                    readers.0.insert(topic, reader);
                }
            }
            Control::Unsubscribe(topic) => {
                // Dropping the subscriber unsubscribes at the server.
                if let Some(reader) = readers.0.remove(&topic) {
                    reader.abort();
                }
            }
            Control::Ready(topic, answer) => {
                if !readers.0.contains_key(&topic) {
                    let why = format!("this node has no NATS subscription for {topic:?}");
                    let _ = answer.send(Err(BrokerError::Unavailable(why)));
                    continue;
                }
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = answer.send(shared.round_trip().await);
                });
            }
            Control::Reconnected => {
                let shared = shared.clone();
                tokio::spawn(async move {
                    // The client sent its subscriptions again first thing:
                    // once the server answered, they are in effect, and a
                    // history read misses nothing.
                    if let Err(error) = shared.round_trip().await {
                        tracing::warn!(%error, "after a reconnect, NATS did not answer; catching up all the same");
                    }
                    if let Some(local) = shared.local() {
                        local.reconnected();
                    }
                });
            }
            Control::CatchUp => {
                if let Some(local) = shared.local() {
                    local.reconnected();
                }
            }
        }
    }
}

/// Subscribes to `topic`'s subject: its reader task, or `None` if the
/// client refused (it is closed).
async fn subscribe(shared: &Arc<Shared>, topic: &str) -> Option<JoinHandle<()>> {
    let subject = shared.config.subject(topic);
    let mut subscriber = match shared.client.subscribe(subject.clone()).await {
        Ok(subscriber) => subscriber,
        Err(error) => {
            tracing::error!(topic, subject, %error, "NATS subscription refused");
            return None;
        }
    };
    let (shared, topic) = (shared.clone(), topic.to_owned());
    Some(tokio::spawn(async move {
        while let Some(message) = subscriber.next().await {
            inbound::receive(&shared, &topic, message.payload);
        }
    }))
}
