//! A subscription that starts from a position: the publications a client
//! missed, in order, then the live stream, cut at one point — or a plain
//! "not recovered" when the history cannot give them, so that the client
//! reloads. Never a silent gap, on any engine, from any node.

use std::fmt;
use std::time::Duration;

use super::ack::BrokerError;
use super::history::{HistoryError, Recovery, Stored};
use super::position::Position;
use super::topics::Topics;
use crate::conn::Conn;

/// What [`Topics::subscribe_since`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resumed {
    /// The `count` publications after the position asked for were sent,
    /// in order; the live stream follows from `at`.
    Recovered {
        /// How many were sent.
        count: usize,
        /// Where the subscriber stands now.
        at: Position,
    },
    /// What followed the position is gone (trimmed, expired, another
    /// epoch): nothing was sent, the live stream follows from `at`, and
    /// the client must reload its state.
    NotRecovered {
        /// Where the subscriber stands now.
        at: Position,
    },
    /// No position was asked for: the live stream follows from `at`.
    Fresh {
        /// Where the subscriber stands now.
        at: Position,
    },
}

/// Why a subscription from a position could not be made (the connection
/// was not subscribed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecoveryError {
    /// The registry's engine keeps no history.
    NoHistory,
    /// The broker could not subscribe this node.
    Broker(BrokerError),
    /// The history could not be read.
    History(HistoryError),
}

impl fmt::Display for RecoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoHistory => f.write_str("no history to recover from"),
            Self::Broker(error) => error.fmt(f),
            Self::History(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for RecoveryError {}

/// How long a node that is behind a client's position waits to catch up
/// (its engine's deliveries lag, or its history read of the gap is
/// under way) before it answers "not recovered".
const CATCH_UP_WAIT: Duration = Duration::from_secs(2);

impl Topics {
    /// Subscribes `conn` to `name`'s kept publications from `since` (the
    /// last position it saw): sends it those that followed, in order
    /// (framed as live ones are), then the live stream, with nothing
    /// missed or sent twice in between. If the history no longer holds
    /// them, or `since` is of another epoch, nothing is sent and the
    /// answer says so. Without `since`, the live stream only.
    pub async fn subscribe_since(
        &self,
        name: &str,
        conn: &Conn,
        since: Option<Position>,
    ) -> Result<Resumed, RecoveryError> {
        let registry = self.registry().clone();
        self.subscribe_since_with(name, conn, since, |missed, _| {
            let framing = registry.framing();
            for stored in missed.iter().filter(|s| !framing.skip(name, s).contains(&conn.id())) {
                let _ = conn.send_prepared(&framing.frame(name, stored));
            }
        })
        .await
    }

    /// As [`Topics::subscribe_since`], but what was missed goes to
    /// `catch_up` (with the answer) instead of being sent frame by frame:
    /// an application that answers with one message (a room's `joined`
    /// with its messages) sends it there. `catch_up` runs once, at the
    /// cut: nothing live reaches `conn` before it has run, nothing is
    /// missed after.
    pub async fn subscribe_since_with(
        &self,
        name: &str,
        conn: &Conn,
        since: Option<Position>,
        catch_up: impl FnOnce(&[Stored], &Resumed),
    ) -> Result<Resumed, RecoveryError> {
        let registry = self.registry();
        let history = registry.history().cloned().ok_or(RecoveryError::NoHistory)?;
        // Holds the topic and this node's broker subscription meanwhile.
        let hold = self.listen(name, |_| {});
        let topic = hold.topic().clone();
        registry.broker().ready(name).await.map_err(RecoveryError::Broker)?;
        if topic.kept().sequencer.at().is_none() {
            let latest = history.latest(name).await.map_err(RecoveryError::History)?;
            registry.baseline(&topic, latest);
        }
        let Some(mut since) = since else {
            let state = topic.kept();
            let resumed = Resumed::Fresh { at: state.sequencer.at().cloned().expect("a baseline") };
            catch_up(&[], &resumed);
            topic.subscribe(conn);
            return Ok(resumed);
        };
        self.catch_up_to(&topic, &since).await;
        let mut missed: Vec<Stored> = Vec::new();
        loop {
            let answer =
                history.since(name, since.clone()).await.map_err(RecoveryError::History)?;
            // Locked: no live delivery between the catch-up and the subscription.
            let state = topic.kept();
            let at = state.sequencer.at().cloned().expect("a baseline was set");
            let stored = match answer {
                Recovery::Recovered(stored)
                    if since.epoch == at.epoch && since.offset <= at.offset =>
                {
                    stored
                }
                _ => {
                    let resumed = Resumed::NotRecovered { at };
                    catch_up(&[], &resumed);
                    topic.subscribe(conn);
                    return Ok(resumed);
                }
            };
            missed.extend(stored.into_iter().take_while(|s| s.position.offset <= at.offset));
            let reached = missed.last().map_or(since.offset, |s| s.position.offset);
            if reached >= at.offset {
                let resumed = Resumed::Recovered { count: missed.len(), at };
                catch_up(&missed, &resumed);
                topic.subscribe(conn);
                return Ok(resumed);
            }
            // The node delivered more while the history was read: read on.
            drop(state);
            since = Position::new(reached, since.epoch);
        }
    }

    /// Waits (a little) until this node has delivered up to `since`, if it
    /// is of the node's epoch and ahead of it: a client that saw a
    /// publication on another node comes back here before this node's
    /// engine delivered it.
    async fn catch_up_to(&self, topic: &super::topic::Topic, since: &Position) {
        let behind = |topic: &super::topic::Topic| {
            let state = topic.kept();
            state
                .sequencer
                .at()
                .is_some_and(|at| at.epoch == since.epoch && at.offset < since.offset)
        };
        if !behind(topic) {
            return;
        }
        self.registry().refill(topic);
        let deadline = tokio::time::Instant::now() + CATCH_UP_WAIT;
        while behind(topic) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

#[cfg(test)]
mod tests;
