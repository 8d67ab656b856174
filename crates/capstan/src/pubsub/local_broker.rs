//! The in-process broker, the default: one node, every publish delivered
//! at once into the local fan-out and acknowledged at once. Given a
//! history, it keeps the publications asked to be kept there first, and
//! acknowledges them with their position.

use std::sync::{Arc, OnceLock};
use std::task::Poll;

use super::ack::{Ack, Acknowledged, BrokerError};
use super::broker::{Broker, Keep, LocalFanout, Publication, Published};
use super::history::{Appended, History, HistoryError, Stored};
use super::topic::Delivery;
use crate::conn::ConnId;
use crate::ws::Message;

/// A broker for one process: topics reach this node only.
#[derive(Default)]
pub struct LocalBroker {
    local: OnceLock<LocalFanout>,
    history: Option<Arc<dyn History>>,
}

impl LocalBroker {
    /// A broker not attached to a registry yet, keeping nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// A broker that keeps publications in `history` when asked to.
    pub fn with_history(history: Arc<dyn History>) -> Self {
        Self { local: OnceLock::new(), history: Some(history) }
    }

    /// Appends to the history, then delivers: at once if the history
    /// answers at once (in memory), else from a task.
    fn publish_kept(
        &self,
        topic: &str,
        message: Message,
        exclude: &[ConnId],
        keep: Keep<'_>,
    ) -> Ack {
        let Some(history) = self.history.clone() else {
            let why = "this broker keeps no history (LocalBroker::with_history)";
            return Ack::ready(Err(BrokerError::Refused(why.into())));
        };
        let local = self.local.get().cloned();
        let mut append = history.append(topic, message.clone(), keep.idempotency_key);
        if let Poll::Ready(appended) = super::poll_now(append.as_mut()) {
            return Ack::ready(settle(local.as_ref(), topic, message, exclude, appended));
        }
        drop(append);
        let (sender, ack) = Ack::later();
        let (topic, exclude) = (topic.to_owned(), exclude.to_vec());
        let key = keep.idempotency_key.map(str::to_owned);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let appended = history.append(&topic, message.clone(), key.as_deref()).await;
                    sender.send(settle(local.as_ref(), &topic, message, &exclude, appended));
                });
                ack
            }
            Err(_) => Ack::ready(Err(BrokerError::Unavailable(
                "the history answers later and there is no runtime to wait in".into(),
            ))),
        }
    }
}

/// Delivers what the history appended (not a duplicate) and says so.
fn settle(
    local: Option<&LocalFanout>,
    topic: &str,
    message: Message,
    exclude: &[ConnId],
    appended: Result<Appended, HistoryError>,
) -> Result<Acknowledged, BrokerError> {
    let Appended { position, duplicate } =
        appended.map_err(|e| BrokerError::Unavailable(e.to_string()))?;
    if let (Some(local), false) = (local, duplicate) {
        local.deliver_kept(topic, Stored { position: position.clone(), message }, exclude);
    }
    Ok(Acknowledged { position: Some(position), duplicate })
}

impl Broker for LocalBroker {
    fn attach(&self, local: LocalFanout) {
        // A broker serves one registry: a second attach is ignored.
        let _ = self.local.set(local);
    }

    fn subscribe(&self, _topic: &str) {}

    fn unsubscribe(&self, _topic: &str) {}

    fn publish(&self, publication: Publication<'_>) -> Published {
        let Publication { topic, message, exclude, keep } = publication;
        if let Some(keep) = keep {
            let ack = self.publish_kept(topic, message.message(), exclude, keep);
            return Published { local: Delivery::default(), ack };
        }
        let local = match self.local.get() {
            Some(local) => local.deliver(topic, message, exclude),
            None => Delivery::default(),
        };
        Published { local, ack: Ack::ready(Ok(Acknowledged::default())) }
    }
}

impl std::fmt::Debug for LocalBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBroker").field("history", &self.history.is_some()).finish()
    }
}
