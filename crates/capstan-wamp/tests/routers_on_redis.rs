//! Two `capstan-router` processes with `--redis` on one real redis-server
//! are one WAMP network for pub/sub: a publication on either reaches
//! subscribers on both (the publisher excluded, as by default), between
//! clients of either serializer. An acknowledged PUBLISH is PUBLISHED once
//! Redis took it; while Redis is paused (SIGSTOP) it is ERROR
//! `wamp.error.unavailable` within the engine's command timeout (1 s), not
//! a hang, and once Redis resumes publishing works again. A Redis that
//! cannot be reached stops the router at start, with a message.

mod routers;

use std::time::{Duration, Instant};

use capstan_testkit::redis::{Persistence, RedisServer};
use capstan_wamp::Serializer;
use routers::{
    Peer, WAIT, an_unreachable_broker_stops_the_router, publications_cross_the_routers,
    publishing_comes_back, router,
};
use serde_json::json;

#[tokio::test]
async fn a_publication_on_one_router_reaches_subscribers_on_the_other_through_redis() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b) = (router(&["--redis", &redis.url()]), router(&["--redis", &redis.url()]));
    for first_line in [a.first_line(), b.first_line()] {
        assert!(first_line.contains(&format!("broker redis at {}", redis.url())), "{first_line}");
    }
    publications_cross_the_routers(&a, &b).await;
}

#[tokio::test]
async fn a_paused_redis_is_an_unavailable_error_not_a_hang_and_publishing_comes_back() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b) = (router(&["--redis", &redis.url()]), router(&["--redis", &redis.url()]));
    let mut on_a = Peer::join(&a, Serializer::Json, "realm1").await;
    let mut on_b = Peer::join(&b, Serializer::MsgPack, "realm1").await;
    let sub_b = on_b.subscribe(1, "com.news").await;
    assert_eq!(on_a.publish_acknowledged(1, "com.news", json!(["before"])).await[0], 17);
    assert!(on_b.event_with(sub_b, &json!(["before"]), WAIT / 2).await.is_some());

    redis.pause();
    let asked = Instant::now();
    let refused = tokio::time::timeout(
        Duration::from_secs(5),
        on_a.publish_acknowledged(2, "com.news", json!(["paused"])),
    )
    .await
    .expect("an answer while Redis is paused, not a hang");
    assert_eq!(
        (refused[0].clone(), refused[1].clone(), refused[2].clone(), refused[4].clone()),
        (json!(8), json!(16), json!(2), json!("wamp.error.unavailable")),
        "{refused}"
    );
    assert!(asked.elapsed() < Duration::from_secs(3), "answered at the 1 s command timeout");
    assert!(refused[5][0].as_str().is_some_and(|why| why.contains("redis")), "{refused}");

    redis.resume();
    // Redis answers again at once; the engine's connections may take a
    // moment. A publication PUBLISHED from then on reaches B. ("paused"
    // may reach B too, late: Redis runs the PUBLISH it had queued. An
    // ERROR says it is not known to be published, not that it is not.)
    publishing_comes_back(
        &mut on_a,
        &mut on_b,
        sub_b,
        3,
        "publishing did not come back after SIGCONT",
    )
    .await;
}

#[tokio::test]
async fn a_router_whose_redis_cannot_be_reached_exits_with_a_message() {
    an_unreachable_broker_stops_the_router("redis");
}
