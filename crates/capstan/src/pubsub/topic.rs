//! One topic and its subscribers.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, RwLock, Weak};

use super::kept::{KeptGuard, KeptState};
use super::pacing::Pacing;
use super::topics::Registry;
use crate::conn::{Conn, ConnId, Membership};
use crate::stats;
use crate::ws::Message;
use crate::ws::PreparedMessage;

pub(crate) struct Inner {
    name: Arc<str>,
    subscribers: RwLock<HashMap<ConnId, Conn>>,
    /// In-process listeners (see `listener`), by their number.
    listeners: RwLock<Vec<(u64, Listener)>>,
    registry: Weak<Registry>,
    /// Whether a publish may write to sockets at once (see `pacing`).
    pacing: Pacing,
    next_listener: std::sync::atomic::AtomicU64,
    /// Its kept publications on this node (see `kept`).
    kept: std::sync::Mutex<KeptState>,
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
    /// Subscribers that took the message: queued, or written to their
    /// socket at once.
    pub queued: usize,
    /// Subscribers that refused it (closing, or over their queue bound).
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
            pacing: Pacing::new(),
            next_listener: std::sync::atomic::AtomicU64::new(0),
            kept: std::sync::Mutex::default(),
        }))
    }

    /// The topic's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Adds `conn`; true if it was not subscribed yet.
    pub fn subscribe(&self, conn: &Conn) -> bool {
        let added = self.write().insert(conn.id(), conn.clone()).is_none();
        if added {
            stats::subscriptions(1);
            conn.join_group(self.as_group());
        }
        added
    }

    /// Removes `conn`; true if it was subscribed.
    pub fn unsubscribe(&self, conn: &Conn) -> bool {
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
        self.read().values().cloned().collect()
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
    /// While publishes come far apart, each subscriber waiting with nothing
    /// queued gets it written to its socket at once; under a flood it is
    /// queued, and each connection writes what piled up in one call.
    pub fn publish_prepared(&self, message: &PreparedMessage, exclude: &[ConnId]) -> Delivery {
        let subscribers = self.read();
        let excluded = Excluded::new(exclude);
        let conns = subscribers.iter().filter(|(id, _)| !excluded.contains(id)).map(|(_, c)| c);
        let mut delivery =
            super::fanout::deliver(&self.0.pacing, message, subscribers.len(), conns);
        drop(subscribers);
        // Listeners run outside the lock: they may subscribe or publish.
        let listeners: Vec<Listener> =
            self.0.listeners_read().iter().map(|(_, l)| l.clone()).collect();
        for listener in listeners {
            listener(message);
            delivery.queued += 1;
        }
        delivery
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

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<ConnId, Conn>> {
        self.0.subscribers.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<ConnId, Conn>> {
        self.0.subscribers.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// The connections a publish skips: a short list is scanned, a long one
/// hashed once, so a publish stays linear in the subscribers however many
/// are excluded.
enum Excluded<'a> {
    Few(&'a [ConnId]),
    Many(HashSet<ConnId>),
}

impl<'a> Excluded<'a> {
    const SCAN_AT_MOST: usize = 16;

    fn new(ids: &'a [ConnId]) -> Self {
        if ids.len() <= Self::SCAN_AT_MOST {
            Self::Few(ids)
        } else {
            Self::Many(ids.iter().copied().collect())
        }
    }

    fn contains(&self, id: &ConnId) -> bool {
        match self {
            Self::Few(ids) => ids.contains(id),
            Self::Many(ids) => ids.contains(id),
        }
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
        assert!(exclude.len() > Excluded::SCAN_AT_MOST);
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
