//! Numbering, acknowledgement, the bound under both policies, and the
//! resume decision at every boundary.

use bytes::{Bytes, BytesMut};

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

/// A small slice of a shared buffer is kept as a copy (the buffer is no
/// longer pinned by it), the copies sharing one chunk, let go once nothing
/// is kept; a message with bytes of its own, or a large one, is kept as it
/// is (the same bytes).
#[test]
fn small_slices_of_a_shared_buffer_are_copied_into_one_chunk_to_be_kept() {
    let mut retention = Bounded::new(1 << 20, Overflow::Close);
    let mut buffer = BytesMut::from(&[b'x'; 8192][..]);
    let first = buffer.split_to(512).freeze();
    retention.commit(Message::Binary(first.clone())).unwrap();
    retention
        .commit(Message::Text(Utf8Bytes::from_validated(buffer.split_to(5).freeze())))
        .unwrap();
    let kept: Vec<Message> = retention.kept().cloned().collect();
    let Message::Binary(copy) = &kept[0] else { panic!("binary stays binary") };
    assert_eq!(copy, &first);
    assert_ne!(copy.as_ptr(), first.as_ptr(), "a copy");
    assert_eq!(kept[1].as_text(), Some("xxxxx"), "text stays text");
    assert_eq!(kept[1].as_bytes().as_ptr(), copy.as_ptr().wrapping_add(512), "the same chunk");
    drop(kept);

    let own = Bytes::from(vec![1u8; 512]);
    let own_ptr = own.as_ptr();
    retention.commit(Message::Binary(own)).unwrap();
    let large = buffer.split_to(COPY_TO_KEEP_BYTES + 1).freeze();
    retention.commit(Message::Binary(large.clone())).unwrap();
    let pointers: Vec<*const u8> = retention.kept().map(|m| m.as_bytes().as_ptr()).collect();
    assert_eq!(pointers[2..], [own_ptr, large.as_ptr()], "shared, not copied");

    assert!(retention.copies.capacity() > 0);
    retention.ack(4).unwrap();
    assert_eq!(retention.copies.capacity(), 0, "nothing kept: the chunk is let go");
}
