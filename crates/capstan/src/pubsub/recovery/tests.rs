//! Recovery on the in-memory engine, and on a broker that hands kept
//! publications over late and out of order: the subscriber sees each
//! offset once, in order, with the catch-up and the live stream joined at
//! one point.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::conn::Conn;
use crate::pubsub::topics::Topics;
use crate::pubsub::{
    Ack, Acknowledged, Broker, Engine, History, HistoryLimits, Keep, LocalFanout, MemoryHistory,
    Position, Publication, Published, Resumed, Stored,
};
use crate::request::Request;
use crate::ws::OutFrame;

fn conn() -> Conn {
    let request = Request::from_head("GET / HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    Conn::new("127.0.0.1:1".parse().unwrap(), request, None, None, 1 << 20, Default::default())
}

/// The texts queued for `conn` (short text frames; a prepared frame
/// carries its 2-byte header in its payload).
fn texts(conn: &Conn) -> Vec<String> {
    let mut batch = VecDeque::new();
    // What the topics hold for it is handed over first.
    conn.catch_up();
    conn.outbound().take(&mut batch);
    batch
        .iter()
        .map(|frame: &OutFrame| {
            let skip = if frame.head().is_empty() { 2 } else { 0 };
            String::from_utf8(frame.payload()[skip..].to_vec()).unwrap()
        })
        .collect()
}

fn memory(max_len: usize) -> (Topics, Arc<MemoryHistory>) {
    let history =
        Arc::new(MemoryHistory::new(HistoryLimits { max_len, ttl: Duration::from_secs(60) }));
    (Topics::with_engine(Engine::local(history.clone())), history)
}

async fn publish(topics: &Topics, text: &str) -> Position {
    let published = topics.publish_kept("room", text.to_owned(), &[], Keep::default());
    published.ack.await.unwrap().position.unwrap()
}

#[tokio::test]
async fn a_client_gets_what_it_missed_then_the_live_stream() {
    let (topics, _) = memory(100);
    let mut positions = Vec::new();
    for n in 1..=5 {
        positions.push(publish(&topics, &format!("m{n}")).await);
    }
    let client = conn();
    let resumed = topics.subscribe_since("room", &client, Some(positions[1].clone())).await;
    assert_eq!(resumed, Ok(Resumed::Recovered { count: 3, at: positions[4].clone() }));
    publish(&topics, "m6").await;
    assert_eq!(texts(&client), ["m3", "m4", "m5", "m6"]);
}

#[tokio::test]
async fn what_the_history_no_longer_holds_is_answered_not_recovered() {
    let (topics, history) = memory(2);
    for n in 1..=5 {
        publish(&topics, &format!("m{n}")).await;
    }
    let client = conn();
    let since = Position::new(1, history.epoch());
    let resumed = topics.subscribe_since("room", &client, Some(since)).await;
    assert_eq!(resumed, Ok(Resumed::NotRecovered { at: Position::new(5, history.epoch()) }));
    let other_epoch = conn();
    let resumed = topics.subscribe_since("room", &other_epoch, Some(Position::new(4, "old"))).await;
    assert!(matches!(resumed, Ok(Resumed::NotRecovered { .. })), "{resumed:?}");
    publish(&topics, "m6").await;
    assert_eq!(texts(&client), ["m6"], "nothing from before, the live stream after");
    assert_eq!(texts(&other_epoch), ["m6"]);
}

#[tokio::test]
async fn without_a_position_the_live_stream_only() {
    let (topics, history) = memory(10);
    publish(&topics, "before").await;
    let client = conn();
    let resumed = topics.subscribe_since("room", &client, None).await;
    assert_eq!(resumed, Ok(Resumed::Fresh { at: Position::new(1, history.epoch()) }));
    publish(&topics, "after").await;
    assert_eq!(texts(&client), ["after"]);
}

#[tokio::test]
async fn a_publication_sent_twice_under_one_key_is_delivered_once() {
    let (topics, _) = memory(10);
    let client = conn();
    topics.subscribe_since("room", &client, None).await.unwrap();
    let keep = Keep { idempotency_key: Some("c-1") };
    let first = topics.publish_kept("room", "hi", &[], keep).ack.await.unwrap();
    let again = topics.publish_kept("room", "hi", &[], keep).ack.await.unwrap();
    assert_eq!((again.position, again.duplicate), (first.position, true));
    assert_eq!(texts(&client), ["hi"]);
}

#[tokio::test]
async fn the_sender_excluded_does_not_get_its_own_kept_publication() {
    let (topics, _) = memory(10);
    let (sender, other) = (conn(), conn());
    topics.subscribe_since("room", &sender, None).await.unwrap();
    topics.subscribe_since("room", &other, None).await.unwrap();
    topics.publish_kept("room", "x", &[sender.id()], Keep::default()).ack.await.unwrap();
    assert_eq!((texts(&sender).len(), texts(&other)), (0, vec!["x".to_owned()]));
}

/// A broker across the network at its worst: it appends to the history
/// at once but hands publications to the node only when told, in the
/// order it is told, some never.
#[derive(Default)]
struct Shuffler {
    local: OnceLock<LocalFanout>,
    history: OnceLock<Arc<MemoryHistory>>,
    held: Mutex<Vec<Stored>>,
}

impl Shuffler {
    fn hand_over(&self, offsets: &[u64]) {
        let held = self.held.lock().unwrap().clone();
        for offset in offsets {
            let stored = held.iter().find(|s| s.position.offset == *offset).unwrap().clone();
            self.local.get().unwrap().deliver_kept("room", stored, &[]);
        }
    }
}

impl Broker for Shuffler {
    fn attach(&self, local: LocalFanout) {
        let _ = self.local.set(local);
    }
    fn subscribe(&self, _topic: &str) {}
    fn unsubscribe(&self, _topic: &str) {}
    fn publish(&self, publication: Publication<'_>) -> Published {
        let history = self.history.get().unwrap();
        let message = publication.message.message();
        let mut append = history.append(publication.topic, message.clone(), None);
        let std::task::Poll::Ready(Ok(appended)) =
            append.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
        else {
            unreachable!("memory answers at once")
        };
        let position = appended.position;
        self.held.lock().unwrap().push(Stored { position: position.clone(), message });
        let ack = Ack::ready(Ok(Acknowledged { position: Some(position), duplicate: false }));
        Published { local: Default::default(), ack }
    }
}

#[tokio::test]
async fn late_repeated_and_lost_publications_reach_a_subscriber_once_in_order() {
    let history =
        Arc::new(MemoryHistory::new(HistoryLimits { max_len: 100, ttl: Duration::from_secs(60) }));
    let shuffler = Arc::new(Shuffler::default());
    let _ = shuffler.history.set(history.clone());
    let topics = Topics::with_engine(Engine::new(shuffler.clone()).with_history(history.clone()));
    let client = conn();
    topics.subscribe_since("room", &client, None).await.unwrap();
    for n in 1..=6 {
        topics.publish_kept("room", format!("m{n}"), &[], Keep::default()).ack.await.unwrap();
    }
    // 3 early (1 and 2 read from history), 1 late, 3 again, 4 never, 6
    // early (5 read from history).
    shuffler.hand_over(&[3, 1, 3, 6]);
    assert_eq!(texts(&client), ["m1", "m2", "m3", "m4", "m5", "m6"]);
    // The engine's connection came back after a cut: it reads what it
    // missed; nothing was missed, nothing is sent again.
    topics.registry().reconnected();
    topics.publish_kept("room", "m7", &[], Keep::default()).ack.await.unwrap();
    topics.registry().reconnected();
    assert_eq!(texts(&client), ["m7"]);
}

#[tokio::test]
async fn a_gap_the_history_cannot_fill_closes_the_subscribers_so_they_recover() {
    let history =
        Arc::new(MemoryHistory::new(HistoryLimits { max_len: 1, ttl: Duration::from_secs(60) }));
    let shuffler = Arc::new(Shuffler::default());
    let _ = shuffler.history.set(history.clone());
    let topics = Topics::with_engine(Engine::new(shuffler.clone()).with_history(history.clone()));
    let client = conn();
    topics.subscribe_since("room", &client, None).await.unwrap();
    for n in 1..=3 {
        topics.publish_kept("room", format!("m{n}"), &[], Keep::default()).ack.await.unwrap();
    }
    shuffler.hand_over(&[3]);
    let mut batch = VecDeque::new();
    // What the topics hold for it is handed over first.
    client.catch_up();
    client.outbound().take(&mut batch);
    let sent: Vec<Vec<u8>> = batch.iter().map(|f| f.payload().to_vec()).collect();
    assert_eq!(sent.len(), 1, "only the close: m3 is refused after it");
    assert_eq!(&sent[0][..2], &1012u16.to_be_bytes(), "close 1012 (service restart)");
}

#[tokio::test]
async fn a_client_ahead_of_this_node_waits_for_it_and_gets_nothing_twice() {
    let history =
        Arc::new(MemoryHistory::new(HistoryLimits { max_len: 100, ttl: Duration::from_secs(60) }));
    let shuffler = Arc::new(Shuffler::default());
    let _ = shuffler.history.set(history.clone());
    let topics = Topics::with_engine(Engine::new(shuffler.clone()).with_history(history.clone()));
    let early = conn();
    topics.subscribe_since("room", &early, None).await.unwrap();
    for n in 1..=3 {
        topics.publish_kept("room", format!("m{n}"), &[], Keep::default()).ack.await.unwrap();
    }
    // This node delivered nothing yet; the client saw m2 elsewhere.
    let client = conn();
    let since = Position::new(2, history.epoch());
    let resumed = topics.subscribe_since("room", &client, Some(since)).await.unwrap();
    assert_eq!(resumed, Resumed::Recovered { count: 1, at: Position::new(3, history.epoch()) });
    shuffler.hand_over(&[1, 2, 3]);
    assert_eq!(texts(&client), ["m3"]);
    assert_eq!(texts(&early), ["m1", "m2", "m3"]);
}

#[tokio::test]
async fn an_application_gets_the_whole_catch_up_at_once_before_anything_live() {
    let (topics, _) = memory(100);
    let mut positions = Vec::new();
    for n in 1..=4 {
        positions.push(publish(&topics, &format!("m{n}")).await);
    }
    let client = conn();
    let mut seen = Vec::new();
    let resumed = topics
        .subscribe_since_with("room", &client, Some(positions[0].clone()), |missed, resumed| {
            let texts: Vec<String> =
                missed.iter().map(|s| s.message.as_text().unwrap().to_owned()).collect();
            let _ = client.send_text(format!("joined {}", texts.join(",")));
            seen.push(resumed.clone());
        })
        .await
        .unwrap();
    assert_eq!(seen, [resumed]);
    publish(&topics, "m5").await;
    assert_eq!(texts(&client), ["joined m2,m3,m4", "m5"]);
}

/// Frames kept publications with their offset, and keeps those of
/// "mallory" from one connection (as a chat hides a blocked author).
struct Stamped(crate::conn::ConnId);

impl crate::pubsub::Framing for Stamped {
    fn frame(&self, _topic: &str, stored: &Stored) -> crate::ws::PreparedMessage {
        let text = stored.message.as_text().unwrap();
        crate::ws::PreparedMessage::new(format!("{}:{text}", stored.position.offset))
    }

    fn skip(&self, _topic: &str, stored: &Stored) -> Vec<crate::conn::ConnId> {
        match stored.message.as_text() {
            Some(text) if text.starts_with("mallory") => vec![self.0],
            _ => Vec::new(),
        }
    }
}

#[tokio::test]
async fn the_framing_stamps_positions_and_skips_per_recipient_live_and_in_catch_ups() {
    let history =
        Arc::new(MemoryHistory::new(HistoryLimits { max_len: 100, ttl: Duration::from_secs(60) }));
    let (blocker, other) = (conn(), conn());
    let framing = Arc::new(Stamped(blocker.id()));
    let topics = Topics::with_engine(Engine::local(history.clone()).with_framing(framing));
    publish(&topics, "alice: hi").await;
    publish(&topics, "mallory: spam").await;
    let start = Position::new(0, history.epoch());
    topics.subscribe_since("room", &blocker, Some(start.clone())).await.unwrap();
    topics.subscribe_since("room", &other, Some(start)).await.unwrap();
    publish(&topics, "mallory: more").await;
    publish(&topics, "bob: ok").await;
    assert_eq!(texts(&blocker), ["1:alice: hi", "4:bob: ok"]);
    assert_eq!(texts(&other), ["1:alice: hi", "2:mallory: spam", "3:mallory: more", "4:bob: ok"]);
}
