//! `Topic`, as Ratchet's: a URI and the clients subscribed to it, with a
//! broadcast that leaves out the excluded and keeps to the eligible. The
//! event is serialized and framed once; each subscriber's queue gets a
//! handle to the same bytes.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use capstan::PreparedMessage;

use super::conn::WampConn;
use super::encode;
use crate::value::Value;

struct Inner {
    id: String,
    subscribers: Mutex<HashMap<String, WampConn>>,
}

/// A topic and its subscribers, by session ID. Handed to the
/// application's callbacks by the [`TopicManager`](super::TopicManager),
/// which subscribes and unsubscribes clients; cheap to clone (keep one to
/// broadcast to later, as Ratchet's push tutorial does).
#[derive(Clone)]
pub struct Topic(Arc<Inner>);

/// Whether the client with `session_id` receives an event published with
/// `exclude` and `eligible`, as Ratchet decides: not if excluded; if
/// `eligible` is not empty, only if in it. (An empty `eligible` list
/// restricts nothing.)
pub fn is_recipient(session_id: &str, exclude: &[String], eligible: &[String]) -> bool {
    !exclude.iter().any(|id| id == session_id)
        && (eligible.is_empty() || eligible.iter().any(|id| id == session_id))
}

impl Topic {
    /// A topic with no subscribers.
    pub(super) fn new(id: impl Into<String>) -> Self {
        Self(Arc::new(Inner { id: id.into(), subscribers: Mutex::default() }))
    }

    /// Its URI (Ratchet's `getId`; also what `Display` and `AsRef<str>` give).
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// Sends `event` to every subscriber that [`is_recipient`] says
    /// receives it, as EVENT `[8, id, event]` serialized once (Ratchet's
    /// `broadcast`; `&[]` for either list: no restriction). Returns how
    /// many clients it was sent to.
    pub fn broadcast(&self, event: &Value, exclude: &[String], eligible: &[String]) -> usize {
        let subscribers = self.subscribers_locked();
        let mut frame = None;
        let mut sent = 0;
        for conn in subscribers.values() {
            if !is_recipient(conn.session_id(), exclude, eligible) {
                continue;
            }
            let frame = frame.get_or_insert_with(|| {
                let text = encode::event_text(&self.0.id, event);
                PreparedMessage::new(capstan::Message::text(text))
            });
            conn.send_prepared(frame);
            sent += 1;
        }
        sent
    }

    /// Whether `conn` is subscribed (Ratchet's `has`).
    pub fn has(&self, conn: &WampConn) -> bool {
        self.subscribers_locked().contains_key(conn.session_id())
    }

    /// How many clients are subscribed (Ratchet's `count`).
    pub fn count(&self) -> usize {
        self.subscribers_locked().len()
    }

    /// Whether nobody is.
    pub fn is_empty(&self) -> bool {
        self.subscribers_locked().is_empty()
    }

    /// The subscribers, in no particular order (Ratchet's iterator).
    pub fn subscribers(&self) -> Vec<WampConn> {
        self.subscribers_locked().values().cloned().collect()
    }

    /// Subscribes `conn`; false if it already was.
    pub(super) fn add(&self, conn: &WampConn) -> bool {
        let mut subscribers = self.subscribers_locked();
        if subscribers.contains_key(conn.session_id()) {
            return false;
        }
        subscribers.insert(conn.session_id().to_owned(), conn.clone());
        true
    }

    /// Unsubscribes the client with `session_id`; false if it was not.
    /// Says whether the topic is empty now.
    pub(super) fn remove(&self, session_id: &str) -> (bool, bool) {
        let mut subscribers = self.subscribers_locked();
        let removed = subscribers.remove(session_id).is_some();
        (removed, subscribers.is_empty())
    }

    fn subscribers_locked(&self) -> MutexGuard<'_, HashMap<String, WampConn>> {
        self.0.subscribers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl AsRef<str> for Topic {
    fn as_ref(&self) -> &str {
        self.id()
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl fmt::Debug for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Topic").field("id", &self.id()).field("count", &self.count()).finish()
    }
}

impl PartialEq for Topic {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Topic {}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|id| id.to_string()).collect()
    }

    #[test]
    fn exclude_leaves_out_and_eligible_keeps_to() {
        let none: &[String] = &[];
        assert!(is_recipient("a", none, none));
        assert!(!is_recipient("a", &ids(&["a"]), none));
        assert!(is_recipient("a", &ids(&["b"]), none));
        assert!(is_recipient("a", none, &ids(&["a", "b"])));
        assert!(!is_recipient("a", none, &ids(&["b"])));
        // Excluded wins over eligible.
        assert!(!is_recipient("a", &ids(&["a"]), &ids(&["a"])));
    }

    /// A topic with subscribers a, b and c, and the three clients.
    fn topic() -> (Topic, [WampConn; 3]) {
        let topic = Topic::new("http://example.com/t");
        let clients = ["a", "b", "c"].map(WampConn::detached);
        for client in &clients {
            assert!(topic.add(client));
        }
        (topic, clients)
    }

    /// Which of `clients` got an event, each taking what it got.
    fn receivers(clients: &[WampConn]) -> Vec<&str> {
        clients.iter().filter(|c| !c.take_sent().is_empty()).map(|c| c.session_id()).collect()
    }

    #[test]
    fn broadcast_sends_one_event_to_each_recipient() {
        let (topic, clients) = topic();
        assert_eq!(topic.broadcast(&Value::from("hi"), &[], &[]), 3);
        for client in &clients {
            assert_eq!(client.take_sent(), [r#"[8,"http://example.com/t","hi"]"#]);
        }
        let event = Value::Null;
        assert_eq!(topic.broadcast(&event, &ids(&["a"]), &[]), 2);
        assert_eq!(receivers(&clients), ["b", "c"]);
        assert_eq!(topic.broadcast(&event, &[], &ids(&["c", "zz"])), 1);
        assert_eq!(receivers(&clients), ["c"]);
        assert_eq!(topic.broadcast(&event, &ids(&["b"]), &ids(&["a", "b"])), 1);
        assert_eq!(receivers(&clients), ["a"]);
        assert_eq!(topic.broadcast(&event, &ids(&["a", "b", "c"]), &[]), 0);
        assert_eq!(receivers(&clients), Vec::<&str>::new());
    }

    #[test]
    fn subscribers_are_counted_once_and_removed() {
        let (topic, [a, b, c]) = topic();
        assert!(!topic.add(&a), "a second add changes nothing");
        assert_eq!(topic.count(), 3);
        assert!(topic.has(&b));
        assert_eq!(topic.remove("b"), (true, false));
        assert_eq!(topic.remove("b"), (false, false));
        assert!(!topic.has(&b));
        let mut left: Vec<String> =
            topic.subscribers().iter().map(|s| s.session_id().to_owned()).collect();
        left.sort();
        assert_eq!(left, ["a", "c"]);
        assert_eq!(topic.remove("a"), (true, false));
        assert_eq!(topic.remove(c.session_id()), (true, true));
        assert!(topic.is_empty());
        assert_eq!(topic.broadcast(&Value::Null, &[], &[]), 0);
    }

    #[test]
    fn a_topic_reads_as_its_uri() {
        let topic = Topic::new("http://example.com/t");
        assert_eq!(
            (topic.id(), topic.to_string().as_str()),
            ("http://example.com/t", topic.as_ref())
        );
        assert!(format!("{topic:?}").contains("count: 0"));
    }
}
