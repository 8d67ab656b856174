//! A subscription that starts from a position: the publications a client
//! missed, in order, then the live stream, cut at one point — or a plain
//! "not recovered" when the history cannot give them, so that the client
//! reloads. Never a silent gap, on any engine, from any node.

use std::fmt;
use std::time::Duration;

use super::ack::BrokerError;
use super::history::{HistoryError, Recovery};
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
    /// last position it saw): sends it those that followed, in order, then
    /// the live stream, with nothing missed or sent twice in between. If
    /// the history no longer holds them, or `since` is of another epoch,
    /// nothing is sent and the answer says so. Without `since`, the live
    /// stream only.
    pub async fn subscribe_since(
        &self,
        name: &str,
        conn: &Conn,
        since: Option<Position>,
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
            let at = state.sequencer.at().cloned().expect("a baseline was set");
            topic.subscribe(conn);
            return Ok(Resumed::Fresh { at });
        };
        self.catch_up_to(&topic, &since).await;
        let mut count = 0;
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
                    topic.subscribe(conn);
                    return Ok(Resumed::NotRecovered { at });
                }
            };
            let mut reached = since.offset;
            for one in stored.iter().take_while(|s| s.position.offset <= at.offset) {
                let _ = conn.send_prepared(&registry.framing().frame(name, one));
                count += 1;
                reached = one.position.offset;
            }
            if reached >= at.offset {
                topic.subscribe(conn);
                return Ok(Resumed::Recovered { count, at });
            }
            // The node delivered more while the history was read: read on.
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
