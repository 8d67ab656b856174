//! The `/broadcast` topic, built the way users of tokio-tungstenite and
//! fastwebsockets build one (neither library has a topic of its own): a
//! registry of per-connection senders. Every connection owns an unbounded
//! Tokio mpsc channel, drained by its writer, which sends one message per
//! write and flush; [`Topic::publish`] clones the message, a cheap shared
//! payload (`Utf8Bytes`, `Bytes`: a reference count, no copy), into every
//! channel. Each library then frames the payload per connection, as it
//! has no way to encode a frame once for many connections.
//!
//! The channel is bounded by bytes rather than by count: a subscriber with
//! [`MAX_QUEUED_BYTES`] or more waiting is a slow consumer, dropped from
//! the topic and told so through [`Subscription::evicted`], upon which its
//! connection is closed.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{Notify, mpsc};

/// Bytes of payload a connection may have waiting before it is dropped as
/// a slow consumer: 4 MiB, 256 messages of 16 KiB.
pub const MAX_QUEUED_BYTES: usize = 4 << 20;

/// Connections subscribed to one topic, each by its sender.
pub struct Topic<M> {
    members: Mutex<HashMap<u64, Member<M>>>,
    next_id: AtomicU64,
}

/// A subscriber as the topic holds it.
struct Member<M> {
    sender: mpsc::UnboundedSender<M>,
    queue: Arc<Queue>,
}

/// What a subscriber and the topic share about its channel.
#[derive(Default)]
struct Queue {
    /// Payload bytes sent into the channel and not yet written out.
    bytes: AtomicUsize,
    /// Notified once, when the topic drops the subscriber.
    evicted: Notify,
}

impl<M: Clone + AsRef<[u8]>> Topic<M> {
    /// An empty topic, to share between the connections.
    pub fn new() -> Arc<Self> {
        Arc::new(Topic { members: Mutex::new(HashMap::new()), next_id: AtomicU64::new(0) })
    }

    /// Joins the topic until the returned subscription is dropped.
    pub fn subscribe(self: &Arc<Self>) -> Subscription<M> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = mpsc::unbounded_channel();
        let queue = Arc::new(Queue::default());
        self.lock().insert(id, Member { sender, queue: Arc::clone(&queue) });
        Subscription { topic: Arc::clone(self), id, receiver, queue }
    }

    /// Queues `message` for every subscriber (the publisher's own
    /// connection included), dropping those that have
    /// [`MAX_QUEUED_BYTES`] or more waiting already.
    pub fn publish(&self, message: &M) {
        let len = message.as_ref().len();
        self.lock().retain(|_, member| {
            let queued = member.queue.bytes.fetch_add(len, Ordering::Relaxed);
            let kept = queued < MAX_QUEUED_BYTES && member.sender.send(message.clone()).is_ok();
            if !kept {
                member.queue.evicted.notify_one();
            }
            kept
        });
    }

    /// Subscribers now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no one is subscribed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Member<M>>> {
        // A panic while holding the lock leaves the map whole: go on.
        self.members.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One connection's membership of a topic: the receiving end of its
/// channel. Dropping it leaves the topic.
pub struct Subscription<M: Clone + AsRef<[u8]>> {
    topic: Arc<Topic<M>>,
    id: u64,
    receiver: mpsc::UnboundedReceiver<M>,
    queue: Arc<Queue>,
}

impl<M: Clone + AsRef<[u8]>> Subscription<M> {
    /// The next message to write; `None` once the topic dropped this
    /// subscriber and its channel is empty.
    pub async fn recv(&mut self) -> Option<M> {
        self.receiver.recv().await
    }

    /// Tells that a message of `len` bytes from [`recv`](Self::recv) has
    /// been written, which frees its share of the bound.
    pub fn written(&self, len: usize) {
        self.queue.bytes.fetch_sub(len, Ordering::Relaxed);
    }

    /// Completes when the topic drops this subscriber as a slow consumer;
    /// its connection should then close. Borrows nothing, so that it can be
    /// awaited beside the writer.
    pub fn evicted(&self) -> impl Future<Output = ()> + Send + 'static + use<M> {
        let queue = Arc::clone(&self.queue);
        async move { queue.evicted.notified().await }
    }
}

impl<M: Clone + AsRef<[u8]>> Drop for Subscription<M> {
    fn drop(&mut self) {
        self.topic.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[tokio::test]
    async fn publishes_to_every_subscriber_and_forgets_the_gone() {
        let topic = Topic::<Bytes>::new();
        let (mut a, mut b) = (topic.subscribe(), topic.subscribe());
        topic.publish(&Bytes::from_static(b"pub:1"));
        assert_eq!(a.recv().await.unwrap(), "pub:1");
        assert_eq!(b.recv().await.unwrap(), "pub:1");
        drop(b);
        assert_eq!(topic.len(), 1);
        topic.publish(&Bytes::from_static(b"pub:2"));
        assert_eq!(a.recv().await.unwrap(), "pub:2");
    }

    #[tokio::test]
    async fn drops_a_slow_consumer() {
        let topic = Topic::<Bytes>::new();
        let mut slow = topic.subscribe();
        let evicted = slow.evicted();
        let big = Bytes::from(vec![b'x'; MAX_QUEUED_BYTES / 2]);
        for _ in 0..2 {
            topic.publish(&big);
        }
        let first = slow.recv().await.unwrap();
        slow.written(first.len());
        topic.publish(&big);
        assert_eq!(topic.len(), 1, "half written: room again");
        topic.publish(&big);
        assert!(topic.is_empty(), "over the bound: dropped");
        evicted.await;
    }
}
