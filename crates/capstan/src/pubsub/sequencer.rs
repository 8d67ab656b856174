//! A topic's kept publications on one node, put back in stream order. An
//! engine across the network may hand them over late, twice, out of order,
//! or not at all (a pub/sub connection that dropped): the sequencer lets
//! through each offset once, in order; holds back what came early; asks
//! for the history of a gap; and says so when a gap cannot be filled, so
//! that nobody misses a publication without being told. Sans I/O: the
//! caller reads the history and delivers.

use std::collections::BTreeMap;

use super::history::{Recovery, Stored};
use super::position::Position;

/// What a topic's kept publications did on this node so far.
#[derive(Debug, Default)]
pub(crate) struct Sequencer {
    /// The stream's epoch and the offset delivered last; `None` until the
    /// baseline is known (the history's latest when the node subscribed,
    /// or the first publication that came).
    at: Option<Position>,
    /// Publications that came early, by offset.
    early: BTreeMap<u64, Stored>,
    /// A history read for a gap is under way.
    filling: bool,
}

/// What to do after an offer or a fill.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Steps {
    /// Deliver these, in this order.
    pub deliver: Vec<Stored>,
    /// Read the history after this position and hand the answer to
    /// [`Sequencer::filled`].
    pub fill_after: Option<Position>,
    /// Publications were missed that the history cannot give: tell the
    /// topic's subscribers (they must recover by themselves).
    pub lost: bool,
}

impl Sequencer {
    /// Where the topic stands on this node: the last position delivered.
    pub fn at(&self) -> Option<&Position> {
        self.at.as_ref()
    }

    /// Sets the baseline, if none: publications up to `latest` were
    /// before this node listened and are not delivered.
    pub fn baseline(&mut self, latest: Position) -> Steps {
        if self.at.is_some() {
            return Steps::default();
        }
        self.at = Some(latest);
        let mut steps = Steps::default();
        self.drain(&mut steps);
        steps
    }

    /// A publication came from the engine.
    pub fn offer(&mut self, stored: Stored) -> Steps {
        let mut steps = Steps::default();
        let Some(at) = &self.at else {
            // The first one sets the baseline.
            self.at = Some(Position::new(
                stored.position.offset.saturating_sub(1),
                stored.position.epoch.clone(),
            ));
            self.accept(stored, &mut steps);
            return steps;
        };
        if stored.position.epoch != at.epoch {
            // The stream began again: what was kept before is gone.
            self.at = Some(Position::new(
                stored.position.offset.saturating_sub(1),
                stored.position.epoch.clone(),
            ));
            self.early.clear();
            steps.lost = true;
            self.accept(stored, &mut steps);
            return steps;
        }
        if stored.position.offset <= at.offset {
            return steps; // had it
        }
        self.early.insert(stored.position.offset, stored);
        self.drain(&mut steps);
        steps
    }

    /// The history's answer to a `fill_after` (`None`: it could not answer).
    pub fn filled(&mut self, answer: Option<Recovery>) -> Steps {
        self.filling = false;
        let mut steps = Steps::default();
        match answer {
            Some(Recovery::Recovered(stored)) => {
                for one in stored {
                    if self.at.as_ref().is_some_and(|at| one.position.epoch == at.epoch) {
                        self.early.entry(one.position.offset).or_insert(one);
                    }
                }
                self.drain(&mut steps);
                if steps.fill_after.take().is_some() {
                    // The history did not hold what came before the early
                    // ones after all: skip to them.
                    self.filling = false;
                    self.skip(&mut steps);
                }
            }
            Some(Recovery::NotRecovered { .. }) | None => self.skip(&mut steps),
        }
        steps
    }

    /// The engine's subscription was cut and is back: what came meanwhile
    /// must be read from the history.
    pub fn reconnected(&mut self) -> Steps {
        let mut steps = Steps::default();
        if let Some(at) = &self.at
            && !self.filling
        {
            self.filling = true;
            steps.fill_after = Some(at.clone());
        }
        steps
    }

    /// Delivers `stored`, just after the baseline, and what follows it.
    fn accept(&mut self, stored: Stored, steps: &mut Steps) {
        self.early.insert(stored.position.offset, stored);
        self.drain(steps);
    }

    /// Delivers the early ones that follow on, in order; asks to fill the
    /// gap before the rest.
    fn drain(&mut self, steps: &mut Steps) {
        let Some(at) = self.at.as_mut() else { return };
        while let Some(entry) = self.early.first_entry() {
            let offset = *entry.key();
            if offset <= at.offset {
                entry.remove();
            } else if offset == at.offset + 1 {
                at.offset = offset;
                steps.deliver.push(entry.remove());
            } else {
                break;
            }
        }
        if !self.early.is_empty() && !self.filling {
            self.filling = true;
            steps.fill_after = Some(at.clone());
        }
    }

    /// Gives up on the gap: the topic's subscribers missed something.
    fn skip(&mut self, steps: &mut Steps) {
        steps.lost = true;
        if let (Some(at), Some(first)) = (self.at.as_mut(), self.early.keys().next()) {
            at.offset = first - 1;
        }
        self.drain(steps);
    }
}

#[cfg(test)]
mod tests;
