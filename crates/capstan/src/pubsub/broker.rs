//! The broker seam: how a node's topics reach other nodes. A [`Topics`]
//! registry tells its broker which topics this node has subscribers on and
//! hands it every publish; the broker carries publications between nodes
//! and delivers those for this node into its local fan-out
//! ([`LocalFanout`]), where a message is encoded once and written to
//! waiting sockets at once, paced. The default, [`LocalBroker`], is one
//! process: it delivers at once and answers at once.
//!
//! [`Topics`]: super::Topics
//! [`LocalBroker`]: super::LocalBroker

use std::sync::Weak;

use super::ack::{Ack, BrokerError};
use super::history::{BoxFuture, Stored};
use super::topic::Delivery;
use super::topics::Registry;
use crate::conn::ConnId;
use crate::ws::PreparedMessage;

/// Carries publications between the nodes of a deployment.
///
/// `subscribe` and `unsubscribe` are called under the registry's lock, in
/// the order the node's topics gain their first subscriber and lose their
/// last: they must return at once (queue the work) and must not call back
/// into the registry.
pub trait Broker: Send + Sync + 'static {
    /// Called once, when a registry takes this broker: publications for
    /// this node go to `local`.
    fn attach(&self, local: LocalFanout);

    /// This node has a first subscriber on `topic`: receive its
    /// publications from now on.
    fn subscribe(&self, topic: &str);

    /// This node's last subscriber on `topic` left.
    fn unsubscribe(&self, topic: &str);

    /// Publishes to every node that has subscribers on the topic, this one
    /// included. Says what was delivered on this node at once, if anything,
    /// and gives the broker's answer (now or later). A kept publication
    /// ([`Publication::keep`]) is acknowledged only once the history has it,
    /// with its position, and delivered with [`LocalFanout::deliver_kept`].
    fn publish(&self, publication: Publication<'_>) -> Published;

    /// Resolves once this node receives `topic`'s publications (it was
    /// told to [`subscribe`](Broker::subscribe)): a history read after
    /// that misses nothing. The in-process default is ready at once.
    fn ready(&self, _topic: &str) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// One publish, as a broker receives it.
#[derive(Debug, Clone, Copy)]
pub struct Publication<'a> {
    /// The topic's name.
    pub topic: &'a str,
    /// The message, encoded once (its bytes: [`PreparedMessage::message`]).
    pub message: &'a PreparedMessage,
    /// Connections of this node not to deliver to (the sender, say).
    pub exclude: &'a [ConnId],
    /// Keep it in the topic's history, where it gets a [`Position`]
    /// (`None`: fan-out only, nothing kept).
    ///
    /// [`Position`]: super::Position
    pub keep: Option<Keep<'a>>,
}

/// How a publication is kept in its topic's history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keep<'a> {
    /// A publication whose key the topic's history holds already is not
    /// kept or delivered again: its ack carries the first one's position,
    /// marked [`duplicate`](super::Acknowledged::duplicate).
    pub idempotency_key: Option<&'a str>,
}

/// What a publish did.
#[derive(Debug)]
pub struct Published {
    /// Delivered on this node at once (by the in-process broker, all of
    /// it; by a broker across the network, what it chose to deliver
    /// before the round trip, possibly nothing).
    pub local: Delivery,
    /// The broker's answer: await it to know the publication is safe with
    /// the engine (and, with history, its position).
    pub ack: Ack,
}

/// A node's own fan-out, where a broker delivers publications for it. It
/// holds the registry weakly: a broker outliving its registry delivers
/// nowhere.
#[derive(Clone)]
pub struct LocalFanout(Weak<Registry>);

impl LocalFanout {
    pub(crate) fn new(registry: Weak<Registry>) -> Self {
        Self(registry)
    }

    /// Delivers `message` to this node's subscribers of `topic`, but those
    /// in `exclude` and those the framing skips
    /// ([`Framing::skip_plain`](super::Framing::skip_plain)): encoded once,
    /// written at once to waiting sockets.
    pub fn deliver(&self, topic: &str, message: &PreparedMessage, exclude: &[ConnId]) -> Delivery {
        let Some(registry) = self.0.upgrade() else { return Delivery::default() };
        let Some(topic) = registry.get(topic) else { return Delivery::default() };
        let skipped = registry.framing().skip_plain(topic.name(), &message.message());
        if skipped.is_empty() {
            return topic.publish_prepared(message, exclude);
        }
        let mut all = exclude.to_vec();
        all.extend(skipped);
        topic.publish_prepared(message, &all)
    }

    /// Delivers a kept publication to this node's subscribers of `topic`
    /// but those in `exclude`: once, in stream order. One that comes early
    /// waits while the gap is read from the history; a gap the history
    /// cannot fill is reported to the topic's subscribers (see
    /// [`Framing::lost`](super::Framing::lost)).
    pub fn deliver_kept(&self, topic: &str, stored: Stored, exclude: &[ConnId]) {
        if let Some(registry) = self.0.upgrade() {
            registry.deliver_kept(topic, stored, exclude);
        }
    }

    /// The broker's connection was cut and is back: publications may have
    /// been missed meanwhile, so each kept topic reads its history since
    /// what it delivered last.
    pub fn reconnected(&self) {
        if let Some(registry) = self.0.upgrade() {
            registry.reconnected();
        }
    }

    /// The topics this node has subscribers on (to subscribe them again
    /// after the broker reconnects).
    pub fn topics(&self) -> Vec<String> {
        self.0.upgrade().map(|registry| registry.names()).unwrap_or_default()
    }
}

impl std::fmt::Debug for LocalFanout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalFanout").field("attached", &(self.0.strong_count() > 0)).finish()
    }
}

#[cfg(test)]
mod tests;
