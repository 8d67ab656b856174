//! The running counts a worker reports every few seconds, so the parent's
//! line per sample says how the run is going.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Counts so far; in JSON by these names (a count missing reads as 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Progress {
    /// Connections named and in their room.
    pub connected: u64,
    /// Messages sent.
    pub sent: u64,
    /// Messages acknowledged.
    pub acked: u64,
    /// Deliveries expected (acknowledged messages times members).
    pub expected: u64,
    /// Deliveries of acknowledged messages received.
    pub received: u64,
    /// Connections dropped.
    pub dropped: u64,
    /// Pongs missed.
    pub pongs_missed: u64,
}

impl Progress {
    /// As JSON, its keys sorted (serde_json's map sorts them).
    pub fn to_json(self) -> Value {
        serde_json::to_value(self).expect("counts are plain data")
    }

    /// Reads what [`to_json`](Self::to_json) wrote (missing counts are 0;
    /// a document that is not counts, all 0).
    pub fn from_json(value: &Value) -> Self {
        Self::deserialize(value).unwrap_or_default()
    }

    /// The sum of `self` and `other`.
    pub fn plus(self, other: Progress) -> Progress {
        Progress {
            connected: self.connected + other.connected,
            sent: self.sent + other.sent,
            acked: self.acked + other.acked,
            expected: self.expected + other.expected,
            received: self.received + other.received,
            dropped: self.dropped + other.dropped,
            pongs_missed: self.pongs_missed + other.pongs_missed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_adds() {
        let p = Progress {
            connected: 5,
            sent: 7,
            acked: 6,
            expected: 30,
            received: 29,
            dropped: 0,
            pongs_missed: 1,
        };
        assert_eq!(Progress::from_json(&p.to_json()), p);
        assert_eq!(p.plus(p).received, 58);
        assert_eq!(Progress::from_json(&serde_json::json!({})), Progress::default());
        let some = Progress::from_json(&serde_json::json!({"sent": 3}));
        assert_eq!(some, Progress { sent: 3, ..Progress::default() });
        assert_eq!(
            p.to_json().to_string(),
            r#"{"acked":6,"connected":5,"dropped":0,"expected":30,"pongs_missed":1,"received":29,"sent":7}"#
        );
    }
}
