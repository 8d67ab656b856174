//! Publications between nodes through Redis pub/sub.
//!
//! A kept publication runs the publish script (appended to the topic's
//! stream and published on its channel in one step) and is acknowledged
//! only once the script returned, with its position; every node, this one
//! included, delivers it when it comes on the channel, in stream order.
//! A plain one is delivered on this node at once (with its `exclude`
//! list), then published; the node skips its own when they come back.
//!
//! Commands go out in the order `publish` was called (see `dispatch`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use capstan::Delivery;
use capstan::pubsub::{
    Ack, Acknowledged, BoxFuture, Broker, BrokerError, LocalFanout, Publication, Published,
};
use redis::Value;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::connection::Redis;
use crate::dispatch;
use crate::envelope::Envelope;
use crate::history::{Announce, RedisHistory};
use crate::keys::Keys;
use crate::subscriber::{Delivering, Request, Requests};

/// A [`Broker`] on Redis pub/sub (sharded by default), its kept
/// publications in a [`RedisHistory`].
pub struct RedisBroker {
    redis: Redis,
    history: RedisHistory,
    keys: Keys,
    sharded: bool,
    timeout: Duration,
    delivering: Arc<Delivering>,
    /// This node's next publication number.
    next: AtomicU64,
    requests: Requests,
    runtime: Handle,
}

/// What a broker is made of (see `engine`).
pub(crate) struct Parts {
    pub redis: Redis,
    pub history: RedisHistory,
    pub keys: Keys,
    pub sharded: bool,
    pub timeout: Duration,
    pub delivering: Arc<Delivering>,
    pub requests: Requests,
    pub runtime: Handle,
}

impl RedisBroker {
    pub(crate) fn new(parts: Parts) -> Self {
        let Parts { redis, history, keys, sharded, timeout, delivering, requests, runtime } = parts;
        Self {
            redis,
            history,
            keys,
            sharded,
            timeout,
            delivering,
            next: AtomicU64::new(1),
            requests,
            runtime,
        }
    }

    /// This node's id, in the envelopes it publishes.
    pub fn node_id(&self) -> &str {
        &self.delivering.node
    }

    fn publish_command(&self) -> &'static str {
        if self.sharded { "SPUBLISH" } else { "PUBLISH" }
    }
}

impl Broker for RedisBroker {
    fn attach(&self, local: LocalFanout) {
        // A broker serves one registry: a second attach is ignored.
        let _ = self.delivering.local.set(local);
    }

    fn subscribe(&self, topic: &str) {
        self.requests.send(Request::Subscribe(topic.to_owned()));
    }

    fn unsubscribe(&self, topic: &str) {
        self.requests.send(Request::Unsubscribe(topic.to_owned()));
    }

    fn publish(&self, publication: Publication<'_>) -> Published {
        let Publication { topic, message: prepared, exclude, keep } = publication;
        let message = prepared.message();
        let number = self.next.fetch_add(1, Ordering::Relaxed);
        let channel = self.keys.channel(topic);
        let command = self.publish_command();
        let (sender, ack) = Ack::later();
        let Some(keep) = keep else {
            let local = match self.delivering.local.get() {
                Some(local) => local.deliver(topic, prepared, exclude),
                None => Delivery::default(),
            };
            let envelope = Envelope::plain(&self.delivering.node, number, &message);
            let redis = self.redis.clone();
            dispatch::start(&self.runtime, async move {
                let published =
                    redis.query::<Value>(redis::cmd(command).arg(&channel).arg(envelope)).await;
                sender.send(published.map(|_| Acknowledged::default()).map_err(Into::into));
            });
            return Published { local, ack };
        };
        self.delivering.exclusions.hold(number, exclude);
        let header = Envelope::kept_header(&self.delivering.node, number, &message);
        let (history, delivering) = (self.history.clone(), self.delivering.clone());
        let (topic, key) = (topic.to_owned(), keep.idempotency_key.map(str::to_owned));
        dispatch::start(&self.runtime, async move {
            let announce = Announce { command, channel: &channel, header: &header };
            let kept = history.keep(&topic, &message, key.as_deref(), Some(announce)).await;
            let answer = kept.map_err(BrokerError::from).map(|appended| {
                if appended.duplicate {
                    // Nothing was published: the list will not be asked for.
                    delivering.exclusions.take(number);
                }
                Acknowledged { position: Some(appended.position), duplicate: appended.duplicate }
            });
            sender.send(answer);
        });
        Published { local: Delivery::default(), ack }
    }

    fn ready(&self, topic: &str) -> BoxFuture<'_, Result<(), BrokerError>> {
        let (answer, confirmed) = oneshot::channel();
        self.requests.send(Request::Ready(topic.to_owned(), answer));
        let (topic, timeout) = (topic.to_owned(), self.timeout);
        Box::pin(async move {
            match tokio::time::timeout(timeout, confirmed).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(_)) => {
                    Err(BrokerError::Unavailable("the redis pub/sub task stopped".into()))
                }
                Err(_) => Err(BrokerError::Unavailable(format!(
                    "redis did not confirm the subscription to {topic:?} within {} ms",
                    timeout.as_millis()
                ))),
            }
        })
    }
}

impl std::fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBroker")
            .field("node", &self.delivering.node)
            .field("keys", &self.keys)
            .field("sharded", &self.sharded)
            .finish_non_exhaustive()
    }
}
