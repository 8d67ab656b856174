//! A registry of topics by name, created on first subscription and dropped
//! when their last subscriber leaves; the node's topics as its broker sees
//! them (see `broker`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::broker::{Broker, Keep, LocalFanout, Publication, Published};
use super::engine::Engine;
use super::framing::Framing;
use super::history::History;
use super::local_broker::LocalBroker;
use super::topic::{Inner, Topic};
use crate::conn::{Conn, ConnId};
use crate::ws::Message;
use crate::ws::PreparedMessage;

pub(crate) struct Registry {
    topics: RwLock<HashMap<Arc<str>, Topic>>,
    broker: Arc<dyn Broker>,
    /// Where gaps in kept publications are read from, if anywhere.
    history: Option<Arc<dyn History>>,
    framing: Arc<dyn Framing>,
}

impl Registry {
    /// Drops the topic `inner` if it is still the one registered under its
    /// name and nobody is subscribed to it.
    pub(crate) fn drop_if_empty(&self, inner: &Inner) {
        let mut topics = self.topics.write().unwrap_or_else(|p| p.into_inner());
        let current = topics.get(inner.name());
        if current.is_some_and(|t| t.is(inner) && t.is_empty()) {
            topics.remove(inner.name());
            self.broker.unsubscribe(inner.name());
        }
    }

    /// The topic called `name`, if anyone is subscribed to it.
    pub(crate) fn get(&self, name: &str) -> Option<Topic> {
        self.topics.read().unwrap_or_else(|p| p.into_inner()).get(name).cloned()
    }

    /// Every topic that has subscribers.
    pub(crate) fn all(&self) -> Vec<Topic> {
        self.topics.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }

    pub(crate) fn broker(&self) -> &dyn Broker {
        &*self.broker
    }

    pub(crate) fn history(&self) -> Option<&Arc<dyn History>> {
        self.history.as_ref()
    }

    pub(crate) fn framing(&self) -> &dyn Framing {
        &*self.framing
    }

    /// The names of the topics that have subscribers.
    pub(crate) fn names(&self) -> Vec<String> {
        let topics = self.topics.read().unwrap_or_else(|p| p.into_inner());
        topics.keys().map(|k| k.to_string()).collect()
    }
}

/// An in-process listener of a topic ([`Topics::listen`]): it listens
/// until dropped.
#[must_use = "the listener stops when this handle is dropped"]
pub struct Listening {
    topic: Topic,
    number: u64,
}

impl Listening {
    /// The topic listened to.
    pub(crate) fn topic(&self) -> &Topic {
        &self.topic
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.topic.remove_listener(self.number);
    }
}

/// Named topics: this node's publish/subscribe, through its broker. Cheap
/// to clone; clones share the same topics.
///
/// A [`Topic`] taken from here publishes to this node only; publish
/// through the registry ([`Topics::publish`]) to reach every node.
#[derive(Clone)]
pub struct Topics(Arc<Registry>);

impl Default for Topics {
    fn default() -> Self {
        Self::new()
    }
}

impl Topics {
    /// An empty registry for one process (the in-process [`LocalBroker`]).
    pub fn new() -> Self {
        Self::with_broker(Arc::new(LocalBroker::new()))
    }

    /// An empty registry whose topics reach other nodes through `broker`.
    pub fn with_broker(broker: Arc<dyn Broker>) -> Self {
        Self::with_engine(Engine::new(broker))
    }

    /// An empty registry on `engine`: its broker, the history its kept
    /// publications are recovered from, and how they are framed.
    pub fn with_engine(engine: Engine) -> Self {
        let Engine { broker, history, framing } = engine;
        let registry = Arc::new(Registry { topics: RwLock::default(), broker, history, framing });
        registry.broker.attach(LocalFanout::new(Arc::downgrade(&registry)));
        Self(registry)
    }

    /// The topic called `name`, if anyone is subscribed to it.
    pub fn get(&self, name: &str) -> Option<Topic> {
        self.0.get(name)
    }

    pub(crate) fn registry(&self) -> &Arc<Registry> {
        &self.0
    }

    /// Subscribes `conn` to `name`, creating the topic if needed (and
    /// subscribing this node to it at the broker). On an engine across the
    /// network the node hears other nodes' publications only once the
    /// broker confirmed: await [`Topics::ready`] before publishing what the
    /// connection must see, or subscribe with [`Topics::subscribe_since`].
    pub fn subscribe(&self, name: &str, conn: &Conn) -> Topic {
        let mut topics = self.0.topics.write().unwrap_or_else(|p| p.into_inner());
        let topic = self.topic_in(&mut topics, name);
        // Subscribe under the registry lock, so the topic cannot be dropped
        // as empty between its lookup and the subscription.
        topic.subscribe(conn);
        drop(topics);
        topic
    }

    /// Calls `listener` with every message delivered to `name` on this node
    /// (published here or, through the broker, on another node), until the
    /// returned handle is dropped: a subscriber in this process, for code
    /// that is not a connection (a router, a bridge). The topic and the
    /// broker subscription live while it listens.
    pub fn listen(
        &self,
        name: &str,
        listener: impl Fn(&PreparedMessage) + Send + Sync + 'static,
    ) -> Listening {
        let mut topics = self.0.topics.write().unwrap_or_else(|p| p.into_inner());
        let topic = self.topic_in(&mut topics, name);
        let number = topic.add_listener(Arc::new(listener));
        drop(topics);
        Listening { topic, number }
    }

    /// Resolves once this node receives `name`'s publications from other
    /// nodes (it has a subscriber or listener there): at once in one
    /// process; after the engine confirmed the subscription across nodes.
    pub async fn ready(&self, name: &str) -> Result<(), super::BrokerError> {
        self.0.broker.ready(name).await
    }

    /// Unsubscribes `conn` from `name`; true if it was subscribed.
    pub fn unsubscribe(&self, name: &str, conn: &Conn) -> bool {
        self.get(name).is_some_and(|topic| topic.unsubscribe(conn))
    }

    /// Publishes to `name` on every node, through the broker; this node's
    /// subscribers but those in `exclude` receive it.
    pub fn publish(
        &self,
        name: &str,
        message: impl Into<Message>,
        exclude: &[ConnId],
    ) -> Published {
        self.publish_prepared(name, &PreparedMessage::new(message), exclude)
    }

    /// As [`Topics::publish`], for a message encoded already.
    pub fn publish_prepared(
        &self,
        name: &str,
        message: &PreparedMessage,
        exclude: &[ConnId],
    ) -> Published {
        self.0.broker.publish(Publication { topic: name, message, exclude, keep: None })
    }

    /// Publishes to `name` on every node and keeps it in the topic's
    /// history: the ack carries its position once the engine has it, and
    /// every node delivers it in stream order (see [`Keep`]).
    pub fn publish_kept(
        &self,
        name: &str,
        message: impl Into<Message>,
        exclude: &[ConnId],
        keep: Keep<'_>,
    ) -> Published {
        let message = PreparedMessage::new(message);
        self.0.broker.publish(Publication {
            topic: name,
            message: &message,
            exclude,
            keep: Some(keep),
        })
    }

    /// The topic `name` in `topics` (the registry, locked), made and
    /// subscribed at the broker if new.
    fn topic_in(&self, topics: &mut HashMap<Arc<str>, Topic>, name: &str) -> Topic {
        match topics.get(name) {
            Some(topic) => topic.clone(),
            None => {
                let key: Arc<str> = Arc::from(name);
                let topic = Topic::in_registry(key.clone(), Arc::downgrade(&self.0));
                topics.insert(key, topic.clone());
                self.0.broker.subscribe(name);
                topic
            }
        }
    }

    /// The names of the topics that have subscribers on this node.
    pub fn names(&self) -> Vec<String> {
        self.0.names()
    }

    /// How many topics have subscribers on this node.
    pub fn len(&self) -> usize {
        self.0.topics.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no topic has subscribers on this node.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
