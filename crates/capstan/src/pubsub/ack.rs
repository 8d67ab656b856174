//! A broker's answer to a publish: ready at once (the in-process broker),
//! or later (an engine across the network), awaited or not.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use super::position::Position;

/// What a broker says when it has a publication.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Acknowledged {
    /// Its place in the topic's stream, if the broker keeps one.
    pub position: Option<Position>,
    /// Kept already under the same idempotency key: `position` is the
    /// first one's, and it was not delivered again.
    pub duplicate: bool,
}

/// Why a broker did not take a publication.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BrokerError {
    /// The engine could not be reached or failed; the publication may not
    /// have gone anywhere.
    Unavailable(String),
    /// The engine refused it (too large, not allowed).
    Refused(String),
    /// The broker went away before it answered.
    Dropped,
}

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable(why) => write!(f, "broker unavailable: {why}"),
            Self::Refused(why) => write!(f, "broker refused the publication: {why}"),
            Self::Dropped => f.write_str("the broker stopped before it answered"),
        }
    }
}

impl std::error::Error for BrokerError {}

/// The broker's answer to one publish: a future of
/// `Result<Acknowledged, BrokerError>`. Dropping it does not cancel the
/// publish; it only forgoes the answer.
#[derive(Debug)]
pub struct Ack(State);

#[derive(Debug)]
enum State {
    Ready(Option<Result<Acknowledged, BrokerError>>),
    Waiting(oneshot::Receiver<Result<Acknowledged, BrokerError>>),
}

/// Where a broker sends its answer later.
#[derive(Debug)]
pub struct AckSender(oneshot::Sender<Result<Acknowledged, BrokerError>>);

impl Ack {
    /// An answer known already.
    pub fn ready(answer: Result<Acknowledged, BrokerError>) -> Self {
        Self(State::Ready(Some(answer)))
    }

    /// An answer to come, through the returned sender.
    pub fn later() -> (AckSender, Self) {
        let (sender, receiver) = oneshot::channel();
        (AckSender(sender), Self(State::Waiting(receiver)))
    }

    /// The answer if it is known now, without waiting (it is then taken:
    /// awaiting afterwards gives `Dropped`).
    pub fn now(&mut self) -> Option<Result<Acknowledged, BrokerError>> {
        match &mut self.0 {
            State::Ready(answer) => Some(answer.take().unwrap_or(Err(BrokerError::Dropped))),
            State::Waiting(receiver) => match receiver.try_recv() {
                Ok(answer) => Some(answer),
                Err(oneshot::error::TryRecvError::Empty) => None,
                Err(oneshot::error::TryRecvError::Closed) => Some(Err(BrokerError::Dropped)),
            },
        }
    }
}

impl AckSender {
    /// Answers the publish.
    pub fn send(self, answer: Result<Acknowledged, BrokerError>) {
        // The publisher may not wait for it: nothing to do then.
        let _ = self.0.send(answer);
    }
}

impl Future for Ack {
    type Output = Result<Acknowledged, BrokerError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.0 {
            State::Ready(answer) => Poll::Ready(answer.take().unwrap_or(Err(BrokerError::Dropped))),
            State::Waiting(receiver) => Pin::new(receiver)
                .poll(cx)
                .map(|answer| answer.unwrap_or(Err(BrokerError::Dropped))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_later_answer_arrives_through_its_sender() {
        let (sender, mut ack) = Ack::later();
        assert_eq!(ack.now(), None);
        sender.send(Ok(Acknowledged { position: Some(Position::new(7, "e")), duplicate: false }));
        assert_eq!(
            ack.await,
            Ok(Acknowledged { position: Some(Position::new(7, "e")), duplicate: false })
        );
    }

    #[tokio::test]
    async fn a_broker_that_never_answers_is_reported() {
        let (sender, ack) = Ack::later();
        drop(sender);
        assert_eq!(ack.await, Err(BrokerError::Dropped));
    }

    #[tokio::test]
    async fn a_ready_answer_is_there_at_once() {
        let mut ack = Ack::ready(Err(BrokerError::Refused("too large".into())));
        assert_eq!(ack.now(), Some(Err(BrokerError::Refused("too large".into()))));
        assert_eq!(ack.await, Err(BrokerError::Dropped), "taken already");
    }
}
