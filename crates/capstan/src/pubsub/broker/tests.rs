//! The seam seen from both sides: what a registry tells its broker, and a
//! broker that answers later and delivers from elsewhere.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use crate::conn::{Conn, ConnId};
use crate::pubsub::topic::Delivery;
use crate::pubsub::topics::Topics;
use crate::pubsub::{
    Ack, AckSender, Acknowledged, Broker, LocalFanout, Position, Publication, Published,
};
use crate::request::Request;
use crate::ws::{Message, OutFrame, PreparedMessage};

fn conn() -> Conn {
    let request = Request::from_head("GET / HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    Conn::new("127.0.0.1:1".parse().unwrap(), request, None, None, 1 << 20, Default::default())
}

fn queued(conn: &Conn) -> Vec<Vec<u8>> {
    let mut batch = VecDeque::new();
    // What the topics hold for it is handed over first.
    conn.catch_up();
    conn.outbound().take(&mut batch);
    batch.iter().map(|frame: &OutFrame| frame.payload().to_vec()).collect()
}

/// A broker as an engine across the network would be: it records what the
/// registry tells it, keeps each publish, and answers later.
#[derive(Default)]
struct Relay {
    local: OnceLock<LocalFanout>,
    said: Mutex<Vec<String>>,
    pending: Mutex<Vec<Kept>>,
}

/// A publish the relay holds: topic, message, excluded, where to answer.
type Kept = (String, Message, Vec<ConnId>, AckSender);

impl Relay {
    fn said(&self) -> Vec<String> {
        std::mem::take(&mut self.said.lock().unwrap())
    }

    /// What the engine would do when the publication comes back to this
    /// node: deliver it here, then acknowledge it with its place.
    fn deliver_all(&self, first_offset: u64) {
        let local = self.local.get().unwrap();
        let pending = std::mem::take(&mut *self.pending.lock().unwrap());
        for (n, (topic, message, exclude, ack)) in pending.into_iter().enumerate() {
            local.deliver(&topic, &PreparedMessage::new(message), &exclude);
            let position = Position::new(first_offset + n as u64, "e1");
            ack.send(Ok(Acknowledged { position: Some(position), duplicate: false }));
        }
    }
}

impl Broker for Relay {
    fn attach(&self, local: LocalFanout) {
        self.local.set(local).unwrap();
    }

    fn subscribe(&self, topic: &str) {
        self.said.lock().unwrap().push(format!("+{topic}"));
    }

    fn unsubscribe(&self, topic: &str) {
        self.said.lock().unwrap().push(format!("-{topic}"));
    }

    fn publish(&self, publication: Publication<'_>) -> Published {
        let (sender, ack) = Ack::later();
        let Publication { topic, message, exclude, .. } = publication;
        let kept = (topic.to_owned(), message.message(), exclude.to_vec(), sender);
        self.pending.lock().unwrap().push(kept);
        Published { local: Delivery::default(), ack }
    }
}

#[test]
fn the_broker_hears_of_a_topics_first_subscriber_and_last_leaver_only() {
    let relay = Arc::new(Relay::default());
    let topics = Topics::with_broker(relay.clone());
    let (a, b) = (conn(), conn());
    topics.subscribe("room", &a);
    topics.subscribe("room", &b);
    topics.subscribe("other", &a);
    assert_eq!(relay.said(), ["+room", "+other"]);
    topics.unsubscribe("room", &a);
    assert_eq!(relay.said(), Vec::<String>::new(), "b is still in room");
    // A connection that ends leaves its topics: the node leaves them too.
    b.finish();
    a.finish();
    let mut left = relay.said();
    left.sort();
    assert_eq!(left, ["-other", "-room"]);
    assert!(topics.is_empty());
}

#[tokio::test]
async fn a_broker_across_the_network_delivers_later_and_answers_with_a_position() {
    let relay = Arc::new(Relay::default());
    let topics = Topics::with_broker(relay.clone());
    let (sender, reader) = (conn(), conn());
    topics.subscribe("room", &sender);
    topics.subscribe("room", &reader);

    let published = topics.publish("room", "hi", &[sender.id()]);
    assert_eq!(published.local, Delivery::default(), "nothing delivered before the round trip");
    assert!(queued(&reader).is_empty());

    relay.deliver_all(41);
    let answer = published.ack.await.unwrap();
    assert_eq!(answer.position, Some(Position::new(41, "e1")));
    assert_eq!(queued(&reader), [b"\x81\x02hi".to_vec()]);
    assert!(queued(&sender).is_empty(), "the sender was excluded on its own node");
}

#[tokio::test]
async fn the_local_broker_delivers_at_once_and_answers_at_once() {
    let topics = Topics::new();
    let (a, b) = (conn(), conn());
    topics.subscribe("room", &a);
    topics.subscribe("room", &b);
    let mut published = topics.publish("room", Message::binary(vec![1, 2, 3]), &[]);
    assert_eq!(published.local, Delivery { queued: 2, refused: 0 });
    assert_eq!(published.ack.now(), Some(Ok(Acknowledged::default())));
    assert_eq!(queued(&a), [b"\x82\x03\x01\x02\x03".to_vec()]);
    // Nobody subscribed: delivered to nobody, still acknowledged.
    let nobody = topics.publish("empty", "x", &[]);
    assert_eq!(nobody.local, Delivery::default());
    assert!(nobody.ack.await.is_ok());
}

#[test]
fn a_broker_outliving_its_registry_delivers_nowhere() {
    let relay = Arc::new(Relay::default());
    let topics = Topics::with_broker(relay.clone());
    let a = conn();
    topics.subscribe("room", &a);
    drop(topics);
    let local = relay.local.get().unwrap();
    let delivery = local.deliver("room", &PreparedMessage::new("late"), &[]);
    assert_eq!(delivery, Delivery::default());
    assert!(local.topics().is_empty());
}

#[test]
fn an_in_process_listener_is_a_subscriber_to_the_broker_until_dropped() {
    let relay = Arc::new(Relay::default());
    let topics = Topics::with_broker(relay.clone());
    let heard = Arc::new(Mutex::new(Vec::new()));
    let into = heard.clone();
    let listening =
        topics.listen("wamp", move |message| into.lock().unwrap().push(message.message()));
    assert_eq!(relay.said(), ["+wamp"], "a listener alone subscribes the node");
    let reader = conn();
    topics.subscribe("wamp", &reader);

    // What comes back from the engine reaches the listener and the connection.
    let _published = topics.publish("wamp", "from afar", &[]);
    relay.deliver_all(1);
    assert_eq!(*heard.lock().unwrap(), [Message::from("from afar")]);
    assert_eq!(queued(&reader).len(), 1);

    // The connection leaves: the listener keeps the topic; then it goes too.
    reader.finish();
    assert_eq!(relay.said(), Vec::<String>::new());
    drop(listening);
    assert_eq!(relay.said(), ["-wamp"]);
    assert!(topics.is_empty());
}

#[test]
fn the_local_broker_hands_a_publication_to_its_listeners_at_once() {
    let topics = Topics::new();
    let heard = Arc::new(Mutex::new(0));
    let into = heard.clone();
    let _listening = topics.listen("t", move |_| *into.lock().unwrap() += 1);
    let published = topics.publish("t", "x", &[]);
    assert_eq!(published.local, Delivery { queued: 1, refused: 0 });
    assert_eq!(*heard.lock().unwrap(), 1);
}

/// Skips the connection `.0` for plain publications whose text is "hush".
struct Hush(ConnId);

impl crate::pubsub::Framing for Hush {
    fn skip_plain(&self, _topic: &str, message: &Message) -> Vec<ConnId> {
        if message.as_text() == Some("hush") { vec![self.0] } else { Vec::new() }
    }
}

#[test]
fn a_plain_publication_from_another_node_skips_whom_the_framing_says() {
    let relay = Arc::new(Relay::default());
    let (a, b) = (conn(), conn());
    let engine = crate::pubsub::Engine::new(relay.clone()).with_framing(Arc::new(Hush(a.id())));
    let topics = Topics::with_engine(engine);
    topics.subscribe("room", &a);
    topics.subscribe("room", &b);
    let local = relay.local.get().unwrap();
    assert_eq!(local.deliver("room", &PreparedMessage::new("hush"), &[]).queued, 1);
    assert_eq!(local.deliver("room", &PreparedMessage::new("hello"), &[]).queued, 2);
    // Frames as sent: a text frame's two header bytes, then the text.
    let texts = |frames: Vec<Vec<u8>>| -> Vec<String> {
        frames.iter().map(|f| String::from_utf8_lossy(&f[2..]).into_owned()).collect()
    };
    assert_eq!(texts(queued(&a)), ["hello"]);
    assert_eq!(texts(queued(&b)), ["hush", "hello"]);
}
