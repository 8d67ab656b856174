//! What the runs left: per server and scenario, the figures read back from
//! loadgen's JSON, or why there are none; and the look-ups the tables,
//! targets and charts make.

use super::plan::Scenario;
use super::results::{Broadcast, Churn, Echo, Figures, Idle};
use super::servers::{Family, Server};

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Completed; its JSON read back.
    Done(Figures),
    /// Failed (loadgen's error, a timeout, an unreadable JSON).
    Failed(String),
}

/// One run's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub scenario: Scenario,
    pub server: &'static Server,
    pub outcome: Outcome,
    /// Wall-clock time, s (None when read back with `--from`).
    pub seconds: Option<f64>,
}

/// Every run's result.
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub records: Vec<Record>,
}

impl Records {
    /// Adds a result.
    pub fn push(&mut self, record: Record) {
        self.records.push(record);
    }

    /// Every record of `scenario`, in table order.
    pub fn of(&self, scenario: Scenario) -> Vec<&Record> {
        let mut rows: Vec<&Record> =
            self.records.iter().filter(|r| r.scenario == scenario).collect();
        rows.sort_by_key(|r| r.server.index());
        rows
    }

    /// The scenarios with at least one record, in order.
    pub fn scenarios(&self) -> Vec<Scenario> {
        Scenario::ALL
            .into_iter()
            .filter(|s| self.records.iter().any(|r| r.scenario == *s))
            .collect()
    }

    /// Whether every run completed.
    pub fn all_done(&self) -> bool {
        self.records.iter().all(|r| matches!(r.outcome, Outcome::Done(_)))
    }

    /// The completed runs of `scenario`: server and figures.
    pub fn completed(
        &self,
        scenario: Scenario,
    ) -> impl Iterator<Item = (&'static Server, &Figures)> {
        self.of(scenario).into_iter().filter_map(|r| match &r.outcome {
            Outcome::Done(f) => Some((r.server, f)),
            Outcome::Failed(_) => None,
        })
    }

    /// The completed echo runs of `scenario`.
    pub fn echoes(&self, scenario: Scenario) -> Vec<(&'static Server, &Echo)> {
        self.completed(scenario)
            .filter_map(|(s, f)| if let Figures::Echo(e) = f { Some((s, e)) } else { None })
            .collect()
    }

    /// The completed broadcast runs.
    pub fn broadcasts(&self) -> Vec<(&'static Server, &Broadcast)> {
        self.completed(Scenario::Broadcast)
            .filter_map(|(s, f)| if let Figures::Broadcast(b) = f { Some((s, b)) } else { None })
            .collect()
    }

    /// The completed idle runs.
    pub fn idles(&self) -> Vec<(&'static Server, &Idle)> {
        self.completed(Scenario::Idle)
            .filter_map(|(s, f)| if let Figures::Idle(i) = f { Some((s, i)) } else { None })
            .collect()
    }

    /// The completed churn runs.
    pub fn churns(&self) -> Vec<(&'static Server, &Churn)> {
        self.completed(Scenario::Churn)
            .filter_map(|(s, f)| if let Figures::Churn(c) = f { Some((s, c)) } else { None })
            .collect()
    }
}

/// Of `rows`, the peers (`family`, or any peer if `None`) with a value
/// for `figure`, the best one: the highest if `higher_is_better`, else
/// the lowest.
pub fn best_peer<T>(
    rows: &[(&'static Server, &T)],
    family: Option<Family>,
    figure: impl Fn(&T) -> Option<f64>,
    higher_is_better: bool,
) -> Option<(&'static Server, f64)> {
    rows.iter()
        .filter(|(s, _)| s.is_peer() && family.is_none_or(|f| s.family == f))
        .filter_map(|(s, t)| Some((*s, figure(t).filter(|v| v.is_finite())?)))
        .reduce(|best, next| {
            let better = if higher_is_better { next.1 > best.1 } else { next.1 < best.1 };
            if better { next } else { best }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::servers::ALL;

    #[test]
    fn best_of_peers() {
        let values =
            [Some(5.0), Some(3.0), Some(4.0), None, Some(1.0), None, None, None, None, Some(0.5)];
        let rows: Vec<(&'static Server, &Option<f64>)> = ALL.iter().zip(values.iter()).collect();
        let lowest = best_peer(&rows, None, |v| *v, false).unwrap();
        assert_eq!((lowest.0.id, lowest.1), ("fastwebsockets-tuned", 1.0));
        let highest = best_peer(&rows, Some(Family::Tungstenite), |v| *v, true).unwrap();
        assert_eq!((highest.0.id, highest.1), ("tungstenite-tuned", 4.0));
        // Capstan (5.0) is never its own peer, nor is the floor (0.5); a
        // family with no value has no best.
        assert_eq!(best_peer(&rows, None, |v| *v, true).unwrap().1, 4.0);
        assert!(best_peer(&rows, Some(Family::Uws), |v| *v, true).is_none());
    }
}
