//! Topics: the publish/subscribe primitive that rooms, WAMP and scale-out
//! build on. A message published to a topic is encoded once; every
//! subscriber's queue holds a reference to the same bytes.
//!
//! Two seams open this node to others: a [`Broker`] carries publications
//! between nodes (the default, [`LocalBroker`], is this process alone),
//! and a [`History`] keeps each topic's recent publications with their
//! [`Position`]s, so that a client that reconnects gets exactly what it
//! missed ([`MemoryHistory`] keeps them in this process). A [`Presence`]
//! keeps who is on each topic across nodes, entries expiring unless their
//! node refreshes them ([`MemoryPresence`] for one process).

mod ack;
mod batch;
mod broker;
mod engine;
mod fanout;
mod first_step;
mod flush;
mod framing;
mod history;
mod kept;
mod local_broker;
mod memory_history;
mod memory_presence;
mod pacing;
mod position;
mod presence;
mod recovery;
mod sequencer;
pub(crate) mod topic;
pub(crate) mod topics;

pub use ack::{Ack, AckSender, Acknowledged, BrokerError};
pub use broker::{Broker, Keep, LocalFanout, Publication, Published};
pub use engine::Engine;
pub use fanout::Fanout;
pub use first_step::poll_now;
pub use framing::{AsPublished, Framing};
pub use history::{Appended, BoxFuture, History, HistoryError, PageRange, Recovery, Stored};
pub use local_broker::LocalBroker;
pub use memory_history::{HistoryLimits, MemoryHistory};
pub use memory_presence::MemoryPresence;
pub use position::Position;
pub use presence::{Presence, PresenceError, Present};
pub use recovery::{RecoveryError, Resumed};
