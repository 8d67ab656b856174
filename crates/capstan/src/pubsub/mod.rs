//! Topics: the publish/subscribe primitive that rooms, WAMP and scale-out
//! build on. A message published to a topic is encoded once; every
//! subscriber's queue holds a reference to the same bytes.
//!
//! Two seams open this node to others: a [`Broker`] carries publications
//! between nodes (the default, [`LocalBroker`], is this process alone),
//! and a [`History`] keeps each topic's recent publications with their
//! [`Position`]s, so that a client that reconnects gets exactly what it
//! missed ([`MemoryHistory`] keeps them in this process).

mod ack;
mod broker;
mod fanout;
mod history;
mod local_broker;
mod memory_history;
mod pacing;
mod position;
pub(crate) mod topic;
pub(crate) mod topics;

pub use ack::{Ack, AckSender, Acknowledged, BrokerError};
pub use broker::{Broker, LocalFanout, Publication, Published};
pub use fanout::Fanout;
pub use history::{BoxFuture, History, HistoryError, Recovery, Stored};
pub use local_broker::LocalBroker;
pub use memory_history::{HistoryLimits, MemoryHistory};
pub use position::Position;
