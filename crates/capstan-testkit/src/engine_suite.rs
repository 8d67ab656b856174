//! The recovery semantics every engine must have, as scenarios each engine
//! crate runs on its own backend: two nodes (two [`Topics`] registries on
//! the same Redis, the same NATS, … — or one registry twice, in memory),
//! each serving WebSocket clients on a real socket, and clients that
//! publish, subscribe, drop and come back to the other node.
//!
//! A node speaks a small text protocol to its clients:
//!
//! - `sub TOPIC` or `sub TOPIC OFFSET EPOCH` → [`Topics::subscribe_since`],
//!   answered `fresh|recovered|not_recovered OFFSET EPOCH`;
//! - `pub TOPIC KEY TEXT` (`KEY` is `-` for none) → [`Topics::publish_kept`],
//!   answered `ack OFFSET EPOCH dup|new` once the engine has it;
//! - `error WHY` when something failed;
//!
//! and every kept publication reaches subscribers as its text.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use capstan::pubsub::{Keep, Position, Resumed};
use capstan::{Component, Conn, HttpServer, IoServer, Message, ShutdownHandle, Topics, WsServer};
use tokio::task::JoinHandle;

use crate::client::Client;

/// A node serving the suite's protocol on 127.0.0.1.
pub struct Node {
    /// Where it listens.
    pub addr: SocketAddr,
    shutdown: ShutdownHandle,
    task: JoinHandle<std::io::Result<()>>,
}

impl Node {
    /// Serves clients on `topics` (a registry on the engine under test).
    pub async fn start(topics: Topics) -> Node {
        let http = HttpServer::new(WsServer::new(Relay { topics }));
        let server = IoServer::bind("127.0.0.1:0", http).await.expect("bind");
        let addr = server.local_addr().expect("address");
        let shutdown = server.shutdown_handle();
        let task = tokio::spawn(server.run_until(std::future::pending()));
        Node { addr, shutdown, task }
    }

    /// A client of this node.
    pub async fn client(&self) -> SuiteClient {
        SuiteClient(Client::connect(self.addr, "/").await)
    }

    /// Stops the node and waits for it (drop its clients first: a client
    /// that is still open is given the close timeout to answer).
    pub async fn stop(self) {
        self.shutdown.shutdown();
        let _ = tokio::time::timeout(crate::wait::WAIT, self.task).await;
    }
}

/// The node's side of the protocol.
struct Relay {
    topics: Topics,
}

impl Component for Relay {
    async fn on_message(&self, conn: &Conn, message: Message) {
        let Some(text) = message.as_text() else { return };
        let words: Vec<&str> = text.splitn(4, ' ').collect();
        let answer = match words.as_slice() {
            ["sub", topic] => self.subscribe(conn, topic, None).await,
            ["sub", topic, offset, epoch] => match offset.parse() {
                Ok(offset) => {
                    self.subscribe(conn, topic, Some(Position::new(offset, *epoch))).await
                }
                Err(_) => format!("error bad offset {offset}"),
            },
            ["pub", topic, key, text] => {
                let keep = Keep { idempotency_key: (*key != "-").then_some(*key) };
                let published = self.topics.publish_kept(topic, text.to_string(), &[], keep);
                match published.ack.await {
                    Ok(ack) => match ack.position {
                        Some(p) => {
                            let dup = if ack.duplicate { "dup" } else { "new" };
                            format!("ack {} {} {dup}", p.offset, p.epoch)
                        }
                        None => "error the engine gave no position".to_owned(),
                    },
                    Err(error) => format!("error {error}"),
                }
            }
            _ => format!("error unknown request {text:?}"),
        };
        let _ = conn.send_text(answer);
    }
}

impl Relay {
    async fn subscribe(&self, conn: &Conn, topic: &str, since: Option<Position>) -> String {
        match self.topics.subscribe_since(topic, conn, since).await {
            Ok(Resumed::Fresh { at }) => format!("fresh {} {}", at.offset, at.epoch),
            Ok(Resumed::Recovered { at, .. }) => format!("recovered {} {}", at.offset, at.epoch),
            Ok(Resumed::NotRecovered { at }) => format!("not_recovered {} {}", at.offset, at.epoch),
            Err(error) => format!("error {error}"),
        }
    }
}

/// A client of a [`Node`].
pub struct SuiteClient(pub Client);

/// A node's answer to `sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribed {
    /// `fresh`, `recovered` or `not_recovered`.
    pub how: String,
    /// Where the subscriber stands.
    pub at: Position,
}

impl SuiteClient {
    /// The next text the node sent.
    pub async fn next_text(&mut self) -> String {
        match self.0.next_message().await {
            Message::Text(text) => text.as_str().to_owned(),
            other => panic!("expected text, got {other:?}"),
        }
    }

    /// Subscribes from `since` (or fresh); what came before the answer
    /// (the catch-up) and the answer.
    pub async fn subscribe(
        &mut self,
        topic: &str,
        since: Option<&Position>,
    ) -> (Vec<String>, Subscribed) {
        let request = match since {
            Some(p) => format!("sub {topic} {} {}", p.offset, p.epoch),
            None => format!("sub {topic}"),
        };
        self.0.send_frame(capstan::ws::OpCode::Text, true, request.as_bytes()).await;
        let mut caught_up = Vec::new();
        loop {
            let text = self.next_text().await;
            let words: Vec<&str> = text.split(' ').collect();
            match words.as_slice() {
                [how @ ("fresh" | "recovered" | "not_recovered"), offset, epoch] => {
                    let at = Position::new(offset.parse().expect("offset"), *epoch);
                    return (caught_up, Subscribed { how: how.to_string(), at });
                }
                ["error", ..] => panic!("subscribe {topic}: {text}"),
                _ => caught_up.push(text),
            }
        }
    }

    /// Publishes `text` kept on `topic` (under `key`, if any); its position
    /// and whether it was a duplicate. Live texts that arrive meanwhile go
    /// to `live`.
    pub async fn publish(
        &mut self,
        topic: &str,
        key: Option<&str>,
        text: &str,
        live: &mut Vec<String>,
    ) -> Result<(Position, bool), String> {
        let request = format!("pub {topic} {} {text}", key.unwrap_or("-"));
        self.0.send_frame(capstan::ws::OpCode::Text, true, request.as_bytes()).await;
        loop {
            let answer = self.next_text().await;
            let words: Vec<&str> = answer.split(' ').collect();
            match words.as_slice() {
                ["ack", offset, epoch, dup] => {
                    let position = Position::new(offset.parse().expect("offset"), *epoch);
                    return Ok((position, *dup == "dup"));
                }
                ["error", ..] => return Err(answer),
                _ => live.push(answer),
            }
        }
    }

    /// The next `count` texts.
    pub async fn texts(&mut self, count: usize) -> Vec<String> {
        let mut texts = Vec::with_capacity(count);
        while texts.len() < count {
            texts.push(self.next_text().await);
        }
        texts
    }
}

/// Kept publications from two nodes reach subscribers on both, each once,
/// in offset order; each ack's position is one more than the last.
pub async fn kept_publications_reach_every_node_once_in_offset_order(a: Topics, b: Topics) {
    let (node_a, node_b) = (Node::start(a).await, Node::start(b).await);
    let (mut on_a, mut on_b) = (node_a.client().await, node_b.client().await);
    on_a.subscribe("orders", None).await;
    on_b.subscribe("orders", None).await;
    let (mut pub_a, mut pub_b) = (node_a.client().await, node_b.client().await);
    let mut by_offset = BTreeMap::new();
    let mut ignored = Vec::new();
    for n in 0..20 {
        let (publisher, node) = if n % 2 == 0 { (&mut pub_a, "a") } else { (&mut pub_b, "b") };
        let text = format!("{node}{n}");
        let (position, duplicate) =
            publisher.publish("orders", None, &text, &mut ignored).await.unwrap();
        assert!(!duplicate);
        by_offset.insert(position.offset, text);
    }
    let offsets: Vec<u64> = by_offset.keys().copied().collect();
    let first = offsets[0];
    assert_eq!(offsets, (first..first + 20).collect::<Vec<_>>(), "one offset each, no gap");
    let expected: Vec<String> = by_offset.into_values().collect();
    assert_eq!(on_a.texts(20).await, expected, "node a: each once, in offset order");
    assert_eq!(on_b.texts(20).await, expected, "node b: each once, in offset order");
    drop((on_a, on_b, pub_a, pub_b));
    node_a.stop().await;
    node_b.stop().await;
}

/// A client that saw part of a topic on one node and comes back to the
/// other gets exactly what it missed, in order, then the live stream.
pub async fn a_client_recovers_on_another_node_exactly_what_it_missed(a: Topics, b: Topics) {
    let (node_a, node_b) = (Node::start(a).await, Node::start(b).await);
    let mut publisher = node_a.client().await;
    let mut reader = node_a.client().await;
    let mut live = Vec::new();
    reader.subscribe("news", None).await;
    let mut last_seen = None;
    for n in 1..=5 {
        let (position, _) =
            publisher.publish("news", None, &format!("n{n}"), &mut live).await.unwrap();
        assert_eq!(reader.next_text().await, format!("n{n}"));
        last_seen = Some(position);
    }
    drop(reader);
    for n in 6..=10 {
        publisher.publish("news", None, &format!("n{n}"), &mut live).await.unwrap();
    }
    let mut back = node_b.client().await;
    let (missed, answer) = back.subscribe("news", last_seen.as_ref()).await;
    assert_eq!(answer.how, "recovered");
    assert_eq!(missed, ["n6", "n7", "n8", "n9", "n10"]);
    publisher.publish("news", None, "n11", &mut live).await.unwrap();
    assert_eq!(back.next_text().await, "n11", "then live, nothing twice");
    drop((publisher, back));
    node_a.stop().await;
    node_b.stop().await;
}

/// A position the history no longer reaches (more than `max_len`
/// publications since), or of another epoch, is answered
/// `not_recovered`, and the live stream follows.
pub async fn what_the_history_no_longer_holds_is_not_recovered(
    a: Topics,
    b: Topics,
    max_len: usize,
) {
    let (node_a, node_b) = (Node::start(a).await, Node::start(b).await);
    let mut publisher = node_a.client().await;
    let mut live = Vec::new();
    let (first, _) = publisher.publish("feed", None, "first", &mut live).await.unwrap();
    for n in 0..max_len + 2 {
        publisher.publish("feed", None, &format!("f{n}"), &mut live).await.unwrap();
    }
    let mut late = node_b.client().await;
    let (missed, answer) = late.subscribe("feed", Some(&first)).await;
    assert_eq!((answer.how.as_str(), missed.len()), ("not_recovered", 0));
    let mut other_epoch = node_b.client().await;
    let stale = Position::new(first.offset, format!("{}-gone", first.epoch));
    let (missed, answer) = other_epoch.subscribe("feed", Some(&stale)).await;
    assert_eq!((answer.how.as_str(), missed.len()), ("not_recovered", 0));
    publisher.publish("feed", None, "after", &mut live).await.unwrap();
    assert_eq!(late.next_text().await, "after");
    assert_eq!(other_epoch.next_text().await, "after");
    drop((publisher, late, other_epoch));
    node_a.stop().await;
    node_b.stop().await;
}

/// A publication sent again under the same key, to either node, is kept
/// and delivered once; the retry is acked with the first position.
pub async fn a_retried_publication_is_kept_and_delivered_once(a: Topics, b: Topics) {
    let (node_a, node_b) = (Node::start(a).await, Node::start(b).await);
    let mut reader = node_b.client().await;
    reader.subscribe("chat", None).await;
    let (mut first_try, mut retry) = (node_a.client().await, node_b.client().await);
    let mut live = Vec::new();
    let (first, dup) = first_try.publish("chat", Some("c-1"), "hello", &mut live).await.unwrap();
    assert!(!dup);
    let (again, dup) = retry.publish("chat", Some("c-1"), "hello", &mut live).await.unwrap();
    assert_eq!((again, dup), (first.clone(), true));
    first_try.publish("chat", None, "next", &mut live).await.unwrap();
    assert_eq!(reader.texts(2).await, ["hello", "next"], "the retry was not delivered");
    drop((reader, first_try, retry));
    node_a.stop().await;
    node_b.stop().await;
}
