//! One topic and its subscribers.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock, Weak};

use super::batch::{Batch, Batcher};
use super::kept::{KeptGuard, KeptState};
use super::topics::Registry;
use crate::conn::handover;
use crate::conn::{Conn, ConnId, Membership};
use crate::stats;
use crate::ws::Message;
use crate::ws::PreparedMessage;

pub(crate) struct Inner {
    name: Arc<str>,
    subscribers: RwLock<HashMap<ConnId, Subscriber>>,
    /// Publishes not yet handed to the subscribers (see `batch`).
    batcher: Batcher,
    /// In-process listeners (see `listener`), by their number.
    listeners: RwLock<Vec<(u64, Listener)>>,
    registry: Weak<Registry>,
    next_listener: std::sync::atomic::AtomicU64,
    /// Its kept publications on this node (see `kept`).
    kept: std::sync::Mutex<KeptState>,
}

/// A subscribed connection.
struct Subscriber {
    conn: Conn,
    /// The number of the last publish before it subscribed: it gets
    /// those after.
    joined: u64,
}

/// An in-process listener of a topic: called with every message delivered
/// to it on this node.
pub(crate) type Listener = Arc<dyn Fn(&PreparedMessage) + Send + Sync>;

/// A named set of connections that receive what is published to it.
/// Connections leave every topic by themselves when they close.
#[derive(Clone)]
pub struct Topic(Arc<Inner>);

/// What a publish did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Recipients that took the message. A [`Topic`]'s: the subscribers it
    /// is for, handed over a moment later (and its in-process listeners).
    /// A [`Fanout`](super::Fanout)'s: those that queued it or had it
    /// written to their socket at once.
    pub queued: usize,
    /// Recipients that refused it (closing, or over their queue bound):
    /// counted by a `Fanout`; a `Topic` finds them at the hand-over, after
    /// it returned, and counts none here.
    pub refused: usize,
}

impl Topic {
    /// A topic not kept in any registry.
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        Self::in_registry(name.into(), Weak::new())
    }

    pub(crate) fn in_registry(name: Arc<str>, registry: Weak<Registry>) -> Self {
        stats::topics(1);
        Self(Arc::new(Inner {
            name,
            subscribers: RwLock::default(),
            listeners: RwLock::default(),
            registry,
            batcher: Batcher::default(),
            next_listener: std::sync::atomic::AtomicU64::new(0),
            kept: std::sync::Mutex::default(),
        }))
    }

    /// The topic's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Adds `conn`; true if it was not subscribed yet. It gets what is
    /// published from now on.
    pub fn subscribe(&self, conn: &Conn) -> bool {
        let mut subscribers = self.write();
        if subscribers.contains_key(&conn.id()) {
            return false;
        }
        let joined = handover::last();
        subscribers.insert(conn.id(), Subscriber { conn: conn.clone(), joined });
        drop(subscribers);
        stats::subscriptions(1);
        conn.join_group_after(self.as_group(), joined);
        true
    }

    /// Removes `conn`; true if it was subscribed. What was published
    /// before is still delivered to it.
    pub fn unsubscribe(&self, conn: &Conn) -> bool {
        conn.catch_up();
        conn.leave_group(&self.as_group());
        self.0.remove(conn.id())
    }

    /// This topic as a group its connections leave when they end (the
    /// same allocation: no copy).
    fn as_group(&self) -> Arc<dyn Membership> {
        self.0.clone()
    }

    /// Whether `conn` is subscribed.
    pub fn contains(&self, conn: &Conn) -> bool {
        self.read().contains_key(&conn.id())
    }

    /// How many connections are subscribed.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether nobody is subscribed: no connection, no in-process listener.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty() && self.0.listener_count() == 0
    }

    /// The subscribed connections, in no particular order.
    pub fn subscribers(&self) -> Vec<Conn> {
        self.read().values().map(|s| s.conn.clone()).collect()
    }

    /// Sends `message` to every subscriber, encoding it once.
    pub fn publish(&self, message: impl Into<Message>) -> Delivery {
        self.publish_prepared(&PreparedMessage::new(message), &[])
    }

    /// Sends `message` to every subscriber but those in `exclude`.
    pub fn publish_except(&self, message: impl Into<Message>, exclude: &[ConnId]) -> Delivery {
        self.publish_prepared(&PreparedMessage::new(message), exclude)
    }

    /// Sends an already prepared message to every subscriber but `exclude`.
    /// The topic holds it, and hands it over soon after, in a task of its
    /// own, with everything else published meanwhile: each subscriber gets
    /// a batch in one write (see `batch`). Each connection still receives
    /// its messages in the order they were published and sent. Returns the
    /// subscribers it is for (a subscriber that refuses it, closing or
    /// over its bound, is not known yet), plus the in-process listeners.
    pub fn publish_prepared(&self, message: &PreparedMessage, exclude: &[ConnId]) -> Delivery {
        let mut exclude: Vec<ConnId> = exclude.to_vec();
        exclude.sort_unstable();
        exclude.dedup();
        let subscribers = self.read();
        let skipped = exclude.iter().filter(|id| subscribers.contains_key(id)).count();
        let addressed = subscribers.len() - skipped;
        drop(subscribers);
        if addressed > 0 && self.0.batcher.hold(message, exclude.into()) {
            super::flush::schedule(self.clone());
        }
        stats::delivered(addressed);
        let mut delivery = Delivery { queued: addressed, refused: 0 };
        // Listeners run outside the lock: they may subscribe or publish.
        let listeners: Vec<Listener> =
            self.0.listeners_read().iter().map(|(_, l)| l.clone()).collect();
        for listener in listeners {
            listener(message);
            delivery.queued += 1;
        }
        delivery
    }

    /// Closes what the topic holds into a batch and hands it to every
    /// subscriber. True if more was published meanwhile (flush again).
    pub(crate) fn flush_once(&self) -> bool {
        if let Some(batch) = self.0.batcher.close() {
            let subscribers = self.read();
            // The state of the subscriber four ahead loads while this
            // one's is sent (perf: one ahead hid less of the first touch).
            let mut next = subscribers.values().skip(4);
            for subscriber in subscribers.values() {
                if let Some(next) = next.next() {
                    next.conn.prefetch_for_handover();
                }
                subscriber.hand_over(&batch);
            }
        }
        self.0.batcher.handed_over()
    }

    /// Its kept publications on this node, locked: deliveries of kept
    /// publications happen under this lock, in stream order.
    pub(crate) fn kept(&self) -> KeptGuard<'_> {
        KeptState::lock(&self.0.kept)
    }

    /// Adds an in-process listener: its number, to remove it.
    pub(crate) fn add_listener(&self, listener: Listener) -> u64 {
        let number = self.0.next_listener.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.0.listeners.write().unwrap_or_else(|p| p.into_inner()).push((number, listener));
        number
    }

    /// Removes the listener `number` (dropping the topic from its registry
    /// if nobody is left).
    pub(crate) fn remove_listener(&self, number: u64) {
        let mut listeners = self.0.listeners.write().unwrap_or_else(|p| p.into_inner());
        listeners.retain(|(n, _)| *n != number);
        drop(listeners);
        if self.is_empty()
            && let Some(registry) = self.0.registry.upgrade()
        {
            registry.drop_if_empty(&self.0);
        }
    }

    /// Whether this handle is to the topic `inner`.
    pub(crate) fn is(&self, inner: &Inner) -> bool {
        std::ptr::eq(Arc::as_ptr(&self.0), inner)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<ConnId, Subscriber>> {
        self.0.subscribers.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<ConnId, Subscriber>> {
        self.0.subscribers.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl Subscriber {
    /// Hands `batch` over to this subscriber: what it has not had yet, in
    /// order, after what its other topics hold for it from before.
    fn hand_over(&self, batch: &Batch) {
        let conn = &self.conn;
        let mut handover = conn.handover();
        let last = batch.last();
        if handover.handed_over() >= last {
            return;
        }
        let after = handover.handed_over().max(self.joined);
        if handover::topics_holding() > 1 && handover.groups() > 1 {
            // Another of its topics may hold older publishes: all of them,
            // in the order they were published.
            conn.hand_over_held(&mut handover, last);
            return;
        }
        // All of it at once if it is all for this subscriber, else what is.
        let whole = after < batch.first()
            && !batch.excludes_any()
            && conn
                .deliver_run(batch.whole(), batch.entries().iter().map(|e| &e.message))
                .is_some();
        if !whole {
            for entry in batch.entries() {
                if entry.number > after && !entry.excludes(conn.id()) {
                    let _ = conn.deliver_prepared(&entry.message, true);
                }
            }
        }
        handover.set_handed_over(last);
    }
}

impl Inner {
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    fn listener_count(&self) -> usize {
        self.listeners_read().len()
    }

    fn listeners_read(&self) -> std::sync::RwLockReadGuard<'_, Vec<(u64, Listener)>> {
        self.listeners.read().unwrap_or_else(|p| p.into_inner())
    }

    fn remove(&self, id: ConnId) -> bool {
        let mut subscribers = self.subscribers.write().unwrap_or_else(|p| p.into_inner());
        let removed = subscribers.remove(&id).is_some();
        if removed {
            stats::subscriptions(-1);
        }
        let now_empty = subscribers.is_empty() && self.listener_count() == 0;
        drop(subscribers);
        if removed
            && now_empty
            && let Some(registry) = self.registry.upgrade()
        {
            registry.drop_if_empty(self);
        }
        removed
    }
}

/// A topic that goes leaves the process's counts (with any subscriber
/// still in it: only one that nobody holds can go, so none normally).
impl Drop for Inner {
    fn drop(&mut self) {
        stats::topics(-1);
        let left = self.subscribers.get_mut().map_or(0, |s| s.len());
        stats::subscriptions(-(left as i64));
    }
}

/// A connection that ends leaves the topic.
impl Membership for Inner {
    fn leave(&self, id: ConnId) {
        self.remove(id);
    }

    fn held_for(&self, id: ConnId, after: u64, upto: u64, out: &mut Vec<(u64, PreparedMessage)>) {
        self.batcher.held_for(id, after, upto, out);
    }
}

impl fmt::Debug for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Topic").field("name", &self.name()).field("len", &self.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::request::Request;
    use crate::ws::OutFrame;

    fn conn() -> Conn {
        let request = Request::from_head("GET / HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
        Conn::new("127.0.0.1:1".parse().unwrap(), request, None, None, 1 << 20, Default::default())
    }

    fn queued(conn: &Conn) -> VecDeque<OutFrame> {
        let mut batch = VecDeque::new();
        // What the topics hold for it is handed over first.
        conn.catch_up();
        conn.outbound().take(&mut batch);
        batch
    }

    #[test]
    fn publish_shares_one_encoded_frame_among_subscribers() {
        let topic = Topic::new("t");
        let conns: Vec<Conn> = (0..3).map(|_| conn()).collect();
        for c in &conns {
            topic.subscribe(c);
        }
        let delivery = topic.publish("hello");
        assert_eq!(delivery, Delivery { queued: 3, refused: 0 });
        let frames: Vec<OutFrame> = conns.iter().map(|c| queued(c).pop_front().unwrap()).collect();
        let first = frames[0].payload().as_ptr();
        for frame in &frames {
            assert!(frame.head().is_empty(), "prepared frames carry their own header");
            assert_eq!(frame.payload().as_ptr(), first, "same bytes, not a copy");
            assert_eq!(&frame.payload()[..], b"\x81\x05hello");
        }
    }

    #[test]
    fn publish_except_skips_the_excluded() {
        let topic = Topic::new("t");
        let (a, b) = (conn(), conn());
        topic.subscribe(&a);
        topic.subscribe(&b);
        assert_eq!(topic.publish_except("x", &[a.id()]).queued, 1);
        assert!(queued(&a).is_empty());
        assert_eq!(queued(&b).len(), 1);
    }

    #[test]
    fn a_long_exclude_list_skips_exactly_its_members() {
        let topic = Topic::new("t");
        let conns: Vec<Conn> = (0..40).map(|_| conn()).collect();
        for c in &conns {
            topic.subscribe(c);
        }
        let mut exclude: Vec<ConnId> = conns.iter().step_by(2).map(Conn::id).collect();
        exclude.push(ConnId::from_raw(u64::MAX)); // not a subscriber
        assert!(exclude.len() > 16, "a long list");
        assert_eq!(topic.publish_except("x", &exclude).queued, 20);
        for (n, c) in conns.iter().enumerate() {
            assert_eq!(queued(c).len(), usize::from(n % 2 == 1), "subscriber {n}");
        }
    }

    #[test]
    fn finishing_a_connection_leaves_its_topics() {
        let topics = crate::pubsub::topics::Topics::new();
        let (a, b) = (conn(), conn());
        let room = topics.subscribe("room", &a);
        topics.subscribe("room", &b);
        topics.subscribe("other", &a);
        assert_eq!(a.groups(), 2);
        a.finish();
        assert_eq!(room.len(), 1);
        assert!(topics.get("other").is_none(), "empty topics are dropped");
        b.finish();
        assert!(topics.is_empty());
    }

    /// The payloads queued for `conn` (nothing handed over first).
    fn payloads(conn: &Conn) -> Vec<Vec<u8>> {
        let mut batch = VecDeque::new();
        conn.outbound().take(&mut batch);
        batch
            .iter()
            .map(|f| f.payload()[if f.head().is_empty() { 2 } else { 0 }..].to_vec())
            .collect()
    }

    #[tokio::test]
    async fn in_a_runtime_a_publish_is_handed_over_after_the_publisher_s_turn() {
        let topic = Topic::new("t");
        let a = conn();
        topic.subscribe(&a);
        assert_eq!(topic.publish("one").queued, 1);
        assert_eq!(topic.publish("two").queued, 1);
        assert!(payloads(&a).is_empty(), "held until the flush task runs");
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        assert_eq!(payloads(&a), [b"one".to_vec(), b"two".to_vec()], "one batch, in order");
    }

    #[tokio::test]
    async fn what_is_sent_after_a_publish_arrives_after_it() {
        let topic = Topic::new("t");
        let a = conn();
        topic.subscribe(&a);
        topic.publish("published");
        a.send("sent").unwrap();
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        assert_eq!(payloads(&a), [b"published".to_vec(), b"sent".to_vec()]);
    }

    #[tokio::test]
    async fn two_topics_hand_over_in_the_order_of_their_publishes() {
        let (first, second) = (Topic::new("first"), Topic::new("second"));
        let (a, b) = (conn(), conn());
        for topic in [&first, &second] {
            topic.subscribe(&a);
        }
        second.subscribe(&b);
        first.publish("1");
        second.publish("2");
        // The second topic flushes first: what the first holds for `a`
        // from before goes ahead of it, once.
        while second.flush_once() {}
        assert_eq!(payloads(&a), [b"1".to_vec(), b"2".to_vec()]);
        assert_eq!(payloads(&b), [b"2".to_vec()]);
        while first.flush_once() {}
        assert!(payloads(&a).is_empty(), "not handed over twice");
    }

    #[tokio::test]
    async fn a_connection_gets_only_what_is_published_while_it_is_subscribed() {
        let topic = Topic::new("t");
        let (early, late) = (conn(), conn());
        topic.subscribe(&early);
        topic.publish("before");
        topic.subscribe(&late);
        topic.publish("during");
        topic.unsubscribe(&early);
        topic.publish("after");
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        assert_eq!(payloads(&early), [b"before".to_vec(), b"during".to_vec()]);
        assert_eq!(payloads(&late), [b"during".to_vec(), b"after".to_vec()]);
    }

    #[test]
    fn subscribe_twice_counts_once() {
        let topic = Topic::new("t");
        let a = conn();
        assert!(topic.subscribe(&a));
        assert!(!topic.subscribe(&a));
        assert_eq!(topic.len(), 1);
        assert!(topic.unsubscribe(&a));
        assert!(!topic.unsubscribe(&a));
        assert_eq!(a.groups(), 0);
    }
}
