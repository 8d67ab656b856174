//! The in-process broker, the default: one node, every publish delivered
//! at once into the local fan-out and acknowledged at once.

use std::sync::OnceLock;

use super::ack::{Ack, Acknowledged};
use super::broker::{Broker, LocalFanout, Publication, Published};
use super::topic::Delivery;

/// A broker for one process: topics reach this node only.
#[derive(Debug, Default)]
pub struct LocalBroker {
    local: OnceLock<LocalFanout>,
}

impl LocalBroker {
    /// A broker not attached to a registry yet.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Broker for LocalBroker {
    fn attach(&self, local: LocalFanout) {
        // A broker serves one registry: a second attach is ignored.
        let _ = self.local.set(local);
    }

    fn subscribe(&self, _topic: &str) {}

    fn unsubscribe(&self, _topic: &str) {}

    fn publish(&self, publication: Publication<'_>) -> Published {
        let Publication { topic, message, exclude } = publication;
        let local = match self.local.get() {
            Some(local) => local.deliver(topic, message, exclude),
            None => Delivery::default(),
        };
        Published { local, ack: Ack::ready(Ok(Acknowledged::default())) }
    }
}
