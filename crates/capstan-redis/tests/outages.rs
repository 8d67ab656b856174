//! Redis going away: not there when a node connects, restarted (stopped,
//! then started on the same port with its AOF) and paused (SIGSTOP). Publishes meanwhile fail with
//! `Unavailable` within the command timeout instead of hanging; after, the
//! nodes' subscriptions come back by themselves and what was acknowledged
//! before is still in the history.

mod common;

use capstan::pubsub::{BrokerError, History, HistoryError, Keep, Position, Presence, Recovery};
use common::*;

/// A's command connection answers again (a read on another topic).
async fn wait_until_answering(node: &Node) {
    let history = node.engine.history();
    let deadline = tokio::time::Instant::now() + WAIT;
    while history.latest("probe").await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "redis never answered again");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn texts(recovery: Recovery) -> Vec<String> {
    match recovery {
        Recovery::Recovered(stored) => {
            stored.iter().map(|s| s.message.as_text().unwrap().to_owned()).collect()
        }
        other => panic!("expected recovered, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_redis_restart_subscriptions_come_back_and_acknowledged_publications_are_kept() {
    let mut redis = RedisServer::start(Persistence::AofAlways).await;
    let a = Node::start(config(&redis)).await;
    let b = Node::start(config(&redis)).await;
    let heard_b = b.hear("room").await;
    let before = a.publish_kept("room", "before").await;
    assert_eq!(heard_b.at_least(1).await, ["before"]);

    redis.stop().await;
    let kept = a.topics.publish_kept("room", "during", &[], Keep::default()).ack;
    let answer = within("a kept publish while redis is down", kept).await;
    assert!(matches!(answer, Err(BrokerError::Unavailable(_))), "{answer:?}");
    let plain = within("a plain one", a.topics.publish("room", "plain during", &[]).ack).await;
    assert!(matches!(plain, Err(BrokerError::Unavailable(_))), "{plain:?}");

    redis.restart().await;
    wait_until_answering(&a).await;
    // No call from the test subscribes B again: it does so by itself.
    let after = a.publish_kept("room", "after").await;
    assert_eq!(after, Position::new(2, before.epoch.clone()), "the same stream goes on");
    assert_eq!(heard_b.at_least(2).await, ["before", "after"]);
    let since = Position::new(0, before.epoch);
    assert_eq!(texts(b.engine.history().since("room", since).await.unwrap()), ["before", "after"]);
    // Plain publications flow again too.
    a.topics.publish("room", "plain after", &[]).ack.await.unwrap();
    assert_eq!(heard_b.at_least(3).await[2], "plain after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_outage_longer_than_the_reconnect_budget_the_subscription_still_comes_back() {
    let mut redis = RedisServer::start(Persistence::None).await;
    let a = Node::start(config(&redis)).await;
    let b = Node::start(config(&redis)).await;
    let heard_b = b.hear("room").await;
    redis.stop().await;
    // redis-rs gives up reconnecting after its attempts (at most 7.5 s
    // here); an idle pub/sub connection would then stay down for good.
    tokio::time::sleep(std::time::Duration::from_secs(8)).await;
    redis.restart().await;
    wait_until_answering(&a).await;
    // Plain publications are not recovered from history: B hears them
    // only once it is subscribed again. Published until one arrives.
    let deadline = tokio::time::Instant::now() + WAIT;
    while heard_b.now().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "B never subscribed again");
        let _ = a.topics.publish("room", "are you there", &[]).ack.await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_a_burst_of_kept_publications_takes_positions_in_call_order() {
    let mut redis = RedisServer::start(Persistence::AofAlways).await;
    let a = Node::start(config(&redis)).await;
    let first = a.publish_kept("room", "first").await;
    redis.stop().await;
    redis.restart().await;
    // Redis lost its scripts; the node was told of the cut by its
    // connection, and sends them whole until Redis has them again.
    wait_until_answering(&a).await;
    let acks: Vec<_> = (1..=20)
        .map(|n| a.topics.publish_kept("room", format!("m{n}"), &[], Keep::default()).ack)
        .collect();
    let mut offsets = Vec::new();
    for ack in acks {
        let ack = within("ack", ack).await.expect("acknowledged");
        offsets.push(ack.position.expect("kept").offset);
    }
    assert_eq!(offsets, (2..=21).collect::<Vec<u64>>());
    let since = Position::new(first.offset, first.epoch);
    let kept = texts(a.engine.history().since("room", since).await.unwrap());
    assert_eq!(kept, (1..=20).map(|n| format!("m{n}")).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_redis_fails_publishes_within_the_timeout_then_everything_works() {
    let redis = RedisServer::start(Persistence::None).await;
    let a = Node::start(config(&redis)).await;
    let b = Node::start(config(&redis)).await;
    let heard_b = b.hear("room").await;
    a.publish_kept("room", "m1").await;
    assert_eq!(heard_b.at_least(1).await, ["m1"]);

    redis.pause();
    let kept = a.topics.publish_kept("room", "during", &[], Keep::default()).ack;
    let answer = within("a kept publish while redis is paused", kept).await;
    let timed_out = BrokerError::Unavailable("redis did not answer within 1000 ms".into());
    assert_eq!(answer, Err(timed_out.clone()));
    let plain = within("a plain one", a.topics.publish("room", "plain", &[]).ack).await;
    assert_eq!(plain, Err(timed_out));
    let read = within("a history read", a.engine.history().latest("room")).await;
    assert!(matches!(read, Err(HistoryError::Unavailable(_))), "{read:?}");
    let members = within("a presence read", a.engine.presence().list("room")).await;
    assert!(members.is_err(), "{members:?}");

    redis.resume();
    let after = a.publish_kept("room", "after").await;
    // The script that timed out was still in Redis's socket: it ran on
    // resume, before "after" ("unavailable" means "not known").
    let expected: &[&str] = match after.offset {
        3 => &["m1", "during", "plain", "after"],
        2 => &["m1", "plain", "after"],
        other => panic!("unexpected offset {other}"),
    };
    let heard = heard_b.at_least(expected.len()).await;
    assert_eq!(heard, expected, "each once, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_to_a_redis_that_is_not_there_fails_within_the_timeout() {
    let mut redis = RedisServer::start(Persistence::None).await;
    let url = redis.url();
    redis.stop().await;
    let answer =
        within("connect", capstan_redis::RedisEngine::connect(RedisConfig::new(url))).await;
    let error = answer.expect_err("nothing listens there");
    assert!(matches!(error, capstan_redis::ConnectError::Unreachable(_)), "{error}");
    let bad = RedisConfig { prefix: "a{b}".into(), ..RedisConfig::new(redis.url()) };
    let error = RedisEngine::connect(bad).await.expect_err("the prefix breaks a rule");
    assert!(matches!(error, capstan_redis::ConnectError::Config(_)), "{error}");
}
