//! The delivery ledger of one worker's rooms: which message ids were
//! acknowledged to their sender, and which member received which id. Every
//! acknowledged message must reach every member of its room (its sender
//! included) exactly once; the ledger counts what did, twice, or not.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// What one receipt was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// The member's first copy of the message.
    First,
    /// The member had it already.
    Again,
    /// Not one of the ledger's rooms or members.
    Foreign,
}

/// One room's messages.
#[derive(Debug, Clone, Default)]
struct Room {
    members: usize,
    acked: BTreeSet<u64>,
    acked_again: u64,
    /// Per message id, one bit per member that received it.
    received: BTreeMap<u64, Vec<u64>>,
    again: u64,
}

/// One room's counts at the end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomCount {
    /// The room's number.
    pub room: usize,
    /// Its members.
    pub members: usize,
    /// Messages acknowledged (distinct ids).
    pub acked: u64,
    /// Deliveries expected: acknowledged messages times members.
    pub expected: u64,
    /// Deliveries of acknowledged messages received, first copies only.
    pub received: u64,
    /// Copies received a second time (or more) by the same member.
    pub duplicates: u64,
    /// Deliveries of ids that were never acknowledged.
    pub unacked: u64,
    /// Acknowledgements of an id acknowledged before.
    pub acked_again: u64,
}

impl RoomCount {
    /// Expected deliveries that did not come.
    pub fn lost(&self) -> u64 {
        self.expected.saturating_sub(self.received)
    }

    /// Whether every acknowledged message reached every member once, and
    /// nothing else came.
    pub fn is_exact(&self) -> bool {
        self.lost() == 0 && self.duplicates == 0 && self.unacked == 0 && self.acked_again == 0
    }
}

/// The ledger of rooms `first..first + sizes.len()`.
#[derive(Debug, Clone)]
pub struct Ledger {
    first: usize,
    rooms: Vec<Room>,
    expected: u64,
    received_acked: u64,
    foreign: u64,
}

impl Ledger {
    /// Rooms numbered from `first`, with `sizes[k]` members in room `first + k`.
    pub fn new(first: usize, sizes: &[usize]) -> Self {
        let rooms = sizes.iter().map(|&members| Room { members, ..Room::default() }).collect();
        Self { first, rooms, expected: 0, received_acked: 0, foreign: 0 }
    }

    fn room(&mut self, room: usize) -> Option<&mut Room> {
        self.rooms.get_mut(room.checked_sub(self.first)?)
    }

    /// Message `id` of `room` was acknowledged to its sender.
    pub fn acked(&mut self, room: usize, id: u64) {
        let Some(r) = self.room(room) else {
            self.foreign += 1;
            return;
        };
        if !r.acked.insert(id) {
            r.acked_again += 1;
            return;
        }
        let members = r.members as u64;
        let already: u64 =
            r.received.get(&id).map_or(0, |bits| bits.iter().map(|w| w.count_ones() as u64).sum());
        self.expected += members;
        self.received_acked += already;
    }

    /// Member `rank` of `room` received message `id` of that room.
    pub fn received(&mut self, room: usize, rank: usize, id: u64) -> Receipt {
        let Some(r) = self.room(room) else {
            self.foreign += 1;
            return Receipt::Foreign;
        };
        if rank >= r.members {
            self.foreign += 1;
            return Receipt::Foreign;
        }
        let words = r.members.div_ceil(64);
        let bits = r.received.entry(id).or_insert_with(|| vec![0; words]);
        let bit = 1u64 << (rank % 64);
        if bits[rank / 64] & bit != 0 {
            r.again += 1;
            return Receipt::Again;
        }
        bits[rank / 64] |= bit;
        if r.acked.contains(&id) {
            self.received_acked += 1;
        }
        Receipt::First
    }

    /// Deliveries of acknowledged messages still to come.
    pub fn outstanding(&self) -> u64 {
        self.expected - self.received_acked
    }

    /// Deliveries expected so far, and received of those.
    pub fn progress(&self) -> (u64, u64) {
        (self.expected, self.received_acked)
    }

    /// Receipts and acknowledgements for rooms or members not in the ledger.
    pub fn foreign(&self) -> u64 {
        self.foreign
    }

    /// Every room's counts.
    pub fn counts(&self) -> Vec<RoomCount> {
        self.rooms
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let mut count = RoomCount {
                    room: self.first + k,
                    members: r.members,
                    acked: r.acked.len() as u64,
                    expected: r.acked.len() as u64 * r.members as u64,
                    duplicates: r.again,
                    acked_again: r.acked_again,
                    ..RoomCount::default()
                };
                for (id, bits) in &r.received {
                    let n: u64 = bits.iter().map(|w| w.count_ones() as u64).sum();
                    if r.acked.contains(id) {
                        count.received += n;
                    } else {
                        count.unacked += n;
                    }
                }
                count
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_once_is_exact() {
        let mut ledger = Ledger::new(10, &[3, 70]);
        // A member may see the message before its sender sees the ack.
        assert_eq!(ledger.received(10, 0, 1), Receipt::First);
        ledger.acked(10, 1);
        assert_eq!(ledger.outstanding(), 2);
        assert_eq!(ledger.received(10, 1, 1), Receipt::First);
        assert_eq!(ledger.received(10, 2, 1), Receipt::First);
        ledger.acked(11, 1);
        for rank in 0..70 {
            assert_eq!(ledger.received(11, rank, 1), Receipt::First);
        }
        assert_eq!(ledger.outstanding(), 0);
        let counts = ledger.counts();
        assert_eq!(
            counts[0],
            RoomCount {
                room: 10,
                members: 3,
                acked: 1,
                expected: 3,
                received: 3,
                ..RoomCount::default()
            }
        );
        assert_eq!((counts[1].expected, counts[1].received), (70, 70));
        assert!(counts.iter().all(RoomCount::is_exact));
        assert_eq!(ledger.progress(), (73, 73));
    }

    #[test]
    fn losses_duplicates_and_strays_are_counted() {
        let mut ledger = Ledger::new(0, &[4]);
        ledger.acked(0, 1);
        ledger.acked(0, 2);
        for rank in 0..4 {
            ledger.received(0, rank, 1);
        }
        ledger.received(0, 0, 2);
        // A duplicate does not make up for a loss.
        assert_eq!(ledger.received(0, 0, 2), Receipt::Again);
        // Stored, delivered, but its ack never came.
        ledger.received(0, 3, 9);
        ledger.acked(0, 1);
        assert_eq!(ledger.received(1, 0, 1), Receipt::Foreign);
        assert_eq!(ledger.received(0, 4, 1), Receipt::Foreign);
        assert_eq!(ledger.foreign(), 2);
        let count = &ledger.counts()[0];
        assert_eq!(
            (count.expected, count.received, count.lost(), count.duplicates, count.unacked),
            (8, 5, 3, 1, 1)
        );
        assert_eq!(count.acked_again, 1);
        assert!(!count.is_exact());
        assert_eq!(ledger.outstanding(), 3);
    }
}
