//! NATS for Capstan: [`NatsBroker`], capstan's
//! [`Broker`](capstan::pubsub::Broker) over NATS core, so that a
//! deployment's nodes share their topics through a NATS server. The
//! broker carries publications only; the history kept publications are
//! recovered from (and presence) live elsewhere — Redis, or memory for one
//! process — and the same history is given to the broker and to the
//! registry's [`Engine`](capstan::pubsub::Engine).
//!
//! ```no_run
//! # async fn run(history: std::sync::Arc<dyn capstan::pubsub::History>) -> Result<(), capstan_nats::NatsError> {
//! use std::sync::Arc;
//! use capstan::Topics;
//! use capstan::pubsub::Engine;
//! use capstan_nats::{NatsBroker, NatsConfig};
//!
//! let broker = NatsBroker::connect(NatsConfig::new("nats://127.0.0.1:4222"), Some(history.clone())).await?;
//! let topics = Topics::with_engine(Engine::new(Arc::new(broker)).with_history(history));
//! # Ok(()) }
//! ```
//!
//! Topic `t` travels on the subject `<prefix>.t.<t percent-encoded>` (see
//! [`encode_topic`]); each node subscribes to the topics it has
//! subscribers on, and publications carry the node they come from, the
//! message's opcode and its bytes, and for kept ones their position.
//!
//! # What NATS core guarantees here
//!
//! NATS core is at-most-once: what a server cannot hand to a connected
//! subscriber at once is gone. So:
//!
//! - **Plain publications** (`Topics::publish`) are at-most-once. They are
//!   delivered on the publishing node at once; other nodes get them if
//!   they are connected when they pass, and not otherwise — a node that is
//!   disconnected loses them, and a publish made while the publishing node
//!   is disconnected is answered [`BrokerError::Unavailable`] and reaches
//!   no other node, ever. Order holds from one publisher, not across
//!   publishers. The ack says the NATS client took and flushed it, not
//!   that anyone received it.
//! - **Kept publications** (`Topics::publish_kept`): the history decides.
//!   One is acknowledged only once the history appended it (the ack
//!   carries its position; a repeated idempotency key is acknowledged as
//!   a duplicate and not sent again), then sent on NATS. Every node
//!   delivers each one once, in offset order, whatever order NATS brings
//!   them in or whether it brings them at all: capstan's per-topic
//!   sequencer holds back the early ones and reads the gaps from the
//!   history, and after a reconnect each kept topic reads its history
//!   since what it delivered. A gap the history no longer holds (trimmed,
//!   expired, a new epoch) closes the topic's subscribers with 1012, so
//!   that clients reconnect and recover from their last position or are
//!   told plainly "not recovered".
//!
//! A kept publication made while the publishing node is cut off from NATS
//! is delivered on that node and kept in the history; the other nodes read
//! it when they catch up — at their own reconnect, or when the topic's
//! next publication reaches them and shows the gap.
//!
//! [`BrokerError::Unavailable`]: capstan::pubsub::BrokerError::Unavailable

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod broker;
mod config;
mod envelope;
mod error;
mod inbound;
mod node;
mod outbound;
mod shared;
mod subject;
mod subscriptions;

pub use broker::NatsBroker;
pub use config::NatsConfig;
pub use error::NatsError;
pub use subject::{decode_topic, encode_topic};
