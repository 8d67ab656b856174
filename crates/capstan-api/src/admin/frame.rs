//! The feed's messages, as JSON text: a `snapshot` when a page connects
//! (the history the feed keeps, then the latest of everything), an
//! `update` each second after. docs/OPERATIONS.md shows both.

use serde::Serialize;

use super::rates::Point;
use super::source::AdminSample;
use super::view::TopTopics;
use crate::reply::NodeInfo;

/// The latest of what is not charted: counters, topics, nodes.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Latest {
    /// The counters as last sampled.
    pub(crate) totals: Totals,
    /// The busiest topics.
    pub(crate) topics: TopTopics,
    /// The deployment's nodes.
    pub(crate) nodes: Vec<NodeInfo>,
}

/// An [`AdminSample`] as the page reads it.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Totals {
    pub(crate) connections_open: u64,
    pub(crate) connections_accepted_total: u64,
    pub(crate) messages_in_total: u64,
    pub(crate) messages_out_total: u64,
    pub(crate) bytes_in_total: u64,
    pub(crate) bytes_out_total: u64,
    pub(crate) closes: std::collections::BTreeMap<String, u64>,
}

impl From<&AdminSample> for Totals {
    fn from(s: &AdminSample) -> Self {
        Self {
            connections_open: s.connections_open,
            connections_accepted_total: s.connections_accepted_total,
            messages_in_total: s.messages_in_total,
            messages_out_total: s.messages_out_total,
            bytes_in_total: s.bytes_in_total,
            bytes_out_total: s.bytes_out_total,
            closes: s.closes.clone(),
        }
    }
}

/// What a page gets when it connects.
#[derive(Serialize)]
#[serde(tag = "type", rename = "snapshot")]
struct Snapshot<'a> {
    /// Milliseconds between two points.
    interval_ms: u64,
    /// How many points the history keeps at most.
    capacity: usize,
    /// The points kept, oldest first.
    history: Vec<&'a Point>,
    #[serde(flatten)]
    latest: &'a Latest,
}

/// What every page gets each second.
#[derive(Serialize)]
#[serde(tag = "type", rename = "update")]
struct Update<'a> {
    /// The newest point.
    point: &'a Point,
    #[serde(flatten)]
    latest: &'a Latest,
}

/// The snapshot's JSON text.
pub(crate) fn snapshot<'a>(
    interval_ms: u64,
    capacity: usize,
    history: impl Iterator<Item = &'a Point>,
    latest: &Latest,
) -> String {
    let snapshot = Snapshot { interval_ms, capacity, history: history.collect(), latest };
    serde_json::to_string(&snapshot).expect("the snapshot serializes")
}

/// An update's JSON text.
pub(crate) fn update(point: &Point, latest: &Latest) -> String {
    serde_json::to_string(&Update { point, latest }).expect("an update serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn frames_are_tagged_and_carry_the_latest() {
        let sample = AdminSample { connections_open: 2, ..AdminSample::default() };
        let point = Point::between(&sample, &sample, Duration::from_secs(1), 5);
        let latest = Latest { totals: Totals::from(&sample), ..Latest::default() };
        let update: serde_json::Value = serde_json::from_str(&update(&point, &latest)).unwrap();
        assert_eq!(update["type"], "update");
        assert_eq!(update["point"]["connections"], 2);
        assert_eq!(update["totals"]["connections_open"], 2);
        let snapshot: serde_json::Value =
            serde_json::from_str(&snapshot(1000, 300, [&point].into_iter(), &latest)).unwrap();
        assert_eq!(snapshot["type"], "snapshot");
        assert_eq!(snapshot["history"][0]["t"], 5);
        assert_eq!(snapshot["capacity"], 300);
        assert!(snapshot["topics"]["rows"].is_array());
    }
}
