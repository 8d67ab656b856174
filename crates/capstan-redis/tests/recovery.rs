//! Recovery across nodes: a client that saw publications on node A comes
//! back on node B and gets exactly what it missed, then the live stream;
//! or it is told plainly that it cannot (the history was trimmed or
//! expired, or the stream began a new epoch).

mod common;

use std::time::Duration;

use capstan::pubsub::{History, Position, Recovery, Resumed};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_back_on_another_node_gets_exactly_what_it_missed_then_the_live_stream() {
    let redis = RedisServer::start(Persistence::None).await;
    let mut a = Node::start(config(&redis)).await;
    let mut b = Node::start(config(&redis)).await;
    let (mut client, conn) = a.client().await;
    let resumed = a.topics.subscribe_since("room", &conn, None).await.unwrap();
    assert!(matches!(resumed, Resumed::Fresh { ref at } if at.offset == 0), "{resumed:?}");
    let mut seen = None;
    for n in 1..=3 {
        seen = Some(a.publish_kept("room", &format!("m{n}")).await);
    }
    for n in 1..=3 {
        assert_eq!(next_text(&mut client).await, format!("m{n}"));
    }
    let seen = seen.unwrap();
    drop((client, conn));
    // Missed while away.
    a.publish_kept("room", "m4").await;
    let m5 = a.publish_kept("room", "m5").await;
    let (mut client, conn) = b.client().await;
    let resumed = b.topics.subscribe_since("room", &conn, Some(seen)).await.unwrap();
    assert_eq!(resumed, Resumed::Recovered { count: 2, at: m5 });
    a.publish_kept("room", "m6").await;
    for text in ["m4", "m5", "m6"] {
        assert_eq!(next_text(&mut client).await, text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trimmed_history_is_answered_not_recovered() {
    let redis = RedisServer::start(Persistence::None).await;
    let short = RedisConfig { history_max_len: 2, ..config(&redis) };
    let a = Node::start(short.clone()).await;
    let mut b = Node::start(short).await;
    let first = a.publish_kept("room", "m1").await;
    for n in 2..=5 {
        a.publish_kept("room", &format!("m{n}")).await;
    }
    let (mut client, conn) = b.client().await;
    let resumed = b.topics.subscribe_since("room", &conn, Some(first.clone())).await.unwrap();
    assert_eq!(resumed, Resumed::NotRecovered { at: Position::new(5, first.epoch.clone()) });
    // What is left is still recovered, from the oldest kept on.
    let history = b.engine.history();
    let recovered = history.since("room", Position::new(3, first.epoch.clone())).await.unwrap();
    assert!(matches!(&recovered, Recovery::Recovered(s) if s.len() == 2), "{recovered:?}");
    a.publish_kept("room", "m6").await;
    assert_eq!(next_text(&mut client).await, "m6", "nothing from before, the live stream after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_stream_begins_a_new_epoch_and_old_positions_are_not_recovered() {
    let redis = RedisServer::start(Persistence::None).await;
    let a = Node::start(config(&redis)).await;
    let mut b = Node::start(config(&redis)).await;
    a.publish_kept("room", "m1").await;
    let seen = a.publish_kept("room", "m2").await;
    a.publish_kept("room", "m3").await;
    // The meta is lost (evicted, flushed): the stream is of a lost epoch.
    let mut cli = redis_cli(&redis).await;
    let meta = a.engine.keys().meta("room");
    let deleted: i64 = redis::cmd("DEL").arg(&meta).query_async(&mut cli).await.unwrap();
    assert_eq!(deleted, 1);
    let (mut client, conn) = b.client().await;
    let resumed = b.topics.subscribe_since("room", &conn, Some(seen.clone())).await.unwrap();
    let Resumed::NotRecovered { at } = resumed else {
        panic!("expected not recovered: {resumed:?}")
    };
    assert_ne!(at.epoch, seen.epoch);
    assert_eq!(at.offset, 0, "the new epoch begins empty: the old stream was dropped");
    let next = a.publish_kept("room", "new").await;
    assert_eq!(next, Position::new(1, at.epoch.clone()));
    assert_eq!(next_text(&mut client).await, "new");
    // Once the new epoch is past the old position's offset, that position
    // still means nothing in it.
    for n in 2..=4 {
        a.publish_kept("room", &format!("new {n}")).await;
    }
    let history = b.engine.history();
    let answer = history.since("room", seen).await.unwrap();
    assert_eq!(answer, Recovery::NotRecovered { latest: Position::new(4, at.epoch) });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_never_published_to_answers_one_epoch_from_its_first_read() {
    let redis = RedisServer::start(Persistence::None).await;
    let a = Node::start(config(&redis)).await;
    let b = Node::start(config(&redis)).await;
    let history = b.engine.history();
    let start = history.latest("quiet").await.unwrap();
    assert_eq!(start.offset, 0);
    assert_eq!(history.latest("quiet").await.unwrap(), start, "asked again: the same");
    let first = a.publish_kept("quiet", "one").await;
    assert_eq!(first, Position::new(1, start.epoch.clone()), "the first publication is of it");
    a.publish_kept("quiet", "two").await;
    match history.since("quiet", start).await.unwrap() {
        Recovery::Recovered(stored) => {
            let texts: Vec<_> = stored.iter().map(|s| s.message.as_text().unwrap()).collect();
            assert_eq!(texts, ["one", "two"]);
        }
        other => panic!("a client at offset 0 recovers everything: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_ahead_of_the_stream_or_expired_are_not_recovered() {
    let redis = RedisServer::start(Persistence::None).await;
    let brief = RedisConfig { history_ttl: Duration::from_millis(300), ..config(&redis) };
    let a = Node::start(brief).await;
    let history = a.engine.history();
    let first = a.publish_kept("room", "m1").await;
    let ahead = history.since("room", Position::new(9, first.epoch.clone())).await.unwrap();
    assert_eq!(ahead, Recovery::NotRecovered { latest: first.clone() });
    let before = Position::new(0, first.epoch.clone());
    assert!(matches!(history.since("room", before.clone()).await, Ok(Recovery::Recovered(_))));
    // Past the history's time-to-live an entry is gone, even while the
    // topic is published to (and so its stream key never expires).
    let deadline = tokio::time::Instant::now() + WAIT;
    let latest = loop {
        let latest = a.publish_kept("room", "still going").await;
        match history.since("room", before.clone()).await.unwrap() {
            Recovery::NotRecovered { latest: now } => {
                assert_eq!(now, latest);
                break latest;
            }
            Recovery::Recovered(_) => {
                assert!(tokio::time::Instant::now() < deadline, "m1 never expired");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    // The fresh ones are still there.
    let recent = Position::new(latest.offset - 1, latest.epoch.clone());
    assert!(
        matches!(history.since("room", recent).await, Ok(Recovery::Recovered(s)) if s.len() == 1)
    );
    // Nobody publishes: the stream expires; the epoch and offset are kept
    // (the meta lives longer), so no offset is given twice.
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut cli = redis_cli(&redis).await;
    let stream = a.engine.keys().stream("room");
    loop {
        let exists: i64 = redis::cmd("EXISTS").arg(&stream).query_async(&mut cli).await.unwrap();
        if exists == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the stream never expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let next = a.publish_kept("room", "after").await;
    assert_eq!(next, Position::new(latest.offset + 1, first.epoch));
}
