//! A registry of topics by name, created on first subscription and dropped
//! when their last subscriber leaves.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::topic::{Delivery, Inner, Topic};
use crate::conn::{Conn, ConnId};
use crate::ws::Message;
use crate::ws::PreparedMessage;

#[derive(Default)]
pub(crate) struct Registry {
    topics: RwLock<HashMap<Arc<str>, Topic>>,
}

impl Registry {
    /// Drops the topic `inner` if it is still the one registered under its
    /// name and nobody is subscribed to it.
    pub(crate) fn drop_if_empty(&self, inner: &Inner) {
        let mut topics = self.topics.write().unwrap_or_else(|p| p.into_inner());
        let current = topics.get(inner.name());
        if current.is_some_and(|t| t.is(inner) && t.is_empty()) {
            topics.remove(inner.name());
        }
    }
}

/// Named topics. Cheap to clone; clones share the same topics.
#[derive(Clone, Default)]
pub struct Topics(Arc<Registry>);

impl Topics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The topic called `name`, if anyone is subscribed to it.
    pub fn get(&self, name: &str) -> Option<Topic> {
        self.0.topics.read().unwrap_or_else(|p| p.into_inner()).get(name).cloned()
    }

    /// Subscribes `conn` to `name`, creating the topic if needed.
    pub fn subscribe(&self, name: &str, conn: &Conn) -> Topic {
        let mut topics = self.0.topics.write().unwrap_or_else(|p| p.into_inner());
        let topic = topics
            .entry(Arc::from(name))
            .or_insert_with_key(|key| Topic::in_registry(key.clone(), Arc::downgrade(&self.0)))
            .clone();
        // Subscribe under the registry lock, so the topic cannot be dropped
        // as empty between its lookup and the subscription.
        topic.subscribe(conn);
        drop(topics);
        topic
    }

    /// Unsubscribes `conn` from `name`; true if it was subscribed.
    pub fn unsubscribe(&self, name: &str, conn: &Conn) -> bool {
        self.get(name).is_some_and(|topic| topic.unsubscribe(conn))
    }

    /// Publishes to `name` (nobody receives it if nobody is subscribed).
    pub fn publish(&self, name: &str, message: impl Into<Message>, exclude: &[ConnId]) -> Delivery {
        match self.get(name) {
            Some(topic) => topic.publish_prepared(&PreparedMessage::new(message), exclude),
            None => Delivery::default(),
        }
    }

    /// The names of the topics that have subscribers.
    pub fn names(&self) -> Vec<String> {
        let topics = self.0.topics.read().unwrap_or_else(|p| p.into_inner());
        topics.keys().map(|k| k.to_string()).collect()
    }

    /// How many topics have subscribers.
    pub fn len(&self) -> usize {
        self.0.topics.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no topic has subscribers.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
