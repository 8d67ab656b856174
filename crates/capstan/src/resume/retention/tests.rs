//! Numbering, acknowledgement, the bound under both policies, and the
//! resume decision at every boundary.

use super::*;

fn msg(text: &str) -> Message {
    Message::text(text.to_owned())
}

/// A retention with its bound, as a session holds them.
struct Bounded {
    retention: Retention,
    bound: RetentionBound,
}

impl Bounded {
    fn new(limit: usize, overflow: Overflow) -> Self {
        Self { retention: Retention::new(), bound: RetentionBound { limit, overflow } }
    }

    fn commit(&mut self, message: Message) -> Result<Committed, RetentionFull> {
        self.retention.commit(&message, self.bound)
    }
}

impl std::ops::Deref for Bounded {
    type Target = Retention;

    fn deref(&self) -> &Retention {
        &self.retention
    }
}

impl std::ops::DerefMut for Bounded {
    fn deref_mut(&mut self) -> &mut Retention {
        &mut self.retention
    }
}

/// Messages "1", "2", … `n` committed under a large bound.
fn sent(n: u64) -> Bounded {
    let mut retention = Bounded::new(1 << 20, Overflow::Close);
    for i in 1..=n {
        assert_eq!(retention.commit(msg(&i.to_string())).unwrap().number, i);
    }
    retention
}

fn resent(retention: &mut Retention, rx: u64) -> Result<Vec<String>, ResumeError> {
    let count = retention.resume(rx)?;
    assert_eq!(count, retention.kept().len());
    Ok(retention.kept().map(|m| m.as_text().unwrap().to_owned()).collect())
}

#[test]
fn messages_are_numbered_from_one_and_kept_until_acknowledged() {
    let mut retention = sent(3);
    assert_eq!((retention.sent(), retention.len(), retention.oldest()), (3, 3, 1));
    assert_eq!(retention.bytes(), 6, "each message counts its prefix");
    assert_eq!(retention.ack(2), Ok(2));
    assert_eq!(
        (retention.acked(), retention.len(), retention.oldest(), retention.bytes()),
        (2, 1, 3, 2)
    );
    assert_eq!(retention.commit(msg("4")).unwrap(), Committed { number: 4, dropped: 0 });
}

#[test]
fn an_ack_at_or_below_an_earlier_one_changes_nothing() {
    let mut retention = sent(3);
    assert_eq!(retention.ack(2), Ok(2));
    assert_eq!(retention.ack(2), Ok(0));
    assert_eq!(retention.ack(1), Ok(0));
    assert_eq!(retention.ack(0), Ok(0));
    assert_eq!((retention.acked(), retention.len()), (2, 1));
}

#[test]
fn an_ack_beyond_what_was_sent_is_refused() {
    let mut retention = sent(3);
    assert_eq!(retention.ack(4), Err(AckError::BeyondSent { ack: 4, sent: 3 }));
    assert_eq!(retention.len(), 3, "nothing forgotten");
    assert_eq!(
        Bounded::new(10, Overflow::Close).ack(1),
        Err(AckError::BeyondSent { ack: 1, sent: 0 })
    );
}

#[test]
fn resume_when_nothing_was_sent() {
    let mut retention = sent(0);
    assert_eq!(resent(&mut retention, 0), Ok(vec![]));
    assert_eq!(resent(&mut retention, 1), Err(ResumeError::RxBeyondSent { rx: 1, sent: 0 }));
}

#[test]
fn resume_when_all_was_acknowledged() {
    let mut retention = sent(3);
    retention.ack(3).unwrap();
    assert_eq!(resent(&mut retention, 3), Ok(vec![]));
    assert_eq!(retention.oldest(), 4);
}

#[test]
fn resume_when_all_was_received_but_not_acknowledged() {
    let mut retention = sent(3);
    assert_eq!(resent(&mut retention, 3), Ok(vec![]));
    assert_eq!((retention.acked(), retention.len()), (3, 0), "rx acknowledges");
}

#[test]
fn resume_resends_the_unacknowledged_in_order() {
    let mut retention = sent(5);
    retention.ack(1).unwrap();
    assert_eq!(resent(&mut retention, 1), Ok(vec!["2".into(), "3".into(), "4".into(), "5".into()]));
    // rx beyond the last ack acknowledges what it names.
    assert_eq!(resent(&mut retention, 3), Ok(vec!["4".into(), "5".into()]));
    assert_eq!((retention.acked(), retention.len()), (3, 2));
    assert_eq!(retention.commit(msg("6")).unwrap().number, 6);
}

#[test]
fn resume_beyond_what_was_sent_is_refused() {
    let mut retention = sent(3);
    assert_eq!(resent(&mut retention, 4), Err(ResumeError::RxBeyondSent { rx: 4, sent: 3 }));
    assert_eq!(retention.len(), 3);
}

#[test]
fn resume_behind_an_earlier_ack_is_refused() {
    let mut retention = sent(3);
    retention.ack(2).unwrap();
    assert_eq!(resent(&mut retention, 1), Err(ResumeError::RxBehindAck { rx: 1, acked: 2 }));
    assert_eq!(resent(&mut retention, 2), Ok(vec!["3".into()]));
}

#[test]
fn close_policy_refuses_at_the_bound_as_the_queue_does() {
    // Bound 4 bytes: "1" and "2" weigh 2 each.
    let mut retention = Bounded::new(4, Overflow::Close);
    retention.commit(msg("1")).unwrap();
    // Below the bound a message is taken, even one that passes it.
    assert_eq!(retention.commit(msg("22")).unwrap().number, 2);
    assert_eq!(retention.bytes(), 5);
    assert_eq!(retention.commit(msg("3")), Err(RetentionFull { kept_bytes: 5, limit: 4 }));
    assert_eq!(retention.sent(), 2, "the refused message has no number");
    // Acknowledged, the room is back.
    retention.ack(2).unwrap();
    assert_eq!(retention.commit(msg("3")).unwrap().number, 3);
}

#[test]
fn drop_oldest_policy_forgets_the_oldest_to_make_room() {
    let mut retention = Bounded::new(4, Overflow::DropOldest);
    for i in 1..=2 {
        assert_eq!(retention.commit(msg(&i.to_string())).unwrap().dropped, 0);
    }
    assert_eq!(retention.commit(msg("3")).unwrap(), Committed { number: 3, dropped: 1 });
    assert_eq!(retention.commit(msg("4")).unwrap(), Committed { number: 4, dropped: 1 });
    assert_eq!((retention.oldest(), retention.len(), retention.dropped()), (3, 2, 2));
    // Dropped until under the bound, then taken, as the queue does: a big
    // one may pass the bound.
    assert_eq!(retention.commit(msg("55555")).unwrap(), Committed { number: 5, dropped: 1 });
    assert_eq!((retention.oldest(), retention.bytes(), retention.dropped()), (4, 8, 3));
    assert_eq!(retention.commit(msg("6")).unwrap(), Committed { number: 6, dropped: 2 });
    assert_eq!((retention.oldest(), retention.bytes(), retention.len()), (6, 2, 1));
}

#[test]
fn resume_from_before_the_oldest_kept_after_drop_oldest_is_refused() {
    let mut retention = Bounded::new(4, Overflow::DropOldest);
    for i in 1..=4 {
        retention.commit(msg(&i.to_string())).unwrap();
    }
    assert_eq!(retention.oldest(), 3);
    assert_eq!(resent(&mut retention, 0), Err(ResumeError::NotKept { rx: 0, oldest: 3 }));
    assert_eq!(resent(&mut retention, 1), Err(ResumeError::NotKept { rx: 1, oldest: 3 }));
    // Message 3 is the oldest kept: a client that has 2 misses nothing.
    assert_eq!(resent(&mut retention, 2), Ok(vec!["3".into(), "4".into()]));
}
