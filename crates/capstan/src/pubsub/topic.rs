//! One topic and its subscribers.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock, Weak};

use super::prepared::PreparedMessage;
use super::topics::Registry;
use crate::conn::{Conn, ConnId};
use crate::ws::Message;

struct Inner {
    name: Arc<str>,
    subscribers: RwLock<HashMap<ConnId, Conn>>,
    registry: Weak<Registry>,
}

/// A named set of connections that receive what is published to it.
/// Connections leave every topic by themselves when they close.
#[derive(Clone)]
pub struct Topic(Arc<Inner>);

/// What a publish did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Subscribers whose queue took the message.
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
        Self(Arc::new(Inner { name, subscribers: RwLock::default(), registry }))
    }

    /// The topic's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Adds `conn`; true if it was not subscribed yet.
    pub fn subscribe(&self, conn: &Conn) -> bool {
        let added = self.write().insert(conn.id(), conn.clone()).is_none();
        if added {
            conn.remember_topic(self);
        }
        added
    }

    /// Removes `conn`; true if it was subscribed.
    pub fn unsubscribe(&self, conn: &Conn) -> bool {
        conn.forget_topic(self);
        self.remove(conn.id())
    }

    pub(crate) fn remove(&self, id: ConnId) -> bool {
        let mut subscribers = self.write();
        let removed = subscribers.remove(&id).is_some();
        let now_empty = subscribers.is_empty();
        drop(subscribers);
        if removed && now_empty {
            if let Some(registry) = self.0.registry.upgrade() {
                registry.drop_if_empty(self);
            }
        }
        removed
    }

    /// Whether `conn` is subscribed.
    pub fn contains(&self, conn: &Conn) -> bool {
        self.read().contains_key(&conn.id())
    }

    /// How many connections are subscribed.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether nobody is subscribed.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
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
    pub fn publish_prepared(&self, message: &PreparedMessage, exclude: &[ConnId]) -> Delivery {
        let mut delivery = Delivery::default();
        for (id, conn) in self.read().iter() {
            if exclude.contains(id) {
                continue;
            }
            match conn.send_prepared(message) {
                Ok(()) => delivery.queued += 1,
                Err(_) => delivery.refused += 1,
            }
        }
        delivery
    }

    pub(crate) fn same_as(&self, other: &Topic) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<ConnId, Conn>> {
        self.0.subscribers.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<ConnId, Conn>> {
        self.0.subscribers.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Topic").field("name", &self.name()).field("len", &self.len()).finish()
    }
}
