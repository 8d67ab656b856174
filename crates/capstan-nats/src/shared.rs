//! What the broker and its tasks share: the configuration, the node's id,
//! the NATS client, the node's fan-out once attached, and the history.

use std::sync::{Arc, OnceLock};

use async_nats::connection::State;
use async_nats::{Client, RequestErrorKind};
use bytes::Bytes;
use capstan::pubsub::{BrokerError, History, LocalFanout};

use crate::config::NatsConfig;
use crate::node::NodeId;

/// The broker's state, shared with its tasks.
pub(crate) struct Shared {
    pub config: NatsConfig,
    pub node: NodeId,
    pub client: Client,
    pub local: OnceLock<LocalFanout>,
    pub history: Option<Arc<dyn History>>,
}

impl Shared {
    /// The node's fan-out, once a registry took the broker.
    pub fn local(&self) -> Option<&LocalFanout> {
        self.local.get()
    }

    /// Whether the client is connected to a server now.
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == State::Connected
    }

    /// A round trip to the server: a request to a subject nobody listens
    /// on, which the server answers "no responders" once it has read
    /// everything this client sent before — subscriptions included. So
    /// when it returns `Ok`, every subscription asked for before is in
    /// effect at the server. (The client's `flush` only writes the socket.)
    pub async fn round_trip(&self) -> Result<(), BrokerError> {
        let timeout = self.config.timeout;
        let subject = self.config.probe_subject(&self.node.to_string());
        let request = self.client.request(subject, Bytes::new());
        let unavailable =
            |why: String| BrokerError::Unavailable(format!("NATS at {}: {why}", self.config.url));
        match tokio::time::timeout(timeout, request).await {
            // Someone answered (nobody should listen there): a round trip all the same.
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.kind() == RequestErrorKind::NoResponders => Ok(()),
            Ok(Err(e)) if e.kind() == RequestErrorKind::TimedOut => {
                Err(unavailable(format!("no answer within {timeout:?}")))
            }
            Ok(Err(e)) => Err(unavailable(e.to_string())),
            Err(_) => Err(unavailable(format!("no answer within {timeout:?}"))),
        }
    }
}
