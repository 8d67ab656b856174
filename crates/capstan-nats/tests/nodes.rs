//! Two nodes on a real nats-server, sharing one history: publications
//! cross between them; kept ones in offset order, once each, recovered
//! from any node and across a NATS restart; malformed input is dropped.

mod common;

use capstan::pubsub::{BrokerError, Keep, Position, Resumed};
use capstan_nats::NatsConfig;
use capstan_testkit::nats::NatsServer;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publications_from_one_node_reach_both_once_each_kept_ones_in_offset_order_not_the_sender()
{
    let nats = NatsServer::start();
    let history = shared_history();
    let mut a = Node::start(&nats, history.clone()).await;
    let mut b = Node::start(&nats, history.clone()).await;
    let (mut sender, sender_conn) = a.client().await;
    let (mut a_other, a_other_conn) = a.client().await;
    let (mut b_reader, b_conn) = b.client().await;
    for conn in [&sender_conn, &a_other_conn] {
        a.topics.subscribe_since("room", conn, None).await.unwrap();
    }
    b.topics.subscribe_since("room", &b_conn, None).await.unwrap();
    let (_listening, heard_on_b) = b.listen("room");
    let not_the_sender = [sender_conn.id()];

    // Plain, from A: at once on A, through NATS on B, in order.
    let plain: Vec<String> = (1..=5).map(|n| format!("p{n}")).collect();
    let published: Vec<_> =
        plain.iter().map(|p| a.topics.publish("room", p.clone(), &not_the_sender)).collect();
    for published in published {
        assert_eq!(published.local.queued, 1, "delivered on A at once, to a_other only");
        published.ack.await.expect("NATS took it");
    }
    heard_on_b.until("p5").await;

    // Kept, from A and B in turn (A's excluding its sender), not awaited
    // one by one: B's reach A after A's later ones, and the other way.
    let mut acks = Vec::new();
    for n in 1..=8 {
        let text = format!("k{n}");
        let key = format!("key-{n}");
        let keep = Keep { idempotency_key: Some(&key) };
        let published = if n % 2 == 1 {
            a.topics.publish_kept("room", text.clone(), &not_the_sender, keep)
        } else {
            b.topics.publish_kept("room", text.clone(), &[], keep)
        };
        acks.push((text, published.ack));
    }
    let mut kept = Vec::new();
    for (text, ack) in acks {
        let ack = ack.await.expect("the history has it");
        assert!(!ack.duplicate);
        kept.push((ack.position.expect("a position"), text));
    }
    kept.sort_by_key(|(position, _)| position.offset);
    let offsets: Vec<u64> = kept.iter().map(|(p, _)| p.offset).collect();
    assert_eq!(offsets, (1..=8).collect::<Vec<_>>());
    let in_offset_order: Vec<String> = kept.iter().map(|(_, t)| t.clone()).collect();

    // A repeated key is acknowledged as a duplicate, from either node, and
    // delivered nowhere again.
    for topics in [&a.topics, &b.topics] {
        let again = topics
            .publish_kept("room", "k1 again", &[], Keep { idempotency_key: Some("key-1") })
            .ack
            .await
            .unwrap();
        assert!(again.duplicate);
        assert_eq!(again.position.as_ref(), Some(&kept[0].0));
    }
    let end = b.topics.publish_kept("room", "end", &[], Keep::default()).ack.await.unwrap();
    assert_eq!(end.position.map(|p| p.offset), Some(9));

    let everything: Vec<String> =
        plain.iter().chain(&in_offset_order).cloned().chain(["end".to_owned()]).collect();
    assert_eq!(next_texts(&mut a_other, everything.len()).await, everything, "a_other on A");
    assert_eq!(next_texts(&mut b_reader, everything.len()).await, everything, "a client on B");
    assert_eq!(heard_on_b.until("end").await, everything, "a listener on B");
    // The sender got none of A's publications: only B's kept ones, then the end.
    let from_b: Vec<String> = in_offset_order
        .iter()
        .filter(|t| t[1..].parse::<u32>().unwrap() % 2 == 0)
        .cloned()
        .collect();
    let sender_got = next_texts(&mut sender, from_b.len() + 1).await;
    assert_eq!(sender_got, from_b.into_iter().chain(["end".to_owned()]).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_back_on_b_with_a_position_seen_on_a_gets_exactly_what_it_missed_then_live() {
    let nats = NatsServer::start();
    let history = shared_history();
    let mut a = Node::start(&nats, history.clone()).await;
    let mut b = Node::start(&nats, history.clone()).await;
    let (mut on_a, conn_a) = a.client().await;
    a.topics.subscribe_since("room", &conn_a, None).await.unwrap();
    let mut positions = Vec::new();
    for n in 1..=4 {
        let ack = a.topics.publish_kept("room", format!("m{n}"), &[], Keep::default()).ack;
        positions.push(ack.await.unwrap().position.unwrap());
    }
    assert_eq!(next_texts(&mut on_a, 4).await, strings(&["m1", "m2", "m3", "m4"]));

    // The client saw m2 on A, lost its connection, and comes back on B,
    // which has nobody on the topic yet.
    assert!(b.topics.get("room").is_none());
    let (mut on_b, conn_b) = b.client().await;
    let seen = positions[1].clone();
    let resumed = b.topics.subscribe_since("room", &conn_b, Some(seen)).await.unwrap();
    assert_eq!(resumed, Resumed::Recovered { count: 2, at: positions[3].clone() });
    assert_eq!(next_texts(&mut on_b, 2).await, strings(&["m3", "m4"]), "what it missed");

    // Then live, from A, through NATS: nothing in between, nothing twice.
    a.topics.publish_kept("room", "m5", &[], Keep::default()).ack.await.unwrap();
    a.topics.publish("room", "p6", &[]).ack.await.unwrap();
    assert_eq!(next_texts(&mut on_b, 2).await, strings(&["m5", "p6"]));
    b.topics.publish_kept("room", "m7", &[], Keep::default()).ack.await.unwrap();
    assert_eq!(next_texts(&mut on_b, 1).await, ["m7"]);
    assert_eq!(next_texts(&mut on_a, 3).await, strings(&["m5", "p6", "m7"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn across_a_nats_restart_plain_publications_fail_and_kept_ones_are_caught_up_from_history() {
    let mut nats = NatsServer::start();
    let history = shared_history();
    let mut a = Node::start(&nats, history.clone()).await;
    let mut b = Node::start(&nats, history.clone()).await;
    let (mut on_a, conn_a) = a.client().await;
    let (mut on_b, conn_b) = b.client().await;
    a.topics.subscribe_since("room", &conn_a, None).await.unwrap();
    b.topics.subscribe_since("room", &conn_b, None).await.unwrap();
    let (_listening, heard_on_b) = b.listen("room");

    a.topics.publish_kept("room", "before-k", &[], Keep::default()).ack.await.unwrap();
    heard_on_b.until("before-k").await;
    a.topics.publish("room", "before-p", &[]).ack.await.unwrap();
    heard_on_b.until("before-p").await;
    assert_eq!(next_texts(&mut on_b, 2).await, strings(&["before-k", "before-p"]));

    nats.stop();
    wait_until("both nodes see the cut", RECONNECT_WAIT, || {
        !a.broker.is_connected() && !b.broker.is_connected()
    })
    .await;

    // No subscription can be confirmed meanwhile: an error, after the timeout.
    let not_ready = capstan::pubsub::Broker::ready(&*b.broker, "room").await;
    assert!(matches!(not_ready, Err(BrokerError::Unavailable(_))), "{not_ready:?}");

    // Plain publications while NATS is down FAIL: delivered on A only,
    // answered Unavailable, and never reach B (checked below).
    let lost = strings(&["lost-1", "lost-2", "lost-3"]);
    for text in &lost {
        let published = a.topics.publish("room", text.clone(), &[]);
        assert_eq!(published.local.queued, 1, "delivered on A, to its client");
        match published.ack.await {
            Err(BrokerError::Unavailable(why)) => assert!(why.contains("not connected"), "{why}"),
            other => panic!("a plain publish while NATS is down: {other:?}"),
        }
    }
    // Kept ones are acknowledged: the history has them.
    let down = strings(&["down-1", "down-2", "down-3", "down-4"]);
    let mut down_positions: Vec<Position> = Vec::new();
    for text in &down {
        let ack = a.topics.publish_kept("room", text.clone(), &[], Keep::default()).ack;
        down_positions.push(ack.await.expect("acknowledged: the history has it").position.unwrap());
    }
    let offsets: Vec<u64> = down_positions.iter().map(|p| p.offset).collect();
    assert_eq!(offsets, [2, 3, 4, 5]);
    assert!(heard_on_b.all().len() == 2, "nothing reached B meanwhile: {:?}", heard_on_b.all());

    nats.start_again();
    // B reads what it missed from the history once its subscription is
    // back (the test subscribes nothing again).
    assert_eq!(next_texts(&mut on_b, 4).await, down, "caught up on B, in order");
    wait_until("A is connected again", RECONNECT_WAIT, || a.broker.is_connected()).await;
    // The subscription is back by itself: a later plain publication from
    // A reaches B.
    a.topics.publish("room", "after", &[]).ack.await.expect("NATS is back");
    assert_eq!(next_texts(&mut on_b, 1).await, ["after"]);
    a.topics.publish_kept("room", "end", &[], Keep::default()).ack.await.unwrap();
    assert_eq!(next_texts(&mut on_b, 1).await, ["end"], "nothing twice before the end");

    let on_b_in_all = heard_on_b.until("end").await;
    let expected_on_b: Vec<String> = ["before-k", "before-p"]
        .iter()
        .map(|t| (*t).to_owned())
        .chain(down.iter().cloned())
        .chain(["after".to_owned(), "end".to_owned()])
        .collect();
    assert_eq!(on_b_in_all, expected_on_b, "the kept ones once each, the failed plain ones never");
    let expected_on_a: Vec<String> = ["before-k", "before-p"]
        .iter()
        .map(|t| (*t).to_owned())
        .chain(lost.iter().cloned())
        .chain(down.iter().cloned())
        .chain(["after".to_owned(), "end".to_owned()])
        .collect();
    assert_eq!(next_texts(&mut on_a, expected_on_a.len()).await, expected_on_a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_envelopes_on_the_subject_are_dropped_and_later_publications_still_arrive() {
    let nats = NatsServer::start();
    let history = shared_history();
    let a = Node::start(&nats, history.clone()).await;
    let mut b = Node::start(&nats, history.clone()).await;
    let (mut on_b, conn_b) = b.client().await;
    b.topics.subscribe_since("room", &conn_b, None).await.unwrap();
    let (_listening, heard_on_b) = b.listen("room");

    // By hand, on the topic's subject: nothing a broker sends.
    let raw = async_nats::connect(nats.url()).await.unwrap();
    let subject = NatsConfig::new(nats.url()).subject("room");
    let mut truncated_kept = vec![1u8, 0b10];
    truncated_kept.extend([7; 16]);
    truncated_kept.extend([0, 0, 0]);
    let mut bad_text = vec![1u8, 0];
    bad_text.extend([7; 16]);
    bad_text.extend([0xC3, 0x28]);
    let mut bad_kind = vec![1u8, 0xF0];
    bad_kind.extend([7; 16]);
    let garbage: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"hello, not an envelope".to_vec(),
        vec![9; 40],
        truncated_kept,
        bad_text,
        bad_kind,
    ];
    for bytes in garbage {
        raw.publish(subject.clone(), bytes.into()).await.unwrap();
    }
    // A round trip: the server has routed all of it before what follows.
    let probe = raw.request("probe.nobody", "".into()).await;
    assert!(probe.is_err(), "nobody answers there: {probe:?}");

    a.topics.publish("room", "ok", &[]).ack.await.unwrap();
    a.topics.publish_kept("room", "kept", &[], Keep::default()).ack.await.unwrap();
    assert_eq!(next_texts(&mut on_b, 2).await, strings(&["ok", "kept"]));
    assert_eq!(heard_on_b.until("kept").await, strings(&["ok", "kept"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_resolves_once_the_subscription_is_in_effect_at_the_server() {
    let nats = NatsServer::start();
    let history = shared_history();
    let a = Node::start(&nats, history.clone()).await;
    let b = Node::start(&nats, history.clone()).await;
    // Many subscriptions queued at once: the last one reaches the server last.
    let mut listening = Vec::new();
    for n in 0..500 {
        listening.push(b.listen(&format!("topic {n}")));
    }
    let (_, heard) = listening.last().unwrap();
    capstan::pubsub::Broker::ready(&*b.broker, "topic 499").await.expect("ready");
    // A plain publication is at-most-once: had B not been subscribed at the
    // server yet, it would be gone.
    a.topics.publish("topic 499", "first", &[]).ack.await.unwrap();
    assert_eq!(heard.until("first").await, ["first"]);
}
