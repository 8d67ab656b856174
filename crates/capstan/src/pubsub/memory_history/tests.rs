//! Recovery from memory: exactly what was missed, or a plain "not
//! recovered". Instants are made, not waited for.

use std::time::{Duration, Instant};

use super::{HistoryLimits, MemoryHistory};
use crate::pubsub::{History, PageRange, Position, Recovery, Stored};
use crate::ws::Message;

fn history(max_len: usize) -> MemoryHistory {
    MemoryHistory::new(HistoryLimits { max_len, ttl: Duration::from_secs(60) })
}

fn texts(recovery: Recovery) -> Vec<(u64, String)> {
    match recovery {
        Recovery::Recovered(stored) => stored
            .into_iter()
            .map(|Stored { position, message }| {
                (position.offset, message.as_text().unwrap().to_owned())
            })
            .collect(),
        Recovery::NotRecovered { latest } => panic!("not recovered (latest {latest})"),
    }
}

#[test]
fn a_client_gets_exactly_what_followed_its_position_in_order() {
    let (history, now) = (history(10), Instant::now());
    for n in 1..=5 {
        let position = history.append_now("t", Message::text(format!("m{n}")), None, now).position;
        assert_eq!(position, Position::new(n, history.epoch()));
    }
    let since = Position::new(2, history.epoch());
    let got = texts(history.since_now("t", &since, now));
    assert_eq!(got, [(3, "m3".into()), (4, "m4".into()), (5, "m5".into())]);
    // Up to date: nothing, and recovered.
    assert_eq!(texts(history.since_now("t", &Position::new(5, history.epoch()), now)), []);
}

#[test]
fn what_was_trimmed_is_not_recovered() {
    let (history, now) = (history(3), Instant::now());
    for n in 1..=5 {
        history.append_now("t", Message::text(format!("m{n}")), None, now);
    }
    // Kept: 3, 4, 5. From 2 on, nothing is missing; from 1, offset 2 is.
    let from_two = texts(history.since_now("t", &Position::new(2, history.epoch()), now));
    assert_eq!(from_two.len(), 3);
    let latest = Position::new(5, history.epoch());
    assert_eq!(
        history.since_now("t", &Position::new(1, history.epoch()), now),
        Recovery::NotRecovered { latest }
    );
}

#[test]
fn what_expired_is_not_recovered_and_offsets_go_on() {
    let (history, t0) = (history(10), Instant::now());
    history.append_now("t", Message::text("old"), None, t0);
    let later = t0 + Duration::from_secs(61);
    let latest = Position::new(1, history.epoch());
    assert_eq!(
        history.since_now("t", &Position::new(0, history.epoch()), later),
        Recovery::NotRecovered { latest: latest.clone() }
    );
    // A client that saw the expired one misses nothing.
    assert_eq!(texts(history.since_now("t", &latest, later)), []);
    // Offsets never repeat within an epoch.
    assert_eq!(history.append_now("t", Message::text("new"), None, later).position.offset, 2);
}

#[test]
fn another_epoch_or_a_future_offset_is_not_recovered() {
    let (history, now) = (history(10), Instant::now());
    history.append_now("t", Message::text("m1"), None, now);
    let before_restart = MemoryHistory::new(HistoryLimits::default());
    let latest = Position::new(1, history.epoch());
    for since in [Position::new(0, before_restart.epoch()), Position::new(9, history.epoch())] {
        let answer = history.since_now("t", &since, now);
        assert_eq!(answer, Recovery::NotRecovered { latest: latest.clone() }, "{since}");
    }
    assert_ne!(history.epoch(), before_restart.epoch());
}

#[test]
fn a_topic_never_published_to_is_empty_at_offset_zero() {
    let (history, now) = (history(10), Instant::now());
    assert_eq!(history.latest_now("quiet"), Position::new(0, history.epoch()));
    assert_eq!(texts(history.since_now("quiet", &Position::new(0, history.epoch()), now)), []);
}

#[tokio::test]
async fn the_trait_answers_as_the_engine() {
    let history = history(10);
    let first = history.append("t", Message::binary(vec![1, 2]), None).await.unwrap().position;
    history.append("t", Message::binary(vec![3]), None).await.unwrap();
    assert_eq!(history.latest("t").await.unwrap().offset, 2);
    match history.since("t", first).await.unwrap() {
        Recovery::Recovered(stored) => {
            assert_eq!(stored.len(), 1);
            assert_eq!(stored[0].message, Message::binary(vec![3]));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_publication_kept_under_a_key_is_kept_once_while_the_history_holds_it() {
    let (history, now) = (history(2), Instant::now());
    let first = history.append_now("t", Message::text("hi"), Some("k1"), now);
    assert!(!first.duplicate);
    let again = history.append_now("t", Message::text("hi again"), Some("k1"), now);
    assert_eq!((again.position.offset, again.duplicate), (first.position.offset, true));
    assert_eq!(history.latest_now("t").offset, 1, "nothing appended");
    // Same key, other topic: its own stream.
    assert!(!history.append_now("u", Message::text("hi"), Some("k1"), now).duplicate);
    // Once trimmed out of the history, the key is forgotten.
    history.append_now("t", Message::text("2"), None, now);
    history.append_now("t", Message::text("3"), None, now);
    let later = history.append_now("t", Message::text("hi"), Some("k1"), now);
    assert_eq!((later.position.offset, later.duplicate), (4, false));
}

#[test]
fn pages_read_the_latest_before_or_after_an_offset_oldest_first() {
    let (history, now) = (history(5), Instant::now());
    for n in 1..=7 {
        history.append_now("t", Message::text(format!("m{n}")), None, now);
    }
    let offsets = |page: Vec<Stored>| page.iter().map(|s| s.position.offset).collect::<Vec<_>>();
    assert_eq!(offsets(history.page_now("t", PageRange::Latest, 2, now)), [6, 7]);
    assert_eq!(offsets(history.page_now("t", PageRange::Before(6), 2, now)), [4, 5]);
    assert_eq!(
        offsets(history.page_now("t", PageRange::Before(4), 9, now)),
        [3],
        "1 and 2 are trimmed"
    );
    assert_eq!(offsets(history.page_now("t", PageRange::After(3), 2, now)), [4, 5]);
    assert_eq!(offsets(history.page_now("t", PageRange::After(7), 2, now)), Vec::<u64>::new());
    assert!(history.page_now("none", PageRange::Latest, 2, now).is_empty());
}
