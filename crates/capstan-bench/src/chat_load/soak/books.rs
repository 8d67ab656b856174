//! A worker's books: its tally and delivery ledger, and what each message
//! from the server changes in them.

use serde_json::Value;

use super::layout::room_number;
use super::ledger::{Ledger, Receipt};
use super::progress::Progress;
use super::tally::Tally;
use crate::stamp;

/// Who received a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// The member's user name.
    pub name: String,
    /// Its room's number.
    pub room: usize,
    /// Its place among the room's members.
    pub rank: usize,
}

/// The client id of the `seq`-th message of connection `index`, sent at
/// `ts` (shared-clock ns): the time comes back with the `ack`.
pub fn client_id(index: usize, seq: u64, ts: u64) -> String {
    format!("{index}.{seq}.{ts}")
}

/// The send time in a [`client_id`].
fn sent_at(client_id: &str) -> Option<u64> {
    client_id.rsplit('.').next()?.parse().ok()
}

/// Counts and ledger, shared by a worker's connections.
#[derive(Debug, Clone)]
pub struct Books {
    /// The counts.
    pub tally: Tally,
    /// The deliveries.
    pub ledger: Ledger,
    /// Pings sent and neither answered nor given up on.
    pub pings_open: u64,
}

impl Books {
    /// Empty books for `ledger`'s rooms.
    pub fn new(ledger: Ledger) -> Self {
        Self { tally: Tally::default(), ledger, pings_open: 0 }
    }

    /// Takes in the text message `payload` received by `seat` at `now`
    /// (shared-clock ns).
    pub fn take(&mut self, seat: &Seat, payload: &[u8], now: u64) {
        let Ok(envelope) = serde_json::from_slice::<Value>(payload) else {
            self.tally.foreign += 1;
            return;
        };
        let data = &envelope["data"];
        let room = data["room"].as_str().and_then(room_number);
        match envelope["type"].as_str().unwrap_or("") {
            "message" => {
                let (Some(room), Some(id)) = (room, data["id"].as_u64()) else {
                    self.tally.foreign += 1;
                    return;
                };
                let rank = if room == seat.room { seat.rank } else { usize::MAX };
                let first = self.ledger.received(room, rank, id) == Receipt::First;
                let content = data["content"].as_str().unwrap_or("").as_bytes();
                let theirs = data["author"].as_str() != Some(seat.name.as_str());
                if let (true, true, Some(ts)) = (first, theirs, stamp::decode(content)) {
                    self.tally.latency.record(now.saturating_sub(ts));
                }
            }
            "ack" => {
                let (Some(room), Some(id)) = (room, data["id"].as_u64()) else {
                    self.tally.foreign += 1;
                    return;
                };
                if data["duplicate"].as_bool() == Some(true) {
                    self.tally.acked_duplicate += 1;
                    return;
                }
                self.tally.acked += 1;
                self.ledger.acked(room, id);
                if let Some(ts) = data["client_id"].as_str().and_then(sent_at) {
                    self.tally.ack_latency.record(now.saturating_sub(ts));
                }
            }
            "error" => {
                let code = data["code"].as_str().unwrap_or("(no code)").to_owned();
                *self.tally.refused.entry(code).or_default() += 1;
            }
            // Presence and notices: the rooms' members do not change
            // while the run goes on.
            _ => {}
        }
    }

    /// The running counts.
    pub fn progress(&self) -> Progress {
        let (expected, received) = self.ledger.progress();
        Progress {
            connected: self.tally.connected,
            sent: self.tally.sent,
            acked: self.tally.acked,
            expected,
            received,
            dropped: self.tally.dropped,
            pongs_missed: self.tally.pongs_missed,
        }
    }

    /// Whether nothing more is awaited: every message answered, delivered
    /// everywhere, every ping answered.
    pub fn settled(&self) -> bool {
        self.tally.unanswered() == 0 && self.ledger.outstanding() == 0 && self.pings_open == 0
    }

    /// The final tally, the ledger's rooms in it.
    pub fn close(mut self) -> Tally {
        self.tally.rooms = self.ledger.counts();
        self.tally.foreign += self.ledger.foreign();
        self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: u64, author: &str, ts: u64) -> String {
        let content = String::from_utf8(stamp::payload(40, ts)).unwrap();
        serde_json::json!({"data": {"id": id, "room": "soak-3", "author": author,
            "content": content, "created": "2026-12-06T21:00:00.000Z",
            "client_id": client_id(0, 1, ts)}, "type": "message"})
        .to_string()
    }

    #[test]
    fn a_message_its_ack_and_its_deliveries() {
        let mut books = Books::new(Ledger::new(3, &[2]));
        let alice = Seat { name: "soak00000".into(), room: 3, rank: 0 };
        let bob = Seat { name: "soak00001".into(), room: 3, rank: 1 };
        books.tally.sent = 1;
        assert!(!books.settled());
        books.take(&bob, message(5, "soak00000", 1_000).as_bytes(), 4_000);
        books.take(&alice, message(5, "soak00000", 1_000).as_bytes(), 5_000);
        let ack = format!(
            r#"{{"data":{{"client_id":"{}","duplicate":false,"id":5,"room":"soak-3"}},"type":"ack"}}"#,
            client_id(0, 1, 1_000)
        );
        books.take(&alice, ack.as_bytes(), 6_000);
        assert!(books.settled());
        // Only the other member's receipt is a latency; the ack has its own.
        assert_eq!(books.tally.latency.count(), 1);
        // 3 µs, within its bucket's width.
        assert!(books.tally.latency.quantile(0.5).unwrap().abs_diff(3_000) < 50);
        assert_eq!(books.tally.ack_latency.count(), 1);
        assert_eq!(books.progress().received, 2);
        // The same copy again is a duplicate, not a second latency.
        books.take(&bob, message(5, "soak00000", 1_000).as_bytes(), 7_000);
        let tally = books.close();
        assert_eq!((tally.acked, tally.latency.count(), tally.rooms[0].duplicates), (1, 1, 1));
    }

    #[test]
    fn refusals_and_strangers() {
        let mut books = Books::new(Ledger::new(0, &[1]));
        let seat = Seat { name: "soak00000".into(), room: 0, rank: 0 };
        books.take(
            &seat,
            br#"{"data":{"code":"rate_limited","message":"slow down"},"type":"error"}"#,
            1,
        );
        books.take(&seat, b"not json", 1);
        books.take(&seat, br#"{"data":{"room":"general","changes":[]},"type":"presence"}"#, 1);
        books.take(&seat, message(1, "x", 0).as_bytes(), 1);
        assert_eq!(books.tally.refused["rate_limited"], 1);
        assert_eq!(books.close().foreign, 2, "the bad text and room 3's message");
    }
}
