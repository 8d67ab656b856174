//! `TopicManager`, as Ratchet's: the topics that have subscribers, and
//! which topics each client is subscribed to, kept as clients subscribe,
//! unsubscribe and leave. A topic lives while it has subscribers: the
//! last one out removes it (Ratchet's `cleanTopic`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use super::conn::WampConn;
use super::topic::Topic;

#[derive(Default)]
struct Registry {
    /// Topics with subscribers, by URI.
    topics: HashMap<String, Topic>,
    /// The URIs each session is subscribed to, by session ID.
    subscriptions: HashMap<String, HashSet<String>>,
}

/// The topics of one WAMP v1 server. Cheap to clone; clones share the topics.
#[derive(Clone, Default)]
pub struct TopicManager(Arc<Mutex<Registry>>);

impl TopicManager {
    /// No topics.
    pub fn new() -> Self {
        Self::default()
    }

    /// The topic `uri` with its subscribers; if it has none, an empty topic
    /// that is not kept (a CALL's or a PUBLISH's topic, as Ratchet's
    /// `getTopic` hands them, without keeping every URI ever named).
    pub fn topic(&self, uri: &str) -> Topic {
        self.get(uri).unwrap_or_else(|| Topic::new(uri))
    }

    /// The topic `uri`, if anyone is subscribed to it.
    pub fn get(&self, uri: &str) -> Option<Topic> {
        self.registry().topics.get(uri).cloned()
    }

    /// Subscribes `conn` to `uri`: the topic, or `None` if it already was
    /// subscribed (then the application is not told again, as in Ratchet).
    pub fn subscribe(&self, conn: &WampConn, uri: &str) -> Option<Topic> {
        let mut registry = self.registry();
        let topic = registry.topics.entry(uri.to_owned()).or_insert_with(|| Topic::new(uri));
        if !topic.add(conn) {
            return None;
        }
        let topic = topic.clone();
        let session = registry.subscriptions.entry(conn.session_id().to_owned()).or_default();
        session.insert(uri.to_owned());
        Some(topic)
    }

    /// Unsubscribes `conn` from `uri`: the topic, or `None` if it was not
    /// subscribed. The topic is dropped from the manager once empty.
    pub fn unsubscribe(&self, conn: &WampConn, uri: &str) -> Option<Topic> {
        let mut registry = self.registry();
        let session = conn.session_id();
        let uris = registry.subscriptions.get_mut(session)?;
        if !uris.remove(uri) {
            return None;
        }
        if uris.is_empty() {
            registry.subscriptions.remove(session);
        }
        let topic = registry.topics.get(uri)?.clone();
        if let (_, true) = topic.remove(session) {
            registry.topics.remove(uri);
        }
        Some(topic)
    }

    /// Unsubscribes `conn` from every topic (it is gone): how many it was in.
    pub fn leave_all(&self, conn: &WampConn) -> usize {
        let mut registry = self.registry();
        let session = conn.session_id();
        let Some(uris) = registry.subscriptions.remove(session) else { return 0 };
        for uri in &uris {
            let emptied = registry.topics.get(uri).is_some_and(|topic| topic.remove(session).1);
            if emptied {
                registry.topics.remove(uri);
            }
        }
        uris.len()
    }

    /// The URIs `conn` is subscribed to, in no particular order.
    pub fn subscriptions(&self, conn: &WampConn) -> Vec<String> {
        let registry = self.registry();
        registry.subscriptions.get(conn.session_id()).into_iter().flatten().cloned().collect()
    }

    /// The URIs of the topics that have subscribers, in no particular order.
    pub fn uris(&self) -> Vec<String> {
        self.registry().topics.keys().cloned().collect()
    }

    /// How many topics have subscribers.
    pub fn len(&self) -> usize {
        self.registry().topics.len()
    }

    /// Whether none has.
    pub fn is_empty(&self) -> bool {
        self.registry().topics.is_empty()
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for TopicManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let registry = self.registry();
        f.debug_struct("TopicManager")
            .field("topics", &registry.topics.len())
            .field("sessions", &registry.subscriptions.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "http://example.com/t";
    const U: &str = "http://example.com/u";

    fn sorted(mut list: Vec<String>) -> Vec<String> {
        list.sort();
        list
    }

    #[test]
    fn a_client_is_subscribed_once() {
        let topics = TopicManager::new();
        let a = WampConn::detached("a");
        let topic = topics.subscribe(&a, T).expect("a new subscription");
        assert_eq!((topic.id(), topic.count()), (T, 1));
        assert_eq!(topics.subscribe(&a, T), None, "subscribed already");
        assert_eq!(topics.get(T), Some(topic.clone()));
        assert_eq!(topics.topic(T), topic, "the kept topic, with its subscribers");
        let b = WampConn::detached("b");
        assert_eq!(topics.subscribe(&b, T), Some(topic.clone()), "the same topic");
        assert_eq!(topic.count(), 2);
        assert_eq!(topics.len(), 1);
    }

    #[test]
    fn a_topic_goes_with_its_last_subscriber() {
        let topics = TopicManager::new();
        let (a, b) = (WampConn::detached("a"), WampConn::detached("b"));
        topics.subscribe(&a, T);
        topics.subscribe(&b, T);
        assert_eq!(topics.unsubscribe(&b, U), None, "not subscribed to U");
        let topic = topics.unsubscribe(&a, T).expect("was subscribed");
        assert_eq!(topic.count(), 1);
        assert_eq!(topics.unsubscribe(&a, T), None, "not twice");
        assert_eq!(topics.len(), 1);
        let last = topics.unsubscribe(&b, T).expect("was subscribed");
        assert!(last.is_empty());
        assert!(topics.is_empty());
        assert_eq!(topics.get(T), None);
        // A new subscriber finds a new topic.
        let again = topics.subscribe(&a, T).unwrap();
        assert_ne!(again, topic);
    }

    #[test]
    fn a_client_that_leaves_leaves_every_topic() {
        let topics = TopicManager::new();
        let (a, b) = (WampConn::detached("a"), WampConn::detached("b"));
        topics.subscribe(&a, T);
        topics.subscribe(&a, U);
        topics.subscribe(&b, U);
        assert_eq!(sorted(topics.subscriptions(&a)), [T, U]);
        assert_eq!(sorted(topics.uris()), [T, U]);
        assert_eq!(topics.leave_all(&a), 2);
        assert_eq!(topics.uris(), [U], "T had no one else");
        assert!(topics.subscriptions(&a).is_empty());
        assert_eq!(topics.get(U).map(|t| t.subscribers()), Some(vec![b.clone()]));
        assert_eq!(topics.leave_all(&a), 0);
        assert_eq!(topics.leave_all(&b), 1);
        assert!(topics.is_empty());
        assert!(format!("{topics:?}").contains("sessions: 0"));
    }

    #[test]
    fn a_topic_nobody_subscribed_to_is_not_kept() {
        let topics = TopicManager::new();
        let topic = topics.topic(T);
        assert_eq!((topic.id(), topic.count()), (T, 0));
        assert!(topics.is_empty());
        assert_eq!(topic.broadcast(&crate::Value::Null, &[], &[]), 0);
    }

    #[test]
    fn a_broadcast_reaches_the_subscribers_of_the_kept_topic() {
        let topics = TopicManager::new();
        let (a, b) = (WampConn::detached("a"), WampConn::detached("b"));
        topics.subscribe(&a, T);
        topics.subscribe(&b, T);
        topics.unsubscribe(&b, T);
        assert_eq!(topics.topic(T).broadcast(&"x".into(), &[], &[]), 1);
        assert_eq!(a.take_sent().len(), 1);
        assert!(b.take_sent().is_empty());
    }
}
