//! What a node's topics run on: a broker to reach the other nodes, the
//! history kept publications are recovered from, and how they are framed
//! for subscribers. In memory by default; an engine crate (Redis, NATS)
//! gives the other parts.

use std::sync::Arc;

use super::broker::Broker;
use super::framing::{AsPublished, Framing};
use super::history::History;
use super::local_broker::LocalBroker;

/// The parts a [`Topics`](crate::Topics) registry runs on.
#[derive(Clone)]
pub struct Engine {
    /// Carries publications between nodes.
    pub broker: Arc<dyn Broker>,
    /// Where a node reads the kept publications it missed (`None`: a gap
    /// is a loss).
    pub history: Option<Arc<dyn History>>,
    /// How kept publications reach subscribers.
    pub framing: Arc<dyn Framing>,
}

impl Engine {
    /// `broker` alone: no history, publications as published.
    pub fn new(broker: Arc<dyn Broker>) -> Self {
        Self { broker, history: None, framing: Arc::new(AsPublished) }
    }

    /// One process, kept publications in `history` (a
    /// [`MemoryHistory`](super::MemoryHistory), say).
    pub fn local(history: Arc<dyn History>) -> Self {
        Self::new(Arc::new(LocalBroker::with_history(history.clone()))).with_history(history)
    }

    /// Recovers from `history`.
    pub fn with_history(mut self, history: Arc<dyn History>) -> Self {
        self.history = Some(history);
        self
    }

    /// Frames kept publications with `framing`.
    pub fn with_framing(mut self, framing: Arc<dyn Framing>) -> Self {
        self.framing = framing;
        self
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("history", &self.history.is_some()).finish_non_exhaustive()
    }
}
