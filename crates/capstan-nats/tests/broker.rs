//! One broker's answers: what it refuses, and why, before anything is
//! kept or sent.

mod common;

use std::sync::Arc;
use std::time::Duration;

use capstan::Topics;
use capstan::pubsub::{BrokerError, Engine, History, Keep};
use capstan_nats::{NatsBroker, NatsConfig, NatsError};
use capstan_testkit::nats::NatsServer;
use common::*;

#[tokio::test]
async fn kept_publications_need_a_history() {
    let nats = NatsServer::start();
    let broker = NatsBroker::connect(NatsConfig::new(nats.url()), None).await.unwrap();
    let topics = Topics::with_broker(Arc::new(broker));
    let answer = topics.publish_kept("room", "x", &[], Keep::default()).ack.await;
    match answer {
        Err(BrokerError::Refused(why)) => assert!(why.contains("no history"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(topics.publish("room", "plain is fine", &[]).ack.await.is_ok());
}

#[tokio::test]
async fn a_publication_over_the_servers_max_payload_is_refused_before_it_is_kept() {
    let nats = NatsServer::start();
    let history = shared_history();
    let dyn_history: Arc<dyn History> = history.clone();
    let broker =
        NatsBroker::connect(NatsConfig::new(nats.url()), Some(dyn_history.clone())).await.unwrap();
    let topics = Topics::with_engine(Engine::new(Arc::new(broker)).with_history(dyn_history));
    let big = vec![0u8; 2 << 20];
    let plain = topics.publish("room", big.clone(), &[]).ack.await;
    assert!(
        matches!(&plain, Err(BrokerError::Refused(why)) if why.contains("max_payload")),
        "{plain:?}"
    );
    let kept = topics.publish_kept("room", big, &[], Keep::default()).ack.await;
    assert!(
        matches!(&kept, Err(BrokerError::Refused(why)) if why.contains("max_payload")),
        "{kept:?}"
    );
    assert_eq!(history.latest("room").await.unwrap().offset, 0, "nothing was kept");
}

#[tokio::test]
async fn no_server_bad_prefixes_and_bad_urls_are_refused_at_connect() {
    let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let config =
        NatsConfig::new(format!("nats://{nobody}")).with_timeout(Duration::from_millis(300));
    let started = tokio::time::Instant::now();
    let answer = NatsBroker::connect(config, None).await;
    assert!(matches!(answer, Err(NatsError::Connect { .. })), "{answer:?}");
    assert!(started.elapsed() < capstan_testkit::wait::WAIT, "it gave up");

    for prefix in ["", "a..b", "a.*", "a.>", "with space"] {
        let config = NatsConfig::new("nats://127.0.0.1:4222").with_prefix(prefix);
        let answer = NatsBroker::connect(config, None).await;
        assert!(matches!(answer, Err(NatsError::InvalidPrefix(_))), "{prefix:?}: {answer:?}");
    }
    for url in ["", " , ", "nats://host:notaport"] {
        let answer = NatsBroker::connect(NatsConfig::new(url), None).await;
        assert!(matches!(answer, Err(NatsError::InvalidUrl { .. })), "{url:?}: {answer:?}");
    }
}
