//! What one worker counted over the run, as the JSON line it hands its
//! parent, and the sum of every worker's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ledger::RoomCount;
use crate::histogram::Histogram;

/// Reasons kept of connections that dropped (the rest are only counted).
const REASONS_KEPT: usize = 10;

/// A worker's counts, or the sum of several; in JSON by these names,
/// histograms in their text form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Connections named and in their room.
    pub connected: u64,
    /// Messages sent.
    pub sent: u64,
    /// Messages acknowledged (first acknowledgements).
    pub acked: u64,
    /// Acknowledgements saying `duplicate: true` (never expected: each
    /// message is sent once).
    pub acked_duplicate: u64,
    /// Refusals, by error code.
    pub refused: BTreeMap<String, u64>,
    /// Pings sent by the clients.
    pub pings: u64,
    /// Pongs that answered them.
    pub pongs: u64,
    /// Pings not answered before the next one was due (or by the end).
    pub pongs_missed: u64,
    /// Connections that ended before the run did.
    pub dropped: u64,
    /// Why, for the first few.
    pub drop_reasons: Vec<String>,
    /// Messages, acknowledgements or receipts not of this worker's rooms
    /// and members.
    pub foreign: u64,
    /// Send to receipt by another member of the room, ns.
    #[serde(with = "crate::histogram_text")]
    pub latency: Histogram,
    /// Send to the sender's `ack`, ns.
    #[serde(with = "crate::histogram_text")]
    pub ack_latency: Histogram,
    /// Ping to pong, ns.
    #[serde(with = "crate::histogram_text")]
    pub pong_rtt: Histogram,
    /// Every room's delivery counts.
    pub rooms: Vec<RoomCount>,
}

impl Tally {
    /// Records that a connection dropped, and why.
    pub fn drop_one(&mut self, why: String) {
        self.dropped += 1;
        if self.drop_reasons.len() < REASONS_KEPT {
            self.drop_reasons.push(why);
        }
    }

    /// Messages refused, whatever the code.
    pub fn refused_total(&self) -> u64 {
        self.refused.values().sum()
    }

    /// Messages sent and answered neither way.
    pub fn unanswered(&self) -> u64 {
        self.sent.saturating_sub(self.acked + self.refused_total())
    }

    /// Adds `other`'s counts (its rooms are other rooms).
    pub fn merge(&mut self, other: &Tally) {
        self.connected += other.connected;
        self.sent += other.sent;
        self.acked += other.acked;
        self.acked_duplicate += other.acked_duplicate;
        for (code, n) in &other.refused {
            *self.refused.entry(code.clone()).or_default() += n;
        }
        self.pings += other.pings;
        self.pongs += other.pongs;
        self.pongs_missed += other.pongs_missed;
        self.dropped += other.dropped;
        let room = REASONS_KEPT.saturating_sub(self.drop_reasons.len());
        self.drop_reasons.extend(other.drop_reasons.iter().take(room).cloned());
        self.foreign += other.foreign;
        self.latency.merge(&other.latency);
        self.ack_latency.merge(&other.ack_latency);
        self.pong_rtt.merge(&other.pong_rtt);
        self.rooms.extend(other.rooms.iter().cloned());
        self.rooms.sort_by_key(|r| r.room);
    }

    /// As JSON, its keys sorted (serde_json's map sorts them).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("a tally is plain data")
    }

    /// Reads what [`to_json`](Self::to_json) wrote.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        Self::deserialize(value).map_err(|e| format!("tally: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(room: usize) -> Tally {
        let mut t =
            Tally { connected: 3, sent: 10, acked: 9, pings: 4, pongs: 4, ..Tally::default() };
        t.refused.insert("rate_limited".into(), 1);
        t.latency.record(1_500_000);
        t.pong_rtt.record(90_000);
        t.drop_one("closed by the server".into());
        t.rooms.push(RoomCount {
            room,
            members: 3,
            acked: 9,
            expected: 27,
            received: 27,
            ..RoomCount::default()
        });
        t
    }

    #[test]
    fn round_trips_as_json() {
        let t = sample(4);
        let text = t.to_json().to_string();
        let back = Tally::from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back, t);
        let partial = Tally::from_json(&serde_json::json!({"sent": 1})).unwrap_err();
        assert!(partial.starts_with("tally: missing field"), "{partial}");
    }

    /// The line a worker hands its parent, and soak.json's "tally": keys
    /// in alphabetical order (serde_json's map sorts them), histograms in
    /// their text form.
    #[test]
    fn json_text_is_unchanged() {
        let t = sample(4);
        let expected = format!(
            concat!(
                r#"{{"ack_latency":"{}","acked":9,"acked_duplicate":0,"connected":3,"#,
                r#""drop_reasons":["closed by the server"],"dropped":1,"foreign":0,"#,
                r#""latency":"{}","pings":4,"pong_rtt":"{}","pongs":4,"pongs_missed":0,"#,
                r#""refused":{{"rate_limited":1}},"rooms":[{{"acked":9,"acked_again":0,"#,
                r#""duplicates":0,"expected":27,"members":3,"received":27,"room":4,"#,
                r#""unacked":0}}],"sent":10}}"#
            ),
            t.ack_latency.to_text(),
            t.latency.to_text(),
            t.pong_rtt.to_text()
        );
        assert_eq!(t.to_json().to_string(), expected);
    }

    #[test]
    fn merges_counts_histograms_and_rooms() {
        let mut a = sample(7);
        a.merge(&sample(2));
        assert_eq!((a.connected, a.sent, a.acked, a.dropped), (6, 20, 18, 2));
        assert_eq!(a.refused["rate_limited"], 2);
        assert_eq!(a.refused_total(), 2);
        assert_eq!(a.unanswered(), 0);
        assert_eq!(a.latency.count(), 2);
        assert_eq!(a.rooms.iter().map(|r| r.room).collect::<Vec<_>>(), [2, 7]);
        assert_eq!(a.drop_reasons.len(), 2);
    }
}
