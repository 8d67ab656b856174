//! The NATS broker: capstan's [`Broker`] over one NATS connection.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::Poll;

use async_nats::{ConnectOptions, Event, ServerAddr};
use capstan::pubsub::{
    Ack, Acknowledged, Appended, BoxFuture, Broker, BrokerError, History, HistoryError, Keep,
    LocalFanout, Position, Publication, Published, Stored, poll_now,
};
use capstan::{ConnId, Delivery, Message};
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use crate::config::NatsConfig;
use crate::envelope::{Envelope, encoded_len};
use crate::error::NatsError;
use crate::node::NodeId;
use crate::outbound::{self, Outgoing};
use crate::shared::Shared;
use crate::subject::is_valid_prefix;
use crate::subscriptions::{self, Control};

/// A [`Broker`] that carries publications between nodes over NATS core
/// (see the crate's documentation for what it guarantees).
///
/// Give it to a registry with
/// `Topics::with_engine(Engine::new(Arc::new(broker)).with_history(history))`;
/// the same history goes to [`NatsBroker::connect`], where kept
/// publications are appended before they travel.
pub struct NatsBroker {
    shared: Arc<Shared>,
    control: mpsc::UnboundedSender<Control>,
    outbound: mpsc::Sender<Outgoing>,
    runtime: Handle,
    tasks: [AbortHandle; 2],
}

impl NatsBroker {
    /// Connects to the server of `config` (within its timeout; it fails if
    /// the server cannot be reached now) and keeps reconnecting after a
    /// cut, for good. Kept publications are appended to `history` first;
    /// without one they are refused.
    pub async fn connect(
        config: NatsConfig,
        history: Option<Arc<dyn History>>,
    ) -> Result<Self, NatsError> {
        if !is_valid_prefix(&config.prefix) {
            return Err(NatsError::InvalidPrefix(config.prefix));
        }
        let servers = parse_servers(&config.url)?;
        let runtime = Handle::try_current().map_err(|_| NatsError::NoRuntime)?;
        let node = NodeId::random();
        let (control, control_queue) = mpsc::unbounded_channel();
        let events = control.downgrade();
        let cut = Arc::new(AtomicBool::new(false));
        let options = ConnectOptions::new()
            .name(format!("capstan-{node}"))
            // A node delivers its own publications when it makes them.
            .no_echo()
            .connection_timeout(config.timeout)
            .request_timeout(Some(config.timeout))
            .max_reconnects(None)
            .event_callback(move |event| {
                let (events, cut) = (events.clone(), cut.clone());
                async move {
                    let tell = |order| {
                        if let Some(control) = events.upgrade() {
                            let _ = control.send(order);
                        }
                    };
                    match event {
                        Event::Disconnected => {
                            cut.store(true, Ordering::SeqCst);
                            tracing::warn!("NATS connection lost; reconnecting");
                        }
                        Event::Connected => {
                            if cut.swap(false, Ordering::SeqCst) {
                                tracing::info!("NATS connection back; catching up from history");
                                tell(Control::Reconnected);
                            }
                        }
                        Event::SlowConsumer(sid) => {
                            tracing::warn!(sid, "NATS dropped messages of a slow subscription; catching up from history");
                            tell(Control::CatchUp);
                        }
                        Event::ServerError(error) => tracing::warn!(%error, "NATS server error"),
                        Event::ClientError(error) => tracing::warn!(%error, "NATS client error"),
                        other => tracing::info!(event = %other, "NATS"),
                    }
                }
            });
        let client = options
            .connect(servers)
            .await
            .map_err(|source| NatsError::Connect { url: config.url.clone(), source })?;
        let (outbound, outbound_queue) = mpsc::channel(config.max_pending.max(1));
        let shared = Arc::new(Shared { config, node, client, local: OnceLock::new(), history });
        let tasks = [
            runtime.spawn(subscriptions::run(shared.clone(), control_queue)).abort_handle(),
            runtime.spawn(outbound::run(shared.clone(), outbound_queue)).abort_handle(),
        ];
        Ok(Self { shared, control, outbound, runtime, tasks })
    }

    /// Whether the connection to NATS is up now.
    pub fn is_connected(&self) -> bool {
        self.shared.is_connected()
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &NatsConfig {
        &self.shared.config
    }

    /// A plain publication: delivered here at once, then handed to NATS;
    /// answered once NATS took it.
    fn publish_plain(&self, topic: &str, message: &capstan::PreparedMessage) -> Ack {
        if !self.shared.is_connected() {
            return Ack::ready(Err(BrokerError::Unavailable(format!(
                "not connected to NATS at {}: delivered on this node only",
                self.shared.config.url
            ))));
        }
        let envelope =
            Envelope { origin: self.shared.node, position: None, message: message.message() };
        let payload = match envelope.encode() {
            Ok(payload) => payload,
            Err(error) => return Ack::ready(Err(BrokerError::Refused(error.to_string()))),
        };
        if let Err(refused) = self.fits(payload.len()) {
            return Ack::ready(Err(refused));
        }
        let (sender, ack) = Ack::later();
        let outgoing =
            Outgoing { subject: self.shared.config.subject(topic), payload, ack: Some(sender) };
        match self.outbound.try_send(outgoing) {
            Ok(()) => ack,
            Err(mpsc::error::TrySendError::Full(_)) => {
                Ack::ready(Err(BrokerError::Unavailable(format!(
                    "{} publications wait for NATS already: delivered on this node only",
                    self.shared.config.max_pending
                ))))
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Ack::ready(Err(BrokerError::Dropped)),
        }
    }

    /// A kept publication: appended to the history, then (not a duplicate)
    /// delivered here and handed to NATS; answered once the history has it.
    fn publish_kept(
        &self,
        topic: &str,
        message: Message,
        exclude: &[ConnId],
        keep: Keep<'_>,
    ) -> Ack {
        let Some(history) = self.shared.history.clone() else {
            return Ack::ready(Err(BrokerError::Refused(
                "this NATS broker keeps no history: give one to NatsBroker::connect for kept publications"
                    .into(),
            )));
        };
        if let Err(refused) = self.fits(encoded_len(message.len(), Some(0))) {
            return Ack::ready(Err(refused));
        }
        let kept = Kept {
            shared: self.shared.clone(),
            outbound: self.outbound.clone(),
            topic: topic.to_owned(),
            exclude: exclude.to_vec(),
        };
        let (topic, key) = (topic.to_owned(), keep.idempotency_key.map(str::to_owned));
        let appending = message.clone();
        let mut append =
            Box::pin(async move { history.append(&topic, appending, key.as_deref()).await });
        // An in-memory history answers at once: settled here, no task.
        if let Poll::Ready(appended) = poll_now(append.as_mut()) {
            return Ack::ready(kept.settle(message, appended));
        }
        let (sender, ack) = Ack::later();
        self.runtime.spawn(async move {
            let appended = append.await;
            sender.send(kept.settle(message, appended));
        });
        ack
    }

    /// Refuses a publication whose envelope NATS would not take.
    fn fits(&self, len: usize) -> Result<(), BrokerError> {
        let max = self.shared.client.max_payload();
        if len > max {
            return Err(BrokerError::Refused(format!(
                "{len} bytes is over the NATS server's max_payload of {max}"
            )));
        }
        Ok(())
    }
}

/// A kept publication whose history append is under way.
struct Kept {
    shared: Arc<Shared>,
    outbound: mpsc::Sender<Outgoing>,
    topic: String,
    exclude: Vec<ConnId>,
}

impl Kept {
    /// What the history said: delivered here (the excluded skipped) and
    /// sent to the other nodes unless a duplicate, and the answer.
    ///
    /// Delivered here at once, not when NATS hands it back (the client
    /// connects with `no_echo`): this node's subscribers get it while NATS
    /// is down too, and the exclude list reaches the topic's sequencer
    /// before a history read for a gap could deliver it without one — no
    /// map of the node's own publications to keep or bound.
    fn settle(
        self,
        message: Message,
        appended: Result<Appended, HistoryError>,
    ) -> Result<Acknowledged, BrokerError> {
        let Appended { position, duplicate } = appended.map_err(|error| {
            BrokerError::Unavailable(format!("the history did not keep it: {error}"))
        })?;
        if !duplicate {
            if let Some(local) = self.shared.local() {
                let stored = Stored { position: position.clone(), message: message.clone() };
                local.deliver_kept(&self.topic, stored, &self.exclude);
            }
            self.send(position.clone(), message);
        }
        Ok(Acknowledged { position: Some(position), duplicate })
    }

    /// Hands it to NATS for the other nodes, if connected. If not (or it
    /// cannot go), they read it from the history when they catch up: after
    /// their own reconnect, or at the topic's next publication they get.
    fn send(&self, position: Position, message: Message) {
        if !self.shared.is_connected() {
            tracing::debug!(topic = self.topic, %position, "NATS is down: other nodes read this one from the history");
            return;
        }
        let envelope = Envelope { origin: self.shared.node, position: Some(position), message };
        let payload = match envelope.encode() {
            Ok(payload) if payload.len() <= self.shared.client.max_payload() => payload,
            Ok(payload) => {
                tracing::warn!(
                    topic = self.topic,
                    len = payload.len(),
                    "kept publication over NATS max_payload: other nodes read it from the history"
                );
                return;
            }
            Err(error) => {
                tracing::warn!(topic = self.topic, %error, "kept publication not sent on NATS");
                return;
            }
        };
        let outgoing =
            Outgoing { subject: self.shared.config.subject(&self.topic), payload, ack: None };
        if self.outbound.try_send(outgoing).is_err() {
            tracing::warn!(
                topic = self.topic,
                "NATS queue full: other nodes read this one from the history"
            );
        }
    }
}

impl Broker for NatsBroker {
    fn attach(&self, local: LocalFanout) {
        // A broker serves one registry: a second attach is ignored.
        let _ = self.shared.local.set(local);
    }

    fn subscribe(&self, topic: &str) {
        let _ = self.control.send(Control::Subscribe(topic.to_owned()));
    }

    fn unsubscribe(&self, topic: &str) {
        let _ = self.control.send(Control::Unsubscribe(topic.to_owned()));
    }

    fn publish(&self, publication: Publication<'_>) -> Published {
        let Publication { topic, message, exclude, keep } = publication;
        if let Some(keep) = keep {
            let ack = self.publish_kept(topic, message.message(), exclude, keep);
            return Published { local: Delivery::default(), ack };
        }
        let local = match self.shared.local() {
            Some(local) => local.deliver(topic, message, exclude),
            None => Delivery::default(),
        };
        Published { local, ack: self.publish_plain(topic, message) }
    }

    fn ready(&self, topic: &str) -> BoxFuture<'_, Result<(), BrokerError>> {
        let (answer, answered) = oneshot::channel();
        let asked = self.control.send(Control::Ready(topic.to_owned(), answer));
        let (topic, timeout) = (topic.to_owned(), self.shared.config.timeout);
        Box::pin(async move {
            asked.map_err(|_| BrokerError::Dropped)?;
            match tokio::time::timeout(timeout, answered).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(_)) => Err(BrokerError::Dropped),
                Err(_) => Err(BrokerError::Unavailable(format!(
                    "NATS at {} did not confirm the subscription to {topic:?} within {timeout:?}",
                    self.shared.config.url
                ))),
            }
        })
    }
}

impl Drop for NatsBroker {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl std::fmt::Debug for NatsBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsBroker")
            .field("url", &self.shared.config.url)
            .field("prefix", &self.shared.config.prefix)
            .field("node", &self.shared.node.to_string())
            .field("connected", &self.is_connected())
            .field("history", &self.shared.history.is_some())
            .finish()
    }
}

/// The server addresses in `url`, comma separated.
fn parse_servers(url: &str) -> Result<Vec<ServerAddr>, NatsError> {
    let invalid = |why: String| NatsError::InvalidUrl { url: url.to_owned(), why };
    let servers = url
        .split(',')
        .map(str::trim)
        .filter(|one| !one.is_empty())
        .map(|one| one.parse::<ServerAddr>().map_err(|e| invalid(format!("{one:?}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if servers.is_empty() {
        return Err(invalid("no server address".into()));
    }
    Ok(servers)
}
