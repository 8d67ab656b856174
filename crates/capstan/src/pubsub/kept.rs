//! Kept publications on their way to a node's subscribers: each topic's
//! [`Sequencer`] puts them in stream order, this module carries out what
//! it says — frames and delivers, reads the history for a gap, reports a
//! loss — under the topic's lock, so that a catch-up (see `recovery`) is
//! cut at one point against the live stream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;

use super::history::{Recovery, Stored};
use super::position::Position;
use super::sequencer::{Sequencer, Steps};
use super::topic::Topic;
use super::topics::Registry;
use crate::conn::ConnId;

/// A topic's kept publications on this node.
#[derive(Debug, Default)]
pub(crate) struct KeptState {
    pub(crate) sequencer: Sequencer,
    /// Connections to skip, by the offset of a publication that waits.
    excludes: HashMap<u64, Vec<ConnId>>,
}

/// A topic's kept state, locked.
pub(crate) type KeptGuard<'a> = MutexGuard<'a, KeptState>;

impl KeptState {
    pub(crate) fn lock(cell: &Mutex<KeptState>) -> KeptGuard<'_> {
        cell.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Registry {
    /// See [`LocalFanout::deliver_kept`](super::LocalFanout::deliver_kept).
    pub(crate) fn deliver_kept(self: &Arc<Self>, topic: &str, stored: Stored, exclude: &[ConnId]) {
        let Some(topic) = self.get(topic) else { return };
        let mut state = topic.kept();
        if !exclude.is_empty() {
            state.excludes.insert(stored.position.offset, exclude.to_vec());
        }
        let steps = state.sequencer.offer(stored);
        self.carry_out(&topic, state, steps);
    }

    /// See [`LocalFanout::reconnected`](super::LocalFanout::reconnected).
    pub(crate) fn reconnected(self: &Arc<Self>) {
        for topic in self.all() {
            let mut state = topic.kept();
            let steps = state.sequencer.reconnected();
            self.carry_out(&topic, state, steps);
        }
    }

    /// Reads `topic`'s history since what it delivered last (a client is
    /// ahead of this node).
    pub(crate) fn refill(self: &Arc<Self>, topic: &Topic) {
        let mut state = topic.kept();
        let steps = state.sequencer.reconnected();
        self.carry_out(topic, state, steps);
    }

    /// Sets `topic`'s baseline, if it has none: this node delivers what
    /// follows `latest`.
    pub(crate) fn baseline(self: &Arc<Self>, topic: &Topic, latest: Position) {
        let mut state = topic.kept();
        let steps = state.sequencer.baseline(latest);
        self.carry_out(topic, state, steps);
    }

    /// Does what the sequencer said, the topic still locked: delivers in
    /// order, reports a loss, starts a history read for a gap (whose answer
    /// comes back here).
    pub(crate) fn carry_out(
        self: &Arc<Self>,
        topic: &Topic,
        mut state: KeptGuard<'_>,
        steps: Steps,
    ) {
        let Steps { deliver, fill_after, lost } = steps;
        if lost {
            self.framing().lost(topic);
        }
        for stored in deliver {
            let mut exclude = state.excludes.remove(&stored.position.offset).unwrap_or_default();
            exclude.extend(self.framing().skip(topic.name(), &stored));
            let framed = self.framing().frame(topic.name(), &stored);
            topic.publish_prepared(&framed, &exclude);
        }
        drop(state);
        if let Some(after) = fill_after {
            self.fill(topic.clone(), after);
        }
    }

    /// Reads `topic`'s history after `after` and hands the answer to its
    /// sequencer: at once if the history answers at once (in memory), else
    /// from a task.
    fn fill(self: &Arc<Self>, topic: Topic, after: Position) {
        let Some(history) = self.history().cloned() else {
            return self.filled(&topic, None);
        };
        // The read owns its history: the one started here is the one a
        // task finishes (not asked twice).
        let reading = topic.clone();
        let mut read = Box::pin(async move { history.since(reading.name(), after).await });
        if let Poll::Ready(answer) = super::poll_now(read.as_mut()) {
            return self.filled(&topic, answer.ok());
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime to wait in: the gap cannot be read.
            return self.filled(&topic, None);
        };
        let registry = Arc::downgrade(self);
        runtime.spawn(async move {
            let answer = read.await.ok();
            if let Some(registry) = registry.upgrade() {
                registry.filled(&topic, answer);
            }
        });
    }

    /// Hands the history's answer for a gap of `topic` (`None`: none) to
    /// its sequencer, and does what it says.
    fn filled(self: &Arc<Self>, topic: &Topic, answer: Option<Recovery>) {
        let mut state = topic.kept();
        let steps = state.sequencer.filled(answer);
        self.carry_out(topic, state, steps);
    }
}
