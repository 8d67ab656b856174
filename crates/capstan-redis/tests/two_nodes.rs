//! Two nodes (two engines, two topic registries) on one real Redis:
//! kept and plain publications reach every node once, in order; the
//! publisher's `exclude` list holds for its own kept publications; an
//! idempotency key keeps a retry from being kept or delivered twice; a
//! malformed envelope on a topic's channel is dropped and the topic goes
//! on.

mod common;

use capstan::pubsub::{Acknowledged, Keep, Position};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_publication_reaches_both_nodes_once_in_offset_order() {
    let redis = RedisServer::start(Persistence::None).await;
    let a = Node::start(config(&redis)).await;
    let b = Node::start(config(&redis)).await;
    let (heard_a, heard_b) = (a.hear("room").await, b.hear("room").await);
    // A burst, not awaited one by one, longer than one poll's Tokio budget
    // (128 ready steps): positions follow the calls.
    let expected: Vec<String> = (1..=200).map(|n| format!("m{n}")).collect();
    let acks: Vec<_> = expected
        .iter()
        .map(|text| a.topics.publish_kept("room", text.clone(), &[], Keep::default()).ack)
        .collect();
    let mut offsets = Vec::new();
    for ack in acks {
        let ack = within("ack", ack).await.expect("acknowledged");
        offsets.push(ack.position.expect("kept").offset);
    }
    assert_eq!(offsets, (1..=200).collect::<Vec<u64>>());
    assert_eq!(heard_a.at_least(200).await, expected);
    assert_eq!(heard_b.at_least(200).await, expected);
    // From B now: the same stream goes on, and nothing came twice.
    assert_eq!(b.publish_kept("room", "m201").await.offset, 201);
    let all = [&expected[..], &["m201".to_owned()]].concat();
    assert_eq!(heard_a.at_least(201).await, all);
    assert_eq!(heard_b.at_least(201).await, all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_publications_reach_both_nodes_once_in_order() {
    let redis = RedisServer::start(Persistence::None).await;
    let a = Node::start(config(&redis)).await;
    let b = Node::start(config(&redis)).await;
    let (heard_a, heard_b) = (a.hear("room").await, b.hear("room").await);
    // More than one poll's Tokio budget (128 ready steps): the order holds
    // past it.
    let expected: Vec<String> = (1..=300).map(|n| format!("p{n}")).collect();
    let mut last = None;
    for text in &expected {
        // Not awaited: the order is the order of the calls.
        let published = a.topics.publish("room", text.clone(), &[]);
        assert_eq!(published.local.queued, 1, "delivered to A's listener at once");
        last = Some(published.ack);
    }
    assert_eq!(within("ack", last.unwrap()).await, Ok(Acknowledged::default()));
    assert_eq!(heard_b.at_least(300).await, expected);
    // A's own came at once, and not again from Redis: B's next is next.
    b.topics.publish("room", "from b", &[]).ack.await.unwrap();
    assert_eq!(heard_a.at_least(301).await, [&expected[..], &["from b".to_owned()]].concat());
    assert_eq!(heard_b.at_least(301).await.len(), 301);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_publishers_excluded_connection_does_not_get_its_own_kept_publication() {
    let redis = RedisServer::start(Persistence::None).await;
    let mut a = Node::start(config(&redis)).await;
    let b = Node::start(config(&redis)).await;
    let heard_b = b.hear("room").await;
    let (mut sender, sender_conn) = a.client().await;
    let (mut other, other_conn) = a.client().await;
    for conn in [&sender_conn, &other_conn] {
        let resumed = a.topics.subscribe_since("room", conn, None).await.unwrap();
        assert!(matches!(resumed, capstan::pubsub::Resumed::Fresh { .. }), "{resumed:?}");
    }
    let keep = Keep::default();
    let exclude = [sender_conn.id()];
    let ack = a.topics.publish_kept("room", "mine", &exclude, keep).ack.await.unwrap();
    assert_eq!(ack.position.map(|p| p.offset), Some(1));
    a.topics.publish_kept("room", "next", &[], keep).ack.await.unwrap();
    assert_eq!(next_text(&mut other).await, "mine");
    assert_eq!(next_text(&mut other).await, "next");
    assert_eq!(next_text(&mut sender).await, "next", "its own was not sent to it");
    assert_eq!(heard_b.at_least(2).await, ["mine", "next"], "excluded on A only");
    drop((sender, other));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_with_the_same_idempotency_key_is_acknowledged_duplicate_and_delivered_once() {
    let redis = RedisServer::start(Persistence::None).await;
    let a = Node::start(config(&redis)).await;
    let b = Node::start(config(&redis)).await;
    let heard_b = b.hear("room").await;
    let keep = Keep { idempotency_key: Some("order-17") };
    let first = a.topics.publish_kept("room", "paid", &[], keep).ack.await.unwrap();
    assert_eq!(first.position.as_ref().map(|p| p.offset), Some(1));
    assert!(!first.duplicate);
    // The retry comes through the other node.
    let retry = b.topics.publish_kept("room", "paid", &[], keep).ack.await.unwrap();
    assert_eq!(retry, Acknowledged { position: first.position.clone(), duplicate: true });
    let after = a.publish_kept("room", "shipped").await;
    assert_eq!(after.offset, 2, "nothing was appended for the retry");
    assert_eq!(heard_b.at_least(2).await, ["paid", "shipped"]);
    // And the history holds it once.
    let history = a.engine.history();
    let epoch = after.epoch.clone();
    let recovered = capstan::pubsub::History::since(&*history, "room", Position::new(0, epoch));
    match recovered.await.unwrap() {
        capstan::pubsub::Recovery::Recovered(stored) => {
            let texts: Vec<_> = stored.iter().map(|s| s.message.as_text().unwrap()).collect();
            assert_eq!(texts, ["paid", "shipped"]);
        }
        other => panic!("expected recovered, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_envelope_is_dropped_and_later_publications_still_arrive() {
    let redis = RedisServer::start(Persistence::None).await;
    let a = Node::start(config(&redis)).await;
    let b = Node::start(config(&redis)).await;
    let heard_b = b.hear("room").await;
    let channel = b.engine.keys().channel("room");
    let mut cli = redis_cli(&redis).await;
    for garbage in [&b"garbage"[..], b"c1 K x 1 t\nshort", b"c1 P x 1 t\n\xff\xfe", b""] {
        let receivers: i64 =
            redis::cmd("SPUBLISH").arg(&channel).arg(garbage).query_async(&mut cli).await.unwrap();
        assert_eq!(receivers, 1, "B is subscribed");
    }
    a.publish_kept("room", "after").await;
    a.topics.publish("room", "plain after", &[]).ack.await.unwrap();
    assert_eq!(heard_b.at_least(2).await, ["after", "plain after"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_left_and_joined_again_at_once_is_ready_only_once_subscribed_again() {
    let redis = RedisServer::start(Persistence::None).await;
    let a = Node::start(config(&redis)).await;
    let b = Node::start(config(&redis)).await;
    for round in 0..5 {
        let heard = b.hear("room").await;
        heard.stop(); // B unsubscribes (its last listener left)...
        let heard = b.hear("room").await; // ...and subscribes again at once
        let text = format!("round {round}");
        a.topics.publish("room", text.clone(), &[]).ack.await.unwrap();
        assert_eq!(heard.at_least(1).await, [text], "ready meant subscribed");
        heard.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classic_pub_sub_carries_the_same_publications() {
    let redis = RedisServer::start(Persistence::None).await;
    let classic = RedisConfig { sharded: false, ..config(&redis) };
    let a = Node::start(classic.clone()).await;
    let b = Node::start(classic).await;
    let heard_b = b.hear("room").await;
    assert_eq!(a.publish_kept("room", "kept").await.offset, 1);
    a.topics.publish("room", "plain", &[]).ack.await.unwrap();
    assert_eq!(heard_b.at_least(2).await, ["kept", "plain"]);
    // On the classic channel, not the sharded one.
    let mut cli = redis_cli(&redis).await;
    let channels: Vec<String> =
        redis::cmd("PUBSUB").arg("CHANNELS").query_async(&mut cli).await.unwrap();
    assert_eq!(channels, [b.engine.keys().channel("room")]);
}
