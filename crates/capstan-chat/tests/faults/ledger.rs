//! The count-and-compare check after a fault. Per room: the ids of the
//! acknowledged messages are one gap-free sequence 1..=n, one message
//! each; and every member of the room received exactly that sequence —
//! every acknowledged message once, in id order, nothing else.

use std::collections::BTreeMap;

use super::member::{Log, content};

/// What the check counted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Messages acknowledged, in all rooms.
    pub messages: usize,
    /// Messages received by members, in all rooms.
    pub deliveries: usize,
    /// Connections made again, by all members.
    pub reconnects: usize,
    /// Refusals of a message, by error code.
    pub refused: BTreeMap<String, usize>,
    /// Refusals of an `add_user` or a `join`, by error code.
    pub refused_entries: BTreeMap<String, usize>,
    /// Resumes answered "not recovered" (`resumed: false`).
    pub not_recovered: usize,
    /// Resumes whose catch-up was cut short (`has_more`).
    pub cut_short: usize,
}

/// Checks `logs` (every member of every room); panics on the first
/// difference, saying where.
pub fn check(logs: &[Log]) -> Tally {
    let mut tally = Tally::default();
    let mut rooms: BTreeMap<&str, BTreeMap<u64, String>> = BTreeMap::new();
    for log in logs {
        let room = rooms.entry(&log.room).or_default();
        for &(seq, id) in &log.acked {
            let text = content(&log.name, seq);
            if let Some(other) = room.insert(id, text.clone()) {
                panic!("#{}: id {id} acknowledged for both {other} and {text}", log.room);
            }
        }
        tally.reconnects += log.reconnects;
        tally.not_recovered += log.not_recovered;
        tally.cut_short += log.cut_short;
        for code in &log.refused {
            *tally.refused.entry(code.clone()).or_default() += 1;
        }
        for code in &log.refused_entries {
            *tally.refused_entries.entry(code.clone()).or_default() += 1;
        }
        assert!(log.other_errors.is_empty(), "{}: errors {:?}", log.name, log.other_errors);
    }
    for (room, acked) in &rooms {
        let ids: Vec<u64> = acked.keys().copied().collect();
        let gap_free: Vec<u64> = (1..=ids.len() as u64).collect();
        assert_eq!(ids, gap_free, "#{room}: the acknowledged ids are one gap-free sequence");
        tally.messages += ids.len();
    }
    for log in logs {
        let expected: Vec<(u64, String)> =
            rooms[log.room.as_str()].iter().map(|(id, text)| (*id, text.clone())).collect();
        if log.received != expected {
            let at = log.received.iter().zip(&expected).position(|(a, b)| a != b);
            let at = at.unwrap_or(log.received.len().min(expected.len()));
            panic!(
                "{} in #{}: received {} messages, {} acknowledged; first difference at {at}: \
                 got {:?}, expected {:?}",
                log.name,
                log.room,
                log.received.len(),
                expected.len(),
                log.received.get(at),
                expected.get(at)
            );
        }
        tally.deliveries += log.received.len();
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, acked: &[(usize, u64)], received: &[(u64, &str)]) -> Log {
        Log {
            name: name.into(),
            room: "r".into(),
            acked: acked.to_vec(),
            received: received.iter().map(|(id, t)| (*id, (*t).to_owned())).collect(),
            ..Log::default()
        }
    }

    const BOTH: [(u64, &str); 3] = [(1, "a-1"), (2, "b-1"), (3, "a-2")];

    #[test]
    fn every_member_with_every_acknowledged_message_once_in_order_passes() {
        let tally = check(&[member("a", &[(1, 1), (2, 3)], &BOTH), member("b", &[(1, 2)], &BOTH)]);
        assert_eq!((tally.messages, tally.deliveries), (3, 6));
    }

    #[test]
    #[should_panic(expected = "first difference at 2")]
    fn a_missing_message_fails() {
        check(&[member("a", &[(1, 1), (2, 3)], &BOTH), member("b", &[(1, 2)], &BOTH[..2])]);
    }

    #[test]
    #[should_panic(expected = "first difference at 2")]
    fn a_message_twice_fails() {
        let twice = [BOTH[0], BOTH[1], BOTH[1], BOTH[2]];
        check(&[member("a", &[(1, 1), (2, 3)], &BOTH), member("b", &[(1, 2)], &twice)]);
    }

    #[test]
    #[should_panic(expected = "gap-free")]
    fn a_gap_in_the_ids_fails() {
        check(&[member("a", &[(1, 1), (2, 4)], &[])]);
    }
}
