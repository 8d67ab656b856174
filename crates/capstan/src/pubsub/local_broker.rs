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
        // The append owns its history, so that the one started here is the
        // one a task finishes: started again, a history that answers later
        // (its command already sent) would append twice.
        let (appending, key) = (message.clone(), keep.idempotency_key.map(str::to_owned));
        let appending_to = topic.to_owned();
        let mut append =
            Box::pin(async move { history.append(&appending_to, appending, key.as_deref()).await });
        if let Poll::Ready(appended) = super::poll_now(append.as_mut()) {
            return Ack::ready(settle(local.as_ref(), topic, message, exclude, appended));
        }
        let (sender, ack) = Ack::later();
        let (topic, exclude) = (topic.to_owned(), exclude.to_vec());
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let appended = append.await;
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::pubsub::{BoxFuture, HistoryLimits, MemoryHistory, PageRange, Position, Recovery};
    use crate::ws::PreparedMessage;

    /// A history that answers later, as one over the network does: its
    /// first step does the work (the command leaves), the answer comes
    /// after a turn of the runtime.
    struct AnswersLater(MemoryHistory);

    impl History for AnswersLater {
        fn append(
            &self,
            topic: &str,
            message: Message,
            idempotency_key: Option<&str>,
        ) -> BoxFuture<'_, Result<Appended, HistoryError>> {
            let mut appending = self.0.append(topic, message, idempotency_key);
            let done = super::super::poll_now(appending.as_mut());
            Box::pin(async move {
                tokio::task::yield_now().await;
                match done {
                    Poll::Ready(appended) => appended,
                    Poll::Pending => unreachable!("a memory history answers at once"),
                }
            })
        }

        fn since(
            &self,
            topic: &str,
            since: Position,
        ) -> BoxFuture<'_, Result<Recovery, HistoryError>> {
            self.0.since(topic, since)
        }

        fn latest(&self, topic: &str) -> BoxFuture<'_, Result<Position, HistoryError>> {
            self.0.latest(topic)
        }

        fn page(
            &self,
            topic: &str,
            range: PageRange,
            limit: usize,
        ) -> BoxFuture<'_, Result<Vec<Stored>, HistoryError>> {
            self.0.page(topic, range, limit)
        }
    }

    #[tokio::test]
    async fn a_history_that_answers_later_is_asked_to_append_once() {
        let limits = HistoryLimits { max_len: 10, ttl: Duration::from_secs(60) };
        let history = Arc::new(AnswersLater(MemoryHistory::new(limits)));
        let broker = LocalBroker::with_history(history.clone());
        let message = PreparedMessage::new("kept");
        let keep = Some(Keep::default());
        let publication = Publication { topic: "t", message: &message, exclude: &[], keep };
        let acknowledged = broker.publish(publication).ack.await.unwrap();
        assert_eq!(acknowledged.position.map(|p| p.offset), Some(1));
        assert_eq!(history.latest("t").await.unwrap().offset, 1, "appended once");
    }
}
