//! Two `capstan-router` processes with `--nats` on one real nats-server
//! are one WAMP network for pub/sub: a publication on either reaches
//! subscribers on both (the publisher excluded, as by default), between
//! clients of either serializer. While the router is cut off from NATS an
//! acknowledged PUBLISH is ERROR `wamp.error.unavailable` at once (NATS
//! core is at-most-once: nothing is queued for later), and once NATS is
//! back publishing works again. A NATS that cannot be reached stops the
//! router at start, with a message.

mod routers;

use std::time::{Duration, Instant};

use capstan_testkit::nats::NatsServer;
use capstan_wamp::Serializer;
use routers::{
    Peer, WAIT, an_unreachable_broker_stops_the_router, publications_cross_the_routers,
    publishing_comes_back, router,
};
use serde_json::json;

#[tokio::test]
async fn a_publication_on_one_router_reaches_subscribers_on_the_other_through_nats() {
    let nats = NatsServer::start();
    let (a, b) = (router(&["--nats", &nats.url()]), router(&["--nats", &nats.url()]));
    for first_line in [a.first_line(), b.first_line()] {
        assert!(first_line.contains(&format!("broker nats at {}", nats.url())), "{first_line}");
    }
    publications_cross_the_routers(&a, &b).await;
}

#[tokio::test]
async fn a_router_cut_off_from_nats_answers_unavailable_and_publishes_again_once_it_is_back() {
    let mut nats = NatsServer::start();
    let (a, b) = (router(&["--nats", &nats.url()]), router(&["--nats", &nats.url()]));
    let mut on_a = Peer::join(&a, Serializer::Json, "realm1").await;
    let mut on_b = Peer::join(&b, Serializer::MsgPack, "realm1").await;
    let sub_b = on_b.subscribe(1, "com.news").await;
    assert_eq!(on_a.publish_acknowledged(1, "com.news", json!(["before"])).await[0], 17);
    assert!(on_b.event_with(sub_b, &json!(["before"]), WAIT / 2).await.is_some());

    nats.stop();
    // The router learns of the cut when its socket closes: soon, not at once.
    let deadline = Instant::now() + WAIT / 2;
    for request in 2.. {
        let answer = on_a.publish_acknowledged(request, "com.news", json!(["cut"])).await;
        if answer[0] == 8 {
            assert_eq!(answer[4], "wamp.error.unavailable", "{answer}");
            assert!(answer[5][0].as_str().is_some_and(|why| why.contains("NATS")), "{answer}");
            break;
        }
        assert_eq!(answer[0], 17, "{answer}");
        assert!(Instant::now() < deadline, "still PUBLISHED with NATS stopped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    nats.start_again();
    publishing_comes_back(
        &mut on_a,
        &mut on_b,
        sub_b,
        100,
        "publishing did not come back with NATS",
    )
    .await;
}

#[tokio::test]
async fn a_router_whose_nats_cannot_be_reached_exits_with_a_message() {
    an_unreachable_broker_stops_the_router("nats");
}
